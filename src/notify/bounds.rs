//! What a mail can put into a notification, bounded. A notification quotes
//! text a stranger wrote (a request, a followup), greets people by the
//! display name their mail gave, and threads onto the Message-ID their mail
//! carried. Each of those is cut here to a size that a mail reader and an
//! SMTP server take without trouble, so that one hostile mail cannot make
//! every notification of its ticket megabytes long: quoted text past
//! [`MAX_QUOTED_BYTES`] becomes an excerpt with a note pointing to the
//! ticket, a display name past [`MAX_NAME_CHARS`] is shortened, and a
//! Message-ID that is long or not a plain `local@domain` is never echoed.
//! Every function here reads at most the bounded prefix of its input, so
//! the cost does not grow with the mail.

use std::borrow::Cow;

use super::{Person, TicketContext, Trigger};
use crate::mail::Mailbox;
use crate::ticket::Language;

pub use crate::news::MAX_QUOTED_BYTES;

/// A display name as greeted ("Bonjour …") or shown in a list.
pub const MAX_NAME_CHARS: usize = 100;

/// A ticket title in a subject or a body line.
pub const MAX_TITLE_CHARS: usize = 200;

/// RFC 5322 puts no bound on a Message-ID; real ones are under 100 bytes,
/// and the header line they go in must stay under 998.
pub const MAX_MESSAGE_ID_BYTES: usize = 250;

/// Reasons a command was not obeyed, each one line of a mail.
pub const MAX_ERROR_CHARS: usize = 300;
pub const MAX_ERRORS: usize = 20;

/// `text` cut to at most `max` bytes: at the last line break of the second
/// half of that prefix when there is one, else at the last character
/// boundary, never inside a UTF-8 sequence. None when it fits as it is.
pub fn cut(text: &str, max: usize) -> Option<&str> {
    if text.len() <= max {
        return None;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    match head.rfind('\n') {
        Some(newline) if newline >= max / 2 => Some(&head[..newline]),
        _ => Some(head),
    }
}

/// The quoted text of a notification: `text` itself when it is short, else
/// its head and a note, in the notification's language, that the rest is on
/// the ticket (with the ticket's link when there is one).
pub fn excerpt<'a>(text: &'a str, max: usize, language: Language, url: Option<&str>) -> Cow<'a, str> {
    match cut(text, max) {
        None => Cow::Borrowed(text),
        Some(head) => Cow::Owned(with_note(head, text.len() - head.len(), language, url)),
    }
}

/// [`excerpt`] of a text read only in part (a stored followup read up to a
/// bound): `prefix` is its head and `total` its whole length in bytes.
pub fn excerpt_of(prefix: &str, total: usize, max: usize, language: Language, url: Option<&str>) -> String {
    let head = cut(prefix, max).unwrap_or(prefix);
    if total <= head.len() { head.to_string() } else { with_note(head, total - head.len(), language, url) }
}

fn with_note(head: &str, left: usize, language: Language, url: Option<&str>) -> String {
    let more_kib = left.div_ceil(1024);
    let note = match (language, url) {
        (Language::Fr, Some(url)) => format!("[…] La suite de ce texte ({more_kib} Ko) est sur le ticket : {url}"),
        (Language::Fr, None) => format!("[…] La suite de ce texte ({more_kib} Ko) est sur le ticket."),
        (Language::En, Some(url)) => format!("[…] The rest of this text ({more_kib} KiB) is on the ticket: {url}"),
        (Language::En, None) => format!("[…] The rest of this text ({more_kib} KiB) is on the ticket."),
    };
    format!("{}\n\n{note}", head.trim_end())
}

pub use crate::text::one_line;

/// A display name fit for a greeting: one line, at most [`MAX_NAME_CHARS`];
/// None when nothing is left of it.
pub fn display_name(name: &str) -> Option<String> {
    Some(one_line(name, MAX_NAME_CHARS)).filter(|n| !n.is_empty())
}

/// `id` (without angle brackets) when it is a plain `local@domain` that can
/// be echoed into In-Reply-To or References: at most
/// [`MAX_MESSAGE_ID_BYTES`], printable ASCII of the dot-atom kind only (no
/// space, control, angle bracket, quote or comment), one `@` with something
/// on each side. Anything else could break the header it is put in.
pub fn message_id(id: &str) -> Option<&str> {
    if id.is_empty() || id.len() > MAX_MESSAGE_ID_BYTES {
        return None;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.@[]".contains(c);
    let (local, domain) = id.split_once('@')?;
    let plain = id.chars().all(allowed) && !local.is_empty() && !domain.is_empty() && !domain.contains('@');
    plain.then_some(id)
}

/// A Content-ID fit to be written in a header again: the plain token a
/// Message-ID may be, or one without `@` (Apple Mail writes UUIDs).
pub fn content_id(id: &str) -> Option<&str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.@[]".contains(c);
    (!id.is_empty() && id.len() <= MAX_MESSAGE_ID_BYTES && id.chars().all(allowed)).then_some(id)
}

/// The quoted text of a request or followup: an excerpt past
/// [`MAX_QUOTED_BYTES`], with the link to the rest.
fn quoted(text: &str, language: Language, url: &str) -> String {
    let link = Some(url).filter(|u| !u.is_empty());
    excerpt(text, MAX_QUOTED_BYTES, language, link).into_owned()
}

