//! The staff ticket page: everything about a ticket, private followups and
//! the full audit history (with the door and who acted) included, and the
//! forms of the actions matching the mail commands ([`super::actions`]),
//! and its files to download, private ones included.
//! Commands the life cycle refused come back on this page, one line each.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::auth::{self, Method, Staff};
use super::view::{number, when};
use crate::store::{AttachmentInfo, StoreError, TicketDetail, TimelineEntry};
use crate::ticket::{Status, TicketId, TicketType};
use crate::web::WebState;

pub async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<TicketId>,
) -> Response {
    match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Get).await {
        Ok(staff) => show(&state, &staff, id, StatusCode::OK, Vec::new()).await,
        Err(answer) => *answer,
    }
}

/// A file of ticket `id`, any of them (a private note's too): staff only.
/// A file of another ticket is not found, as one that does not exist.
pub async fn file(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path((id, file)): Path<(TicketId, i64)>,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Get).await {
        Ok(staff) => staff,
        Err(answer) => return *answer,
    };
    match state.reads.with(move |s| s.ticket_file(id, file)).await {
        Ok(Some(found)) => staff.finish(crate::web::download::answer(found)),
        Ok(None) => state.message(StatusCode::NOT_FOUND, &state.word("not_found"), "", context! {}),
        Err(e) => state.failed(&e),
    }
}

/// The CSRF form name of ticket `id`'s forms.
pub fn form_name(id: TicketId) -> String {
    format!("ticket-{id}")
}

#[derive(Serialize)]
struct Said<'a> {
    kind: &'static str,
    when: String,
    who: String,
    private: bool,
    body: String,
    state: String,
    /// The files its mail or form brought (a private followup's are
    /// private too, as the entry says).
    files: Vec<&'a AttachmentInfo>,
}

#[derive(Serialize)]
struct Event {
    when: String,
    who: String,
    action: String,
    detail: String,
    door: String,
}

/// The page of ticket `id` for `staff`, with `errors` (refused commands).
pub async fn show(
    state: &Arc<WebState>,
    staff: &Staff,
    id: TicketId,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    let read = state.reads.with(move |s| match s.ticket_detail(id) {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)) | Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    });
    let t: TicketDetail = match read.await {
        Ok(Some(t)) => t,
        Ok(None) => return state.message(StatusCode::NOT_FOUND, &state.word("not_found"), "", context! {}),
        Err(e) => return state.failed(&e),
    };
    let config = &state.config();
    let language = state.pages().language();
    let name = |a: &str| config.technician_name(a).unwrap_or(a).to_string();
    // Each followup's files, gathered once.
    let mut by_followup: HashMap<i64, Vec<&AttachmentInfo>> = HashMap::new();
    for a in &t.attachments {
        if let Some(f) = a.followup_id {
            by_followup.entry(f).or_default().push(a);
        }
    }
    let files_of = |followup: Option<i64>| followup.and_then(|f| by_followup.get(&f)).cloned().unwrap_or_default();
    let said: Vec<Said> = t
        .timeline()
        .into_iter()
        .filter_map(|e| match e {
            TimelineEntry::Followup(f) => Some(Said {
                kind: "followup",
                when: when(&f.created_at),
                who: name(&f.author),
                private: f.private,
                body: f.body.clone(),
                state: String::new(),
                files: files_of(Some(f.id)),
            }),
            TimelineEntry::Solution(s) => Some(Said {
                kind: "solution",
                when: when(&s.created_at),
                who: name(&s.author),
                private: false,
                body: s.body.clone(),
                state: s.state.clone(),
                files: files_of(t.followup_of_solution(s).map(|f| f.id)),
            }),
            TimelineEntry::History(_) => None,
        })
        .collect();
    // The opening mail's files, and any the timeline did not show.
    let shown: HashSet<i64> = said.iter().flat_map(|e| e.files.iter().map(|f| f.id)).collect();
    let request_files: Vec<&AttachmentInfo> = t.attachments.iter().filter(|a| !shown.contains(&a.id)).collect();
    let history: Vec<Event> = t
        .history
        .iter()
        .map(|h| Event {
            when: when(&h.at),
            who: name(&h.actor),
            action: h.action.clone(),
            detail: h.detail.clone(),
            door: h.door.clone(),
        })
        .collect();
    let group_label = |g: &str| config.group(g).map_or(g.to_string(), |g| g.display_name().to_string());
    let facts = context! {
        id,
        number => number(id),
        title => &t.title,
        status => t.status,
        status_label => t.status.label(language),
        requester => &t.requester,
        entity => &t.entity,
        category => &t.category,
        kind => t.kind.label(language),
        urgency => t.urgency,
        impact => t.impact,
        priority => t.priority,
        location => &t.location,
        created => when(&t.created_at),
        description => &t.description,
        groups => t.groups_in("assigned").into_iter().map(group_label).collect::<Vec<_>>(),
        observer_groups => t.groups_in("observer").into_iter().map(group_label).collect::<Vec<_>>(),
        technicians => t.technicians.iter().map(|a| name(a)).collect::<Vec<_>>(),
        observers => &t.observers,
        attachments => request_files,
        open => !matches!(t.status, Status::Closed | Status::Cancelled),
        mine => t.technicians.contains(&staff.member.email),
    };
    let statuses: Vec<(&str, &str)> = [Status::Assigned, Status::Planned, Status::Pending, Status::Closed]
        .iter()
        .map(|s| (s.as_str(), s.label(language)))
        .collect();
    let kinds: Vec<(&str, &str)> =
        [TicketType::Incident, TicketType::Request].iter().map(|k| (k.as_str(), k.label(language))).collect();
    let groups: Vec<(&str, &str)> = config.groups.iter().map(|g| (g.name.as_str(), g.display_name())).collect();
    let technicians: Vec<(&str, &str)> = config
        .technicians
        .iter()
        .map(|tech| (tech.email.as_str(), if tech.name.is_empty() { tech.email.as_str() } else { tech.name.as_str() }))
        .collect();
    let ctx = context! {
        t => facts,
        said,
        history,
        errors,
        csrf => staff.csrf(state, &form_name(id)),
        statuses,
        kinds,
        groups,
        technicians,
        levels => [1, 2, 3, 4, 5],
    };
    let title = format!("{} n° {} – {}", state.word("ticket"), number(id), t.title);
    super::render_status(state, staff, status, "staff/ticket.html", &title, ctx)
}
