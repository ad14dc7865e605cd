//! Key→record tables (an asset inventory, a user directory): CSV with a header, a JSON
//! array of objects, or JSON lines (`.jsonl`, `.ndjson`). The `key` column or field keys the
//! rows; keys match case-insensitively; a later row with the same key replaces an earlier
//! one. A row without the key refuses the file, with its line (CSV, JSON lines) or index.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::TableError;

/// Rows by lowercased key, each as JSON text written once when the file is read (lookups
/// hand it out as it is).
#[derive(Default)]
pub struct Records {
    rows: HashMap<String, String>,
}

fn key_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) if !s.is_empty() => Some(s.to_lowercase()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Records {
    /// Reads the file; the format follows its extension (`.csv`, `.json`, `.jsonl`/`.ndjson`).
    pub fn parse(path: &Path, bytes: &[u8], key: &str) -> Result<Records, TableError> {
        let bad = |line: Option<u64>, reason: String| TableError::Content { path: path.to_owned(), line, reason };
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let mut records = Records::default();
        let mut add = |row: Map<String, Json>, line: Option<u64>, at: &str| -> Result<(), TableError> {
            let k = row.get(key).and_then(key_text).ok_or_else(|| bad(line, format!("{at} has no `{key}`")))?;
            records.rows.insert(k, Json::Object(row).to_string());
            Ok(())
        };
        match extension.as_str() {
            "csv" => {
                let mut reader = csv::Reader::from_reader(bytes);
                let headers = reader.headers().map_err(|e| bad(Some(1), e.to_string()))?.clone();
                if !headers.iter().any(|h| h.trim() == key) {
                    return Err(bad(Some(1), format!("the header has no `{key}` column")));
                }
                for row in reader.records() {
                    let row = row.map_err(|e| bad(e.position().map(|p| p.line()), e.to_string()))?;
                    let line = row.position().map(|p| p.line());
                    let map = headers
                        .iter()
                        .zip(row.iter())
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(h, v)| (h.trim().to_owned(), Json::from(v)))
                        .collect();
                    add(map, line, "the row")?;
                }
            }
            "json" => {
                let rows: Vec<Json> = serde_json::from_slice(bytes).map_err(|e| bad(Some(e.line() as u64), e.to_string()))?;
                for (i, row) in rows.into_iter().enumerate() {
                    let Json::Object(map) = row else { return Err(bad(None, format!("element {i} is not an object"))) };
                    add(map, None, &format!("element {i}"))?;
                }
            }
            "jsonl" | "ndjson" => {
                for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let n = Some(i as u64 + 1);
                    match serde_json::from_slice(line) {
                        Ok(Json::Object(map)) => add(map, n, "the line")?,
                        Ok(_) => return Err(bad(n, "not a JSON object".into())),
                        Err(e) => return Err(bad(n, e.to_string())),
                    }
                }
            }
            other => return Err(bad(None, format!("a records table is .csv, .json, .jsonl or .ndjson, not {other:?}"))),
        }
        Ok(records)
    }

    /// The row of `key`, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.rows.get(&key.to_lowercase()).map(String::as_str)
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row `rows` holds for `key`, parsed.
    fn row(rows: &Records, key: &str) -> Option<Json> {
        rows.get(key).map(|text| serde_json::from_str(text).expect("row JSON"))
    }

    #[test]
    fn csv_json_and_json_lines_are_keyed_case_insensitively() {
        let csv =
            Records::parse(Path::new("assets.csv"), b"hostname,owner,criticality\nWEB-1,alice,high\ndb-1,bob,\n", "hostname").expect("csv");
        assert_eq!(row(&csv, "web-1").expect("row")["owner"], "alice");
        assert!(row(&csv, "db-1").expect("row").get("criticality").is_none(), "empty cells are left out");
        let json = Records::parse(Path::new("users.json"), br#"[{"user":"Alice","dept":"it"},{"user":7}]"#, "user").expect("json");
        assert_eq!(row(&json, "ALICE").expect("row")["dept"], "it");
        assert!(row(&json, "7").is_some(), "numbers key too");
        let lines = Records::parse(Path::new("u.jsonl"), b"{\"user\":\"a\"}\n\n{\"user\":\"b\"}\n", "user").expect("lines");
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn a_row_without_its_key_refuses_the_file_with_where() {
        let err = Records::parse(Path::new("assets.csv"), b"hostname,owner\nweb-1,alice\n,bob\n", "hostname").err().expect("refused");
        assert!(err.to_string().contains("assets.csv line 3"), "{err}");
        let err = Records::parse(Path::new("u.jsonl"), b"{\"user\":\"a\"}\n{broken\n", "user").err().expect("refused");
        assert!(err.to_string().contains("u.jsonl line 2"), "{err}");
        let err = Records::parse(Path::new("assets.csv"), b"name\nx\n", "hostname").err().expect("refused");
        assert!(err.to_string().contains("no `hostname` column"), "{err}");
    }
}
