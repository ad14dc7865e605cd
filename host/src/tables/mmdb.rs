//! MaxMind databases (GeoIP2/GeoLite2 City, Country, ASN, or any MaxMind DB file): an IP
//! address's record as the database lays it out, as JSON.

use std::net::IpAddr;
use std::path::Path;

use super::TableError;

/// An opened database, held in memory.
pub struct Database {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl Database {
    /// Opens the database in `bytes`.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Database, TableError> {
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| TableError::Content {
            path: path.to_owned(),
            line: None,
            reason: format!("not a MaxMind database: {e}"),
        })?;
        Ok(Database { reader })
    }

    /// The record of the network holding `key`, an IP address; none for anything else.
    pub fn get(&self, key: &str) -> Option<String> {
        let ip: IpAddr = key.trim().parse().ok()?;
        let found = self.reader.lookup(ip).ok()?;
        let record: serde_json::Value = found.decode().ok()??;
        record.is_object().then(|| record.to_string())
    }
}
