//! Bounded on-disk buffer of heartbeats the hub could not take.
//!
//! One file per sample, `<µs since epoch, 20 digits>.json`, holding the exact
//! request body. One file per sample makes delivery bookkeeping a single
//! `unlink` (no rewrite of a shared file), and since each file is written to a
//! temp name and renamed, a crash leaves whole samples or none. Zero-padded
//! names sort by time, so replay order is the sample order.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::state::write_atomically;

/// Identifies a buffered sample; orders by sample time.
pub type Key = u64;

#[derive(Debug)]
pub struct Buffer {
    dir: PathBuf,
    max_samples: usize,
    /// Mirrors the directory so a tick never has to list it.
    keys: BTreeSet<Key>,
}

impl Buffer {
    /// Opens (creating) `dir`, discards temp files of interrupted writes and
    /// trims to `max_samples` in case the bound was lowered since.
    pub fn open(dir: &Path, max_samples: usize) -> io::Result<Buffer> {
        std::fs::create_dir_all(dir)?;
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            } else if let Some(key) = parse_name(name) {
                keys.insert(key);
            }
        }
        let mut buffer = Buffer {
            dir: dir.to_owned(),
            max_samples,
            keys,
        };
        let dropped = buffer.evict_to(max_samples)?;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "buffer over its bound at start; dropped oldest samples"
            );
        }
        Ok(buffer)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Stores a sample; returns how many old samples were dropped to make
    /// room. With a bound of 0 the sample itself is dropped (counted as 1).
    pub fn push(&mut self, timestamp: DateTime<Utc>, body: &[u8]) -> io::Result<usize> {
        if self.max_samples == 0 {
            return Ok(1);
        }
        let dropped = self.evict_to(self.max_samples - 1)?;
        let mut key = u64::try_from(timestamp.timestamp_micros()).unwrap_or(0);
        // Two samples in the same microsecond (clock stepped back): keep both.
        while self.keys.contains(&key) {
            key += 1;
        }
        write_atomically(&self.path_of(key), body)?;
        self.keys.insert(key);
        Ok(dropped)
    }

    /// The oldest sample, to be replayed first.
    pub fn oldest(&self) -> Option<Key> {
        self.keys.first().copied()
    }

    pub fn read(&self, key: Key) -> io::Result<Vec<u8>> {
        std::fs::read(self.path_of(key))
    }

    /// Forgets a sample once delivered (or refused for good). Removing one
    /// already gone (evicted meanwhile) is fine.
    pub fn remove(&mut self, key: Key) -> io::Result<()> {
        self.keys.remove(&key);
        match std::fs::remove_file(self.path_of(key)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn evict_to(&mut self, keep: usize) -> io::Result<usize> {
        let mut dropped = 0;
        while self.keys.len() > keep {
            let Some(oldest) = self.oldest() else { break };
            self.remove(oldest)?;
            dropped += 1;
        }
        Ok(dropped)
    }

    fn path_of(&self, key: Key) -> PathBuf {
        self.dir.join(format!("{key:020}.json"))
    }
}

fn parse_name(name: &str) -> Option<Key> {
    let stem = name.strip_suffix(".json")?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn drain(buffer: &mut Buffer) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(key) = buffer.oldest() {
            out.push(String::from_utf8(buffer.read(key).unwrap()).unwrap());
            buffer.remove(key).unwrap();
        }
        out
    }

    #[test]
    fn replays_in_timestamp_order_whatever_the_push_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 10).unwrap();
        b.push(at(2), b"two").unwrap();
        b.push(at(1), b"one").unwrap();
        b.push(at(3), b"three").unwrap();
        assert_eq!(drain(&mut b), ["one", "two", "three"]);
    }

    #[test]
    fn is_bounded_and_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 3).unwrap();
        let mut dropped = 0;
        for i in 0..5 {
            dropped += b.push(at(i), format!("s{i}").as_bytes()).unwrap();
        }
        assert_eq!(dropped, 2);
        assert_eq!(b.len(), 3);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
        assert_eq!(drain(&mut b), ["s2", "s3", "s4"]);
    }

    #[test]
    fn survives_reopen_and_trims_to_a_lower_bound() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut b = Buffer::open(dir.path(), 10).unwrap();
            for i in 0..4 {
                b.push(at(i), format!("s{i}").as_bytes()).unwrap();
            }
        }
        // Leftovers of a crash mid-write and foreign files are not samples.
        std::fs::write(dir.path().join("00000000000000000001.json.tmp"), "torn").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let mut b = Buffer::open(dir.path(), 3).unwrap();
        assert_eq!(b.len(), 3);
        assert!(!dir.path().join("00000000000000000001.json.tmp").exists());
        assert_eq!(drain(&mut b), ["s1", "s2", "s3"]);
    }

    #[test]
    fn no_duplicates_after_drain() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 10).unwrap();
        b.push(at(1), b"one").unwrap();
        b.push(at(2), b"two").unwrap();
        assert_eq!(drain(&mut b), ["one", "two"]);
        assert!(b.is_empty());
        let reopened = Buffer::open(dir.path(), 10).unwrap();
        assert!(reopened.is_empty());
    }

    #[test]
    fn same_timestamp_keeps_both_samples() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 10).unwrap();
        b.push(at(1), b"a").unwrap();
        b.push(at(1), b"b").unwrap();
        assert_eq!(drain(&mut b), ["a", "b"]);
    }

    #[test]
    fn zero_bound_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 0).unwrap();
        assert_eq!(b.push(at(1), b"a").unwrap(), 1);
        assert!(b.is_empty());
    }

    #[test]
    fn removing_an_evicted_sample_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Buffer::open(dir.path(), 1).unwrap();
        b.push(at(1), b"a").unwrap();
        let key = b.oldest().unwrap();
        b.push(at(2), b"b").unwrap();
        b.remove(key).unwrap();
        assert_eq!(drain(&mut b), ["b"]);
    }
}