/// The ticket as notifications may show it: title, description and names
/// bounded, the origin's Message-ID only when it is safe to echo. Built
/// field by field so that a huge description is never copied whole.
pub(super) fn ticket(t: &TicketContext, language: Language, url: &str) -> TicketContext {
    TicketContext {
        id: t.id,
        title: one_line(&t.title, MAX_TITLE_CHARS),
        description: quoted(&t.description, language, url),
        status: t.status,
        entity: t.entity.clone(),
        requester: t.requester.bounded(),
        observers: t.observers.iter().map(Person::bounded).collect(),
        technicians: t.technicians.iter().map(Person::bounded).collect(),
        assigned_groups: t.assigned_groups.clone(),
        observer_groups: t.observer_groups.clone(),
        ticket_type: t.ticket_type,
        category: t.category.clone(),
        urgency: t.urgency,
        impact: t.impact,
        priority: t.priority,
        location: t.location.clone(),
        created_at: t.created_at.clone(),
        origin_message_id: t.origin_message_id.as_deref().and_then(message_id).map(str::to_string),
    }
}

/// The trigger as notifications may show it: the author's name and the
/// followup bounded, the command errors few and short, and the Message-ID
/// answered left empty unless it is safe to echo.
pub(super) fn trigger(t: &Trigger, language: Language, url: &str) -> Trigger {
    Trigger {
        author: Mailbox { address: t.author.address.clone(), name: t.author.name.as_deref().and_then(display_name) },
        author_role: t.author_role,
        message_id: message_id(&t.message_id).unwrap_or_default().to_string(),
        followup: t.followup.as_deref().map(|f| quoted(f, language, url)),
        private: t.private,
        assignee: t.assignee.clone(),
        previous_status: t.previous_status,
        errors: t.errors.iter().take(MAX_ERRORS).map(|e| one_line(e, MAX_ERROR_CHARS)).collect(),
        quote: t.quote,
        files: t
            .files
            .iter()
            .map(|f| super::FileNote { filename: one_line(&f.filename, MAX_TITLE_CHARS), ..f.clone() })
            .collect(),
        history: t
            .history
            .iter()
            .map(|h| super::HistoryNote {
                author: h.author.bounded(),
                body: excerpt_of(
                    &h.body,
                    h.total_bytes,
                    MAX_QUOTED_BYTES,
                    language,
                    Some(url).filter(|u| !u.is_empty()),
                ),
                total_bytes: h.body.len().min(h.total_bytes),
                ..h.clone()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_is_never_inside_a_utf8_sequence_and_prefers_a_line_break() {
        let accents = "é".repeat(100); // 200 bytes, every other one inside a character
        for max in 0..accents.len() {
            let head = cut(&accents, max).expect("too long");
            assert!(head.len() <= max && head.len() + 1 >= max, "max {max}: {} bytes", head.len());
        }
        let lines = "ligne\n".repeat(100);
        assert_eq!(cut(&lines, 100), Some("ligne\n".repeat(16).trim_end()), "the last whole line within 100 bytes");
        assert_eq!(cut("court", 100), None, "short text is left alone");
        let one_long_line = "x".repeat(300);
        assert_eq!(cut(&one_long_line, 100).map(str::len), Some(100), "no line break: cut at the limit");
    }

    #[test]
    fn an_excerpt_says_in_the_notification_language_where_the_rest_is() {
        let text = "a\n".repeat(20_000);
        let table = [
            (Language::Fr, Some("https://h/1"), "est sur le ticket : https://h/1"),
            (Language::Fr, None, "est sur le ticket."),
            (Language::En, Some("https://h/1"), "is on the ticket: https://h/1"),
            (Language::En, None, "is on the ticket."),
        ];
        for (language, url, note) in table {
            let quoted = excerpt(&text, 1024, language, url);
            assert!(quoted.len() < 1024 + 200, "{language:?}: {} bytes", quoted.len());
            assert!(quoted.ends_with(note), "{language:?}: {quoted}");
            assert!(quoted.contains("(39 K"), "the size of what is left: {quoted}");
        }
        assert!(matches!(excerpt("court", 1024, Language::Fr, None), Cow::Borrowed("court")));
    }

    #[test]
    fn names_are_one_bounded_line() {
        let table: [(&str, Option<&str>); 5] = [
            ("Marie Dupont", Some("Marie Dupont")),
            ("  Marie\r\nBcc: x@y  Dupont ", Some("Marie Bcc: x@y Dupont")),
            ("\r\n\t", None),
            ("Jean\u{0}Nul", Some("Jean Nul")),
            ("Élodie\u{1b}[31m", Some("Élodie [31m")),
        ];
        for (name, expected) in table {
            assert_eq!(display_name(name).as_deref(), expected, "{name:?}");
        }
        let huge = display_name(&"n".repeat(10 << 20)).expect("a name");
        assert_eq!(huge.chars().count(), MAX_NAME_CHARS);
        assert!(huge.ends_with('…'));
    }

    #[test]
    fn only_a_plain_bounded_message_id_is_echoed() {
        let long = format!("{}@ac-exemple.fr", "a".repeat(MAX_MESSAGE_ID_BYTES));
        let table = [
            ("r1@mail.ac-exemple.fr", true),
            ("CAF=ab+cd_ef@mail.gmail.com", true),
            ("1234.5678@[192.0.2.1]", true),
            ("GLPI_abc-Ticket-12/new.1@glpi.ac-exemple.fr", true),
            (long.as_str(), false),
            ("", false),
            ("no-at-sign", false),
            ("@domain", false),
            ("local@", false),
            ("a@b@c", false),
            ("with space@x", false),
            ("a@x>\r\nBcc: victim@y", false),
            ("a@x\nX-Evil: 1", false),
            ("<a@x>", false),
            ("\"quoted\"@x", false),
            ("a(comment)@x", false),
            ("é@x", false),
        ];
        for (id, echoed) in table {
            assert_eq!(message_id(id).is_some(), echoed, "{id:?}");
        }
    }
}
