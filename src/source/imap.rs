//! An IMAP mailbox as a source (async-imap over tokio, TLS by rustls). Mail
//! waiting in `folder` is fetched in batches by UID, without setting \Seen;
//! once the store has made a batch durable, each mail is moved to
//! `processed_folder` or `refused_folder` (MOVE where the server has it,
//! COPY + \Deleted + UID EXPUNGE otherwise), or flagged \Seen and left when
//! no folders are configured. Nothing is ever deleted outright.
//!
//! A mail's key is `UIDVALIDITY:UID`: after a crash between commit and move,
//! the store knows the key and the mail is only moved. When UIDVALIDITY
//! changes every key changes, and the store's Message-ID + content match
//! keeps the mail from being recorded twice.

use std::collections::BTreeMap;
use std::time::Duration;

use async_imap::{Client, Session};
use futures::TryStreamExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{RawMessage, Source, SourceError};
use crate::config::{ImapConfig, TlsMode};
use crate::intake::Outcome;
use crate::tls::{self, Stream};

/// IMAP servers drop an IDLE after 30 minutes (RFC 2177 says 29 at most);
/// re-issue it before.
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ImapSource {
    config: ImapConfig,
    connector: Option<TlsConnector>,
    session: Option<Session<Stream>>,
    uidvalidity: u32,
    can_move: bool,
    can_idle: bool,
    /// `run --dry-run`: EXAMINE instead of SELECT, no folder created.
    read_only: bool,
}

impl ImapSource {
    pub fn new(config: ImapConfig) -> Result<ImapSource, SourceError> {
        let connector = match config.tls {
            TlsMode::None => None,
            _ => Some(
                tls::connector(config.ca_file.as_deref())
                    .map_err(|detail| SourceError::Config { source_name: config.name.clone(), detail })?,
            ),
        };
        Ok(ImapSource {
            config,
            connector,
            session: None,
            uidvalidity: 0,
            can_move: false,
            can_idle: false,
            read_only: false,
        })
    }

    /// A source that looks and changes nothing on the server: the folder is
    /// opened with EXAMINE, no folder is created. Acknowledging is refused.
    pub fn read_only(config: ImapConfig) -> Result<ImapSource, SourceError> {
        Ok(ImapSource { read_only: true, ..ImapSource::new(config)? })
    }

    fn connection_error(&self, what: &str, e: impl std::fmt::Display) -> SourceError {
        SourceError::Connection {
            source_name: self.config.name.clone(),
            detail: format!("{what} {}:{}: {e}", self.config.host, self.config.port),
        }
    }

    async fn session(&mut self) -> Result<&mut Session<Stream>, SourceError> {
        if self.session.is_none() {
            let session = self.connect().await?;
            self.session = Some(session);
        }
        let name = self.config.name.clone();
        self.session.as_mut().ok_or(SourceError::Connection { source_name: name, detail: "not connected".into() })
    }

