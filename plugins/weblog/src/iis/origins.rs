//! The `#Fields:` in force for each origin a worker reads: a file path, a Kafka topic and
//! partition, or "no origin".
//!
//! Promise: memory stays bounded. At most [`CAPACITY`] origins are remembered; when a new
//! one comes and the map is full, the one used least recently is forgotten (its next data
//! lines fall back to the IIS default order until its next `#Fields:`, which IIS writes at
//! least at the top of every file). Looking an origin up never allocates.

use logsift_sdk::Origin;

use super::columns::Column;

/// How many origins keep their own `#Fields:`.
pub(crate) const CAPACITY: usize = 256;

/// Which stream of records an origin belongs to.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    None,
    File(Box<str>),
    Kafka(Box<str>, i32),
}

impl Key {
    fn of(origin: &Origin<'_>) -> Key {
        match origin {
            Origin::None => Key::None,
            Origin::File { path, .. } => Key::File(path.as_ref().into()),
            Origin::Kafka { topic, partition, .. } => Key::Kafka(topic.as_ref().into(), *partition),
        }
    }

    fn matches(&self, origin: &Origin<'_>) -> bool {
        match (self, origin) {
            (Key::None, Origin::None) => true,
            (Key::File(a), Origin::File { path, .. }) => **a == **path,
            (Key::Kafka(t, p), Origin::Kafka { topic, partition, .. }) => **t == **topic && p == partition,
            _ => false,
        }
    }
}

/// Declared columns per origin, most recently used first.
#[derive(Debug, Default)]
pub(crate) struct ColumnsByOrigin {
    entries: Vec<(Key, Vec<Column>)>,
}

impl ColumnsByOrigin {
    /// The columns declared for the origin's stream, if any; marks it recently used.
    pub(crate) fn get(&mut self, origin: &Origin<'_>) -> Option<&[Column]> {
        let at = self.entries.iter().position(|(key, _)| key.matches(origin))?;
        self.entries[..=at].rotate_right(1);
        self.entries.first().map(|(_, columns)| columns.as_slice())
    }

    /// Declares the columns of the origin's stream from now on.
    pub(crate) fn set(&mut self, origin: &Origin<'_>, columns: Vec<Column>) {
        match self.entries.iter().position(|(key, _)| key.matches(origin)) {
            Some(at) => {
                self.entries[at].1 = columns;
                self.entries[..=at].rotate_right(1);
            }
            None => {
                self.entries.truncate(CAPACITY - 1);
                self.entries.insert(0, (Key::of(origin), columns));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn file(path: &str) -> Origin<'_> {
        Origin::File { path: Cow::Borrowed(path), line: 1 }
    }

    fn kafka(partition: i32) -> Origin<'static> {
        Origin::Kafka { topic: "iis".into(), partition, offset: 7, key: None, headers: Vec::new() }
    }

    #[test]
    fn each_file_and_partition_keeps_its_own_columns() {
        let mut map = ColumnsByOrigin::default();
        map.set(&file("a.log"), vec![Column::Date]);
        map.set(&kafka(0), vec![Column::Time]);
        assert_eq!(map.get(&file("a.log")), Some(&[Column::Date][..]));
        assert_eq!(map.get(&kafka(0)), Some(&[Column::Time][..]));
        assert_eq!(map.get(&kafka(1)), None);
        assert_eq!(map.get(&file("b.log")), None);
    }

    #[test]
    fn the_least_recently_used_origin_is_forgotten_when_full() {
        let mut map = ColumnsByOrigin::default();
        let paths: Vec<String> = (0..=CAPACITY).map(|i| format!("{i}.log")).collect();
        for path in &paths[..CAPACITY] {
            map.set(&file(path), vec![Column::Date]);
        }
        // Touch the oldest so that the second oldest is the one to go.
        assert!(map.get(&file(&paths[0])).is_some());
        map.set(&file(&paths[CAPACITY]), vec![Column::Time]);
        assert_eq!(map.entries.len(), CAPACITY);
        assert!(map.get(&file(&paths[0])).is_some());
        assert!(map.get(&file(&paths[1])).is_none());
        assert!(map.get(&file(&paths[CAPACITY])).is_some());
    }
}
