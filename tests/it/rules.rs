//! `mailgate rules test` as an operator uses it: the shipped example
//! configuration (a school district: LSU referents, the DSI's BAI and
//! network team, one entity per school) and the mails of
//! `tests/fixtures/rules/`, each named for what it shows.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::Install;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules").join(name)
}

/// `rules test FIXTURE --json`.
fn routed(install: &Install, name: &str) -> Value {
    let file = fixture(name);
    install.json(&["rules", "test", file.to_str().expect("utf-8 path")])
}

/// The example with its commented-out refusing rule switched on.
fn with_refusing_rule() -> Install {
    Install::with_config(|c| {
        let start = c.find("# [[rules]]").expect("the example shows a refusing rule, commented out");
        let end = c[start..].find("\n\n").map_or(c.len(), |i| start + i);
        let uncommented: String =
            c[start..end].lines().map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l))).collect();
        format!("{}{uncommented}{}", &c[..start], &c[end..])
    })
}

#[test]
fn each_fixture_is_routed_as_its_name_says() {
    let install = Install::new();
    let lsu = |entity: &str, rule: &str| {
        json!({ "rule": rule, "refuse": null, "type": "request", "category": "Scolarité > LSU",
                "urgency": 3, "impact": 3, "priority": 3, "entity": entity, "location": null,
                "group": "referents-lsu", "technician": null, "observers": [] })
    };
    let cases = [
        ("lsu_alias_from_school.eml", lsu("Collège Jean Moulin", "lsu-alias")),
        ("lsu_alias_as_envelope_recipient_only.eml", lsu("Lycée Marie Curie", "lsu-alias")),
        ("livret_scolaire_in_html_body.eml", lsu("Lycée Marie Curie", "lsu-texte")),
        (
            "wifi_outage_from_primary_school.eml",
            json!({ "rule": "wifi", "refuse": null, "type": "incident", "category": "Réseaux > Wi-Fi",
                    "urgency": 3, "impact": 3, "priority": 3, "entity": "École Jules Ferry", "location": null,
                    "group": "dsi-reseau", "technician": null, "observers": [] }),
        ),
        (
            "urgent_from_school_functional_mailbox.eml",
            json!({ "rule": "urgent", "refuse": null, "type": "incident", "category": null,
                    "urgency": 4, "impact": 3, "priority": 4, "entity": "Collège Jean Moulin", "location": null,
                    "group": null, "technician": null, "observers": [] }),
        ),
        (
            "no_rule_matches_printer.eml",
            json!({ "rule": null, "refuse": null, "type": "incident", "category": null,
                    "urgency": 3, "impact": 3, "priority": 3, "entity": "Académie d'Exemple", "location": null,
                    "group": null, "technician": null, "observers": [] }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, expected) in cases {
        let report = routed(&install, name);
        if report["routing"] != expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {}", report["routing"]));
        }
        if report["sender"] != json!({ "served": true, "refusal": null }) || !report["robot"].is_null() {
            failures.push(format!("{name}: a served person's mail: {report}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_plain_output_names_the_rule_and_every_field_in_the_configured_language() {
    let install = Install::new();
    let file = fixture("lsu_alias_from_school.eml");
    let out = install.ok(&["rules", "test", file.to_str().expect("utf-8 path")]);
    for line in [
        "from:       Jean Bernard <jean.bernard@clg-moulin.ac-exemple.fr>",
        "subject:    Bilans périodiques introuvables",
        "sender:     served",
        "rule:       lsu-alias",
        "type:       request (Demande)",
        "category:   Scolarité > LSU",
        "priority:   3 (Moyenne)",
        "entity:     Collège Jean Moulin",
        "group:      referents-lsu (Référents LSU)",
        "technician: -",
    ] {
        assert!(out.lines().any(|l| l == line), "`{line}` missing from:\n{out}");
    }
}

#[test]
fn a_mail_no_rule_matches_says_so_and_shows_the_defaults() {
    let install = Install::new();
    let file = fixture("no_rule_matches_printer.eml");
    let out = install.ok(&["rules", "test", file.to_str().expect("utf-8 path")]);
    assert!(out.contains("rule:       no rule matched: defaults"), "{out}");
    assert!(out.contains("urgency:    3 (Moyenne)"), "{out}");
}

#[test]
fn a_refused_sender_is_shown_refused_with_the_routing_a_served_one_would_get() {
    let install = Install::new();
    let report = routed(&install, "refused_foreign_sender_still_routed.eml");
    assert_eq!(report["sender"]["served"], false, "{report}");
    assert!(
        report["sender"]["refusal"]
            .as_str()
            .is_some_and(|r| r.contains("gmail.com is not in institution.allowed_domains")),
        "{report}"
    );
    assert_eq!(report["routing"]["rule"], "lsu-alias");
    let file = fixture("refused_foreign_sender_still_routed.eml");
    let out = install.ok(&["rules", "test", file.to_str().expect("utf-8 path")]);
    assert!(out.contains("sender:     refused: sender domain gmail.com"), "{out}");
}

#[test]
fn a_robots_mail_is_shown_as_ignored() {
    let install = Install::new();
    let report = routed(&install, "out_of_office_to_lsu_alias.eml");
    assert!(report["robot"].as_str().is_some_and(|r| r.contains("Auto-Submitted: auto-replied")), "{report}");
}

#[test]
fn a_refusing_rule_shows_its_reason_and_sets_nothing() {
    let install = with_refusing_rule();
    let report = routed(&install, "refused_by_rule_ent_robot.eml");
    assert_eq!(report["routing"]["rule"], "robot-ent", "{report}");
    assert!(report["routing"]["refuse"].as_str().is_some_and(|r| r.contains("automatic address")), "{report}");
    assert_eq!(report["routing"]["group"], Value::Null);
    let file = fixture("refused_by_rule_ent_robot.eml");
    let out = install.ok(&["rules", "test", file.to_str().expect("utf-8 path")]);
    assert!(out.contains("refused:    sent by the ENT's automatic address"), "{out}");
    assert!(!out.contains("category:"), "a refused mail gets no ticket fields:\n{out}");
}

#[test]
fn a_missing_or_unreadable_file_is_one_clear_error() {
    let install = Install::new();
    std::fs::write(install.path("garbage.eml"), b"").expect("write");
    let cases = [
        ("missing", install.path("absent.eml"), "cannot read"),
        ("not a mail", install.path("garbage.eml"), "cannot be read as a mail"),
    ];
    for (name, path, fragment) in cases {
        let out = install.mailgate(&["rules", "test", path.to_str().expect("utf-8 path")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(fragment) && stderr.trim().lines().count() == 1, "{name}: {stderr}");
    }
}

#[test]
fn a_bad_rule_stops_the_command_like_any_configuration_error() {
    let install = Install::with_config(|c| c.replacen("group = \"dsi-reseau\"", "group = \"dsi-telecom\"", 1));
    let file = fixture("wifi_outage_from_primary_school.eml");
    let out = install.mailgate(&["rules", "test", file.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("rules[3].then.group: expected the name of a [[groups]] entry"), "{stderr}");
}
