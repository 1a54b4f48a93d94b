use std::path::Path;

use super::*;
use crate::mail::Mailbox;
use crate::ticket::TicketType;

const EXAMPLE: &str = include_str!("../../config.example.toml");

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/mailgate/mailgate.toml"), Path::new("/etc/mailgate"))
}

fn error_line(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("configuration was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_shipped_example_is_valid_and_resolves_paths_next_to_the_file() {
    let config = load(EXAMPLE).expect("config.example.toml must load");
    assert_eq!(config.database_path, Path::new("/etc/mailgate/mailgate.db"));
    assert_eq!(config.notifications.own_address(), "support-informatique@ac-exemple.fr");
}

#[test]
fn defaults_apply_when_optional_sections_are_absent() {
    let minimal = r#"
        [database]
        path = "m.db"
        [institution]
        name = "Mairie"
        allowed_domains = ["Ville-Exemple.FR"]
        ticket_url = "https://h/{id}"
        [notifications]
        from = "support@ville-exemple.fr"
        transport = "file"
        dir = "out"
    "#;
    let c = load(minimal).expect("minimal configuration loads");
    assert_eq!(c.institution.subject_tag, "GLPI");
    assert_eq!(c.institution.allowed_domains, ["ville-exemple.fr"]);
    assert!(c.tickets.reopen_on_reply);
    assert_eq!(c.tickets.followup_policy, FollowupPolicy::Actors);
    assert!(c.ignore_lists);
}

#[test]
fn bad_configurations_are_reported_on_one_line_naming_the_key() {
    let cases: [(&str, &str, &str); 9] = [
        ("misspelt key, with a suggestion", "allowed_domains =", "alowed_domains ="),
        ("unknown section key", "ignore_lists = true", "ignore_lists = true\ncolour = 1"),
        ("bad language", "language = \"fr\"", "language = \"de\""),
        ("bad policy", "followup_policy = \"actors\"", "followup_policy = \"everyone\""),
        ("url without {id}", "ticket.form.php?id={id}", "ticket.form.php"),
        ("unknown transport", "transport = \"file\"", "transport = \"pigeon\""),
        ("wrong type", "reopen_on_reply = true", "reopen_on_reply = \"yes\""),
        ("unknown source kind", "kind = \"maildir\"", "kind = \"pop3\""),
        ("no file allowed in a web form", "max_web_files = 20", "max_web_files = 0"),
    ];
    let expected_key = [
        "institution",
        "intake",
        "institution.language",
        "tickets.followup_policy",
        "institution.ticket_url",
        "notifications.transport",
        "tickets.reopen_on_reply",
        "sources[0].kind",
        "limits.max_web_files",
    ];
    for ((name, from, to), key) in cases.iter().zip(expected_key) {
        let text = EXAMPLE.replacen(from, to, 1);
        assert!(text != EXAMPLE, "{name}: the case does not change the example");
        let line = error_line(&text);
        assert!(!line.contains('\n'), "{name}: error spans several lines: {line}");
        assert!(line.starts_with("/etc/mailgate/mailgate.toml: "), "{name}: file not named: {line}");
        assert!(line.contains(key), "{name}: key {key} not named: {line}");
    }
}

#[test]
fn a_misspelt_key_gets_a_did_you_mean() {
    let line = error_line(&EXAMPLE.replacen("allowed_domains =", "alowed_domains =", 1));
    assert!(line.contains("did you mean `allowed_domains`"), "{line}");
    assert!(line.contains("line "), "{line}");
}

#[test]
fn an_empty_domain_list_is_refused_because_it_would_refuse_everyone() {
    let line = error_line(&EXAMPLE.replacen("allowed_domains = [\"ac-exemple.fr\"]", "allowed_domains = []", 1));
    assert!(line.contains("institution.allowed_domains"), "{line}");
}

const IMAP_SMTP: &str = include_str!("../../config.imap-smtp.example.toml");

/// The production example, loaded from a folder holding its password files.
fn load_imap_smtp(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().expect("temporary folder");
    for file in ["imap.password", "smtp.password"] {
        std::fs::write(dir.path().join(file), "s3cret\n").expect("password file");
    }
    Config::from_toml(text, &dir.path().join("mailgate.toml"), dir.path())
}

#[test]
fn the_imap_smtp_example_is_valid_and_reads_its_passwords_from_files() {
    let c = load_imap_smtp(IMAP_SMTP).expect("config.imap-smtp.example.toml must load");
    let TransportConfig::Smtp(smtp) = &c.notifications.transport else { panic!("smtp transport expected") };
    assert_eq!((smtp.host.as_str(), smtp.port, smtp.tls), ("smtp.ac-exemple.fr", 587, TlsMode::Starttls));
    let credentials = smtp.credentials.as_ref().expect("credentials");
    assert_eq!(credentials.password.expose(), "s3cret");
    assert!(!c.to_display_toml().contains("s3cret"), "check-config never shows a password");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn bad_smtp_settings_are_reported_naming_the_key() {
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "plain text to a remote relay",
            "tls = \"starttls\"",
            "tls = \"none\"",
            "notifications.tls: \"none\" is allowed only to a loopback address",
        ),
        ("a file key under smtp", "pool_size = 4", "pool_size = 4\ndir = \"out\"", "notifications.dir"),
        ("no host", "host = \"smtp.ac-exemple.fr\"", "", "notifications.host"),
        (
            "a password without a login",
            "username = \"support-informatique\"\npassword_file = \"smtp",
            "password_file = \"smtp",
            "notifications.username",
        ),
        ("an empty pool", "pool_size = 4", "pool_size = 0", "notifications.pool_size"),
        (
            "a cap under the first delay",
            "max_delay_seconds = 3600",
            "max_delay_seconds = 10",
            "notifications.retry.max_delay_seconds",
        ),
    ];
    for (name, from, to, expected) in cases {
        let text = IMAP_SMTP.replacen(from, to, 1);
        assert!(text != IMAP_SMTP, "{name}: the case does not change the example");
        match load_imap_smtp(&text) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => {
                let line = e.to_string();
                assert!(line.contains(expected) && !line.contains('\n'), "{name}: {line}");
            }
        }
    }
}

