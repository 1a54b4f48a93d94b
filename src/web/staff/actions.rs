//! The staff ticket page's forms. Each becomes the commands a technician's
//! mail would carry (`#take`, `#assign dsi-bai`, `#status pending`…) and
//! goes through [`crate::web::Desk::act`] with the signed-in technician as
//! the author and the web as the door: the same functions, history and
//! notifications as the mail. The author is always the session's person,
//! never a field of the form, so nobody can act as someone else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::auth::{self, Method, Staff};
use super::ticket::{form_name, show};
use crate::lifecycle::commands::Command;
use crate::ticket::{Role, TicketId};
use crate::web::WebState;
use crate::web::desk::{DeskError, WebAct, WebAction};
use crate::web::uploads::{Posted, UploadError};

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    text: String,
}

/// The mail command a form's `action` and `value` stand for.
pub fn command(action: &str, value: &str) -> Option<Command> {
    let value = value.trim().to_string();
    let needs = |make: fn(String) -> Command| (!value.is_empty()).then(|| make(value.clone()));
    match action {
        "take" => Some(Command::Take),
        "solve" => Some(Command::Solve),
        "cancel" => Some(Command::Cancel),
        "assign" => needs(Command::Assign),
        "observer" => needs(Command::Observer),
        "status" => needs(Command::Status),
        "urgency" => needs(Command::Urgency),
        "impact" => needs(Command::Impact),
        "category" => needs(Command::Category),
        "type" => needs(Command::Type),
        "location" => needs(Command::Location),
        _ => None,
    }
}

pub async fn act(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<TicketId>,
    Form(form): Form<ActForm>,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Post).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    if !staff.csrf_ok(&state, &form_name(id), &form.csrf) {
        return auth::refused_form(&state);
    }
    let Some(command) = command(&form.action, &form.value) else {
        return show(&state, &staff, id, StatusCode::UNPROCESSABLE_ENTITY, vec![state.word("choose_value")]).await;
    };
    let action = WebAction::Commands {
        commands: vec![command],
        text: form.text.trim().to_string(),
        private: false,
        files: Vec::new(),
    };
    run(&state, &staff, id, action).await
}

/// The followup form (public answer or private note, with files):
/// multipart, the CSRF field checked before anything is handed over.
pub async fn answer(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<TicketId>,
    form: Multipart,
) -> Response {
    let staff = match auth::staff(&state, &headers, peer.as_ref().map(|p| &p.0), Method::Post).await {
        Ok(s) => s,
        Err(answer) => return *answer,
    };
    let authorised = |p: &Posted| staff.csrf_ok(&state, &form_name(id), &p.field("csrf"));
    let posted = match crate::web::uploads::read(form, &state.config().limits, authorised).await {
        Ok(p) => p,
        Err(UploadError::Malformed | UploadError::Unauthorised) => return auth::refused_form(&state),
        Err(_) => return staff.finish(crate::web::ticket::upload_refused(&state)),
    };
    let (csrf, text, files) = (posted.field("csrf"), posted.field("text"), posted.files);
    let private = posted.fields.get("private").is_some_and(|v| !v.is_empty());
    if !staff.csrf_ok(&state, &form_name(id), &csrf) {
        return auth::refused_form(&state);
    }
    let text = text.trim().to_string();
    if text.is_empty() && files.is_empty() {
        return show(&state, &staff, id, StatusCode::UNPROCESSABLE_ENTITY, vec![state.word("your_message")]).await;
    }
    run(&state, &staff, id, WebAction::Commands { commands: Vec::new(), text, private, files }).await
}

/// Hands `action` to the writer as the signed-in technician; back to the
/// ticket, or the ticket with what was refused.
async fn run(state: &Arc<WebState>, staff: &Staff, id: TicketId, action: WebAction) -> Response {
    let act = WebAct { ticket: id, author: staff.member.email.clone(), role: Role::Technician, action };
    match state.desk.act(act).await {
        Ok(()) => staff.finish(Redirect::to(&format!("{}/staff/ticket/{id}", state.root)).into_response()),
        Err(DeskError::Commands(lines)) => show(state, staff, id, StatusCode::UNPROCESSABLE_ENTITY, lines).await,
        Err(DeskError::Refused(why)) => show(state, staff, id, StatusCode::CONFLICT, vec![why]).await,
        Err(e @ DeskError::Unavailable(_)) => {
            show(state, staff, id, StatusCode::SERVICE_UNAVAILABLE, vec![e.to_string()]).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_action_is_its_mail_command_and_an_empty_value_is_none() {
        let cases = [
            ("take", "", Some(Command::Take)),
            ("solve", "", Some(Command::Solve)),
            ("cancel", "", Some(Command::Cancel)),
            ("assign", " dsi-bai ", Some(Command::Assign("dsi-bai".into()))),
            ("assign", "", None),
            ("observer", "a@b.fr", Some(Command::Observer("a@b.fr".into()))),
            ("status", "pending", Some(Command::Status("pending".into()))),
            ("urgency", "4", Some(Command::Urgency("4".into()))),
            ("impact", "2", Some(Command::Impact("2".into()))),
            ("category", "Réseau", Some(Command::Category("Réseau".into()))),
            ("type", "request", Some(Command::Type("request".into()))),
            ("location", "Salle 4", Some(Command::Location("Salle 4".into()))),
            ("for", "x@y.fr", None),
            ("help", "", None),
        ];
        for (action, value, expected) in cases {
            assert_eq!(command(action, value), expected, "{action} {value:?}");
        }
    }
}
