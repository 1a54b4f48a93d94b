//! The work queues: mine, my groups' unassigned, every open ticket, with
//! the filters of `tickets list` as a GET form (so a filtered queue is a
//! link one can bookmark), the most urgent first and then the oldest, a
//! page at a time. Plain links and forms: usable from the keyboard.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::{self, Method};
use super::view;
use crate::store::{PageRequest, Queue, QueueOrder, TicketFilter};
use crate::ticket::Status;
use crate::web::WebState;

/// Tickets on one page of a queue.
const PAGE_SIZE: u32 = 25;

/// The filter form, as the URL carries it; an empty field filters nothing.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Filters {
    status: String,
    group: String,
    technician: String,
    category: String,
    entity: String,
    requester: String,
    text: String,
    page: u32,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Filters {
    fn filter(&self) -> TicketFilter {
        TicketFilter {
            statuses: Status::parse(self.status.trim()).into_iter().collect(),
            group: given(&self.group),
            technician: given(&self.technician).map(|t| t.to_lowercase()),
            category: given(&self.category),
            entity: given(&self.entity),
            requester: given(&self.requester).map(|r| r.to_lowercase()),
            text: given(&self.text),
            limit: None,
        }
    }

    /// The query string of this filter on page `page` (for the pager).
    fn query(&self, page: u32) -> String {
        let mut f = self.clone();
        f.page = page;
        serde_urlencoded::to_string(&f).unwrap_or_default()
    }
}

pub async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(queue): Path<String>,
    Query(filters): Query<Filters>,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Get).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    let title = match queue.as_str() {
        "mine" => state.word("queue_mine"),
        "groups" => state.word("queue_groups"),
        "all" => state.word("queue_all"),
        _ => return state.message(StatusCode::NOT_FOUND, &state.word("not_found"), "", context! {}),
    };
    let (me, groups, which) = (staff.member.email.clone(), staff.member.groups.clone(), queue.clone());
    let filter = filters.filter();
    let request = PageRequest { page: filters.page.max(1), size: PAGE_SIZE };
    let read = state
        .reads
        .with(move |s| {
            let queue = match which.as_str() {
                "mine" => Queue::Mine(&me),
                "groups" => Queue::GroupsUnassigned(&groups),
                _ => Queue::All,
            };
            s.queue(queue, &filter, QueueOrder::PriorityThenAge, request)
        })
        .await;
    let found = match read {
        Ok(p) => p,
        Err(e) => return state.failed(&e),
    };
    let language = state.pages().language();
    let pages = found.pages();
    let statuses: Vec<(&str, &str)> = Status::ALL.iter().map(|s| (s.as_str(), s.label(language))).collect();
    let config = state.config();
    let groups: Vec<(&str, &str)> = config.groups.iter().map(|g| (g.name.as_str(), g.display_name())).collect();
    let ctx = context! {
        queue,
        rows => view::rows(&config, language, &found.items),
        total => found.total,
        page => found.page,
        pages,
        prev => (found.page > 1).then(|| filters.query(found.page - 1)),
        next => (found.page < pages).then(|| filters.query(found.page + 1)),
        f => &filters,
        statuses,
        groups,
    };
    super::render(&state, &staff, "staff/queue.html", &title, ctx)
}
