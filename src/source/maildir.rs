//! A local Maildir as a source: mail delivered into `new/` is read, and once
//! committed it is moved to `cur/` with the Seen flag, as a mail client would.
//! Delivery agents write into `tmp/` and rename into `new/`, so every file in
//! `new/` is complete when we see it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{RawMessage, Source, SourceError};
use crate::intake::Outcome;

pub struct MaildirSource {
    name: String,
    root: PathBuf,
    poll: Duration,
    batch_size: usize,
}

impl MaildirSource {
    /// Opens the Maildir at `root`, creating `new/`, `cur/` and `tmp/` if
    /// missing, as delivery agents do.
    pub fn open(name: &str, root: &Path, poll: Duration) -> Result<MaildirSource, SourceError> {
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| SourceError::Read {
                source_name: name.to_string(),
                what: root.join(sub).display().to_string(),
                detail: e.to_string(),
            })?;
        }
        Ok(MaildirSource { name: name.to_string(), root: root.to_path_buf(), poll, batch_size: 500 })
    }

    fn read_error(&self, what: &Path, e: std::io::Error) -> SourceError {
        SourceError::Read { source_name: self.name.clone(), what: what.display().to_string(), detail: e.to_string() }
    }

    /// Names in `new/`, oldest delivery first (Maildir names start with the
    /// delivery time, so name order is arrival order for one deliverer).
    fn waiting(&self) -> Result<Vec<String>, SourceError> {
        let new = self.root.join("new");
        let mut names: Vec<String> = std::fs::read_dir(&new)
            .map_err(|e| self.read_error(&new, e))?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }
}

impl Source for MaildirSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        let mut batch = Vec::new();
        for name in self.waiting()?.into_iter().take(self.batch_size) {
            let path = self.root.join("new").join(&name);
            match std::fs::read(&path) {
                Ok(bytes) => batch.push(RawMessage::new(name, bytes)),
                // Moved away by someone else between listing and reading.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.read_error(&path, e)),
            }
        }
        Ok(batch)
    }

    async fn ack(&mut self, handled: &[(String, Outcome)]) -> Result<(), SourceError> {
        for (key, _) in handled {
            self.ack_one(key)?;
        }
        Ok(())
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
