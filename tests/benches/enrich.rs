//! `make bench`, enrichment: what a lookup stage costs per record. 100,000 sshd lines
//! (`../shared/data/loghub/OpenSSH_2k.log` cycled, batches of 256) through the syslog
//! parser, then each enricher with a table granted by the host: `threat-intel` against
//! 100,000 indicators (addresses, /24 ranges, domains; 43% of the lines carry a listed
//! address, so 43% of records are marked and raise an alert — and once more with
//! `alert = false`, marking only, to show what the alerts cost), `asset` against 10,000
//! inventory rows (every line's host is listed), `geoip` against MaxMind's test database.
//! Reported: records/s of the chain; the nanoseconds the enricher adds per record over the
//! parser alone (median of 5 passes, interleaved); the part of those the tables spent
//! answering its lookups (timed by the tables, mean over the passes); and the rest, the
//! stage's own cost: the crossing, the plugin's work and the host's handling of what it
//! changed and raised. Each enricher crosses to the host once per batch for its lookups.

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use logsift::pipeline::{Chain, InputRecord};
use logsift_event::Origin;

const RECORDS: usize = 100_000;
const PASSES: usize = 5;

fn chain(dir: &std::path::Path, stages: &str, tables: &str) -> Chain {
    let path = dir.join(format!("bench-{}.toml", blake3::hash(stages.as_bytes()).to_hex()));
    std::fs::write(&path, format!("[reload]\nwatch = false\n{tables}\n[[pipeline]]\nplugin = \"syslog\"\n{stages}")).expect("config");
    let reloader = logsift::Runtime::start(support::load_settings(&path), None).expect("pipeline");
    Chain::new(reloader.pipeline().current().stages.iter().cloned())
}

fn run(chain: &mut Chain, batches: &[Vec<InputRecord>]) -> Duration {
    let t = Instant::now();
    for batch in batches {
        std::hint::black_box(chain.process(batch));
    }
    t.elapsed()
}

fn main() {
    let Some(log) = support::shared_data("data/loghub/OpenSSH_2k.log") else { return };
    let Some(city) = support::shared_data("data/geoip/GeoLite2-City-Test.mmdb") else { return };
    let text = std::fs::read_to_string(log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    let batches: Vec<Vec<InputRecord>> = (0..RECORDS)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].as_bytes().to_vec(),
            origin: Origin::File { path: "ssh".into(), line: i as u64 },
        })
        .collect::<Vec<_>>()
        .chunks(256)
        .map(<[InputRecord]>::to_vec)
        .collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let mut iocs = String::from("indicator,provider\n183.62.140.253,bench\n");
    for i in 0..100_000u32 {
        let [a, b, c, d] = (0x0b00_0000 + i * 7).to_be_bytes();
        iocs.push_str(&match i % 3 {
            0 => format!("{a}.{b}.{c}.{d},bench\n"),
            1 => format!("{a}.{b}.{c}.0/24,bench\n"),
            _ => format!("host{i}.bad{a}.example,bench\n"),
        });
    }
    std::fs::write(dir.path().join("iocs.csv"), iocs).expect("iocs");
    let mut assets = String::from("hostname,owner,criticality\nLabSZ,secops,high\n");
    for i in 0..10_000 {
        assets.push_str(&format!("host-{i},team-{},low\n", i % 50));
    }
    std::fs::write(dir.path().join("assets.csv"), assets).expect("assets");
    let tables = format!(
        "[tables.iocs]\nkind = \"ioc\"\npath = \"iocs.csv\"\n[tables.assets]\nkind = \"records\"\npath = \"assets.csv\"\nkey = \"hostname\"\n\
         [tables.geoip]\nkind = \"mmdb\"\npath = {:?}\n",
        city.display().to_string()
    );
    let threat_intel = "[[pipeline]]\nplugin = \"threat-intel\"\ntables = [\"iocs\"]\n";
    // (stable key in results.json, name, the stages after the parser)
    let cases = [
        ("syslog", "syslog alone", String::new()),
        ("threat_intel", "+ threat-intel (100k indicators)", threat_intel.to_owned()),
        ("threat_intel_mark_only", "+ threat-intel, alert = false", format!("{threat_intel}[pipeline.settings]\nalert = false\n")),
        (
            "asset",
            "+ asset (10k rows)",
            "[[pipeline]]\nplugin = \"asset\"\ntables = [\"assets\"]\n[[pipeline.settings.lookups]]\nfield = \"host.hostname\"\ntable = \"assets\"\n".to_owned(),
        ),
        ("geoip", "+ geoip (MaxMind test City)", "[[pipeline]]\nplugin = \"geoip\"\ntables = [\"geoip\"]\n".to_owned()),
    ];
    let mut chains: Vec<Chain> = cases.iter().map(|(_, _, stages)| chain(dir.path(), stages, &tables)).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let answering = |chain: &Chain| chain.stages().iter().map(|stage| stage.plugin().tables().answering_time()).sum::<Duration>();
    let answered_before: Vec<Duration> = chains.iter().map(answering).collect();
    for _ in 0..PASSES {
        for (i, chain) in chains.iter_mut().enumerate() {
            times[i].push(run(chain, &batches));
        }
    }
    let lookup_ns: Vec<f64> = chains
        .iter()
        .zip(&answered_before)
        .map(|(chain, before)| (answering(chain) - *before).as_nanos() as f64 / (PASSES * RECORDS) as f64)
        .collect();
    let medians: Vec<Duration> = times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect();
    println!("Enrichment: {RECORDS} sshd lines, batches of 256, median of {PASSES} passes, release build");
    println!("  {:<34} {:>12} {:>16} {:>16} {:>16}", "chain", "records/s", "added ns/record", "in lookups", "beyond lookups");
    for (i, (key, name, _)) in cases.iter().enumerate() {
        let rate = RECORDS as f64 / medians[i].as_secs_f64();
        let added = (medians[i].as_nanos() as f64 - medians[0].as_nanos() as f64) / RECORDS as f64;
        let (lookup, beyond) = (lookup_ns[i], added - lookup_ns[i]);
        if i == 0 {
            println!("  {name:<34} {rate:>12.0} {:>16} {:>16} {:>16}", "-", "-", "-");
        } else {
            println!("  {name:<34} {rate:>12.0} {added:>16.0} {lookup:>16.0} {beyond:>16.0}");
        }
        support::bench::record(&[
            (&format!("enrich.{key}.records_per_s"), rate),
            (&format!("enrich.{key}.added_ns_per_record"), added),
            (&format!("enrich.{key}.lookup_ns_per_record"), lookup),
            (&format!("enrich.{key}.beyond_lookup_ns_per_record"), beyond),
        ]);
    }
}
