//! A local Maildir as a source: mail delivered into `new/` is read, and once
//! committed it is moved to `cur/` with the Seen flag, as a mail client would.
//! Delivery agents write into `tmp/` and rename into `new/`, so every file in
//! `new/` is complete when we see it.
//!
//! Reading is bounded: a batch stops at `batch_size` mails or `batch_bytes`
//! bytes (a single larger mail still goes alone), and a file over
//! `limits.max_message_bytes` is never read whole: only its head is handed
//! over, marked oversized, for the pipeline to record as refused.
//!
//! A mail stays in `new/` until acknowledged; the names fetched and not yet
//! acknowledged (the in-flight window) are skipped by the next fetch.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{OVERSIZED_HEAD_BYTES, RawMessage, Source, SourceError};
use crate::config::MaildirConfig;
use crate::intake::Outcome;

pub struct MaildirSource {
    name: String,
    root: PathBuf,
    poll: Duration,
    batch_size: usize,
    batch_bytes: u64,
    max_message_bytes: u64,
    /// Names fetched and not yet acknowledged: still in `new/`, not to be
    /// fetched again before a rewind.
    in_flight: HashSet<String>,
}

impl MaildirSource {
    /// Opens the Maildir of `config`, creating `new/`, `cur/` and `tmp/` if
    /// missing, as delivery agents do. Mails over `max_message_bytes` are
    /// handed over as their head only.
    pub fn open(config: &MaildirConfig, max_message_bytes: u64) -> Result<MaildirSource, SourceError> {
        let (name, root) = (&config.name, &config.path);
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| SourceError::Read {
                source_name: name.to_string(),
                what: root.join(sub).display().to_string(),
                detail: e.to_string(),
            })?;
        }
        Ok(MaildirSource {
            name: name.to_string(),
            root: root.to_path_buf(),
            poll: Duration::from_secs(config.poll_seconds),
            batch_size: config.batch_size,
            batch_bytes: config.batch_bytes,
            max_message_bytes,
            in_flight: HashSet::new(),
        })
    }

    fn read_error(&self, what: &Path, e: std::io::Error) -> SourceError {
        SourceError::Read { source_name: self.name.clone(), what: what.display().to_string(), detail: e.to_string() }
    }

    /// Names in `new/` not in flight, oldest delivery first (Maildir names start with the
    /// delivery time, so name order is arrival order for one deliverer).
    fn waiting(&self) -> Result<Vec<String>, SourceError> {
        let new = self.root.join("new");
        let mut names: Vec<String> = std::fs::read_dir(&new)
            .map_err(|e| self.read_error(&new, e))?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && !self.in_flight.contains(n))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Reads one mail, at most `max_message_bytes` + 1 bytes of it whatever
    /// its size claims: a file that grows past the limit after its size was
    /// looked at is still cut to its head. None: it vanished meanwhile.
    fn read(&self, name: String, size: u64) -> Result<Option<RawMessage>, SourceError> {
        let path = self.root.join("new").join(&name);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            // Moved away by someone else between listing and reading.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.read_error(&path, e)),
        };
        let limit =
            if size > self.max_message_bytes { OVERSIZED_HEAD_BYTES as u64 } else { self.max_message_bytes + 1 };
        let mut bytes = Vec::with_capacity(size.min(limit) as usize);
        file.take(limit).read_to_end(&mut bytes).map_err(|e| self.read_error(&path, e))?;
        Ok(Some(if size > self.max_message_bytes || bytes.len() as u64 > self.max_message_bytes {
            RawMessage::oversized(name, bytes, size.max(self.max_message_bytes + 1))
        } else {
            RawMessage::new(name, bytes)
        }))
    }
}

