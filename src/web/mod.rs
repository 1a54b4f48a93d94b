//! The requester's web door: the pages the notifications' personal links
//! open. A person who only ever wrote by mail follows their ticket, reads the
//! answers, accepts or refuses a solution, adds a followup, or cancels, with
//! no account: the signed link ([`token`]) is the key to exactly that
//! ticket for exactly that address. Pages read through read-only SQLite
//! connections of their own ([`reads`]); what they change goes to the one
//! writer through the [`Desk`] trait, so the web obeys the same life-cycle
//! rules as a mail. Paths and tokens are never logged.
//!
//! The pages have their own listener (`[web] listen`), not the one of
//! /healthz and /metrics: they face people through the institution's
//! reverse proxy while metrics face the operators' scraper, and the two are
//! exposed, limited and firewalled differently.

pub mod desk;
pub(crate) mod download;
pub(crate) mod guard;
pub mod links;
mod mine;
pub mod pages;
pub mod reads;
pub mod staff;
mod ticket;
pub mod token;
mod uploads;

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use tokio_util::sync::CancellationToken;

pub use desk::{Desk, DeskError, LinkKind, Upload, WebAct, WebAction};
pub use guard::CSP;
use links::Links;
use pages::Pages;
use reads::Reads;

use crate::config::Config;

/// The web server could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Key(#[from] links::KeyError),
    #[error(transparent)]
    Page(#[from] pages::PageError),
    #[error("cannot read web.logo_file {path}: {source}")]
    Logo { path: String, source: std::io::Error },
    #[error("web.listen {listen}: {source}; is another program on that port?")]
    Bind { listen: SocketAddr, source: std::io::Error },
    #[error("the configuration has no [web] section")]
    NotConfigured,
}

/// What a SIGHUP replaces under running pages: the configuration (who is
/// staff or admin, the groups, the institution) and the pages' templates
/// and words, which follow its language and `templates_dir`.
struct Live {
    config: Arc<Config>,
    pages: Arc<Pages>,
}

/// Everything a request needs.
pub struct WebState {
    pub(crate) links: Links,
    /// Swapped whole by [`WebState::reload`]; a request takes its own
    /// handles ([`WebState::config`], [`WebState::pages`]) and keeps them,
    /// so a reload never changes a page half-way.
    live: RwLock<Arc<Live>>,
    pub(crate) reads: Arc<Reads>,
    pub(crate) desk: Arc<dyn Desk>,
    /// The path the pages live under (base_url's), "" at the root.
    pub(crate) root: String,
    logo: Option<(Vec<u8>, &'static str)>,
    pub(crate) per_address: guard::Limiter,
    pub(crate) per_client: guard::Limiter,
    /// The staff sign-in form's own limits (a technician's links are not
    /// counted against a requester's).
    pub(crate) staff_per_address: guard::Limiter,
    pub(crate) staff_per_client: guard::Limiter,
    /// The daemon's sources and latency, for the operators' health page;
    /// None when the pages are served without a daemon.
    pub(crate) health: Option<Arc<crate::daemon::Health>>,
    /// Whether cookies are marked Secure (base_url is https).
    pub(crate) secure: bool,
}

impl WebState {
    pub fn new(
        config: Arc<Config>,
        desk: Arc<dyn Desk>,
        health: Option<Arc<crate::daemon::Health>>,
    ) -> Result<Arc<WebState>, WebError> {
        let web = config.web.as_ref().ok_or(WebError::NotConfigured)?;
        let key = links::load_or_create_key(&web.secret_file)?;
        let links = Links::new(web, key);
        let pages = Self::load_pages(&config)?;
        let logo = match &web.logo_file {
            None => None,
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|source| WebError::Logo { path: path.display().to_string(), source })?;
                let kind = match path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref() {
                    Some("svg") => "image/svg+xml",
                    Some("jpg" | "jpeg") => "image/jpeg",
                    _ => "image/png",
                };
                Some((bytes, kind))
            }
        };
        let root = root_path(&web.base_url);
        let secure = web.base_url.to_ascii_lowercase().starts_with("https://");
        Ok(Arc::new(WebState {
            links,
            reads: Arc::new(Reads::new(config.database_path.clone())),
            live: RwLock::new(Arc::new(Live { config, pages: Arc::new(pages) })),
            desk,
            root,
            logo,
            per_address: guard::Limiter::per_hour(3),
            per_client: guard::Limiter::per_hour(20),
            staff_per_address: guard::Limiter::per_hour(5),
            staff_per_client: guard::Limiter::per_hour(20),
            health,
            secure,
        }))
    }

    /// The pages of `config` (its templates folder, its language): what
    /// a reload checks before anything is replaced.
    pub fn load_pages(config: &Config) -> Result<Pages, WebError> {
        Ok(Pages::load(config.notifications.templates_dir.as_deref(), config.institution.language)?)
    }

    /// Serves the next requests with `config` and its `pages` (SIGHUP).
    /// What the listener and the links were built from (`[web]`) stays
    /// until a restart.
    pub fn reload(&self, config: Arc<Config>, pages: Pages) {
        let live = Arc::new(Live { config, pages: Arc::new(pages) });
        // A poisoned lock only means a panic elsewhere while it was held;
        // the value inside is a whole Arc either way.
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = live;
    }

    fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The configuration as of the latest reload.
    pub(crate) fn config(&self) -> Arc<Config> {
        self.live().config.clone()
    }

    /// The pages' templates and words as of the latest reload.
    pub(crate) fn pages(&self) -> Arc<Pages> {
        self.live().pages.clone()
    }

    /// A whole page.
    pub(crate) fn page(&self, status: StatusCode, name: &str, title: &str, ctx: Value) -> Response {
        let live = self.live();
        let ctx = context! { title, root => &self.root, ..ctx };
        let html = live.pages.render(name, &live.config.institution.name, self.logo.is_some(), ctx);
        (status, Html(html)).into_response()
    }

    /// A short answer that shows nothing of any ticket.
    pub(crate) fn message(&self, status: StatusCode, heading: &str, text: &str, extra: Value) -> Response {
        self.page(status, "message.html", heading, context! { heading, text, ..extra })
    }

    pub(crate) fn word(&self, name: &str) -> String {
        self.pages().word(name)
    }

    /// 403 with nothing of the ticket, and the way to ask for a link.
    pub(crate) fn forbidden(&self) -> Response {
        self.message(
            StatusCode::FORBIDDEN,
            &self.word("forbidden_title"),
            &self.word("forbidden"),
            context! { ask => true },
        )
    }

    pub(crate) fn failed(&self, what: &dyn std::fmt::Display) -> Response {
        tracing::error!(error = %what, "a web page could not be read");
        self.message(StatusCode::INTERNAL_SERVER_ERROR, &self.word("unavailable"), &self.word("by_mail"), context! {})
    }
}

