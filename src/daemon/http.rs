//! The optional HTTP listener (`[metrics] listen`): `/healthz` answers 200
//! when every source and the store are fine and 503 with the reasons
//! otherwise; `/metrics` is the Prometheus text format (0.0.4, or
//! OpenMetrics to a scraper that asks for it: see [`exposition`]). Counts come from the
//! store, so they agree with the CLI and survive restarts; connection state
//! and latency come from [`Health`].
//!
//! The listener is its own accept loop, so that idle or slow clients cannot
//! take it over: a request's headers must arrive within
//! [`HEADER_READ_TIMEOUT`], a connection lives at most
//! [`CONNECTION_LIFETIME`] and serves one request, and at most
//! [`MAX_CONNECTIONS`] are open at once; past that the oldest is closed to
//! make room, so a flood of half-open connections costs a bounded number of
//! file descriptors and never locks out the next `/healthz`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use crate::clock::{Clock, SystemClock};
use crate::store::{Counts, Store, StoreError};

mod exposition;

/// Connections open at once; a scrape and a health check need one each.
pub const MAX_CONNECTIONS: usize = 64;
/// A client that has not sent its request headers by then is dropped.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection that has not finished by then (a client that never reads
/// its answer) is dropped.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

struct Endpoints {
    health: Arc<Health>,
    /// A reader connection of its own; scrapes are rare and short.
    store: Mutex<Store>,
}

/// Binds `listen` and serves until `stop`. Binding happens before this
/// returns, so a port in use stops the start with a clear error.
pub async fn serve(
    listen: SocketAddr,
    database: PathBuf,
    health: Arc<Health>,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, std::io::Error> {
    let store = Store::open(&database).map_err(std::io::Error::other)?;
    let state = Arc::new(Endpoints { health, store: Mutex::new(store) });
    let app = Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("metrics.listen {listen}: {e}")))?;
    tracing::info!(%listen, "serving /healthz and /metrics");
    Ok(tokio::spawn(accept_loop(listener, app, stop, CONNECTION_LIFETIME)))
}

/// The connections open now, oldest first, each with the token that closes it.
#[derive(Default)]
struct Open {
    next_id: u64,
    live: VecDeque<(u64, CancellationToken)>,
}

/// The guarded accept loop, shared with the requester's pages
/// ([`crate::web::serve`]); `lifetime` bounds a connection.
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: CancellationToken,
    lifetime: Duration,
) {
    let open = Arc::new(Mutex::new(Open::default()));
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it
                    // was accepted: wait a little rather than spin.
                    tracing::warn!(error = %e, "the metrics listener cannot accept a connection");
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    }
                }
            },
        };
        let (id, closed) = {
            let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
            while open.live.len() >= MAX_CONNECTIONS {
                if let Some((_, oldest)) = open.live.pop_front() {
                    oldest.cancel();
                }
            }
            open.next_id += 1;
            let closed = stop.child_token();
            let id = open.next_id;
            open.live.push_back((id, closed.clone()));
            (id, closed)
        };
        // The peer's address, for the pages' per-client limits.
        let service = TowerToHyperService::new(app.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer))));
        let open = open.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(false);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = closed.cancelled() => {}
                _ = tokio::time::timeout(lifetime, connection) => {}
            }
            open.lock().unwrap_or_else(|e| e.into_inner()).live.retain(|(other, _)| *other != id);
        });
    }
}

/// Reads the counts on a blocking thread: SQLite is synchronous.
async fn counts(state: &Arc<Endpoints>) -> Result<Counts, String> {
    let state = state.clone();
    let since = start_of_day(&SystemClock);
    tokio::task::spawn_blocking(move || {
        let store = state.store.lock().unwrap_or_else(|e| e.into_inner());
        store.counts(&since).map_err(|e: StoreError| format!("store: {e}"))
    })
    .await
    .map_err(|e| format!("store: {e}"))?
}

/// Midnight UTC today, RFC 3339: where "today" starts in counts.
pub fn start_of_day(clock: &dyn Clock) -> String {
    let now = clock.now();
    crate::clock::rfc3339(now.replace_time(time::Time::MIDNIGHT))
}

async fn healthz(State(state): State<Arc<Endpoints>>) -> impl IntoResponse {
    let mut problems = state.health.problems();
    if let Err(e) = counts(&state).await {
        problems.push(e);
    }
    if problems.is_empty() {
        (StatusCode::OK, "ok\n".to_string())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("{}\n", problems.join("\n")))
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

async fn metrics(State(state): State<Arc<Endpoints>>, request: HeaderMap) -> impl IntoResponse {
    let counts = match counts(&state).await {
        Ok(c) => c,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain")], format!("{e}\n")),
    };
    let mut registry = Registry::with_prefix("mailgate");

    let messages = Family::<OutcomeLabel, Counter>::default();
    for (outcome, n) in &counts.messages {
        messages.get_or_create(&OutcomeLabel { outcome: outcome.as_str().into() }).inc_by(*n as u64);
    }
    registry.register("messages", "Mails recorded, by outcome", messages);
    let tickets = Counter::<u64>::default();
    tickets.inc_by(counts.tickets as u64);
    registry.register("tickets_opened", "Tickets opened", tickets);
    let followups = Counter::<u64>::default();
    followups.inc_by(counts.followups as u64);
    registry.register("followups", "Followups added to tickets", followups);

    let notifications = Family::<StateLabel, Gauge>::default();
    for (outbox_state, n) in &counts.outbox {
        notifications.get_or_create(&StateLabel { state: outbox_state.as_str().into() }).set(*n);
    }
    registry.register("notifications", "Notifications in the outbox, by state", notifications);
    let depth = Gauge::<i64>::default();
    depth.set(counts.outbox_depth());
    registry.register("outbox_depth", "Notifications waiting to be sent", depth);
    let oldest = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    oldest.set(age_seconds(counts.oldest_pending.as_deref()));
    registry.register("outbox_oldest_pending_age_seconds", "Age of the oldest notification waiting, 0 if none", oldest);

    let up = Family::<SourceLabel, Gauge>::default();
    let last = Family::<SourceLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    for (name, source) in state.health.sources() {
        let label = SourceLabel { source: name };
        up.get_or_create(&label).set(i64::from(source.up));
        let at = source.last_success.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or(Duration::ZERO);
        last.get_or_create(&label).set(at.as_secs_f64());
    }
    registry.register("source_up", "1 when the source's last pass worked, 0 while it is retrying", up);
    registry.register("source_last_success_timestamp_seconds", "When the source last passed without error", last);
    registry.register(
        "message_processing_seconds",
        "Time to record one mail: parse, decide, write",
        state.health.latency.clone(),
    );

    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &registry) {
        return (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], format!("{e}\n"));
    }
    let accept = request.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if exposition::wants_openmetrics(accept) {
        (StatusCode::OK, [(header::CONTENT_TYPE, exposition::OPENMETRICS)], text)
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, exposition::TEXT_004)], exposition::text_004(&text))
    }
}

fn age_seconds(since: Option<&str>) -> f64 {
    let Some(since) = since else { return 0.0 };
    let Ok(at) = time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339) else {
        return 0.0;
    };
    SystemTime::from(at).elapsed().map(|d| d.as_secs_f64()).unwrap_or(0.0)
}
