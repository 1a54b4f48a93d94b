//! A ticket's page and its forms. Every request shows its signed link
//! first: without a valid one for this very ticket the answer is 403 and
//! holds nothing of the ticket (an expired one offers a fresh link, to the
//! address it was made for). A form must carry its CSRF field, bound to the
//! link and to what the form does; then the [`super::Desk`] does it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::desk::{DeskError, WebAct, WebAction};
use super::token::{Claims, Purpose, TokenError};
use super::uploads::UploadError;
use crate::store::{PublicEntry, PublicFile, PublicTicket};
use crate::ticket::{Language, Role, Status, TicketId, display_number};

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    k: String,
}

impl Link {
    pub(super) fn k(&self) -> &str {
        &self.k
    }
}

/// Checks the link for `purpose` on `subject`; the answer to give when it
/// opens nothing.
pub(super) fn check(state: &WebState, k: &str, purpose: Purpose, subject: i64) -> Result<Claims, Box<Response>> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    state.links.key().verify(k, purpose, subject, now).map_err(|e| {
        Box::new(match e {
            TokenError::Expired { .. } => state.message(
                StatusCode::FORBIDDEN,
                &state.word("expired_title"),
                &state.word("expired"),
                context! { renew => context! { k, csrf => state.links.key().csrf(k, "renew") }, ask => true },
            ),
            TokenError::Invalid | TokenError::OtherPage => state.forbidden(),
        })
    })
}

pub async fn page(State(state): State<Arc<WebState>>, Path(id): Path<TicketId>, Query(link): Query<Link>) -> Response {
    let claims = match check(&state, &link.k, Purpose::Ticket, id) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    if let Err(answer) = role_on(&state, id, &claims.address).await {
        return *answer;
    }
    render(&state, id, &link.k, &claims, None).await
}

async fn render(state: &Arc<WebState>, id: TicketId, k: &str, claims: &Claims, notice: Option<String>) -> Response {
    let ticket = match state.reads.with(move |s| s.public_ticket(id)).await {
        Ok(Some(t)) => t,
        // A signed link to a ticket that is gone (a restore): nothing to show.
        Ok(None) => return state.forbidden(),
        Err(e) => return state.failed(&e),
    };
    let key = state.links.key();
    let csrf: HashMap<&str, String> =
        ["accept", "refuse", "followup", "cancel"].into_iter().map(|f| (f, key.csrf(k, f))).collect();
    let at = crate::clock::rfc3339(time::OffsetDateTime::now_utc());
    let mine_url = state.links.mine(&claims.address, &at);
    let view = view(state, &ticket, &claims.address);
    let title = format!("{} n° {}", state.word("ticket"), view.number);
    state.page(StatusCode::OK, "ticket.html", &title, context! { t => view, k, csrf, notice, mine_url })
}

#[derive(Serialize)]
struct FileView {
    id: i64,
    filename: String,
    size_label: String,
}

#[derive(Serialize)]
struct EntryView {
    kind: &'static str,
    at: String,
    when: String,
    who: String,
    role: Option<Role>,
    body: String,
    files: Vec<FileView>,
    label: String,
}

#[derive(Serialize)]
struct TicketView {
    id: TicketId,
    number: String,
    title: String,
    description: String,
    status: Status,
    status_label: &'static str,
    entity: String,
    category: Option<String>,
    handlers: Vec<String>,
    files: Vec<FileView>,
    timeline: Vec<EntryView>,
    pending_solution: Option<crate::store::PendingSolution>,
    open: bool,
    cancellable: bool,
}