/// The path part of `base_url` ("https://h/suivi" → "/suivi").
fn root_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    after_scheme.find('/').map_or(String::new(), |i| after_scheme[i..].trim_end_matches('/').to_string())
}

/// Every route of the pages, with the security headers and the body limits
/// (small for forms, `limits.max_message_bytes` for the two with files).
pub fn router(state: Arc<WebState>) -> Router {
    let upload_limit =
        DefaultBodyLimit::max(usize::try_from(state.config().limits.max_message_bytes).unwrap_or(usize::MAX));
    Router::new()
        .route("/", get(mine::ask_page))
        .route("/ticket/{id}", get(ticket::page))
        .route("/ticket/{id}/file/{file}", get(ticket::file))
        .route("/ticket/{id}/accept", post(ticket::accept))
        .route("/ticket/{id}/refuse", post(ticket::refuse))
        .route("/ticket/{id}/cancel", post(ticket::cancel))
        .route("/ticket/{id}/followup", post(ticket::followup).layer(upload_limit))
        .route("/mine", get(mine::page))
        .route("/ask", get(mine::ask_page).post(mine::ask))
        .route("/renew", post(mine::renew))
        .merge(staff::routes(upload_limit))
        .route("/static/style.css", get(style))
        .route("/static/logo", get(logo))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(guard::FORM_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::same_site_forms))
        .layer(axum::middleware::from_fn(guard::headers))
        .with_state(state)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], pages::STYLE)
        .into_response()
}

async fn logo(State(state): State<Arc<WebState>>) -> Response {
    match &state.logo {
        Some((bytes, kind)) => {
            ([(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "max-age=3600")], bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn not_found(State(state): State<Arc<WebState>>) -> Response {
    state.message(StatusCode::NOT_FOUND, &state.word("not_found"), "", context! { ask => true })
}

/// Binds `listen` and serves the pages until `stop`, on the daemon's own
/// guarded accept loop (header timeout, bounded connections).
pub async fn serve(
    listen: SocketAddr,
    state: Arc<WebState>,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, WebError> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|source| WebError::Bind { listen, source })?;
    tracing::info!(%listen, "serving the requester's pages");
    Ok(tokio::spawn(crate::daemon::http::accept_loop(listener, router(state), stop, WEB_CONNECTION_LIFETIME)))
}

/// A page's connection may live this long: a followup's files come from a
/// phone on a slow network.
pub const WEB_CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(300);

#[cfg(test)]
mod tests {
    #[test]
    fn the_root_is_the_path_of_the_base_url() {
        for (base, root) in [("https://h.fr", ""), ("https://h.fr/suivi", "/suivi"), ("http://127.0.0.1:8025", "")] {
            assert_eq!(super::root_path(base), root, "{base}");
        }
    }
}