    async fn connect(&mut self) -> Result<Session<Stream>, SourceError> {
        let c = &self.config;
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((c.host.as_str(), c.port)))
            .await
            .map_err(|_| self.connection_error("timed out connecting to", "no answer in 30 s"))?
            .map_err(|e| self.connection_error("cannot connect to", e))?;
        let stream = match (c.tls, &self.connector) {
            (TlsMode::Implicit, Some(connector)) => {
                tls::wrap(connector, &c.host, tcp).await.map_err(|e| self.connection_error("TLS failed with", e))?
            }
            (TlsMode::Starttls, Some(connector)) => {
                let mut client = Client::new(Stream::Plain(tcp));
                client.read_response().await.map_err(|e| self.connection_error("no greeting from", e))?;
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| self.connection_error("STARTTLS refused by", e))?;
                let Stream::Plain(tcp) = client.into_inner() else {
                    return Err(self.connection_error("STARTTLS failed with", "unexpected stream"));
                };
                tls::wrap(connector, &c.host, tcp).await.map_err(|e| self.connection_error("TLS failed with", e))?
            }
            _ => Stream::Plain(tcp),
        };
        let mut client = Client::new(stream);
        if c.tls != TlsMode::Starttls {
            client.read_response().await.map_err(|e| self.connection_error("no greeting from", e))?;
        }
        let mut session =
            client.login(&c.username, c.password.expose()).await.map_err(|(e, _)| SourceError::Login {
                source_name: c.name.clone(),
                detail: format!(
                    "login as \"{}\" refused by {}:{}: {e}; check username and password",
                    c.username, c.host, c.port
                ),
            })?;
        let caps = session.capabilities().await.map_err(|e| self.connection_error("CAPABILITY failed on", e))?;
        self.can_move = caps.has_str("MOVE");
        self.can_idle = caps.has_str("IDLE");
        let folders: Vec<String> = if self.read_only {
            Vec::new()
        } else {
            c.processed_folder.iter().chain(&c.refused_folder).cloned().collect()
        };
        for folder in &folders {
            ensure_folder(&mut session, &mailbox_name(folder))
                .await
                .map_err(|e| self.connection_error(&format!("cannot create folder \"{folder}\" on"), e))?;
        }
        let opened = if self.read_only {
            session.examine(mailbox_name(&c.folder)).await
        } else {
            session.select(mailbox_name(&c.folder)).await
        };
        let mailbox = opened.map_err(|e| self.connection_error(&format!("cannot select \"{}\" on", c.folder), e))?;
        let uidvalidity = mailbox.uid_validity.unwrap_or(0);
        if self.uidvalidity != 0 && uidvalidity != self.uidvalidity {
            tracing::warn!(
                source = %c.name, old = self.uidvalidity, new = uidvalidity,
                "UIDVALIDITY changed: every mail gets a new key; mails already recorded are matched by Message-ID and content"
            );
        }
        self.uidvalidity = uidvalidity;
        tracing::info!(source = %c.name, host = %c.host, folder = %c.folder, uidvalidity, idle = self.can_idle, "connected");
        Ok(session)
    }

    /// Runs `f` on the session; a failure drops the session so that the next
    /// call reconnects.
    fn forget_session_on<T>(&mut self, result: Result<T, SourceError>) -> Result<T, SourceError> {
        if result.is_err() {
            self.session = None;
        }
        result
    }

    async fn fetch_batch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        let query = if self.config.processed_folder.is_some() || self.config.refused_folder.is_some() {
            "ALL"
        } else {
            "UNSEEN"
        };
        let batch_size = self.config.batch_size;
        let uidvalidity = self.uidvalidity;
        let name = self.config.name.clone();
        let session = self.session().await?;
        let mut uids: Vec<u32> = session
            .uid_search(query)
            .await
            .map_err(|e| SourceError::Connection {
                source_name: name.clone(),
                detail: format!("UID SEARCH failed: {e}"),
            })?
            .into_iter()
            .collect();
        uids.sort_unstable();
        uids.truncate(batch_size);
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(&uids);
        let fetched: Vec<_> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| SourceError::Connection {
                source_name: name.clone(),
                detail: format!("UID FETCH failed: {e}"),
            })?
            .try_collect()
            .await
            .map_err(|e| SourceError::Connection {
                source_name: name.clone(),
                detail: format!("UID FETCH failed: {e}"),
            })?;
        let uidvalidity = if self.uidvalidity == 0 { uidvalidity } else { self.uidvalidity };
        let mut batch: Vec<RawMessage> = fetched
            .iter()
            .filter_map(|f| {
                Some(RawMessage::new(format!("{uidvalidity}:{}", f.uid?), f.body().unwrap_or_default().to_vec()))
            })
            .collect();
        batch.sort_by_key(|m| m.key.split(':').nth(1).and_then(|u| u.parse::<u32>().ok()));
        Ok(batch)
    }

    async fn ack_batch(&mut self, handled: &[(String, Outcome)]) -> Result<(), SourceError> {
        if self.read_only {
            return Err(SourceError::Config {
                source_name: self.config.name.clone(),
                detail: "a read-only (dry-run) source acknowledges nothing".into(),
            });
        }
        let mut by_destination: BTreeMap<Option<String>, Vec<u32>> = BTreeMap::new();
        for (key, outcome) in handled {
            let Some((validity, uid)) = key.split_once(':') else { continue };
            // A key from before a UIDVALIDITY change names nothing now; the
            // mail comes back under its new key and is matched by content.
            if validity != self.uidvalidity.to_string() {
                continue;
            }
            let Ok(uid) = uid.parse::<u32>() else { continue };
            let destination = match outcome {
                Outcome::Refused | Outcome::Ignored => {
                    self.config.refused_folder.as_ref().or(self.config.processed_folder.as_ref())
                }
                _ => self.config.processed_folder.as_ref(),
            };
            let destination = destination.map(|f| mailbox_name(f));
            by_destination.entry(destination).or_default().push(uid);
        }
        let can_move = self.can_move;
        let name = self.config.name.clone();
        let err = |what: &str, e: async_imap::error::Error| SourceError::Ack {
            source_name: name.clone(),
            key: what.to_string(),
            detail: e.to_string(),
        };
        let session = self.session().await?;
        for (destination, uids) in by_destination {
            let set = uid_set(&uids);
            match destination {
                Some(folder) if can_move => session.uid_mv(&set, &folder).await.map_err(|e| err(&set, e))?,
                Some(folder) => {
                    session.uid_copy(&set, &folder).await.map_err(|e| err(&set, e))?;
                    let _: Vec<_> = session
                        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                        .await
                        .map_err(|e| err(&set, e))?
                        .try_collect()
                        .await
                        .map_err(|e| err(&set, e))?;
                    let _: Vec<_> = session
                        .uid_expunge(&set)
                        .await
                        .map_err(|e| err(&set, e))?
                        .try_collect()
                        .await
                        .map_err(|e| err(&set, e))?;
                }
                None => {
                    let _: Vec<_> = session
                        .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                        .await
                        .map_err(|e| err(&set, e))?
                        .try_collect()
                        .await
                        .map_err(|e| err(&set, e))?;
                }
            }
        }
        Ok(())
    }

    async fn idle(&mut self) -> Result<(), SourceError> {
        let name = self.config.name.clone();
        let session = match self.session.take() {
            Some(s) => s,
            None => self.connect().await?,
        };
        let lost = |e: async_imap::error::Error| SourceError::Connection {
            source_name: name.clone(),
            detail: format!("IDLE failed: {e}"),
        };
        let mut handle = session.idle();
        handle.init().await.map_err(lost)?;
        let (wait, _stop) = handle.wait_with_timeout(IDLE_RENEW);
        wait.await.map_err(lost)?;
        self.session = Some(handle.done().await.map_err(lost)?);
        Ok(())
    }
}

