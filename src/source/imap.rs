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
//!
//! Without folders, what waits is tracked by UID, not by the \Seen flag that
//! a colleague reading the shared mailbox also sets: every mail after the
//! highest UID recorded for this source (under the current UIDVALIDITY), and
//! any unread one below it. Sizes are asked first (`RFC822.SIZE`): a mail
//! over `limits.max_message_bytes` is fetched as its head only. Every
//! exchange has a deadline (`timeout_seconds`).
//!
//! Fetching runs one batch ahead of acknowledging, so the UIDs fetched and
//! not yet acknowledged (the in-flight window) are left out of the next
//! fetch, and the UID search starts after the highest of them: progress
//! advances on fetch. `last_uid` still moves on acknowledgment only, and a
//! reconnect or a rewind forgets the window, so that what was not
//! acknowledged is fetched again from the last acknowledged UID.

mod plan;
mod session;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::Fetch;
use futures::TryStreamExt;
use tokio_rustls::TlsConnector;

use self::plan::{Bounds, uid_set};
use self::session::{Opened, Peer, mailbox_name};
use super::{RawMessage, Source, SourceError};
use crate::config::{ImapConfig, TlsMode};
use crate::intake::Outcome;
use crate::store::Store;
use crate::tls::{self, Stream};

/// IMAP servers drop an IDLE after 30 minutes (RFC 2177 says 29 at most),
/// and some firewalls forget a silent connection sooner: IDLE is ended this
/// often, a NOOP checks the connection answers, and IDLE starts again.
const IDLE_RENEW: Duration = Duration::from_secs(5 * 60);

pub struct ImapSource {
    config: ImapConfig,
    peer: Peer,
    connector: Option<TlsConnector>,
    session: Option<Session<Stream>>,
    opened: Opened,
    max_message_bytes: u64,
    /// `run --dry-run`: EXAMINE instead of SELECT, no folder created.
    read_only: bool,
    /// The database, read on its own connection for the highest UID
    /// recorded, when the folder is tracked by UID.
    database: Option<PathBuf>,
    /// The highest UID known handled under `opened.uidvalidity`.
    last_uid: Option<u32>,
    /// UIDs fetched under `opened.uidvalidity` and not yet acknowledged.
    in_flight: BTreeSet<u32>,
}

impl ImapSource {
    /// A source whose mails over `max_message_bytes` are fetched as their
    /// head only.
    pub fn new(config: ImapConfig, max_message_bytes: u64) -> Result<ImapSource, SourceError> {
        let connector = match config.tls {
            TlsMode::None => None,
            _ => Some(
                tls::connector(config.ca_file.as_deref())
                    .map_err(|detail| SourceError::Config { source_name: config.name.clone(), detail })?,
            ),
        };
        Ok(ImapSource {
            peer: Peer::new(&config),
            config,
            connector,
            session: None,
            opened: Opened::default(),
            max_message_bytes,
            read_only: false,
            database: None,
            last_uid: None,
            in_flight: BTreeSet::new(),
        })
    }

    /// A source that looks and changes nothing on the server: the folder is
    /// opened with EXAMINE, no folder is created. Acknowledging is refused.
    pub fn read_only(config: ImapConfig, max_message_bytes: u64) -> Result<ImapSource, SourceError> {
        Ok(ImapSource { read_only: true, ..ImapSource::new(config, max_message_bytes)? })
    }

    /// Where the store is, so that a folder without processed/refused
    /// folders resumes after the highest UID recorded for this source.
    pub fn with_progress(self, database: PathBuf) -> ImapSource {
        ImapSource { database: Some(database), ..self }
    }

    /// Ends the session politely (LOGOUT, under the deadline).
    pub async fn logout(&mut self) {
        if let Some(mut session) = self.session.take()
            && let Err(e) = self.peer.timed("LOGOUT", session.logout()).await
        {
            tracing::debug!(source = %self.config.name, error = %e, "logout");
        }
    }

    /// Without folders nothing leaves the folder: what waits is what comes
    /// after the last mail recorded.
    fn tracks_by_uid(&self) -> bool {
        self.config.processed_folder.is_none() && self.config.refused_folder.is_none()
    }

    async fn session(&mut self) -> Result<&mut Session<Stream>, SourceError> {
        if self.session.is_none() {
            self.connect().await?;
        }
        let name = self.config.name.clone();
        self.session.as_mut().ok_or(SourceError::Connection { source_name: name, detail: "not connected".into() })
    }

