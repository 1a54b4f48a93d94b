//! The operator's commands over the database file, driven through the real
//! binary: `stats`, `backup` (also while the daemon works), `db migrate`,
//! `db check`, and `purge` of old raw copies.

use crate::support;
use base64::Engine as _;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::{Value, json};
use support::{Install, mail};

fn request(n: u32, from: &str, subject: &str) -> Vec<u8> {
    mail(
        &format!(
            "From: {from}\nTo: support-informatique@ac-exemple.fr\nSubject: {subject}\nMessage-ID: <adm-{n}@ac-exemple.fr>"
        ),
        &format!("Demande numéro {n}.\nMerci."),
    )
}

/// Delivers one mail and runs one pass, so message rows are numbered in
/// delivery order.
fn deliver_and_run(install: &Install, name: &str, bytes: &[u8]) {
    install.deliver(name, bytes);
    install.ok(&["run", "--once"]);
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(25));
    }
}

fn integrity(path: &Path) -> String {
    let conn = Connection::open(path).expect("open the copy");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// The number of schema migrations shipped, which is the current version.
fn shipped_schema_version() -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations");
    std::fs::read_dir(dir)
        .expect("migrations")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "sql"))
        .count() as i64
}

/// A fresh installation whose database is a copy of `db`.
fn install_with_database(db: &Path) -> Install {
    let install = Install::new();
    std::fs::copy(db, install.path("mailgate.db")).expect("copy the database");
    install
}

#[test]
fn stats_of_a_fresh_database_name_every_status_outcome_and_state_with_zeros() {
    let install = Install::new();
    install.ok(&["db", "migrate"]);
    let stats = install.json(&["stats"]);
    let zeros = |keys: &[&str]| Value::Object(keys.iter().map(|k| (k.to_string(), json!(0))).collect());
    assert_eq!(stats["tickets"], zeros(&["new", "assigned", "planned", "pending", "solved", "closed", "cancelled"]));
    assert_eq!(stats["today"], zeros(&["ticket_created", "followup_added", "refused", "ignored", "duplicate"]));
    assert_eq!(stats["outbox"], zeros(&["pending", "sending", "sent", "failed", "held"]));
    assert!(stats["today_since"].as_str().is_some_and(|s| s.ends_with("T00:00:00Z")), "{stats}");
}

#[test]
fn stats_count_tickets_by_status_todays_intake_by_outcome_and_the_outbox_by_state() {
    let install = Install::new();
    let first = request(1, "marie.dupont@ac-exemple.fr", "Imprimante en panne");
    let deliveries: [(&str, Vec<u8>); 6] = [
        ("1.mail", first.clone()),
        ("2.mail", request(2, "jean.bernard@ac-exemple.fr", "Pronote")),
        ("3.mail", support::fixture("refused_foreign_gmail.eml")),
        ("4.mail", support::fixture("ignored_out_of_office_fr_subject_only.eml")),
        ("5.mail", first),
        ("6.mail", request(6, "alice.martin@ac-exemple.fr", "RE: [GLPI #0000002] Pronote")),
    ];
    for (name, bytes) in &deliveries {
        deliver_and_run(&install, name, bytes);
    }

    let stats = install.json(&["stats"]);
    let expected = [
        ("tickets", "new", 1),
        ("tickets", "assigned", 1),
        ("tickets", "pending", 0),
        ("tickets", "solved", 0),
        ("tickets", "closed", 0),
        ("today", "ticket_created", 2),
        ("today", "followup_added", 1),
        ("today", "refused", 1),
        ("today", "ignored", 1),
        ("today", "duplicate", 1),
    ];
    for (group, key, n) in expected {
        assert_eq!(stats[group][key], n, "{group}.{key} in {stats}");
    }
    let outbox = install.json(&["outbox", "list"]);
    let rows = outbox.as_array().expect("outbox rows");
    assert!(!rows.is_empty());
    for state in ["pending", "sending", "sent", "failed", "held"] {
        let n = rows.iter().filter(|r| r["state"] == state).count();
        assert_eq!(stats["outbox"][state], n, "outbox.{state} in {stats}");
    }

    let text = install.ok(&["stats"]);
    for expected in ["TICKETS", "TODAY (UTC)", "OUTBOX", "ticket_created", "midnight UTC"] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(text.lines().any(|l| l.split_whitespace().take(2).eq(["assigned", "1"])), "{text}");
}

