//! The dashboard: tickets by status for me, my groups and everyone (the
//! counts of `mailgate stats`, as numbers and as a chart), tickets opened
//! and solved per day over 30 days, the oldest open tickets and those
//! nobody owns. One read, in one snapshot.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::auth::{self, Method};
use super::{chart, view};
use crate::clock::SystemClock;
use crate::store::{DashboardSizes, StatusCounts, last_days};
use crate::web::WebState;

/// Days of the opened/solved chart.
const DAYS: u32 = 30;

#[derive(Serialize)]
struct Counts {
    name: String,
    key: &'static str,
    cells: Vec<(String, i64)>,
    open: i64,
    chart: String,
}

pub async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Get).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    let (me, groups) = (staff.member.email.clone(), staff.member.groups.clone());
    let days = last_days(&SystemClock, DAYS);
    let board = match state.reads.with(move |s| s.dashboard(&me, &groups, &days, DashboardSizes::default())).await {
        Ok(b) => b,
        Err(e) => return state.failed(&e),
    };
    let language = state.pages().language();
    let counts = |name: &str, key: &'static str, c: &StatusCounts| Counts {
        name: name.to_string(),
        key,
        cells: StatusCounts::SHOWN.iter().map(|s| (s.label(language).to_string(), c.get(*s))).collect(),
        open: c.open(),
        chart: chart::status_chart(key, c, language),
    };
    let scopes = vec![
        counts(&state.word("scope_mine"), "mine", &board.mine),
        counts(&state.word("scope_groups"), "groups", &board.my_groups),
        counts(&state.word("scope_everyone"), "everyone", &board.everyone),
    ];
    let headings: Vec<&str> = StatusCounts::SHOWN.iter().map(|s| s.label(language)).collect();
    let flow = chart::flow_chart("flow", &board.flow, language);
    let config = &state.config();
    let ctx = context! {
        scopes,
        headings,
        flow,
        oldest => view::rows(config, language, &board.oldest_open),
        unowned => view::rows(config, language, &board.unowned.items),
        unowned_total => board.unowned.total,
    };
    super::render(&state, &staff, "staff/dashboard.html", &state.word("dashboard"), ctx)
}