    async fn connect(&mut self) -> Result<(), SourceError> {
        let c = &self.config;
        let folders: Vec<String> = if self.read_only {
            Vec::new()
        } else {
            c.processed_folder.iter().chain(&c.refused_folder).cloned().collect()
        };
        let (session, opened) = session::open(c, self.connector.as_ref(), &folders, self.read_only).await?;
        if self.opened.uidvalidity != 0 && opened.uidvalidity != self.opened.uidvalidity {
            tracing::warn!(
                source = %c.name, old = self.opened.uidvalidity, new = opened.uidvalidity,
                "UIDVALIDITY changed: every mail gets a new key; mails already recorded are matched by Message-ID and content"
            );
            self.last_uid = None;
        }
        self.opened = opened;
        self.session = Some(session);
        // What a lost session fetched may never have been recorded: it is
        // fetched again, from the last acknowledged UID.
        self.in_flight.clear();
        tracing::info!(
            source = %c.name, host = %c.host, folder = %c.folder, uidvalidity = opened.uidvalidity,
            idle = opened.can_idle, "connected"
        );
        if self.tracks_by_uid() {
            self.resume()?;
        }
        Ok(())
    }

    /// Sets `last_uid` from the store: the highest UID recorded under this
    /// UIDVALIDITY. With none recorded yet, tracking starts at the folder's
    /// present end (what was there before is taken only if unread, as before
    /// mailgate tracked by UID).
    fn resume(&mut self) -> Result<(), SourceError> {
        let recorded = match &self.database {
            Some(path) => Store::open_read_only(path)
                .and_then(|store| store.highest_imap_uid(&self.config.name, self.opened.uidvalidity))
                .map_err(|e| SourceError::Read {
                    source_name: self.config.name.clone(),
                    what: "the highest UID recorded".into(),
                    detail: e.to_string(),
                })?,
            None => None,
        };
        let start = recorded.or(self.last_uid).or(self.opened.uid_next.map(|n| n.saturating_sub(1)));
        self.last_uid = start.max(self.last_uid);
        if recorded.is_none() {
            tracing::info!(
                source = %self.config.name, after_uid = self.last_uid.unwrap_or(0),
                "nothing recorded under this UIDVALIDITY yet: taking new mail, and older mail only if unread"
            );
        }
        Ok(())
    }

    /// The UIDs waiting and not in flight, oldest first, at most one
    /// batch's count.
    async fn waiting(&mut self) -> Result<Vec<u32>, SourceError> {
        let peer = self.peer.clone();
        let by_uid = self.tracks_by_uid();
        // Connected first: a reconnect forgets the in-flight window.
        self.session().await?;
        let last = self.last_uid.unwrap_or(0).max(self.in_flight.last().copied().unwrap_or(0));
        let session = self.session().await?;
        let mut uids = if by_uid {
            let after =
                peer.timed("UID SEARCH", session.uid_search(format!("UID {}:*", last.saturating_add(1)))).await?;
            let unseen = peer.timed("UID SEARCH", session.uid_search("UNSEEN")).await?;
            plan::waiting(after, last, unseen)
        } else {
            let mut all: Vec<u32> = peer.timed("UID SEARCH", session.uid_search("ALL")).await?.into_iter().collect();
            all.sort_unstable();
            all
        };
        uids.retain(|uid| !self.in_flight.contains(uid));
        uids.truncate(self.config.batch_size);
        Ok(uids)
    }

