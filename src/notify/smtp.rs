//! The SMTP transport: lettre's SMTP client over tokio, TLS by rustls (the
//! Mozilla roots, or the institution's own CA from `ca_file`), with a small
//! pool of open connections so a backlog does not pay a handshake per mail.
//!
//! mailgate opens the TCP connections itself, with TCP_NODELAY, and hands
//! them to lettre: lettre writes a message's body and its final `.` in two
//! writes, and with Nagle's algorithm on, the second waits for the server's
//! delayed ACK, 40 ms per mail (22 mails/s on one connection, measured).
//! lettre does not set the option itself (lettre/lettre#1159, unreleased).
//!
//! What the outbox needs from a failure is whether to retry: a 5xx answer to
//! a message is permanent and kept as the server said it; a 4xx, a refused
//! connection or a timeout is temporary. So is anything that goes wrong
//! before a message is offered (greeting, EHLO, STARTTLS): it is about the
//! server, not the notification. A server that does not offer STARTTLS when
//! `tls = "starttls"`, or a failed upgrade, is also how an attacker on the
//! path would strip encryption: it is logged as a possible downgrade, the
//! session is dropped without sending anything in clear, and the
//! notification waits for a later attempt.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::TlsConnector;

use super::transport::{Delivery, Transport, TransportError};
use crate::config::{SmtpConfig, TlsMode};
use crate::tls::{self, Stream};

/// A connection idle longer than this is closed rather than reused: servers
/// drop idle clients (Postfix after 300 s), and a send on a connection the
/// server already closed would fail for nothing.
const MAX_IDLE: Duration = Duration::from_secs(30);

pub struct SmtpTransport {
    config: SmtpConfig,
    hello: ClientId,
    /// For implicit TLS; STARTTLS goes through lettre's own upgrade.
    connector: Option<TlsConnector>,
    starttls: Option<TlsParameters>,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// `host:port`, for the outbox record and errors.
    server: String,
}

impl SmtpTransport {
    /// Prepares the client; nothing connects until the first send. `ehlo`
    /// is the name mailgate greets with (the domain of its own address).
    pub fn new(config: &SmtpConfig, ehlo: &str) -> Result<SmtpTransport, TransportError> {
        let server = format!("{}:{}", config.host, config.port);
        let setup = |e: String| TransportError::Permanent(format!("SMTP {server}: {e}"));
        let (connector, starttls) = match config.tls {
            TlsMode::None => (None, None),
            TlsMode::Implicit => (Some(tls::connector(config.ca_file.as_deref()).map_err(setup)?), None),
            TlsMode::Starttls => (None, Some(starttls_parameters(config).map_err(setup)?)),
        };
        Ok(SmtpTransport {
            config: config.clone(),
            hello: ClientId::Domain(ehlo.to_string()),
            connector,
            starttls,
            idle: Mutex::new(Vec::new()),
            server,
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, TransportError> {
        let unreachable = |e: io::Error| TransportError::Temporary(format!("SMTP {}: {e}", self.server));
        let tcp = TcpStream::connect((self.config.host.trim_matches(['[', ']']), self.config.port))
            .await
            .map_err(unreachable)?;
        tcp.set_nodelay(true).map_err(unreachable)?;
        let stream = match &self.connector {
            Some(connector) => tls::wrap(connector, &self.config.host, tcp).await.map_err(unreachable)?,
            None => Stream::Plain(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(|e| TransportError::Temporary(format!("SMTP {}: no session: {e}", self.server)))?;
        if let Some(parameters) = &self.starttls {
            // On error the connection is dropped here: nothing goes in clear.
            connection.starttls(parameters.clone(), &self.hello).await.map_err(|e| self.downgrade(&e))?;
        }
        if let Some(c) = &self.config.credentials {
            let credentials = Credentials::new(c.username.clone(), c.password.expose().to_string());
            connection.auth(&[Mechanism::Plain, Mechanism::Login], &credentials).await.map_err(|e| {
                // A refused login will not get better by itself, but an
                // operator fixing the password should not lose the queue.
                TransportError::Temporary(format!("SMTP {}: login as {} refused: {e}", self.server, c.username))
            })?;
        }
        Ok(connection)
    }

    /// A pooled connection young enough to trust, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, TransportError> {
        loop {
            let next = self.idle.lock().await.pop();
            match next {
                Some((connection, since)) if since.elapsed() < MAX_IDLE && !connection.has_broken() => {
                    return Ok(connection);
                }
                Some((mut stale, _)) => stale.abort().await,
                None => return self.connect().await,
            }
        }
    }

    fn error(&self, e: lettre::transport::smtp::Error) -> TransportError {
        // A refusal by the server (5xx) or a message lettre cannot send
        // will not change by waiting.
        if e.is_permanent() || e.is_client() {
            TransportError::Permanent(format!("SMTP {} refused it: {e}", self.server))
        } else {
            TransportError::Temporary(format!("SMTP {}: {e}", self.server))
        }
    }
}

impl SmtpTransport {
    /// STARTTLS was required and did not happen: not offered (lettre's
    /// client error), refused, or a failed handshake. Temporary: the
    /// server or the path may be fixed; never a reason to send in clear.
    fn downgrade(&self, e: &lettre::transport::smtp::Error) -> TransportError {
        let what = if e.is_client() {
            "the server did not offer STARTTLS".to_string()
        } else {
            format!("STARTTLS failed: {e}")
        };
        tracing::warn!(
            server = %self.server,
            error = %e,
            "SMTP: {what}; possible downgrade attack (someone on the path stripping encryption), \
             nothing was sent in clear; the notifications wait and are retried"
        );
        TransportError::Temporary(format!(
            "SMTP {}: {what} (tls = \"starttls\"); nothing was sent in clear: possibly a downgrade attack, \
             or a server without TLS (check its configuration, or the tls setting)",
            self.server
        ))
    }
}

fn starttls_parameters(config: &SmtpConfig) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(config.host.trim_matches(['[', ']']).to_string());
    builder = match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
            let ca = Certificate::from_pem(&pem).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            builder.certificate_store(CertificateStore::None).add_root_certificate(ca)
        }
        None => builder.certificate_store(CertificateStore::WebpkiRoots),
    };
    builder.build_rustls().map_err(|e| format!("TLS setup: {e}"))
}

impl Transport for SmtpTransport {
    async fn send(&self, message: Message) -> Result<Delivery, TransportError> {
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let attempt = async {
            let mut connection = self.checkout().await?;
            match connection.send(&envelope, &bytes).await {
                Ok(response) => {
                    self.idle.lock().await.push((connection, Instant::now()));
                    let answer: Vec<&str> = response.message().collect();
                    Ok(Delivery {
                        location: Some(format!("smtp {}: {} {}", self.server, response.code(), answer.join(" "))),
                    })
                }
                // The transaction is left half done: never reuse it.
                Err(e) => {
                    connection.abort().await;
                    Err(self.error(e))
                }
            }
        };
        // The lease below relies on this bound.
        match tokio::time::timeout(self.config.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Temporary(format!(
                "SMTP {}: no answer within {} s",
                self.server,
                self.config.timeout.as_secs()
            ))),
        }
    }

    /// A send is bounded by `timeout_seconds`; twice that, and a margin,
    /// covers a server slow to the last byte without letting a killed
    /// sender's rows wait long.
    fn lease(&self) -> Duration {
        self.config.timeout * 2 + super::transport::LEASE_MARGIN
    }
}

impl AsyncTokioStream for Stream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Stream::Plain(tcp) => tcp.peer_addr(),
            Stream::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}
