//! The requester's web door: the pages the notifications' personal links
//! open. A person who only ever wrote by mail follows their ticket, reads the
//! answers, accepts or refuses a solution, adds a followup, or cancels, with
//! no account: the signed link ([`token`]) is the key to exactly that
//! ticket for exactly that address. Pages read through read-only SQLite
//! connections of their own; what they change goes to the one writer
//! through the [`Desk`] trait, so that the web obeys the same life-cycle
//! rules as a mail.

pub mod links;
pub mod token;
