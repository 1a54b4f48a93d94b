//! The links a notification carries (a personal link per recipient with
//! `[web]`, GLPI's page with `institution.ticket_url`, or none) and the
//! HTML alternative built around the link's button at send time, for
//! the row's own recipient, so that a resend carries the same link.

use minijinja::{Value, context};

use super::super::TemplateError;
use super::Notifier;
use crate::config::Config;
use crate::store::OutboxRow;
use crate::ticket::display_number;

impl Notifier {
    /// The link of `ticket` in a mail to `recipient` composed at `at`: a
    /// personal one with `[web]`, GLPI's with `ticket_url`, else none ("").
    pub fn ticket_url(&self, ticket: crate::ticket::TicketId, recipient: &str, at: &str) -> String {
        match &self.links {
            TicketLinks::Personal(links) => links.ticket(ticket, recipient, at),
            TicketLinks::Glpi(url) => url.replace("{id}", &ticket.to_string()),
            TicketLinks::None => String::new(),
        }
    }

    /// The link that is the same in every recipient's mail (GLPI's), or "".
    pub(super) fn shared_url(&self, ticket: crate::ticket::TicketId) -> String {
        match &self.links {
            TicketLinks::Glpi(url) => url.replace("{id}", &ticket.to_string()),
            TicketLinks::Personal(_) | TicketLinks::None => String::new(),
        }
    }

    /// « Mes demandes » for `address`, when the pages are served.
    pub fn mine_url(&self, address: &str, at: &str) -> Option<String> {
        match &self.links {
            TicketLinks::Personal(links) => Some(links.mine(address, at)),
            _ => None,
        }
    }

    /// A claimed row as it is sent: the recipient's link put back where the
    /// outbox stored [`crate::news::LINK_MARKER`] (the same link the
    /// HTML alternative's button carries, made from the row's own ticket,
    /// recipient and time).
    pub fn personalised(&self, mut row: OutboxRow) -> OutboxRow {
        if row.personal_link {
            let url = row.ticket_id.map(|t| self.ticket_url(t, &row.recipient, &row.created_at)).unwrap_or_default();
            row.body_text = row.body_text.replace(crate::news::LINK_MARKER, &url);
            row.personal_link = false;
        }
        row
    }

    /// The HTML alternative of a queued notification: the layout around its
    /// text, with the ticket link as a button. A digest, about many
    /// tickets, has no button: `ticket` and `url` are none.
    pub fn html(&self, row: &OutboxRow) -> String {
        let separator = self.separator();
        let text = row.body_text.strip_prefix(separator).unwrap_or(&row.body_text).trim_start();
        let none = Value::from(());
        self.templates.render_html(&context! {
            text,
            separator,
            subject => &row.subject,
            url => row
                .ticket_id
                .map(|t| self.ticket_url(t, &row.recipient, &row.created_at))
                .filter(|u| !u.is_empty())
                .map_or(none.clone(), Value::from),
            tag => &self.tag,
            language => self.language.code(),
            ticket => row.ticket_id.map_or(none, |t| context! { number => display_number(t) }),
        })
    }
}

/// Where the notifications' links lead.
pub(in crate::notify) enum TicketLinks {
    /// mailgate's own pages: one signed link per recipient.
    Personal(crate::web::links::Links),
    /// GLPI's page (`institution.ticket_url`), the same for everyone.
    Glpi(String),
    /// No link: the mails read well without one.
    None,
}

impl TicketLinks {
    pub(super) fn new(config: &Config) -> Result<TicketLinks, TemplateError> {
        Ok(match (&config.web, &config.institution.ticket_url) {
            (Some(web), _) => {
                let key = crate::web::links::load_or_create_key(&web.secret_file)?;
                TicketLinks::Personal(crate::web::links::Links::new(web, key))
            }
            (None, Some(url)) => TicketLinks::Glpi(url.clone()),
            (None, None) => TicketLinks::None,
        })
    }
}
