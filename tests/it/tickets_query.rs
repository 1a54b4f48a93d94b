//! `tickets list` filters and `tickets show` as an operator runs them (and
//! what every listing does with a hostile mail's text): two
//! tickets made by real mail (a request each, a technician's answer on the
//! second), their life-cycle fields then set in the database file as
//! routing rules and technicians' commands would.

use crate::support;

use rusqlite::{Connection, params};
use support::{Install, mail};

const TECHNICIAN: &str = "alice.martin@ac-exemple.fr";

/// Ticket 1, new, a printer; ticket 2, answered by a technician, in the
/// category "Scolarité > Bulletins", assigned to the group "test-n2" with
/// "test-n1" informed, and a solution the requester rejected.
fn helpdesk() -> Install {
    let install = Install::new();
    deliver(&install, 1, "marie.dupont@ac-exemple.fr", "Imprimante du secrétariat en panne", "Elle clignote.");
    deliver(&install, 2, "paul.durand@ac-exemple.fr", "Export des bulletins impossible", "Page blanche.");
    install.ok(&["run", "--once"]);
    let answer = "RE: [GLPI #0000002] Export des bulletins impossible";
    deliver(&install, 3, TECHNICIAN, answer, "Je regarde.\nRedémarrez le poste.");
    install.ok(&["run", "--once"]);

    let db = Connection::open(install.path("mailgate.db")).expect("open the database");
    db.execute_batch(
        "UPDATE tickets SET category = 'Matériel > Imprimantes' WHERE id = 1;
         UPDATE tickets SET category = 'Scolarité > Bulletins', urgency = 4, impact = 3, priority = 4,
                            location = 'Bâtiment B' WHERE id = 2;
         INSERT INTO ticket_groups (ticket_id, role, group_name) VALUES (2, 'assigned', 'test-n2'),
                                                                        (2, 'observer', 'test-n1');",
    )
    .expect("set the life-cycle fields");
    let at: String = db.query_row("SELECT updated_at FROM tickets WHERE id = 2", [], |r| r.get(0)).expect("time");
    db.execute(
        "INSERT INTO solutions (ticket_id, author, body, state, created_at, decided_at, decided_by)
         VALUES (2, ?1, 'Cache du navigateur vidé.', 'rejected', ?2, ?2, 'paul.durand@ac-exemple.fr')",
        params![TECHNICIAN, at],
    )
    .expect("a solution");
    install
}

fn deliver(install: &Install, n: u32, from: &str, subject: &str, body: &str) {
    let headers = format!(
        "From: {from}\nTo: support-informatique@ac-exemple.fr\nSubject: {subject}\nMessage-ID: <q-{n}@ac-exemple.fr>"
    );
    install.deliver(&format!("{n}.mail"), &mail(&headers, body));
}

fn ids(install: &Install, args: &[&str]) -> Vec<i64> {
    let tickets = install.json(&[&["tickets", "list"], args].concat());
    tickets.as_array().expect("an array").iter().filter_map(|t| t["id"].as_i64()).collect()
}

#[test]
fn list_filters_combine_and_the_table_shows_the_life_cycle_columns() {
    let install = helpdesk();
    assert_eq!(ids(&install, &[]), [2, 1], "the most recently updated first");
    assert_eq!(
        ids(&install, &["--status", "new,assigned", "--category", "scolarité", "--group", "TEST-N2"]),
        [2],
        "statuses by comma, a category's parent in another case, the group in another case"
    );
    assert_eq!(ids(&install, &["--status", "new", "--status", "solved"]), [1], "--status repeated");
    assert_eq!(ids(&install, &["--group", "test-n1"]), Vec::<i64>::new(), "observer groups do not count");
    assert_eq!(ids(&install, &["--open", "--text", "redémarrez"]), [2], "words of a followup");
    assert_eq!(ids(&install, &["--requester", "MARIE.DUPONT@ac-exemple.fr"]), [1]);
    assert_eq!(ids(&install, &["--limit", "1"]), [2]);

    let json = install.json(&["tickets", "list", "--technician", TECHNICIAN]);
    let t = &json[0];
    assert_eq!((t["id"].as_i64(), t["followups"].as_i64()), (Some(2), Some(1)));
    assert_eq!(t["category"], "Scolarité > Bulletins");
    assert_eq!(t["priority"], 4);
    assert!(t["assigned_groups"].as_array().is_some_and(|g| g.contains(&"test-n2".into())), "{t}");
    assert!(t["technicians"].as_array().is_some_and(|g| g.contains(&TECHNICIAN.into())), "{t}");

    let table = install.ok(&["tickets", "list", "--open", "--technician", TECHNICIAN]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "STATUS", "PRIORITY", "CATEGORY", "GROUPS", "TECHNICIANS", "REQUESTER", "TITLE", "UPDATED"]
    );
    let row = lines.next().unwrap_or_default();
    for cell in ["#0000002", "4 Haute", "Scolarité > Bulletins", "test-n2", TECHNICIAN, "paul.durand@ac-exemple.fr"] {
        assert!(row.contains(cell), "{cell} missing from {row}");
    }
    assert_eq!(lines.next(), None, "one ticket: {table}");
}

