//! The pure parts of the staff pages (issue 16): who may sign in and how
//! ([`session`]), and the dashboard's chart ([`chart`]). The queries behind
//! the pages are in [`crate::store`] (dashboard, queues, sessions, journal).

pub mod chart;
pub mod session;
