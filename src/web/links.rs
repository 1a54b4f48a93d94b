//! The personal links that notifications carry and the pages check: the
//! signing key read from `web.secret_file` (made at first start, 0600, 32
//! random bytes), and the URL of a ticket's page or of « Mes demandes » for
//! one address, valid `web.link_days` from the moment the mail is composed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::token::{Key, Purpose};
use crate::config::WebConfig;
use crate::ticket::TicketId;

/// The key file could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "cannot read or create the link signing key {path}: {source}; check that mailgate may write its folder, \
         or create it with `head -c 32 /dev/urandom > {path} && chmod 600 {path}`"
    )]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "the link signing key {path} holds {len} bytes, expected at least 16; replace it (this revokes every link)"
    )]
    Short { path: PathBuf, len: usize },
}

/// Reads the key at `path`, creating it (mode 0600, 32 random bytes) when
/// it is missing or empty.
pub fn load_or_create_key(path: &Path) -> Result<Key, KeyError> {
    let io = |source| KeyError::Io { path: path.to_path_buf(), source };
    crate::store::files::create_private(path).map_err(io)?;
    let mut bytes = std::fs::read(path).map_err(io)?;
    if bytes.is_empty() {
        let mut fresh = [0u8; 32];
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut fresh)).map_err(io)?;
        let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(io)?;
        file.write_all(&fresh).and_then(|()| file.sync_all()).map_err(io)?;
        bytes = fresh.to_vec();
    }
    if bytes.len() < 16 {
        return Err(KeyError::Short { path: path.to_path_buf(), len: bytes.len() });
    }
    Ok(Key::new(bytes))
}

/// Makes the personal links of one configuration.
#[derive(Debug, Clone)]
pub struct Links {
    base_url: String,
    key: Key,
    link_days: u32,
}

impl Links {
    pub fn new(web: &WebConfig, key: Key) -> Links {
        Links { base_url: web.base_url.clone(), key, link_days: web.link_days }
    }

    /// How long a link works, in words of `language` (for the mail that carries it).
    pub fn valid_for(&self, language: crate::ticket::Language) -> String {
        match language {
            crate::ticket::Language::Fr => format!("{} jours", self.link_days),
            crate::ticket::Language::En => format!("{} days", self.link_days),
        }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The expiry of a link made at `at` (RFC 3339; unparsable: now).
    fn expires(&self, at: &str) -> i64 {
        let made = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        made.unix_timestamp() + i64::from(self.link_days) * 86_400
    }

    /// The page of `ticket` for `address`, made at `at`.
    pub fn ticket(&self, ticket: TicketId, address: &str, at: &str) -> String {
        self.ticket_until(ticket, address, self.expires(at))
    }

    pub fn ticket_until(&self, ticket: TicketId, address: &str, expires: i64) -> String {
        let token = self.key.sign(Purpose::Ticket, ticket, address, expires);
        format!("{}/ticket/{ticket}?k={token}", self.base_url)
    }

    /// « Mes demandes » of `address`, made at `at`.
    pub fn mine(&self, address: &str, at: &str) -> String {
        self.mine_until(address, self.expires(at))
    }

    pub fn mine_until(&self, address: &str, expires: i64) -> String {
        let token = self.key.sign(Purpose::Mine, 0, address, expires);
        format!("{}/mine?k={token}", self.base_url)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_key_is_made_private_once_and_then_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/web.key");
        let first = load_or_create_key(&path).expect("made");
        let mode = std::fs::metadata(&path).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).expect("read").len(), 32);
        let again = load_or_create_key(&path).expect("read back");
        let token = first.sign(Purpose::Ticket, 1, "a@b.fr", i64::MAX);
        assert!(again.verify(&token, Purpose::Ticket, 1, 0).is_ok(), "the same key signs the same links");
    }

    #[test]
    fn a_link_names_the_page_and_verifies_for_its_address_until_link_days() {
        let web = WebConfig {
            listen: "127.0.0.1:1".parse().expect("addr"),
            base_url: "https://h.example/suivi".into(),
            secret_file: PathBuf::new(),
            link_days: 2,
            logo_file: None,
        };
        let links = Links::new(&web, Key::new(vec![7; 32]));
        let url = links.ticket(12, "Bob@X.fr", "2026-01-01T00:00:00Z");
        let token = url.strip_prefix("https://h.example/suivi/ticket/12?k=").expect("the ticket's page");
        let made = 1_767_225_600; // 2026-01-01T00:00:00Z
        let claims = links.key().verify(token, Purpose::Ticket, 12, made).expect("valid");
        assert_eq!(claims.address, "bob@x.fr");
        assert_eq!(claims.expires, made + 2 * 86_400);
    }
}

#[cfg(test)]
mod notifier_tests {

    use super::Purpose;
    use crate::config::Config;
    use crate::notify::Notifier;

    const EXAMPLE: &str = include_str!("../../config.example.toml");

    #[test]
    fn the_notifications_link_is_personal_with_web_glpis_without_and_absent_with_neither() {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = format!("{EXAMPLE}\n[web]\nbase_url = \"https://h.fr/suivi\"\nsecret_file = \"k.key\"\n");
        let neither = EXAMPLE.replace("ticket_url = ", "# ticket_url = ");
        let at = "2026-01-01T00:00:00Z";
        let load = |text: &str| Config::from_toml(text, &dir.path().join("m.toml"), dir.path()).expect("config");
        let personal = Notifier::new(&load(&web)).expect("notifier");
        let alice = personal.ticket_url(7, "alice@ac-exemple.fr", at);
        let bob = personal.ticket_url(7, "bob@ac-exemple.fr", at);
        assert!(alice.starts_with("https://h.fr/suivi/ticket/7?k="), "{alice}");
        assert_ne!(alice, bob, "one link per recipient");
        let key = super::load_or_create_key(&dir.path().join("k.key")).expect("the key the notifier made");
        let token = alice.split_once("?k=").map(|(_, t)| t).unwrap_or_default();
        let claims = key.verify(token, Purpose::Ticket, 7, 1_767_225_600).expect("valid for alice");
        assert_eq!(claims.address, "alice@ac-exemple.fr");
        assert!(personal.mine_url("alice@ac-exemple.fr", at).is_some());

        let glpi = Notifier::new(&load(EXAMPLE)).expect("notifier");
        assert_eq!(
            glpi.ticket_url(7, "alice@ac-exemple.fr", at),
            "https://assistance.ac-exemple.fr/front/ticket.form.php?id=7"
        );
        let none = Notifier::new(&load(&neither)).expect("notifier");
        assert_eq!(none.ticket_url(7, "alice@ac-exemple.fr", at), "");
        assert!(none.mine_url("alice@ac-exemple.fr", at).is_none());
    }
}
