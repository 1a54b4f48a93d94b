//! The web's [`Desk`] wired to the daemon's single writer: a form's action
//! becomes the [`Act`] a mail of the same meaning would have produced, and
//! goes through the same functions ([`crate::pipeline::Pipeline::act`]);
//! a link asked for on the web is composed and queued by the writer.

use futures::future::BoxFuture;

use super::writer::{DeskHandle, LinkRequest, WriterError};
use crate::desk::ActError;
use crate::desk::{Act, ActRequest};
use crate::lifecycle::commands::Command;
use crate::mail::{Attachment, Mailbox};
use crate::pipeline::PipelineError;
use crate::ticket::Door;
use crate::web::desk::{StaffWrite, StaffWritten};
use crate::web::{Desk, DeskError, LinkKind, Upload, WebAct, WebAction};

impl Desk for DeskHandle {
    fn act(&self, act: WebAct) -> BoxFuture<'_, Result<(), DeskError>> {
        Box::pin(async move { self.act(web_act(act)).await.map(drop).map_err(desk_error) })
    }

    fn send_link(
        &self,
        to: Mailbox,
        url: String,
        kind: LinkKind,
        valid_for: String,
    ) -> BoxFuture<'_, Result<(), DeskError>> {
        Box::pin(async move {
            self.queue_link(LinkRequest { to, url, kind, valid_for }).await.map(drop).map_err(desk_error)
        })
    }

    fn staff_write(&self, write: StaffWrite) -> BoxFuture<'_, Result<StaffWritten, DeskError>> {
        Box::pin(async move { DeskHandle::staff_write(self, write).await.map_err(desk_error) })
    }
}

/// What the form asked, in the life cycle's words.
fn web_act(act: WebAct) -> Act {
    let (what, text, files) = match act.action {
        WebAction::AcceptSolution => (ActRequest::AcceptSolution, String::new(), Vec::new()),
        WebAction::RefuseSolution { reason } => (ActRequest::RejectSolution, reason, Vec::new()),
        WebAction::Followup { text, files } => (ActRequest::Followup { private: false }, text, files),
        WebAction::Cancel => (ActRequest::Cancel, String::new(), Vec::new()),
        // The staff form's commands, with `#private` among them when the
        // followup is private, exactly as a technician's mail gives them.
        WebAction::Commands { mut commands, text, private, files } => {
            if private && !commands.contains(&Command::Private) {
                commands.push(Command::Private);
            }
            (ActRequest::Commands(commands), text, files)
        }
    };
    Act {
        ticket: act.ticket,
        author: Mailbox::new(&act.author, None),
        role: act.role,
        what,
        text,
        attachments: files.into_iter().map(attachment).collect(),
        door: Door::Web,
    }
}

/// An uploaded file as a mail's attachment would be stored: a safe name,
/// its digest, never inline.
fn attachment(upload: Upload) -> Attachment {
    Attachment::uploaded(&upload.filename, &upload.content_type, upload.bytes)
}

fn desk_error(e: WriterError) -> DeskError {
    match e {
        WriterError::Pipeline(PipelineError::Act(ActError::Commands(lines))) => DeskError::Commands(lines),
        WriterError::Pipeline(PipelineError::Act(refused)) => DeskError::Refused(refused.to_string()),
        WriterError::Pipeline(PipelineError::NotQueued(why)) => DeskError::Refused(why),
        // An operator's replay of a mail that cannot be replayed, or of one
        // that is not there: the store's words are for them.
        WriterError::Pipeline(PipelineError::Store(
            crate::store::StoreError::Refused(why) | crate::store::StoreError::NotFound(why),
        )) => DeskError::Refused(why),
        other => DeskError::Unavailable(other.to_string()),
    }
}