fn view(state: &WebState, t: &PublicTicket, address: &str) -> TicketView {
    let language = state.pages().language();
    let config = &state.config();
    let files = |fs: &[PublicFile]| -> Vec<FileView> {
        fs.iter()
            .map(|f| FileView { id: f.id, filename: f.filename.clone(), size_label: size(f.size, language) })
            .collect()
    };
    let group_word = state.word("group");
    let mut handlers: Vec<String> = t
        .groups
        .iter()
        .map(|g| format!("{group_word} {}", config.group(g).map_or(g.as_str(), |g| g.display_name())))
        .collect();
    handlers.extend(t.technicians.iter().map(|a| config.technician_name(a).unwrap_or(a).to_string()));
    let timeline = t
        .timeline
        .iter()
        .map(|e| match e {
            PublicEntry::Followup { at, author, author_name, role, body, files: fs } => EntryView {
                kind: "followup",
                at: at.clone(),
                when: when(at),
                who: config
                    .technician_name(author)
                    .map(str::to_string)
                    .or_else(|| author_name.clone().filter(|n| !n.trim().is_empty()))
                    .unwrap_or_else(|| author.clone()),
                role: Some(*role),
                body: body.clone(),
                files: files(fs),
                label: String::new(),
            },
            PublicEntry::Status { at, from, to } => EntryView {
                kind: "status",
                at: at.clone(),
                when: when(at),
                who: String::new(),
                role: None,
                body: String::new(),
                files: Vec::new(),
                label: match (from, to) {
                    (Some(f), Some(t)) => format!("{} → {}", f.label(language), t.label(language)),
                    (_, Some(t)) => t.label(language).to_string(),
                    _ => String::new(),
                },
            },
        })
        .collect();
    let open = !matches!(t.status, Status::Closed | Status::Cancelled);
    TicketView {
        id: t.id,
        number: display_number(t.id).trim_start_matches('0').to_string(),
        title: t.title.clone(),
        description: t.description.clone(),
        status: t.status,
        status_label: t.status.label(language),
        entity: t.entity.clone(),
        category: t.category.clone(),
        handlers,
        files: files(&t.files),
        timeline,
        pending_solution: t.pending_solution.clone(),
        open,
        cancellable: open && t.status != Status::Solved && t.requester.eq_ignore_ascii_case(address),
    }
}

/// "2026-01-05T09:30:00Z" as "2026-01-05 09:30" (UTC).
fn when(at: &str) -> String {
    at.get(..16).map_or(at.to_string(), |s| s.replace('T', " "))
}

fn size(bytes: i64, language: Language) -> String {
    if bytes < 1024 {
        return match language {
            Language::Fr => format!("{bytes} octets"),
            Language::En => format!("{bytes} bytes"),
        };
    }
    let kib = (bytes as f64) / 1024.0;
    let (value, unit) = if kib >= 1024.0 { (kib / 1024.0, ["Mo", "MiB"]) } else { (kib, ["Ko", "KiB"]) };
    match language {
        Language::Fr => format!("{} {}", format!("{value:.1}").replace('.', ","), unit[0]),
        Language::En => format!("{value:.1} {}", unit[1]),
    }
}