    async fn fetch_batch(&mut self) -> Result<Vec<RawMessage>, SourceError> {
        let uids = self.waiting().await?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let peer = self.peer.clone();
        let bounds = Bounds {
            max_message_bytes: self.max_message_bytes,
            batch_size: self.config.batch_size,
            batch_bytes: self.config.batch_bytes,
        };
        let uidvalidity = self.opened.uidvalidity;
        let session = self.session().await?;
        let sizes: Vec<(u32, u64)> = fetch_each(session, &peer, &uid_set(&uids), "(UID RFC822.SIZE)")
            .await?
            .iter()
            .filter_map(|f| Some((f.uid?, f.size.map_or(0, u64::from))))
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let planned = plan::plan(&sizes, bounds);
        let key = |uid: u32| format!("{uidvalidity}:{uid}");
        let mut batch: Vec<(u32, RawMessage)> = Vec::new();
        if !planned.heads.is_empty() {
            let set = uid_set(&planned.heads.iter().map(|(uid, _)| *uid).collect::<Vec<_>>());
            let heads = fetch_each(session, &peer, &set, "(UID BODY.PEEK[]<0.65536>)").await?;
            for (uid, size) in &planned.heads {
                let head = heads.iter().find(|f| f.uid == Some(*uid)).and_then(Fetch::body).unwrap_or_default();
                tracing::warn!(source = %peer.name, uid, size, "mail over limits.max_message_bytes: only its head was fetched");
                batch.push((*uid, RawMessage::oversized(key(*uid), head.to_vec(), *size)));
            }
        }
        if !planned.whole.is_empty() {
            for f in fetch_each(session, &peer, &uid_set(&planned.whole), "(UID BODY.PEEK[])").await? {
                let Some(uid) = f.uid.filter(|uid| planned.whole.contains(uid)) else { continue };
                batch.push((uid, RawMessage::new(key(uid), f.body().unwrap_or_default().to_vec())));
            }
        }
        batch.sort_by_key(|(uid, _)| *uid);
        self.in_flight.extend(batch.iter().map(|(uid, _)| *uid));
        Ok(batch.into_iter().map(|(_, mail)| mail).collect())
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
            if validity != self.opened.uidvalidity.to_string() {
                continue;
            }
            let Ok(uid) = uid.parse::<u32>() else { continue };
            let destination = match outcome {
                Outcome::Refused | Outcome::Ignored => {
                    self.config.refused_folder.as_ref().or(self.config.processed_folder.as_ref())
                }
                _ => self.config.processed_folder.as_ref(),
            };
            by_destination.entry(destination.map(|f| mailbox_name(f))).or_default().push(uid);
        }
        let can_move = self.opened.can_move;
        let peer = self.peer.clone();
        let err = |set: &str, e: SourceError| SourceError::Ack {
            source_name: peer.name.clone(),
            key: format!("UIDs {set}"),
            detail: e.to_string(),
        };
        let session = self.session().await?;
        let mut highest = None;
        let mut acked = Vec::new();
        for (destination, uids) in by_destination {
            let set = uid_set(&uids);
            match destination {
                Some(folder) if can_move => peer.timed("UID MOVE", session.uid_mv(&set, &folder)).await,
                Some(folder) => {
                    let copied = peer.timed("UID COPY", session.uid_copy(&set, &folder)).await;
                    let deleted = match copied {
                        Ok(()) => store_flags(session, &peer, &set, "+FLAGS.SILENT (\\Deleted)").await,
                        Err(e) => Err(e),
                    };
                    match deleted {
                        Ok(()) => expunge(session, &peer, &set).await,
                        Err(e) => Err(e),
                    }
                }
                None => store_flags(session, &peer, &set, "+FLAGS.SILENT (\\Seen)").await,
            }
            .map_err(|e| err(&set, e))?;
            highest = highest.max(uids.iter().copied().max());
            acked.extend(uids);
        }
        // Every acknowledged mail is recorded: tracking resumes after it.
        self.last_uid = self.last_uid.max(highest);
        // A failure above dropped the session, and the reconnect forgets
        // the whole window: only a complete acknowledgment gets here.
        for uid in acked {
            self.in_flight.remove(&uid);
        }
        Ok(())
    }

    async fn idle(&mut self) -> Result<(), SourceError> {
        if self.session.is_none() {
            self.connect().await?;
        }
        let peer = self.peer.clone();
        let Some(session) = self.session.take() else { return Err(peer.error("IDLE without a session on", "")) };
        let mut handle = session.idle();
        peer.timed("IDLE", handle.init()).await?;
        let pushed = {
            let (wait, stop) = handle.wait_with_timeout(IDLE_RENEW);
            tokio::pin!(wait);
            tokio::select! {
                answer = &mut wait => answer.map_err(|e| peer.error("IDLE failed on", e))?,
                _ = tokio::time::sleep(IDLE_RENEW) => {
                    // The server's "still here" lines kept it going: end it
                    // ourselves, and see below that the connection answers.
                    drop(stop);
                    peer.timed("IDLE", &mut wait).await?;
                    IdleResponse::Timeout
                }
            }
        };
        let mut session = peer.timed("DONE", handle.done()).await?;
        if !matches!(pushed, IdleResponse::NewData(_)) {
            peer.timed("NOOP", session.noop()).await?;
        }
        self.session = Some(session);
        Ok(())
    }

    /// A failure drops the session, so that the next call reconnects.
    fn forget_session_on<T>(&mut self, result: Result<T, SourceError>) -> Result<T, SourceError> {
        if result.is_err() {
            self.session = None;
        }
        result
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

    fn rewind(&mut self) {
        self.in_flight.clear();
    }

    async fn wait(&mut self) -> Result<(), SourceError> {
        if self.config.idle && self.opened.can_idle {
            let result = self.idle().await;
            return self.forget_session_on(result);
        }
        tokio::time::sleep(Duration::from_secs(self.config.poll_seconds)).await;
        Ok(())
    }
}

/// A UID FETCH whose answers each arrive within the deadline: a large
/// batch may take long as a whole, a stalled one fails.
async fn fetch_each(
    session: &mut Session<Stream>,
    peer: &Peer,
    set: &str,
    query: &str,
) -> Result<Vec<Fetch>, SourceError> {
    let what = format!("UID FETCH {query}");
    let stream = peer.timed(&what, session.uid_fetch(set, query)).await?;
    let mut stream = std::pin::pin!(stream);
    let mut fetched = Vec::new();
    while let Some(item) = peer.timed(&what, stream.try_next()).await? {
        fetched.push(item);
    }
    Ok(fetched)
}

async fn store_flags(session: &mut Session<Stream>, peer: &Peer, set: &str, flags: &str) -> Result<(), SourceError> {
    let exchange = async { session.uid_store(set, flags).await?.try_collect::<Vec<_>>().await };
    peer.timed("UID STORE", exchange).await.map(drop)
}

async fn expunge(session: &mut Session<Stream>, peer: &Peer, set: &str) -> Result<(), SourceError> {
    let exchange = async { session.uid_expunge(set).await?.try_collect::<Vec<_>>().await };
    peer.timed("UID EXPUNGE", exchange).await.map(drop)
}
