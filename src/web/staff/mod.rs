//! The technicians' and operators' pages (issue 16), under `/staff`: who
//! may sign in and how ([`session`], [`signin`], checked at every request
//! by [`auth`]), the dashboard ([`dashboard`], with [`chart`]), the work
//! queues ([`queues`]), the staff ticket page and its actions ([`ticket`],
//! [`actions`]), and the operators' journal, outbox and health ([`ops`],
//! [`outbox`]). The queries behind the pages are in [`crate::store`]; what
//! the pages change goes to the one writer through the
//! [`crate::web::Desk`], as the requester's actions do.

mod actions;
pub mod auth;
pub mod chart;
mod dashboard;
mod ops;
mod outbox;
mod queues;
pub mod session;
mod signin;
mod ticket;
mod view;
pub mod words;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::{Value, context};

use crate::web::WebState;
use auth::Staff;

/// Every staff route; the router adds the security headers to them all.
/// `uploads` is the body limit of the one form that carries files.
pub fn routes(uploads: axum::extract::DefaultBodyLimit) -> Router<Arc<WebState>> {
    Router::new()
        .route("/staff", get(dashboard::page))
        .route("/staff/signin", get(signin::page).post(signin::ask))
        .route("/staff/signin/confirm", get(signin::confirm_page).post(signin::confirm))
        .route("/staff/signout", post(signin::signout))
        .route("/staff/queue/{queue}", get(queues::page))
        .route("/staff/ticket/{id}", get(ticket::page))
        .route("/staff/ticket/{id}/file/{file}", get(ticket::file))
        .route("/staff/ticket/{id}/act", post(actions::act))
        .route("/staff/ticket/{id}/answer", post(actions::answer).layer(uploads))
        .route("/staff/journal", get(ops::journal))
        .route("/staff/journal/{id}", get(ops::message))
        .route("/staff/journal/{id}/raw", get(ops::raw))
        .route("/staff/journal/{id}/replay", post(ops::replay))
        .route("/staff/outbox", get(outbox::page))
        .route("/staff/outbox/retry", post(outbox::retry))
        .route("/staff/health", get(ops::health))
}

/// A staff page: the frame's navigation knows who is signed in, and its
/// sign-out form carries its CSRF field.
pub(crate) fn render(state: &WebState, staff: &Staff, name: &str, title: &str, ctx: Value) -> Response {
    render_status(state, staff, StatusCode::OK, name, title, ctx)
}

pub(crate) fn render_status(
    state: &WebState,
    staff: &Staff,
    status: StatusCode,
    name: &str,
    title: &str,
    ctx: Value,
) -> Response {
    let me = context! {
        email => &staff.member.email,
        name => staff.member.name.as_deref().unwrap_or(&staff.member.email),
        admin => staff.member.admin,
    };
    let signout_csrf = staff.csrf(state, "signout");
    staff.finish(state.page(status, name, title, context! { me, signout_csrf, ..ctx }))
}
