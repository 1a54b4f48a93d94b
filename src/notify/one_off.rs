//! A notification about no ticket, to one address: a refusal answer, a
//! personal link. Each names what it is about under its own key in the
//! template (`refusal`, `link`); the rest of the context, the separator on
//! top and a Message-ID that names no ticket (so that a reply opens nothing
//! by itself) are the same for all of them.

use minijinja::{Value, context};
use serde::Serialize;

use super::{Notification, Notifier, Person};
use crate::mail::Mailbox;
use crate::ticket::Event;

impl Notifier {
    /// `event`'s mail to `to`, its template given `about` under `key`.
    pub(super) fn one_off(
        &self,
        event: Event,
        to: &Mailbox,
        subject: String,
        (key, about): (&str, impl Serialize),
        message_id: String,
    ) -> Notification {
        let separator = self.separator();
        let common = context! {
            recipient => Person::from(to),
            subject => &subject,
            separator,
            tag => &self.tag,
            institution => &self.entity,
            language => self.language.code(),
        };
        let about = Value::from_iter([(key, Value::from_serialize(about))]);
        let body = self.templates.render_text(event, &minijinja::value::merge_maps([about, common]));
        Notification {
            ticket: None,
            event,
            recipient: to.address.clone(),
            subject,
            text: format!("{separator}\n\n{}\n", body.trim_end()),
            message_id,
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            link: None,
        }
    }
}