#[test]
fn a_status_that_does_not_exist_is_refused_with_the_words_that_do() {
    let install = Install::new();
    let out = install.mailgate(&["tickets", "list", "--status", "open"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expected one of new, assigned, planned, pending, solved, closed, cancelled"), "{stderr}");
}

#[test]
fn show_prints_the_fields_then_one_chronological_audit_log() {
    let install = helpdesk();
    let out = install.ok(&["tickets", "show", "2"]);
    for line in [
        "[GLPI #0000002] ",
        "category:        Scolarité > Bulletins",
        "urgency:         4 Haute    impact: 3 Moyenne    priority: 4 Haute",
        "location:        Bâtiment B",
        "requester:       paul.durand@ac-exemple.fr",
        "observer groups: test-n1",
        "      Cache du navigateur vidé.",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    assert!(out.lines().any(|l| l.starts_with("assigned groups:") && l.contains("test-n2")), "{out}");
    let position = |what: &str| out.find(what).unwrap_or_else(|| panic!("{what:?} missing from:\n{out}"));
    let created = position("created: Export des bulletins impossible");
    let followup = position("followup (technician)");
    let body = position("\n      Je regarde.\n      Redémarrez le poste.\n");
    let solution = position("solution proposed (rejected by paul.durand@ac-exemple.fr at ");
    assert!(created < followup && followup < body && body < solution, "out of order:\n{out}");

    let json = install.json(&["tickets", "show", "2"]);
    for key in ["history", "followups", "solutions", "groups", "attachments", "observers", "technicians"] {
        assert!(json[key].is_array(), "{key} is not an array in {json}");
    }
    assert_eq!(json["solutions"][0]["state"], "rejected");
    assert!(
        json["groups"]
            .as_array()
            .is_some_and(|g| g.contains(&serde_json::json!({"name": "test-n1", "role": "observer"})))
    );
    assert_eq!(json["location"], "Bâtiment B");
}

/// A mail whose sender's name, subject, body and attachment name carry
/// what a terminal obeys: an OSC title sequence, a screen clear, colours, a
/// clipboard write (OSC 52), a lone carriage return, right-to-left overrides.
fn hostile_mail() -> Vec<u8> {
    mail(
        "From: =?UTF-8?Q?Marie_=1B[2J_Dupont?= <marie.dupont@ac-exemple.fr>\n\
         To: support-informatique@ac-exemple.fr\n\
         Subject: =?UTF-8?Q?Imprimante_=1B]0;pwned=07_HS_=E2=80=AEtxt.exe?=\n\
         Message-ID: <hostile-1@ac-exemple.fr>\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"",
        "--b\n\
         Content-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: quoted-printable\n\
         \n\
         Elle est =1B[31mrouge=1B[0m.=1B]52;c;ZXZpbA=3D=3D=07\n\
         safe=0DEVIL =E2=80=AEfdp.exe\n\
         --b\n\
         Content-Type: application/octet-stream\n\
         Content-Disposition: attachment; filename*=UTF-8''facture%E2%80%AEfdp.exe\n\
         \n\
         MZ\n\
         --b--",
    )
}

/// What a terminal would obey: ESC, BEL, CSI (C1), a lone CR, U+202E.
fn obeyed_by_a_terminal(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    let mut found: Vec<String> = text
        .chars()
        .filter(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{9b}' | '\u{202e}'))
        .map(|c| format!("{c:?}"))
        .collect();
    if text.replace("\r\n", "\n").contains('\r') {
        found.push("a lone CR".into());
    }
    found
}

#[test]
fn text_from_a_mail_is_printed_with_its_terminal_controls_escaped_and_json_keeps_it_exact() {
    let install = Install::new();
    install.deliver("hostile.mail", &hostile_mail());
    install.ok(&["run", "--once"]);
    std::fs::write(install.path("hostile.eml"), hostile_mail()).unwrap();

    let show = install.mailgate(&["tickets", "show", "1"]);
    assert!(show.status.success(), "{}", String::from_utf8_lossy(&show.stderr));
    let text = String::from_utf8_lossy(&show.stdout);
    // (The title loses its C0 controls on the way in; its override stays.)
    for shown in ["HS \\u{202e}txt.exe", "\\u{1b}[31mrouge\\u{1b}[0m", "\\u{1b}]52;c;", "\\u{7}", "safe\\u{d}EVIL"] {
        assert!(text.contains(shown), "{shown:?} missing from:\n{text}");
    }
    assert!(text.contains("facturefdp.exe"), "the attachment's name without its override:\n{text}");

    for args in [
        &["tickets", "show", "1"][..],
        &["tickets", "list"],
        &["messages", "list"],
        &["outbox", "list"],
        &["rules", "test", "hostile.eml"],
    ] {
        let out = install.mailgate(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            obeyed_by_a_terminal(&out.stdout),
            Vec::<String>::new(),
            "{args:?} printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    let json = install.json(&["tickets", "show", "1"]);
    let (title, description) = (json["title"].as_str().unwrap_or_default(), &json["description"]);
    assert!(title.ends_with("HS \u{202e}txt.exe"), "JSON is exact: {title:?}");
    assert!(
        description.as_str().is_some_and(|d| d.contains("\u{1b}[31mrouge") && d.contains("safe\rEVIL")),
        "{description}"
    );
    assert_eq!(json["attachments"][0]["filename"], "facturefdp.exe");
}
