//! Indicator sets: IP addresses, IP ranges (CIDR), domains (a listed domain also matches
//! its subdomains: `evil.example` lists `a.evil.example`), and file hashes (MD5, SHA-1,
//! SHA-256, any case).
//!
//! A `.csv` file needs a header with an `indicator` column; its other columns go into the
//! record (a feed's `provider`, `description`, `confidence`, …). Any other file lists one
//! indicator per line; blank lines and `#` comments are skipped. A line that is none of the
//! kinds above refuses the file, with its line number.
//!
//! Lookups cost a hash lookup for an IP, one per distinct prefix length for ranges, one per
//! label for a domain.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde_json::{Map, Value as Json};

use super::TableError;

/// A listed indicator's record: `indicator`, `type` and the file's other columns.
pub type Record = Map<String, Json>;

/// A record as JSON text, written once when the list is read: lookups hand it out as it is.
type Text = String;

/// One indicator set.
#[derive(Default)]
pub struct Indicators {
    ips: HashMap<IpAddr, Text>,
    /// Ranges by prefix length, longest first, each keyed by its network address.
    nets: Vec<(u8, bool, HashMap<IpAddr, Text>)>,
    domains: HashMap<String, Text>,
    hashes: HashMap<String, Text>,
}

enum Kind {
    Ip(IpAddr),
    Net(IpNet),
    Domain(String),
    Hash(String),
}

fn is_hash(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_domain(s: &str) -> bool {
    s.contains('.')
        && !s.starts_with('.')
        && s.split('.').all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn classify(text: &str) -> Option<Kind> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(Kind::Ip(ip));
    }
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(Kind::Net(net.trunc()));
    }
    if is_hash(text) {
        return Some(Kind::Hash(text.to_ascii_lowercase()));
    }
    let domain = text.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.strip_prefix("*.").unwrap_or(&domain).to_owned();
    is_domain(&domain).then_some(Kind::Domain(domain))
}

fn type_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Ip(IpAddr::V4(_)) => "ipv4-addr",
        Kind::Ip(IpAddr::V6(_)) => "ipv6-addr",
        Kind::Net(IpNet::V4(_)) => "ipv4-addr",
        Kind::Net(IpNet::V6(_)) => "ipv6-addr",
        Kind::Domain(_) => "domain-name",
        Kind::Hash(_) => "file",
    }
}

