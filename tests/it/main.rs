//! Every integration test in one binary: one link step instead of one per
//! file keeps CI fast. Each module is what was a test file of its own; the
//! shared harness (a throwaway install, Dovecot, Postfix, a desk of
//! technicians) lives in `support`.

#[path = "../support/desk.rs"]
mod desk;
#[path = "../support/mod.rs"]
mod support;

mod admin;
mod bounds;
mod cli;
mod corpus;
mod daemon;
mod digest;
mod doors;
mod fetch_ahead;
mod group_commit;
mod hostile;
mod imap;
mod journeys;
mod journeys_attachments;
mod journeys_refusal;
mod journeys_staff;
mod journeys_story;
mod life_cycle;
mod life_cycle_edges;
mod mta;
mod outbox;
mod outbox_writes;
mod packaging;
mod private_files;
mod rules;
mod service;
mod smtp;
mod tickets_query;
mod trust;
mod web;
mod web_actions;
mod web_attacks;
mod web_staff;
mod web_staff_browser;
mod web_staff_files;
mod web_staff_reload;
mod web_staff_site;
