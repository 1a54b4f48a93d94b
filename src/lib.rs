//! mailgate turns the mail of an institution's support address into
//! helpdesk tickets, the GLPI way: `[GLPI #0000123] Entity | Status – Title`.
//!
//! One mail's way through the crate:
//!
//! 1. a [`source`] (a Maildir or an IMAP mailbox) hands over raw bytes with a key;
//! 2. [`mail`] parses them into an [`mail::InboundMail`]: decoded headers,
//!    readable text (HTML turned into text), attachments with safe names;
//! 3. [`intake`] decides, without I/O, what the mail is: a new ticket (filed
//!    by the [`routing`] rules: category, group, entity, priority), a
//!    followup on an existing one (with the [`lifecycle`] changes its
//!    commands or the requester's answer bring), a refusal (a sender outside
//!    the institution), something to ignore (a robot), or a duplicate;
//! 4. [`store`] applies the decision in ONE SQLite transaction: the mail's
//!    record and raw copy, the ticket or followup, the history, and the
//!    outgoing notifications that [`notify`] composed from templates;
//! 5. the source acknowledges the mail, only after that commit;
//! 6. the outbox sender hands each notification to a
//!    [`notify::transport::Transport`] (a folder of `.eml` files, or SMTP).
//!
//! Whatever the CLI prints from a mail goes through [`text::for_terminal`].
//!
//! [`pipeline`] runs steps 2–4 for one mail; [`daemon`] runs the whole loop.
//! The rules (parse, decide, compose) are pure and tested as tables; the
//! edges (sources, store, transports) sit behind small traits.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod daemon;
pub mod fault;
pub mod intake;
pub mod lifecycle;
pub mod mail;
pub mod notify;
pub mod pipeline;
/// Where a new ticket goes: the `[[rules]]` that set its category, group and priority.
pub mod routing;
pub mod source;
pub mod store;
#[cfg(test)]
mod testing;
/// Mail-derived text made safe to print on a terminal (escape sequences, bidi controls).
pub mod text;
pub mod ticket;
pub mod tls;
pub mod web;