#[test]
fn the_shipped_example_describes_a_school_district() {
    let c = load(EXAMPLE).expect("config.example.toml must load");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.tickets.auto_close_days, 7);
    assert_eq!((c.tickets.default_urgency, c.tickets.default_impact), (3, 3));
    assert_eq!(c.tickets.default_type, TicketType::Incident);
    assert_eq!(c.tickets.priority_matrix, PriorityMatrix::GLPI_DEFAULT);
    assert_eq!(c.tickets.categories.resolve("lsu").as_deref(), Ok("Scolarité > LSU"));
    let lsu = c.group("Referents-LSU").expect("the LSU referents, whatever the case");
    assert_eq!((lsu.name.as_str(), lsu.display_name(), lsu.members.len()), ("referents-lsu", "Référents LSU", 2));
    assert_eq!(c.group("dsi-reseau").map(|g| g.recipients()), Some(vec!["dsi-reseau@ac-exemple.fr"]));
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["lsu-alias", "lsu-sujet", "lsu-texte", "wifi", "reseau", "urgent"]);
}

#[test]
fn group_members_are_technicians_and_technicians_keep_their_names() {
    let c = load(EXAMPLE).expect("example");
    let cases = [
        ("a technician in a group", "alice.martin@ac-exemple.fr", true, Some("Alice Martin")),
        ("any case", "Alice.Martin@AC-Exemple.fr", true, Some("Alice Martin")),
        ("a group member only", "claire.petit@ac-exemple.fr", true, None),
        ("a group's list address is not a person", "dsi-reseau@ac-exemple.fr", false, None),
        ("a requester", "marie.dupont@ac-exemple.fr", false, None),
    ];
    for (name, address, technician, display) in cases {
        assert_eq!(c.is_technician(address), technician, "{name}");
        assert_eq!(c.technician_name(address), display, "{name}");
    }
}

#[test]
fn a_sender_belongs_to_the_entity_of_its_address_else_of_its_longest_domain() {
    let text = EXAMPLE.replacen(
        "\n[[entities]]\n",
        "\n[[entities]]\nname = \"Rectorat\"\ndomains = [\"ac-exemple.fr\"]\n\n[[entities]]\n",
        1,
    );
    let c = load(&text).expect("example with a Rectorat entity");
    let cases = [
        ("a school's subdomain", "jean@clg-moulin.ac-exemple.fr", "Collège Jean Moulin"),
        ("a deeper subdomain", "x@admin.lyc-curie.ac-exemple.fr", "Lycée Marie Curie"),
        ("the parent domain", "paul@ac-exemple.fr", "Rectorat"),
        ("an exact address beats the longest domain", "ce.0771234a@ac-exemple.fr", "Collège Jean Moulin"),
        ("a lookalike is not a school", "x@notclg-moulin.ac-exemple.fr", "Rectorat"),
    ];
    for (name, address, entity) in cases {
        assert_eq!(c.entity_for(&Mailbox::new(address, None)), entity, "{name}");
    }
    let plain = load(EXAMPLE).expect("example");
    assert_eq!(plain.entity_for(&Mailbox::new("x@gmail.com", None)), "Académie d'Exemple", "else the institution");
}