impl Source for ImapSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn fetch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        let result = self.fetch_batch().await;
        self.forget_session_on(result)
    }

    async fn ack(&mut self, handled: &[(String, Outcome)]) -> Result<(), SourceError> {
        let result = self.ack_batch(handled).await;
        self.forget_session_on(result)
    }

    async fn wait(&mut self) -> Result<(), SourceError> {
        if self.config.idle && self.can_idle {
            let result = self.idle().await;
            return self.forget_session_on(result);
        }
        tokio::time::sleep(Duration::from_secs(self.config.poll_seconds)).await;
        Ok(())
    }
}

/// A folder name as IMAP carries it: modified UTF-7 (RFC 3501 5.1.3), so
/// that `Traités` reaches the server as `Trait&AOk-s`.
fn mailbox_name(folder: &str) -> String {
    utf7_imap::encode_utf7_imap(folder.to_string())
}

/// Creates `folder` (already encoded) unless it exists.
async fn ensure_folder(session: &mut Session<Stream>, folder: &str) -> Result<(), async_imap::error::Error> {
    let existing: Vec<_> = session.list(None, Some(folder)).await?.try_collect().await?;
    if existing.is_empty() {
        session.create(folder).await?;
    }
    Ok(())
}

/// `1,2,3,7,9,10` as `1:3,7,9:10`: short commands for large batches.
fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets_are_compressed_into_ranges() {
        assert_eq!(super::uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(super::uid_set(&[5]), "5");
    }
}