impl Source for MaildirSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        for name in self.waiting()? {
            if batch.len() >= self.batch_size {
                break;
            }
            let path = self.root.join("new").join(&name);
            let size = match std::fs::metadata(&path) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.read_error(&path, e)),
            };
            // What this mail will take in memory: its head if over the limit.
            let cost = if size > self.max_message_bytes { OVERSIZED_HEAD_BYTES as u64 } else { size };
            if !batch.is_empty() && bytes + cost > self.batch_bytes {
                break;
            }
            if let Some(mail) = self.read(name, size)? {
                bytes += mail.bytes.len() as u64;
                batch.push(mail);
            }
        }
        self.in_flight.extend(batch.iter().map(|m| m.key.clone()));
        Ok(batch)
    }

    async fn ack(&mut self, handled: &[(String, Outcome)]) -> Result<(), SourceError> {
        for (key, _) in handled {
            self.ack_one(key)?;
            self.in_flight.remove(key);
        }
        Ok(())
    }

    fn rewind(&mut self) {
        self.in_flight.clear();
    }

    async fn wait(&mut self) -> Result<(), SourceError> {
        tokio::time::sleep(self.poll).await;
        Ok(())
    }
}

impl MaildirSource {
    fn ack_one(&self, key: &str) -> Result<(), SourceError> {
        let from = self.root.join("new").join(key);
        let base = key.split(':').next().unwrap_or(key);
        let to = self.root.join("cur").join(format!("{base}:2,S"));
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && to.exists() => Ok(()),
            Err(e) => {
                Err(SourceError::Ack { source_name: self.name.clone(), key: key.to_string(), detail: e.to_string() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildir(dir: &Path, batch_size: usize, batch_bytes: u64, max: u64) -> MaildirSource {
        let config =
            MaildirConfig { name: "support".into(), path: dir.to_path_buf(), poll_seconds: 1, batch_size, batch_bytes };
        MaildirSource::open(&config, max).expect("open")
    }

    fn deliver(dir: &Path, name: &str, size: usize) {
        std::fs::write(dir.join("new").join(name), vec![b'x'; size]).expect("deliver");
    }

    fn keys(batch: &[RawMessage]) -> Vec<&str> {
        batch.iter().map(|m| m.key.as_str()).collect()
    }

    #[tokio::test]
    async fn a_batch_stops_before_the_mail_that_would_pass_its_byte_bound() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = maildir(dir.path(), 500, 250, 10_000);
        for name in ["1", "2", "3"] {
            deliver(dir.path(), name, 100);
        }
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["1", "2"]);
    }

    #[tokio::test]
    async fn a_mail_larger_than_the_byte_bound_goes_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = maildir(dir.path(), 500, 100, 10_000);
        deliver(dir.path(), "1", 5_000);
        deliver(dir.path(), "2", 10);
        let batch = source.fetch().await.expect("fetch");
        assert_eq!(keys(&batch), ["1"]);
        assert_eq!(batch[0].bytes.len(), 5_000);
    }

    #[tokio::test]
    async fn a_fetch_skips_the_mails_in_flight_until_they_are_acknowledged_or_rewound() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = maildir(dir.path(), 2, 1 << 20, 10_000);
        for name in ["1", "2", "3", "4", "5"] {
            deliver(dir.path(), name, 10);
        }
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["1", "2"]);
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["3", "4"], "the batch ahead");
        let acked = [("1".to_string(), Outcome::TicketCreated)];
        source.ack(&acked).await.expect("ack");
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["5"]);
        assert!(source.fetch().await.expect("fetch").is_empty(), "everything is in flight");
        source.rewind();
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["2", "3"], "not acknowledged: fetched again");
    }

    #[tokio::test]
    async fn a_batch_stops_at_its_count() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = maildir(dir.path(), 2, 1 << 20, 10_000);
        for name in ["1", "2", "3"] {
            deliver(dir.path(), name, 10);
        }
        assert_eq!(keys(&source.fetch().await.expect("fetch")), ["1", "2"]);
    }

    #[tokio::test]
    async fn an_oversized_mail_is_handed_over_as_its_head_with_its_size() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = maildir(dir.path(), 500, 1 << 20, 100_000);
        deliver(dir.path(), "big", 300_000);
        deliver(dir.path(), "small", 50);
        let batch = source.fetch().await.expect("fetch");
        assert_eq!(keys(&batch), ["big", "small"]);
        assert_eq!(batch[0].oversized, Some(300_000));
        assert_eq!(batch[0].bytes.len(), OVERSIZED_HEAD_BYTES);
        assert_eq!((batch[1].oversized, batch[1].bytes.len()), (None, 50));
    }
}
