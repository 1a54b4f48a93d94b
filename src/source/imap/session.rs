//! Opening an IMAP session under deadlines: TCP connect with keepalive on
//! the socket, TLS (implicit or STARTTLS), the greeting, LOGIN, CAPABILITY,
//! the folders, SELECT. Every step that waits on the server is bounded by
//! the source's `timeout_seconds`, so a server that accepts and then says
//! nothing fails the pass with a clear error instead of hanging it.

use std::future::Future;
use std::time::Duration;

use async_imap::{Client, Session};
use futures::TryStreamExt;
use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::{ImapConfig, TlsMode};
use crate::source::SourceError;
use crate::tls::{self, Stream};

/// A silent peer is probed after this long; a dead one is noticed after
/// about a minute more (5 probes, 10 s apart), even in the middle of IDLE.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_PROBES: u32 = 5;

/// Who the source talks to, for deadlines and error messages; cheap to
/// clone so that it can be held while the session is borrowed.
#[derive(Debug, Clone)]
pub(super) struct Peer {
    pub name: String,
    pub endpoint: String,
    pub timeout: Duration,
}

impl Peer {
    pub fn new(config: &ImapConfig) -> Peer {
        Peer {
            name: config.name.clone(),
            endpoint: format!("{}:{}", config.host, config.port),
            timeout: Duration::from_secs(config.timeout_seconds),
        }
    }

    pub fn error(&self, what: &str, e: impl std::fmt::Display) -> SourceError {
        SourceError::Connection { source_name: self.name.clone(), detail: format!("{what} {}: {e}", self.endpoint) }
    }

    pub fn silent(&self, what: &str) -> SourceError {
        SourceError::Connection {
            source_name: self.name.clone(),
            detail: format!(
                "no answer to {what} from {} within {} s (timeout_seconds); the session is dropped and retried",
                self.endpoint,
                self.timeout.as_secs()
            ),
        }
    }

    /// Runs one exchange with the server under the deadline.
    pub async fn timed<T, E: std::fmt::Display>(
        &self,
        what: &str,
        exchange: impl Future<Output = Result<T, E>>,
    ) -> Result<T, SourceError> {
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(&format!("{what} failed on"), e)),
            Err(_) => Err(self.silent(what)),
        }
    }
}

/// What SELECT (or EXAMINE) and CAPABILITY told us.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Opened {
    pub uidvalidity: u32,
    /// The UID the next mail will get; None if the server did not say.
    pub uid_next: Option<u32>,
    pub can_move: bool,
    pub can_idle: bool,
}

/// Connects, logs in and opens the folder; `folders` are created first.
pub(super) async fn open(
    config: &ImapConfig,
    connector: Option<&TlsConnector>,
    folders: &[String],
    read_only: bool,
) -> Result<(Session<Stream>, Opened), SourceError> {
    let peer = Peer::new(config);
    let tcp = peer.timed("connect", TcpStream::connect((config.host.as_str(), config.port))).await?;
    keepalive(&tcp, &peer);
    let stream = match (config.tls, connector) {
        (TlsMode::Implicit, Some(connector)) => {
            peer.timed("TLS handshake", tls::wrap(connector, &config.host, tcp)).await?
        }
        (TlsMode::Starttls, Some(connector)) => {
            let mut client = Client::new(Stream::Plain(tcp));
            greeting(&mut client, &peer).await?;
            peer.timed("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let Stream::Plain(tcp) = client.into_inner() else {
                return Err(peer.error("STARTTLS failed with", "unexpected stream"));
            };
            peer.timed("TLS handshake", tls::wrap(connector, &config.host, tcp)).await?
        }
        _ => Stream::Plain(tcp),
    };
    let mut client = Client::new(stream);
    if config.tls != TlsMode::Starttls {
        greeting(&mut client, &peer).await?;
    }
    let login = tokio::time::timeout(peer.timeout, client.login(&config.username, config.password.expose()));
    let mut session = match login.await {
        Ok(Ok(session)) => session,
        Ok(Err((e, _))) => {
            return Err(SourceError::Login {
                source_name: config.name.clone(),
                detail: format!(
                    "login as \"{}\" refused by {}: {e}; check username and password",
                    config.username, peer.endpoint
                ),
            });
        }
        Err(_) => return Err(peer.silent("LOGIN")),
    };
    let caps = peer.timed("CAPABILITY", session.capabilities()).await?;
    let (can_move, can_idle) = (caps.has_str("MOVE"), caps.has_str("IDLE"));
    for folder in folders {
        peer.timed(&format!("creating folder \"{folder}\""), ensure_folder(&mut session, &mailbox_name(folder)))
            .await?;
    }
    let folder = mailbox_name(&config.folder);
    let mailbox = if read_only {
        peer.timed(&format!("EXAMINE \"{}\"", config.folder), session.examine(&folder)).await?
    } else {
        peer.timed(&format!("SELECT \"{}\"", config.folder), session.select(&folder)).await?
    };
    let opened =
        Opened { uidvalidity: mailbox.uid_validity.unwrap_or(0), uid_next: mailbox.uid_next, can_move, can_idle };
    Ok((session, opened))
}

async fn greeting(client: &mut Client<Stream>, peer: &Peer) -> Result<(), SourceError> {
    match peer.timed("the greeting", client.read_response()).await? {
        Some(_) => Ok(()),
        None => Err(peer.error("the connection was closed before a greeting by", "end of stream")),
    }
}

/// TCP keepalive, so that a peer gone without a word (a rebooted firewall,
/// a pulled cable) ends a read with an error instead of leaving it waiting.
/// Failing to set it is logged, not fatal: the command deadlines still hold.
fn keepalive(tcp: &TcpStream, peer: &Peer) {
    let params =
        TcpKeepalive::new().with_time(KEEPALIVE_IDLE).with_interval(KEEPALIVE_INTERVAL).with_retries(KEEPALIVE_PROBES);
    if let Err(e) = SockRef::from(tcp).set_tcp_keepalive(&params) {
        tracing::warn!(source = %peer.name, error = %e, "cannot set TCP keepalive; relying on command timeouts");
    }
}

/// A folder name as IMAP carries it: modified UTF-7 (RFC 3501 5.1.3), so
/// that `Traités` reaches the server as `Trait&AOk-s`.
pub(super) fn mailbox_name(folder: &str) -> String {
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
