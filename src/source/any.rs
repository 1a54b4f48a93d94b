//! One configured source, whichever its kind: built from its `[[sources]]`
//! entry with the limits every source shares, so that the daemon, the
//! one-shot pass and the dry run construct sources in one place.

use std::path::Path;

use super::imap::ImapSource;
use super::maildir::MaildirSource;
use super::{RawMessage, Source, SourceError};
use crate::config::SourceConfig;
use crate::intake::Outcome;

pub enum AnySource {
    Maildir(MaildirSource),
    Imap(Box<ImapSource>),
}

impl AnySource {
    /// The source of `config`; mails over `max_message_bytes` are handed
    /// over as their head only. `database` is where an IMAP folder tracked
    /// by UID reads how far it got (None: a dry run on no database yet).
    pub fn open(
        config: &SourceConfig,
        max_message_bytes: u64,
        database: Option<&Path>,
    ) -> Result<AnySource, SourceError> {
        Ok(match config {
            SourceConfig::Maildir(maildir) => AnySource::Maildir(MaildirSource::open(maildir, max_message_bytes)?),
            SourceConfig::Imap(imap) => {
                let source = ImapSource::new(imap.clone(), max_message_bytes)?;
                AnySource::Imap(Box::new(match database {
                    Some(path) => source.with_progress(path.to_path_buf()),
                    None => source,
                }))
            }
        })
    }

    /// The same, changing nothing where the mail is (`run --dry-run`).
    pub fn read_only(
        config: &SourceConfig,
        max_message_bytes: u64,
        database: Option<&Path>,
    ) -> Result<AnySource, SourceError> {
        Ok(match config {
            SourceConfig::Imap(imap) => {
                let source = ImapSource::read_only(imap.clone(), max_message_bytes)?;
                AnySource::Imap(Box::new(match database {
                    Some(path) => source.with_progress(path.to_path_buf()),
                    None => source,
                }))
            }
            // A Maildir's fetch changes nothing; only its ack moves files.
            other => AnySource::open(other, max_message_bytes, database)?,
        })
    }

    /// Ends a network session politely, if there is one.
    pub async fn close(&mut self) {
        if let AnySource::Imap(imap) = self {
            imap.logout().await;
        }
    }
}

impl Source for AnySource {
    fn name(&self) -> &str {
        match self {
            AnySource::Maildir(s) => s.name(),
            AnySource::Imap(s) => s.name(),
        }
    }

    async fn fetch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        match self {
            AnySource::Maildir(s) => s.fetch().await,
            AnySource::Imap(s) => s.fetch().await,
        }
    }

    async fn ack(&mut self, handled: &[(String, Outcome)]) -> Result<(), SourceError> {
        match self {
            AnySource::Maildir(s) => s.ack(handled).await,
            AnySource::Imap(s) => s.ack(handled).await,
        }
    }

    fn rewind(&mut self) {
        match self {
            AnySource::Maildir(s) => s.rewind(),
            AnySource::Imap(s) => s.rewind(),
        }
    }

    async fn wait(&mut self) -> Result<(), SourceError> {
        match self {
            AnySource::Maildir(s) => s.wait().await,
            AnySource::Imap(s) => s.wait().await,
        }
    }
}