#[test]
fn a_backup_is_one_sound_file_holding_the_same_tickets() {
    let install = Install::new();
    deliver_and_run(&install, "1.mail", &request(1, "marie.dupont@ac-exemple.fr", "Imprimante"));
    deliver_and_run(&install, "2.mail", &request(2, "jean.bernard@ac-exemple.fr", "Pronote"));
    let backup = install.path("backup.db");

    let out = install.ok(&["backup", backup.to_str().unwrap()]);
    let size = std::fs::metadata(&backup).expect("the backup exists").len();
    assert!(out.contains(&backup.display().to_string()) && out.contains(&format!("{size} bytes")), "{out}");
    assert!(out.trim_end().ends_with("integrity ok"), "{out}");

    assert_eq!(integrity(&backup), "ok");
    let journal: String =
        Connection::open(&backup).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "delete", "a backup needs no -wal file beside it");
    let leftovers: Vec<String> = install.files_in("").into_iter().filter(|n| n.contains(".tmp")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let restored = install_with_database(&backup);
    assert_eq!(restored.json(&["tickets", "list"]), install.json(&["tickets", "list"]));
    assert_eq!(restored.json(&["tickets", "show", "1"]), install.json(&["tickets", "show", "1"]));
}

#[test]
fn a_backup_never_replaces_an_existing_file_unless_forced() {
    let install = Install::new();
    deliver_and_run(&install, "1.mail", &request(1, "marie.dupont@ac-exemple.fr", "Imprimante"));
    let target = install.path("precious.db");
    std::fs::write(&target, "keep me").unwrap();

    let refused = install.mailgate(&["backup", target.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("already exists") && stderr(&refused).contains("--force"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");

    install.ok(&["backup", "--force", target.to_str().unwrap()]);
    assert_eq!(integrity(&target), "ok");
    assert_eq!(count(&Connection::open(&target).unwrap(), "SELECT COUNT(*) FROM tickets"), 1);

    let itself = install.mailgate(&["backup", "--force", install.path("mailgate.db").to_str().unwrap()]);
    assert!(!itself.status.success(), "--force must not replace the live database with its own copy");
}

#[test]
fn a_backup_taken_while_the_daemon_records_mail_is_consistent() {
    const MAILS: u32 = 60;
    const WAVE: u32 = 20;
    // One sender's 60 mails: the inbound loop guard is off, this is about the backup.
    let install = Install::with_config(|c| {
        c.replace("poll_seconds = 5", "poll_seconds = 1")
            .replace("max_mails_per_sender_per_hour = 30", "max_mails_per_sender_per_hour = 0")
    });
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .arg("run")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon");
    // The file exists from the daemon's first instant; its tables only once
    // it has migrated it.
    wait_for("the daemon to create its database", Duration::from_secs(30), || {
        Connection::open_with_flags(install.path("mailgate.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tickets'", [], |r| r.get(0)))
            .is_ok_and(|n: i64| n == 1)
    });

    // Mail arrives in waves, the next one once the daemon has taken the
    // last, while backups are taken back to back; so backups see the store
    // between waves and while a wave is written. Each must be sound and hold
    // whole mails: a ticket exactly when its message record and raw copy,
    // since they commit in one transaction.
    let long_text = "Journal de l'erreur, ligne après ligne.\n".repeat(1500);
    let (mut delivered, mut seen) = (0, Vec::new());
    wait_for("a backup holding every mail", Duration::from_secs(120), || {
        if delivered < MAILS && install.files_in("Maildir/new").is_empty() {
            for _ in 0..WAVE {
                delivered += 1;
                let from = "From: marie.dupont@ac-exemple.fr\nSubject: Demande";
                let headers = format!("{from} {delivered}\nMessage-ID: <wave-{delivered}@ac-exemple.fr>");
                install.deliver(&format!("{delivered}.mail"), &mail(&headers, &long_text));
            }
        }
        let path = install.path(&format!("live-{}.db", seen.len() + 1));
        let out = install.ok(&["backup", path.to_str().unwrap()]);
        assert!(out.contains("integrity ok"), "{out}");
        assert_eq!(integrity(&path), "ok", "{}", path.display());
        let conn = Connection::open(&path).unwrap();
        let tickets = count(&conn, "SELECT COUNT(*) FROM tickets");
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM messages WHERE outcome = 'ticket_created'"), tickets);
        let raw_missing =
            "SELECT COUNT(*) FROM messages m LEFT JOIN blobs b ON b.sha256 = m.raw_sha256 WHERE b.bytes IS NULL";
        assert_eq!(count(&conn, raw_missing), 0);
        drop(conn);
        std::fs::remove_file(&path).unwrap();
        seen.push(tickets);
        tickets == i64::from(MAILS)
    });
    assert!(
        seen.iter().any(|&n| n > 0 && n < i64::from(MAILS)),
        "a backup was taken between waves, with the daemon still at work: {seen:?}"
    );

    let status = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().expect("kill");
    assert!(status.success());
    let exit = daemon.wait().expect("daemon exits");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut daemon.stderr.take().expect("stderr"), &mut log).ok();
    assert!(exit.success(), "exit {exit:?}: {log}");
}

/// Overwrites the middle third of the file's pages (never page 1, which
/// names the tables) with 0xFF.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let page = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let pages = bytes.len() / page;
    assert!(pages >= 6, "a database of {pages} pages is too small to damage in the middle");
    for b in &mut bytes[page * (pages / 3)..page * (2 * pages / 3)] {
        *b = 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

/// A followup of a ticket that does not exist, written past the foreign keys.
fn orphan_followup(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO followups (ticket_id, author, role, body, created_at)
         VALUES (999, 'x@ac-exemple.fr', 'requester', 'orphan', '2025-01-01T00:00:00Z');",
    )
    .unwrap();
}

#[test]
fn db_check_says_ok_on_a_sound_database_and_lists_problems_with_exit_1_otherwise() {
    let source = Install::new();
    for n in 1..=8 {
        source.deliver(&format!("{n}.mail"), &request(n, "marie.dupont@ac-exemple.fr", &format!("Demande {n}")));
    }
    source.ok(&["run", "--once"]);
    type Spoil = fn(&Path);
    let cases: [(&str, Spoil, i32, &str); 3] = [
        ("a sound copy", |_| {}, 0, "ok"),
        ("a copy with pages overwritten", damage, 1, "integrity"),
        ("a followup of a missing ticket", orphan_followup, 1, "followups row 1 refers to a missing row of tickets"),
    ];
    for (n, (what, spoil, code, says)) in cases.into_iter().enumerate() {
        let copy = source.path(&format!("copy-{n}.db"));
        source.ok(&["backup", copy.to_str().unwrap()]);
        spoil(&copy);
        let install = install_with_database(&copy);
        let out = install.mailgate(&["db", "check"]);
        assert_eq!(out.status.code(), Some(code), "{what}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains(says), "{what}: {}", stdout(&out));
        if code == 0 {
            assert_eq!(stdout(&out).trim(), "ok", "{what}");
        } else {
            assert!(!stdout(&out).trim().is_empty() && stdout(&out).trim() != "ok", "{what}: problems listed");
            assert!(stderr(&out).contains("problem"), "{what}: {}", stderr(&out));
        }
    }
}

#[test]
fn db_migrate_reports_the_schema_version_before_and_after() {
    let current = shipped_schema_version();
    let install = Install::new();
    let first = install.ok(&["db", "migrate"]);
    assert!(first.contains(&format!("schema version 0 -> {current} ({current} migrations applied)")), "{first}");
    let again = install.ok(&["db", "migrate"]);
    assert!(again.contains(&format!("schema version {current} -> {current} (up to date)")), "{again}");

    let old = Install::new();
    let conn = Connection::open(old.path("mailgate.db")).unwrap();
    conn.execute_batch(include_str!("../../src/store/migrations/0001_initial.sql")).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let upgraded = old.ok(&["db", "migrate"]);
    assert!(upgraded.contains(&format!("schema version 1 -> {current}")), "{upgraded}");
    assert_eq!(old.ok(&["db", "check"]).trim(), "ok");
}

/// A request carrying `file` as a base64 attachment.
fn with_attachment(n: u32, file: &[u8]) -> Vec<u8> {
    let encoded: Vec<String> = base64::engine::general_purpose::STANDARD
        .encode(file)
        .as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8_lossy(l).into())
        .collect();
    mail(
        &format!(
            "From: marie.dupont@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Message reçu\nMessage-ID: <adm-{n}@ac-exemple.fr>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\""
        ),
        &format!(
            "--b\nContent-Type: text/plain; charset=utf-8\n\nVoici le message reçu.\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"recu.eml\"\nContent-Transfer-Encoding: base64\n\n{}\n--b--",
            encoded.join("\n")
        ),
    )
}

#[test]
fn purge_drops_old_raw_copies_that_no_recent_mail_or_attachment_shares_and_keeps_everything_else() {
    let install = Install::new();
    let shared_with_recent = request(3, "jean.bernard@ac-exemple.fr", "Pronote");
    let shared_with_attachment = request(5, "paul.durand@ac-exemple.fr", "Message transféré");
    let mails = [
        request(1, "marie.dupont@ac-exemple.fr", "Imprimante"),
        request(2, "sophie.petit@ac-exemple.fr", "Vidéoprojecteur"),
        shared_with_recent.clone(),
        shared_with_recent,
        shared_with_attachment.clone(),
        with_attachment(6, &shared_with_attachment),
    ];
    for (n, bytes) in mails.iter().enumerate() {
        deliver_and_run(&install, &format!("{}.mail", n + 1), bytes);
    }
    // Message row, received 40 days ago?, raw copy kept after `purge --older-than 30`?
    let cases: [(usize, bool, bool); 6] =
        [(1, true, false), (2, false, true), (3, true, true), (4, false, true), (5, true, true), (6, true, false)];
    let conn = Connection::open(install.path("mailgate.db")).unwrap();
    for (id, ..) in cases.iter().filter(|c| c.1) {
        conn.execute("UPDATE messages SET received_at = '2020-01-01T00:00:00Z' WHERE id = ?1", [*id as i64]).unwrap();
    }
    let shares =
        count(&conn, "SELECT COUNT(*) FROM attachments a JOIN messages m ON m.raw_sha256 = a.sha256 WHERE m.id = 5");
    assert_eq!(shares, 1, "message 5's raw copy is also message 6's attachment");
    assert_eq!(install.json(&["messages", "list"])[3]["outcome"], "duplicate", "message 4 is message 3 again");
    drop(conn);
    let tickets_before = install.json(&["tickets", "list"]);
    let shows_before: Vec<Value> = (1..=5).map(|t| install.json(&["tickets", "show", &t.to_string()])).collect();
    let messages_before = install.json(&["messages", "list"]);
    let purgeable = mails[0].len() + mails[5].len();

    let dry = install.ok(&["purge", "--older-than", "30", "--dry-run"]);
    assert!(
        dry.contains("2 raw copies") && dry.contains("would be purged") && dry.contains(&format!("{purgeable} bytes")),
        "{dry}"
    );
    assert!(dry.contains("2 kept"), "{dry}");
    for (id, ..) in cases {
        assert!(
            install.mailgate(&["messages", "raw", &id.to_string()]).status.success(),
            "--dry-run dropped message {id}"
        );
    }

    let done = install.ok(&["purge", "--older-than", "30"]);
    assert!(
        done.contains("2 raw copies") && done.contains(&format!("{purgeable} bytes")) && done.contains("VACUUM"),
        "{done}"
    );
    for (id, _, kept) in cases {
        let raw = install.mailgate(&["messages", "raw", &id.to_string()]);
        assert_eq!(raw.status.success(), kept, "message {id}: {}", stderr(&raw));
        if kept {
            assert_eq!(raw.stdout, mails[id - 1], "message {id} keeps its raw copy byte for byte");
        } else {
            assert!(stderr(&raw).contains(&format!("the raw copy of message {id} was purged")), "{}", stderr(&raw));
        }
    }
    assert_eq!(install.json(&["tickets", "list"]), tickets_before);
    let shows_after: Vec<Value> = (1..=5).map(|t| install.json(&["tickets", "show", &t.to_string()])).collect();
    assert_eq!(shows_after, shows_before, "followups and attachments untouched");
    assert_eq!(install.json(&["messages", "list"]), messages_before, "the intake record stays");
    let conn = Connection::open(install.path("mailgate.db")).unwrap();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM blobs WHERE bytes IS NULL AND size > 0"), 2, "sha256 and size stay");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM attachments a JOIN blobs b USING (sha256) WHERE b.bytes IS NULL"), 0);

    let again = install.ok(&["purge", "--older-than", "30"]);
    assert!(again.starts_with("0 raw copies"), "{again}");
}

#[test]
fn purge_wants_at_least_one_whole_day() {
    let install = Install::new();
    for days in ["0", "-3", "soon", "1.5"] {
        let out = install.mailgate(&["purge", &format!("--older-than={days}")]);
        assert_eq!(out.status.code(), Some(2), "--older-than {days}");
        assert!(stderr(&out).contains("DAYS must be"), "--older-than {days}: {}", stderr(&out));
    }
}

#[test]
fn commands_opening_a_fresh_database_at_once_migrate_it_once() {
    let install = Install::new();
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_mailgate"))
                .arg("--config")
                .arg(install.config_path())
                .args(["db", "migrate"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start mailgate")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(install.ok(&["db", "check"]).trim(), "ok");
}
