use std::path::Path;

use super::*;

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
    let cases: [(&str, &str, &str); 8] = [
        ("misspelt key, with a suggestion", "allowed_domains =", "alowed_domains ="),
        ("unknown section key", "ignore_lists = true", "ignore_lists = true\ncolour = 1"),
        ("bad language", "language = \"fr\"", "language = \"de\""),
        ("bad policy", "followup_policy = \"actors\"", "followup_policy = \"everyone\""),
        ("url without {id}", "ticket.form.php?id={id}", "ticket.form.php"),
        ("unknown transport", "transport = \"file\"", "transport = \"pigeon\""),
        ("wrong type", "reopen_on_reply = true", "reopen_on_reply = \"yes\""),
        ("unknown source kind", "kind = \"maildir\"", "kind = \"pop3\""),
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