#[test]
fn bad_life_cycle_settings_are_reported_on_one_line_naming_the_key() {
    let rule =
        |when: &str, then: &str| format!("[[rules]]\nname = \"x\"\n[rules.when]\n{when}\n[rules.then]\n{then}\n");
    let lsu = "[[rules]]\nname = \"lsu-alias\"";
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "a regex that does not compile",
            "subject = '\\blsu\\b|livret scolaire'",
            "subject = '(lsu'".into(),
            "rules[1].when.subject: expected a regular expression: unclosed group",
        ),
        (
            "an unknown group",
            "group = \"dsi-reseau\"",
            "group = \"dsi-telecom\"".into(),
            "rules[3].then.group: expected the name of a [[groups]] entry",
        ),
        (
            "an unknown category",
            "category = \"Réseaux\"\n",
            "category = \"Reseau\"\n".into(),
            "rules[4].then.category: unknown category \"Reseau\"; close choices: \"Réseaux\"",
        ),
        (
            "a technician who is not one",
            "urgency = 4",
            "technician = \"marie.dupont@ac-exemple.fr\"".into(),
            "rules[5].then.technician",
        ),
        (
            "a refusal that sets more",
            "urgency = 4",
            "urgency = 4\nrefuse = \"non\"".into(),
            "rules[5].then.refuse: a refusing rule sets nothing else, remove urgency",
        ),
        ("a level out of range", "urgency = 4", "urgency = 7".into(), "rules[5].then.urgency: expected a level from 1"),
        (
            "a bad type",
            "type = \"request\"",
            "type = \"demande urgente\"".into(),
            "rules[0].then.type: expected \"incident\" or \"request\"",
        ),
        ("a bad observer", "type = \"request\"", "observers = [\"la dane\"]".into(), "rules[0].then.observers"),
        ("a rule with nothing to do", "urgency = 4", String::new(), "rules[5].then: expected at least one of"),
        (
            "a rule without condition before others",
            lsu,
            format!("{}\n{lsu}", rule("", "urgency = 2")),
            "rules[0].when: expected at least one of from, to, cc, subject, body",
        ),
        (
            "rules with the same name",
            "name = \"wifi\"",
            "name = \"LSU-alias\"".into(),
            "rules[3].name: expected distinct names",
        ),
        (
            "groups with the same name but for case",
            "name = \"dsi-reseau\"",
            "name = \"DSI-BAI\"".into(),
            "groups[2].name: expected distinct names",
        ),
        (
            "a member without @",
            "\"karim.benali@ac-exemple.fr\"",
            "\"karim.benali\"".into(),
            "groups[2].members: expected mail addresses",
        ),
        (
            "a domain given to two entities",
            "domains = [\"ecole-ferry.ac-exemple.fr\"]",
            "domains = [\"lyc-curie.ac-exemple.fr\"]".into(),
            "entities[2].domains: \"lyc-curie.ac-exemple.fr\" already belongs to entity \"Lycée Marie Curie\"",
        ),
        ("a category listed twice", "\"Finances\",", "\"Finances\",\n\"finances\",".into(), "tickets.categories[8]"),
        (
            "a default urgency out of range",
            "default_urgency = 3",
            "default_urgency = 0".into(),
            "tickets.default_urgency: expected a level from 1",
        ),
        (
            "a bad default type",
            "default_type = \"incident\"",
            "default_type = \"panne\"".into(),
            "tickets.default_type",
        ),
        (
            "a matrix of the wrong shape",
            "default_impact = 3",
            "default_impact = 3\npriority_matrix = [[1, 2, 3]]".into(),
            "tickets.priority_matrix: expected 5 rows",
        ),
        (
            "a priority out of range",
            "default_impact = 3",
            "default_impact = 3\npriority_matrix = [[1,1,2,2,2],[1,2,2,3,3],[2,2,3,4,4],[2,3,4,4,5],[2,3,4,5,9]]"
                .into(),
            "tickets.priority_matrix[4][4]: expected a priority from 1 to 6 for urgency 5 and impact 5, got 9",
        ),
        ("a misspelt condition", "to = '^lsu", "too = '^lsu".into(), "did you mean `to`?"),
    ];
    for (name, from, to, expected) in cases {
        let text = EXAMPLE.replacen(from, &to, 1);
        assert!(text != EXAMPLE, "{name}: the case does not change the example");
        let line = error_line(&text);
        assert!(!line.contains('\n'), "{name}: error spans several lines: {line}");
        assert!(line.contains(expected), "{name}: expected `{expected}` in: {line}");
    }
}

#[test]
fn a_rule_without_condition_may_close_the_list_as_a_catch_all() {
    let text = format!("{EXAMPLE}\n[[rules]]\nname = \"le reste\"\n[rules.then]\ngroup = \"dsi-bai\"\n");
    let c = load(&text).expect("a last catch-all rule is allowed");
    assert!(c.rules.last().is_some_and(|r| r.when.is_empty()));
}

