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
//! 4. [`desk`] records the decision in ONE SQLite transaction: it asks its
//!    pure rules ([`desk::effects`]) what the decision writes and who is
//!    told, and writes the mail's record and raw copy, the ticket or
//!    followup, the history and the notifications [`notify`] composed
//!    through the [`store`]'s transaction handle ([`store::Tx`], SQL only);
//! 5. the source acknowledges the mail, only after that commit;
//! 6. the outbox sender hands each notification to a
//!    [`notify::transport::Transport`] (a folder of `.eml` files, or SMTP).
//!
//! Whatever the CLI prints from a mail goes through [`text::for_terminal`].
//!
//! [`pipeline`] runs steps 2–4 for one mail; [`daemon`] runs the whole loop.
//! An action from another door (the web, [`desk::Act`]) is planned by the
//! same [`lifecycle`] functions and applied by the same [`desk`] function as
//! the matching mail, through [`pipeline::Pipeline::act`] (or the writer
//! thread's [`daemon::DeskHandle`]). [`news`] holds the plain data the
//! store and [`notify`] share; neither uses the other's rules.
//! The rules (parse, decide, compose) are pure and tested as tables; the
//! edges (sources, store, transports) sit behind small traits.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod daemon;
pub mod desk;
pub mod fault;
pub mod intake;
pub mod lifecycle;
pub mod mail;
/// The plain data of notifications, shared by the store and `notify`.
pub mod news;
pub mod notify;
pub mod pipeline;
/// Who may write to the support address (senders, Cc observers, `#observer` targets).
pub mod policy;
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
/// The web door: personal pages for requesters, served by the daemon.
pub mod web;

/// The crate's layering, checked on its source: two modules must never use
/// each other, or the rules creep back into the store and the life cycle
/// into intake.
#[cfg(test)]
mod layering {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file of `src/<module>` and `src/<module>.rs`.
    fn sources(module: &str) -> Vec<PathBuf> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.join(format!("{module}.rs"))];
        let mut folders = vec![src.join(module)];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files.into_iter().filter(|f| f.is_file()).collect()
    }

    /// The files of `module` whose code (not its comments) names `crate::<other>`.
    fn uses(module: &str, other: &str) -> Vec<String> {
        let needle = format!("crate::{other}");
        let in_code = |text: String| text.lines().any(|l| !l.trim_start().starts_with("//") && l.contains(&needle));
        sources(module)
            .into_iter()
            .filter(|f| std::fs::read_to_string(f).is_ok_and(in_code))
            .map(|f| f.display().to_string())
            .collect()
    }

    #[test]
    fn no_two_modules_use_each_other() {
        assert!(!sources("store").is_empty() && !sources("intake").is_empty(), "the sources are found");
        for (a, b) in [("intake", "lifecycle"), ("store", "notify"), ("store", "desk"), ("lifecycle", "store")] {
            let (ab, ba) = (uses(a, b), uses(b, a));
            assert!(ab.is_empty() || ba.is_empty(), "{a} and {b} use each other: {ab:?} and {ba:?}");
        }
    }

    #[test]
    fn the_store_decides_nothing_it_neither_notifies_nor_plans() {
        for rules in ["notify", "desk", "routing::route", "lifecycle::plan", "mail::reply"] {
            assert_eq!(uses("store", rules), Vec::<String>::new(), "the store uses crate::{rules}");
        }
    }
}
