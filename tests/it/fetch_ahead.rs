//! The daemon fetches batch k+1 while the writer makes batch k durable, so a
//! source must never hand over twice what it fetched and has not yet
//! acknowledged (its in-flight window), and must forget that window on a
//! reconnect or a new pass, fetching again from the last acknowledged mail.
//! Checked against a real Dovecot (tests/support/dovecot.rs) and a Maildir,
//! with batches of two so that every pass runs ahead several times; counts
//! are asserted exactly, without leaning on the store's duplicate check.

use crate::support;

use mailgate::config::{Config, SourceConfig};
use mailgate::intake::Outcome;
use mailgate::source::Source;
use mailgate::source::imap::ImapSource;
use support::dovecot::{Dovecot, DovecotOptions};
use support::{Install, mail};

/// How an IMAP folder is kept: by moving mail out, or by UID (no folders).
const MODES: [(&str, &str); 2] =
    [("moved to folders", "processed_folder = \"Traités\"\nrefused_folder = \"Refusés\"\n"), ("tracked by UID", "")];

fn request(i: usize) -> Vec<u8> {
    mail(
        &format!(
            "From: Marie Dupont <marie.dupont@ac-exemple.fr>\nTo: support-informatique@ac-exemple.fr\nSubject: Demande {i}\nMessage-ID: <ahead-{i}@ac-exemple.fr>"
        ),
        "Bonjour,\nça ne marche plus.",
    )
}

/// The example configuration with an IMAP source taking batches of two.
fn imap_install(dovecot: &Dovecot, folders: &str) -> Install {
    let source = format!(
        "[[sources]]\nkind = \"imap\"\nname = \"support\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"support\"\npassword = \"secret\"\nbatch_size = 2\n{folders}",
        dovecot.imap_port()
    );
    Install::with_config(|c| {
        let start = c.find("[[sources]]").expect("the example has a source");
        let end = c[start..].find("[institution]").map(|i| start + i).expect("institution follows");
        format!("{}{source}\n\n{}", &c[..start], &c[end..])
    })
}

fn imap_source(install: &Install) -> ImapSource {
    let config = Config::load(&install.config_path()).expect("the configuration loads");
    let Some(SourceConfig::Imap(imap)) = config.sources.first() else { panic!("an IMAP source") };
    ImapSource::new(imap.clone(), config.limits.max_message_bytes).expect("the source")
}

/// The UIDs of a fetched batch (keys are `UIDVALIDITY:UID`).
async fn fetch_uids(source: &mut ImapSource) -> Vec<u32> {
    let batch = source.fetch().await.expect("fetch");
    batch.iter().filter_map(|m| m.key.split_once(':')?.1.parse().ok()).collect()
}

#[tokio::test]
async fn an_imap_fetch_skips_the_mails_in_flight_and_a_reconnect_fetches_again_from_the_last_acknowledged() {
    for (mode, folders) in MODES {
        let dovecot = Dovecot::start(DovecotOptions::default());
        let install = imap_install(&dovecot, folders);
        for i in 1..=5 {
            dovecot.append("support", "INBOX", &request(i));
        }
        let uids = dovecot.list_uids("support", "INBOX");
        let mut source = imap_source(&install);

        let first = source.fetch().await.expect("fetch");
        let validity = first.first().and_then(|m| m.key.split_once(':')).map(|(v, _)| v.to_string());
        let key = |uid: u32| format!("{}:{uid}", validity.as_deref().unwrap_or("?"));
        assert_eq!(first.iter().map(|m| m.key.clone()).collect::<Vec<_>>(), [key(uids[0]), key(uids[1])], "{mode}");
        assert_eq!(fetch_uids(&mut source).await, uids[2..4], "{mode}: the batch ahead, not the same one");
        source.rewind();
        assert_eq!(fetch_uids(&mut source).await, uids[0..2], "{mode}: a rewind forgets the window");

        source.ack(&[(key(uids[0]), Outcome::TicketCreated)]).await.expect("ack");
        assert_eq!(fetch_uids(&mut source).await, uids[2..4], "{mode}: the acknowledged mail is gone");
        assert_eq!(fetch_uids(&mut source).await, uids[4..5], "{mode}");
        assert!(fetch_uids(&mut source).await.is_empty(), "{mode}: everything is in flight");

        // A lost session: what it fetched may never have been recorded.
        source.logout().await;
        assert_eq!(fetch_uids(&mut source).await, uids[1..3], "{mode}: again from the last acknowledged");
    }
}

#[test]
fn run_once_over_imap_in_batches_of_two_records_each_mail_once_and_files_all_of_them() {
    for (mode, folders) in MODES {
        let dovecot = Dovecot::start(DovecotOptions::default());
        let install = imap_install(&dovecot, folders);
        for i in 1..=7 {
            dovecot.append("support", "INBOX", &request(i));
        }
        let out = install.mailgate(&["run", "--once"]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{mode}: {said}");
        assert!(said.contains("7 message(s) recorded, 0 already recorded, 0 left for a retry"), "{mode}: {said}");
        let inbox = dovecot.list("support", "INBOX");
        if folders.is_empty() {
            assert!(inbox.iter().all(|(_, flags, _)| flags.iter().any(|f| f == "\\Seen")), "{mode}: {inbox:?}");
        } else {
            assert!(inbox.is_empty(), "{mode}: every mail moved");
            assert_eq!(dovecot.list("support", "Traités").len(), 7, "{mode}");
        }
    }
}

#[test]
fn run_once_over_a_maildir_in_batches_of_two_records_each_mail_once_and_files_all_of_them() {
    let install = Install::with_config(|c| c.replace("# batch_size = 500", "batch_size = 2"));
    for i in 1..=7 {
        install.deliver(&format!("{i}.mail"), &request(i));
    }
    let out = install.mailgate(&["run", "--once"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("7 message(s) recorded, 0 already recorded, 0 left for a retry"), "{said}");
    assert!(install.files_in("Maildir/new").is_empty());
    assert_eq!(install.files_in("Maildir/cur").len(), 7);
}