#[test]
fn an_entity_outside_the_institution_is_warned_about() {
    let c = load(&EXAMPLE.replacen("\"ecole-ferry.ac-exemple.fr\"", "\"ecole-ferry.fr\"", 1)).expect("loads");
    assert!(
        c.warnings.iter().any(|w| w.contains("entities[2].domains") && w.contains("ecole-ferry.fr")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn check_config_shows_groups_entities_categories_and_rules_with_their_regex_as_written() {
    let shown = load(EXAMPLE).expect("example").to_display_toml();
    for fragment in [
        "auto_close_days = 7",
        "[[groups]]\nname = \"referents-lsu\"\nlabel = \"Référents LSU\"",
        "name = \"Collège Jean Moulin\"",
        "\"Scolarité > LSU\"",
        "\"Scolarité\",",
        "    [2, 2, 3, 4, 4],",
        "to = '^lsu-support@ac-exemple\\.fr$'",
        "[rules.then]\ncategory = \"Scolarité > LSU\"\ntype = \"request\"\ngroup = \"referents-lsu\"",
    ] {
        assert!(shown.contains(fragment), "`{fragment}` missing from:\n{shown}");
    }
}

#[test]
fn the_digest_time_is_optional_and_must_read_hh_mm() {
    assert_eq!(load(EXAMPLE).expect("example").notifications.digest_at, None, "no digest unless asked");
    let with = |value: &str| {
        EXAMPLE.replacen("transport = \"file\"", &format!("transport = \"file\"\ndigest_at = \"{value}\""), 1)
    };
    for (text, expected) in [("07:30", (7, 30)), ("7:30", (7, 30)), ("00:00", (0, 0)), ("23:59", (23, 59))] {
        let c = load(&with(text)).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(c.notifications.digest_at, Some(TimeOfDay { hour: expected.0, minute: expected.1 }), "{text}");
    }
    let shown = load(&with("7:30")).expect("valid").to_display_toml();
    assert!(shown.contains("digest_at = \"07:30\""), "{shown}");
    for bad in ["7h30", "24:00", "07:60", "07:3", "0730", "", "07:30:00", "-1:30", "+7:30"] {
        let line = error_line(&with(bad));
        assert!(line.contains("notifications.digest_at") && line.contains("HH:MM"), "{bad}: {line}");
        assert!(!line.contains('\n'), "{bad}: {line}");
    }
}

#[test]
fn the_journey_keys_are_checked_with_a_line_naming_them() {
    let with = |key: &str| EXAMPLE.replacen("auto_close_days = 7", &format!("auto_close_days = 7\n{key}"), 1);
    let cases = [
        ("first_number = 0", "tickets.first_number: expected the number of the first ticket"),
        ("dispatcher_group = \"dsi-baii\"", "tickets.dispatcher_group: expected the name of a [[groups]] entry"),
    ];
    for (key, expected) in cases {
        let line = error_line(&with(key));
        assert!(line.contains(expected), "{key}: {line}");
    }
    let config = load(&with("first_number = 1500\ndispatcher_group = \"DSI-BAI\"")).expect("valid");
    assert_eq!((config.first_number(), config.tickets.dispatcher_group.as_deref()), (1500, Some("dsi-bai")));
    assert_eq!(config.intake.max_mails_per_sender_per_hour, 30);
    assert!(config.advice().is_empty());
    assert_eq!(load(EXAMPLE).expect("example").advice().len(), 1, "check-config advises first_number");
}

#[test]
fn notifications_carry_files_up_to_a_limit_and_quote_a_bounded_story() {
    let example = load(EXAMPLE).expect("example");
    assert_eq!(example.notifications.max_attachment_bytes, 10 << 20);
    assert_eq!(example.notifications.history_followups, 3);
    // The notifications' keys, as config.example.toml writes them ([limits]
    // has a max_attachment_bytes of its own, above).
    let with = |key: &str, value: &str| {
        let written =
            if key == "history_followups" { "history_followups = 3" } else { "max_attachment_bytes = 10485760" };
        EXAMPLE.replacen(written, &format!("{key} = {value}"), 1)
    };
    let c = load(&with("max_attachment_bytes", "0")).expect("0 means list only");
    assert_eq!(c.notifications.max_attachment_bytes, 0);
    assert_eq!(load(&with("history_followups", "10")).expect("ten").notifications.history_followups, 10);
    let line = error_line(&with("history_followups", "11"));
    assert!(line.contains("notifications.history_followups") && line.contains("0 to 10"), "{line}");
    let line = error_line(&with("max_attachment_bytes", "-1"));
    assert!(line.contains("notifications.max_attachment_bytes"), "{line}");
}
