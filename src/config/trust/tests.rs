//! `[trust]` as an operator writes it: what each shape of the section
//! means, and the one line that names a wrong key.

use std::path::Path;

use crate::config::{Config, EvidenceKind, TrustMode};

const EXAMPLE: &str = include_str!("../../../config.example.toml");

fn load(trust: &str) -> Result<Config, String> {
    let text = format!("{EXAMPLE}\n[trust]\n{trust}\n");
    Config::from_toml(&text, Path::new("mailgate.toml"), Path::new("/tmp")).map_err(|e| e.to_string())
}

#[test]
fn the_evidence_defaults_to_the_receiving_servers_header_and_may_add_or_be_dkim() {
    let cases: &[(&str, &str, &[EvidenceKind], bool)] = &[
        (
            "no evidence key: the header only",
            "authserv_id = \"mx.ac-exemple.fr\"",
            &[EvidenceKind::AuthenticationResults],
            false,
        ),
        (
            "both",
            "authserv_id = \"mx.ac-exemple.fr\"\nevidence = [\"authentication-results\", \"dkim\"]",
            &[EvidenceKind::AuthenticationResults, EvidenceKind::Dkim],
            true,
        ),
        ("DKIM alone needs no authserv-id", "evidence = [\"dkim\"]", &[EvidenceKind::Dkim], true),
    ];
    for (name, section, evidence, dkim) in cases {
        let trust = load(section).unwrap_or_else(|e| panic!("{name}: {e}")).trust;
        assert_eq!((trust.mode, trust.evidence.as_slice()), (TrustMode::Report, *evidence), "{name}");
        assert_eq!(trust.verifies_dkim(), *dkim, "{name}");
        assert_eq!((trust.dkim_max_signatures, trust.dkim_timeout_seconds), (3, 5), "{name}: the defaults");
        assert!(trust.dkim_keys.is_none(), "{name}: a configuration file always means DNS");
    }
}

#[test]
fn bad_trust_settings_are_reported_naming_the_key() {
    let cases = [
        ("evidence = []", "trust.evidence: expected at least one of"),
        ("evidence = [\"spf\"]", "unknown variant `spf`"),
        ("evidence = [\"authentication-results\"]", "trust.authserv_id: expected the authserv-id"),
        ("evidence = [\"dkim\"]\ndkim_max_signatures = 0", "trust.dkim_max_signatures: expected a number from 1 to 10"),
        (
            "evidence = [\"dkim\"]\ndkim_max_signatures = 11",
            "trust.dkim_max_signatures: expected a number from 1 to 10",
        ),
        ("evidence = [\"dkim\"]\ndkim_timeout_seconds = 0", "trust.dkim_timeout_seconds: expected a number of seconds"),
        (
            "evidence = [\"dkim\"]\ndkim_timeout_seconds = 10",
            "below limits.max_read_seconds (10), got 10: the key lookups are part of reading a mail",
        ),
    ];
    for (section, expected) in cases {
        let line = load(section).err().unwrap_or_else(|| panic!("{section}: accepted"));
        assert!(line.contains(expected), "{section}: {line}");
    }
}
