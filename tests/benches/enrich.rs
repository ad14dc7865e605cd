//! `make bench`, enrichment: what a lookup stage costs per record. 100,000 sshd lines
//! (`../shared/data/loghub/OpenSSH_2k.log` cycled, batches of 256) through the syslog
//! parser, then each enricher with a table granted by the host: `threat-intel` against
//! 100,000 indicators (addresses, /24 ranges, domains; 43% of the lines carry a listed
//! address, so 43% of records are marked and raise an alert — and once more with
//! `alert = false`, marking only, to show what the alerts cost), `asset` against 10,000
//! inventory rows (every line's host is listed), `geoip` against MaxMind's test database.
//! Reported: records/s of the chain (median of 5 passes, interleaved); the nanoseconds the
//! enricher's stage takes per record, run on its own over the parser's events (median of 7
//! passes, interleaved: the difference between two chains' times moved by more than the
//! stage costs on a busy machine); the part of those the tables spent answering its lookups
//! (timed by the tables, mean over the passes); and the rest, the stage's own cost: the
//! crossing, the plugin's work and the host's handling of what it changed and raised. Each
//! enricher crosses to the host once per batch for its lookups.

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use logsift::pipeline::{Batch, Chain, InputRecord, Stage, StageOptions};
use logsift_event::Origin;

const RECORDS: usize = 100_000;
const PASSES: usize = 5;
/// Passes of each enricher's stage on its own.
const STAGE_PASSES: usize = 7;

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
    for _ in 0..PASSES {
        for (i, chain) in chains.iter_mut().enumerate() {
            times[i].push(run(chain, &batches));
        }
    }
    // Each enricher's stage alone, over the events the parser made of the lines.
    let mut parser = Stage::new(chains[0].stages()[0].plugin().clone(), StageOptions::default());
    let parsed: Vec<Batch> = batches.iter().map(|b| parser.run(Batch::from_inputs(b), &mut Vec::new())).collect();
    let mut stages: Vec<Stage> =
        chains[1..].iter().map(|chain| Stage::new(chain.stages()[1].plugin().clone(), StageOptions::default())).collect();
    let answering = |stage: &Stage| stage.plugin().tables().answering_time();
    let answered_before: Vec<Duration> = stages.iter().map(answering).collect();
    let mut stage_times: Vec<Vec<Duration>> = vec![Vec::new(); stages.len()];
    for _ in 0..STAGE_PASSES {
        for (i, stage) in stages.iter_mut().enumerate() {
            let inputs = parsed.clone();
            let t = Instant::now();
            for batch in inputs {
                let mut routed = Vec::new();
                std::hint::black_box(stage.run(batch, &mut routed));
                std::hint::black_box(routed);
            }
            stage_times[i].push(t.elapsed());
        }
    }
    let lookup_ns: Vec<f64> = stages
        .iter()
        .zip(&answered_before)
        .map(|(stage, before)| (answering(stage) - *before).as_nanos() as f64 / (STAGE_PASSES * RECORDS) as f64)
        .collect();
    let median = |mut t: Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let stage_medians: Vec<Duration> = stage_times.into_iter().map(median).collect();
    println!(
        "Enrichment: {RECORDS} sshd lines, batches of 256, chains median of {PASSES} passes, stages alone median of {STAGE_PASSES}, release build"
    );
    println!("  {:<34} {:>12} {:>16} {:>16} {:>16}", "chain", "records/s", "stage ns/record", "in lookups", "beyond lookups");
    for (i, (key, name, _)) in cases.iter().enumerate() {
        let rate = RECORDS as f64 / medians[i].as_secs_f64();
        let (added, lookup) = match i {
            0 => (0.0, 0.0),
            _ => (stage_medians[i - 1].as_nanos() as f64 / RECORDS as f64, lookup_ns[i - 1]),
        };
        let beyond = added - lookup;
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
