//! The `[web]` section: the requester's pages that the notifications' links
//! lead to. The listener stays on loopback by default (the institution's
//! reverse proxy adds TLS); `base_url` is the address people click; the
//! signing key lives in a file of its own, created at first start, so that
//! replacing it revokes every link at once.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The default port: next to SMTP's 25 in spirit, free on a usual server.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8025";
/// How long a personal link works, in days, when `link_days` is not set.
pub const DEFAULT_LINK_DAYS: u32 = 90;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub listen: Option<String>,
    pub base_url: String,
    pub secret_file: String,
    pub link_days: Option<u32>,
    pub logo_file: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WebConfig {
    pub listen: SocketAddr,
    /// The public address of the pages, without a trailing slash.
    pub base_url: String,
    /// The signing key of personal links (32 random bytes, 0600).
    pub secret_file: PathBuf,
    pub link_days: u32,
    /// A PNG or SVG shown at the top of every page.
    pub logo_file: Option<PathBuf>,
}

pub(super) fn validate(
    raw: &RawWeb,
    resolve: &dyn Fn(&str) -> PathBuf,
    warnings: &mut Vec<String>,
) -> Result<WebConfig, (String, String)> {
    let text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen: SocketAddr = text.parse().map_err(|_| {
        ("web.listen".to_string(), format!("expected an address and port such as \"{DEFAULT_LISTEN}\", got \"{text}\""))
    })?;
    if !listen.ip().is_loopback() {
        warnings.push(format!(
            "web.listen = \"{listen}\" is reachable from the network without TLS; put the pages behind the \
             institution's reverse proxy and listen on 127.0.0.1"
        ));
    }
    let base_url = raw.base_url.trim().trim_end_matches('/').to_string();
    let scheme_ok = base_url.starts_with("https://") || base_url.starts_with("http://");
    if !scheme_ok || base_url.contains(['?', '#', ' ', '"', '<', '>']) || base_url.len() < "http://x".len() {
        return Err((
            "web.base_url".to_string(),
            format!(
                "expected the public address of the pages, e.g. \"https://assistance.ac-exemple.fr/suivi\", got \"{}\"",
                raw.base_url
            ),
        ));
    }
    if base_url.starts_with("http://") && !listen.ip().is_loopback() {
        warnings.push("web.base_url is plain http: the personal links would travel unencrypted".to_string());
    }
    if raw.secret_file.trim().is_empty() {
        return Err((
            "web.secret_file".to_string(),
            "expected a file path (created with a random key at first start), got an empty string".to_string(),
        ));
    }
    let link_days = raw.link_days.unwrap_or(DEFAULT_LINK_DAYS);
    if !(1..=3650).contains(&link_days) {
        return Err(("web.link_days".to_string(), format!("expected 1 to 3650 days, got {link_days}")));
    }
    Ok(WebConfig {
        listen,
        base_url,
        secret_file: resolve(raw.secret_file.trim()),
        link_days,
        logo_file: raw.logo_file.as_deref().map(|p| resolve(p.trim())),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const EXAMPLE: &str = include_str!("../../config.example.toml");

    fn with_web(section: &str) -> Result<Config, String> {
        let text = format!("{EXAMPLE}\n[web]\n{section}\n");
        Config::from_toml(&text, Path::new("/etc/mailgate/mailgate.toml"), Path::new("/etc/mailgate"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_web_section_gets_loopback_ninety_days_and_a_key_next_to_the_file() {
        let config = with_web("base_url = \"https://h.example/suivi/\"\nsecret_file = \"web.key\"").expect("loads");
        let web = config.web.expect("[web] is set");
        assert_eq!(web.listen.to_string(), super::DEFAULT_LISTEN);
        assert_eq!(web.base_url, "https://h.example/suivi", "no trailing slash");
        assert_eq!(web.secret_file, Path::new("/etc/mailgate/web.key"));
        assert_eq!(web.link_days, 90);
    }

    #[test]
    fn bad_web_settings_name_their_key() {
        let cases = [
            ("a base_url without scheme", "base_url = \"h.example\"\nsecret_file = \"k\"", "web.base_url"),
            ("a base_url with a query", "base_url = \"https://h/?a\"\nsecret_file = \"k\"", "web.base_url"),
            ("no key file", "base_url = \"https://h\"\nsecret_file = \" \"", "web.secret_file"),
            ("zero days", "base_url = \"https://h\"\nsecret_file = \"k\"\nlink_days = 0", "web.link_days"),
            ("a bad listen", "base_url = \"https://h\"\nsecret_file = \"k\"\nlisten = \"here\"", "web.listen"),
            ("a misspelt key", "base_url = \"https://h\"\nsecret_file = \"k\"\nlink_day = 3", "link_day"),
        ];
        for (name, section, key) in cases {
            match with_web(section) {
                Ok(_) => panic!("{name}: accepted"),
                Err(line) => assert!(line.contains(key), "{name}: {key} not named in {line}"),
            }
        }
    }

    #[test]
    fn the_ticket_url_may_be_left_out() {
        let text = EXAMPLE.replace("ticket_url = ", "# ticket_url = ");
        let config = Config::from_toml(&text, Path::new("/m.toml"), Path::new("/")).expect("loads without a link");
        assert_eq!(config.institution.ticket_url, None);
        assert!(config.web.is_none());
    }
}