impl Indicators {
    /// Reads a list (`.csv` with an `indicator` column, or one indicator per line).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Indicators, TableError> {
        let bad = |line: Option<u64>, reason: String| TableError::Content { path: path.to_owned(), line, reason };
        let mut set = Indicators::default();
        let mut nets: HashMap<(u8, bool), HashMap<IpAddr, Text>> = HashMap::new();
        let mut add = |text: &str, line: u64, mut record: Record| -> Result<(), TableError> {
            let kind =
                classify(text).ok_or_else(|| bad(Some(line), format!("{text:?} is not an IP address, range, domain or file hash")))?;
            record.insert("indicator".into(), Json::from(text));
            record.insert("type".into(), Json::from(type_name(&kind)));
            let record = Json::Object(record).to_string();
            match kind {
                Kind::Ip(ip) => {
                    set.ips.insert(ip, record);
                }
                Kind::Net(net) => {
                    nets.entry((net.prefix_len(), net.addr().is_ipv4())).or_default().insert(net.addr(), record);
                }
                Kind::Domain(d) => {
                    set.domains.insert(d, record);
                }
                Kind::Hash(h) => {
                    set.hashes.insert(h, record);
                }
            }
            Ok(())
        };
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            let mut reader = csv::Reader::from_reader(bytes);
            let headers = reader.headers().map_err(|e| bad(Some(1), e.to_string()))?.clone();
            let column = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case("indicator"))
                .ok_or_else(|| bad(Some(1), "the header has no `indicator` column".into()))?;
            for row in reader.records() {
                let row = row.map_err(|e| bad(e.position().map(|p| p.line()), e.to_string()))?;
                let line = row.position().map_or(0, |p| p.line());
                let mut record = Record::new();
                for (i, (name, value)) in headers.iter().zip(row.iter()).enumerate() {
                    if i != column && !value.is_empty() {
                        record.insert(name.trim().to_owned(), Json::from(value));
                    }
                }
                add(row.get(column).unwrap_or_default().trim(), line, record)?;
            }
        } else {
            let text = std::str::from_utf8(bytes).map_err(|e| bad(None, format!("not UTF-8: {e}")))?;
            for (i, line) in text.lines().enumerate() {
                let entry = line.split('#').next().unwrap_or_default().trim();
                if !entry.is_empty() {
                    add(entry, i as u64 + 1, Record::new())?;
                }
            }
        }
        let mut lengths: Vec<(u8, bool)> = nets.keys().copied().collect::<BTreeSet<_>>().into_iter().collect();
        lengths.sort_by_key(|k| std::cmp::Reverse(k.0));
        set.nets = lengths.into_iter().map(|k| (k.0, k.1, nets.remove(&k).unwrap_or_default())).collect();
        Ok(set)
    }

    /// The record matching `key` — an IP (listed, or within a listed range), a domain (listed,
    /// or under a listed one), or a hash.
    pub fn get(&self, key: &str) -> Option<&str> {
        let key = key.trim();
        if let Ok(ip) = key.parse::<IpAddr>() {
            if let Some(record) = self.ips.get(&ip) {
                return Some(record.as_str());
            }
            return self.nets.iter().filter(|(_, v4, _)| *v4 == ip.is_ipv4()).find_map(|(len, _, nets)| {
                let net = IpNet::new(ip, *len).ok()?.trunc();
                nets.get(&net.addr()).map(String::as_str)
            });
        }
        if is_hash(key) {
            return self.hashes.get(&key.to_ascii_lowercase()).map(String::as_str);
        }
        let domain = key.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = domain.as_str();
        loop {
            if let Some(record) = self.domains.get(rest) {
                return Some(record.as_str());
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// Indicators listed.
    pub fn len(&self) -> usize {
        self.ips.len() + self.nets.iter().map(|(_, _, n)| n.len()).sum::<usize>() + self.domains.len() + self.hashes.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record `set` holds for `key`, parsed.
    fn record(set: &Indicators, key: &str) -> Option<Json> {
        set.get(key).map(|text| serde_json::from_str(text).expect("record JSON"))
    }

    fn list(text: &str) -> Indicators {
        Indicators::parse(Path::new("iocs.txt"), text.as_bytes()).expect("list")
    }

    #[test]
    fn ips_ranges_domains_and_hashes_match_as_listed() {
        let set =
            list("# feed\n203.0.113.7\n198.51.100.0/24\n2001:db8::/32\nEvil.Example.\n44d88612fea8a8f36de82e1278abb02f  # eicar md5\n");
        assert_eq!(set.len(), 5);
        assert_eq!(record(&set, "203.0.113.7").expect("ip")["type"], "ipv4-addr");
        assert_eq!(record(&set, "198.51.100.200").expect("in range")["indicator"], "198.51.100.0/24");
        assert!(record(&set, "198.51.101.1").is_none());
        assert_eq!(record(&set, "2001:db8:1::5").expect("v6 range")["type"], "ipv6-addr");
        assert_eq!(record(&set, "cdn.EVIL.example").expect("subdomain")["indicator"], "Evil.Example.");
        assert!(record(&set, "notevil.example").is_none(), "a parent match is by whole labels");
        assert!(record(&set, "example").is_none());
        assert_eq!(record(&set, "44D88612FEA8A8F36DE82E1278ABB02F").expect("hash")["type"], "file");
    }

    #[test]
    fn the_longest_range_wins() {
        let set = Indicators::parse(Path::new("feed.csv"), b"indicator,provider\n10.0.0.0/8,wide\n10.1.0.0/16,narrow\n").expect("csv");
        assert_eq!(record(&set, "10.1.2.3").expect("match")["provider"], "narrow");
        assert_eq!(record(&set, "10.2.2.3").expect("match")["provider"], "wide");
    }

    #[test]
    fn a_line_that_is_no_indicator_refuses_the_file_with_its_line() {
        let err = Indicators::parse(Path::new("iocs.txt"), b"203.0.113.7\nnot an indicator\n").err().expect("refused");
        let text = err.to_string();
        assert!(text.contains("iocs.txt line 2") && text.contains("not an indicator"), "{text}");
        let err = Indicators::parse(Path::new("feed.csv"), b"ip,provider\n1.2.3.4,x\n").err().expect("refused");
        assert!(err.to_string().contains("no `indicator` column"), "{err}");
    }
}