pub async fn file(
    State(state): State<Arc<WebState>>,
    Path((id, file)): Path<(TicketId, i64)>,
    Query(link): Query<Link>,
) -> Response {
    let claims = match check(&state, &link.k, Purpose::Ticket, id) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    if let Err(answer) = role_on(&state, id, &claims.address).await {
        return *answer;
    }
    match state.reads.with(move |s| s.public_file(id, file)).await {
        Ok(Some(found)) => super::download::answer(found),
        Ok(None) => state.forbidden(),
        Err(e) => state.failed(&e),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn accept(state: State<Arc<WebState>>, id: Path<TicketId>, Form(form): Form<ActionForm>) -> Response {
    act(state, id, "accept", form, WebAction::AcceptSolution).await
}

pub async fn refuse(state: State<Arc<WebState>>, id: Path<TicketId>, Form(form): Form<ActionForm>) -> Response {
    let reason = form.reason.trim().to_string();
    act(state, id, "refuse", form, WebAction::RefuseSolution { reason }).await
}

pub async fn cancel(state: State<Arc<WebState>>, id: Path<TicketId>, Form(form): Form<ActionForm>) -> Response {
    act(state, id, "cancel", form, WebAction::Cancel).await
}

/// Checks the link and the form's field, then hands the action over.
async fn act(
    State(state): State<Arc<WebState>>,
    Path(id): Path<TicketId>,
    form_name: &str,
    form: ActionForm,
    action: WebAction,
) -> Response {
    let claims = match check(&state, &form.k, Purpose::Ticket, id) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    if !state.links.key().csrf_ok(&form.k, form_name, &form.csrf) {
        return refused_form(&state);
    }
    if matches!(&action, WebAction::RefuseSolution { reason } if reason.is_empty()) {
        return render(&state, id, &form.k, &claims, Some(state.word("refuse_why"))).await;
    }
    let role = match role_on(&state, id, &claims.address).await {
        Ok(role) => role,
        Err(answer) => return *answer,
    };
    done(&state, id, &form.k, state.desk.act(WebAct { ticket: id, author: claims.address, role, action }).await)
}

/// What the link's address is on the ticket now: its requester, or else
/// one of its observers; the staff (who see everything on their own pages)
/// count as observers here. A link outlives the role it was mailed for
/// (`web.link_days`): an address taken off the ticket gets 403, to read as
/// to act. The writer checks an action's author again, in its transaction.
async fn role_on(state: &Arc<WebState>, id: TicketId, address: &str) -> Result<Role, Box<Response>> {
    let who = address.to_string();
    match state.reads.with(move |s| s.role_on_ticket(id, &who)).await {
        Ok(Some(Role::Requester)) => Ok(Role::Requester),
        Ok(Some(_)) => Ok(Role::Observer),
        Ok(None) if state.config().is_staff_address(address) => Ok(Role::Observer),
        Ok(None) => Err(Box::new(state.forbidden())),
        Err(e) => Err(Box::new(state.failed(&e))),
    }
}

/// 413: the form's files are past `limits.*`, in words of the page.
pub(super) fn upload_refused(state: &WebState) -> Response {
    let limits = &state.config().limits;
    let text = state.word("upload_limits").replace("{files}", &limits.max_web_files.to_string()).replace(
        "{size}",
        &size(i64::try_from(limits.max_attachment_bytes).unwrap_or(i64::MAX), state.pages().language()),
    );
    state.message(StatusCode::PAYLOAD_TOO_LARGE, &state.word("unavailable"), &text, context! {})
}

pub(super) fn refused_form(state: &WebState) -> Response {
    state.message(StatusCode::FORBIDDEN, &state.word("unavailable"), &state.word("refused_form"), context! {})
}

/// Back to the ticket's page (a path of our own: no open redirect), or why
/// not, in the page's words: the writer's own reasons are for operators
/// (and in English), so they go to the log.
fn done(state: &WebState, id: TicketId, k: &str, result: Result<(), DeskError>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("{}/ticket/{id}?k={k}", state.root)).into_response(),
        Err(e) => {
            tracing::info!(ticket = id, reason = %e, "an action on the requester's page was not done");
            let back = format!("{}/ticket/{id}?k={k}", state.root);
            let (status, text) = match e {
                // One line per command, in the configured language already.
                DeskError::Commands(lines) => (StatusCode::CONFLICT, lines.join(" ")),
                DeskError::Refused(_) => (StatusCode::CONFLICT, state.word("action_refused")),
                DeskError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, state.word("desk_unavailable")),
            };
            state.message(status, &state.word("unavailable"), &text, context! { back })
        }
    }
}

/// The followup form: text and files, multipart, within the bounds of a
/// mail's attachments; the link and CSRF field are checked before anything
/// is kept.
pub async fn followup(State(state): State<Arc<WebState>>, Path(id): Path<TicketId>, form: Multipart) -> Response {
    let key = state.links.key();
    let authorised = |p: &super::uploads::Posted| {
        let k = p.field("k");
        check(&state, &k, Purpose::Ticket, id).is_ok() && key.csrf_ok(&k, "followup", &p.field("csrf"))
    };
    let posted = match super::uploads::read(form, &state.config().limits, authorised).await {
        Ok(p) => p,
        Err(UploadError::Malformed | UploadError::Unauthorised) => return refused_form(&state),
        Err(_) => return upload_refused(&state),
    };
    let (k, csrf, text, files) = (posted.field("k"), posted.field("csrf"), posted.field("text"), posted.files);
    let claims = match check(&state, &k, Purpose::Ticket, id) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    if !state.links.key().csrf_ok(&k, "followup", &csrf) {
        return refused_form(&state);
    }
    let text = text.trim().to_string();
    if text.is_empty() && files.is_empty() {
        return render(&state, id, &k, &claims, Some(state.word("your_message"))).await;
    }
    let role = match role_on(&state, id, &claims.address).await {
        Ok(role) => role,
        Err(answer) => return *answer,
    };
    let action = WebAction::Followup { text, files };
    let result = state.desk.act(WebAct { ticket: id, author: claims.address, role, action }).await;
    done(&state, id, &k, result)
}
