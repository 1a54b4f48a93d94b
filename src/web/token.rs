//! Personal links: a token signed with HMAC-SHA256 that binds a purpose (a
//! ticket's page, or « Mes demandes »), what it opens (a ticket number, or
//! the list), the lower-cased address it was made for, and an expiry. The
//! holder of the link is that person for that page: no account is needed.
//! Pure: the key and the time are given. The MAC is checked in constant
//! time (`verify_slice`) before anything of the token is believed; an
//! expired token still names its address, so the page can offer to mail a
//! fresh link to that address (and only to it).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// One ticket's page.
    Ticket,
    /// Every ticket of the address (« Mes demandes »).
    Mine,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Ticket => "t",
            Purpose::Mine => "m",
        }
    }
}

/// The signing key (32 bytes from `web.secret_file`).
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(****)")
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub address: String,
    /// Unix seconds.
    pub expires: i64,
}

/// Why a token opens nothing. Only [`TokenError::Expired`] says whose it
/// was, since its signature was good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is not a mailgate link (malformed or tampered with)")]
    Invalid,
    #[error("the link was made for another page")]
    OtherPage,
    #[error("the link has expired")]
    Expired { address: String },
}

impl Key {
    pub fn new(bytes: Vec<u8>) -> Key {
        Key(bytes)
    }

    fn mac(&self, purpose: &str, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC takes keys of any length; new_from_slice cannot fail for it.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable_key(),
        };
        mac.update(purpose.as_bytes());
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac
    }

    /// A token for `purpose` on `subject` (a ticket number, 0 for the list),
    /// made for `address`, valid until `expires` (unix seconds).
    pub fn sign(&self, purpose: Purpose, subject: i64, address: &str, expires: i64) -> String {
        let address = address.trim().to_lowercase();
        let payload = format!("{}|{subject}|{expires}|{address}", purpose.code());
        let tag = self.mac("link", &[payload.as_bytes()]).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The claims of `token` if it was signed with this key for `purpose` on
    /// `subject` and has not expired at `now` (unix seconds).
    pub fn verify(&self, token: &str, purpose: Purpose, subject: i64, now: i64) -> Result<Claims, TokenError> {
        let (payload, tag) = token.split_once('.').ok_or(TokenError::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Invalid)?;
        self.mac("link", &[&payload]).verify_slice(&tag).map_err(|_| TokenError::Invalid)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Invalid)?;
        let mut fields = payload.splitn(4, '|');
        let (Some(code), Some(sub), Some(exp), Some(address)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(TokenError::Invalid);
        };
        let expires: i64 = exp.parse().map_err(|_| TokenError::Invalid)?;
        if code != purpose.code() || sub != subject.to_string() {
            return Err(TokenError::OtherPage);
        }
        if now >= expires {
            return Err(TokenError::Expired { address: address.to_string() });
        }
        Ok(Claims { address: address.to_string(), expires })
    }

    /// The hidden field of a form: bound to the link's token and to what the
    /// form does, so a page elsewhere cannot post it for the link's holder.
    pub fn csrf(&self, token: &str, form: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac("csrf", &[token.as_bytes(), form.as_bytes()]).finalize().into_bytes())
    }

    /// Whether `field` is the hidden field [`Key::csrf`] gives (constant time).
    pub fn csrf_ok(&self, token: &str, form: &str, field: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(field)
            .is_ok_and(|tag| self.mac("csrf", &[token.as_bytes(), form.as_bytes()]).verify_slice(&tag).is_ok())
    }
}

/// The subject a token names (unverified: only to know what to check it
/// against).
pub fn subject_of(token: &str) -> Option<i64> {
    let payload = URL_SAFE_NO_PAD.decode(token.split_once('.')?.0).ok()?;
    String::from_utf8(payload).ok()?.split('|').nth(1)?.parse().ok()
}

#[cold]
fn unreachable_key() -> ! {
    // HMAC accepts keys of every length (RFC 2104 hashes long ones).
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn key() -> Key {
        Key::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    /// A good token with one character of its payload changed.
    fn tampered(token: &str) -> String {
        let (payload, tag) = token.split_once('.').expect("dot");
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).expect("b64");
        bytes[2] = b'9';
        format!("{}.{tag}", URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn a_token_opens_only_its_page_for_its_time() {
        let good = key().sign(Purpose::Ticket, 42, "Alice@Ac-Exemple.fr", NOW + 60);
        let other_key =
            Key::new(b"another key of thirty-two bytes!".to_vec()).sign(Purpose::Ticket, 42, "a@b", NOW + 60);
        type Case = (&'static str, String, Purpose, i64, i64, Result<Claims, TokenError>);
        let cases: Vec<Case> = vec![
            (
                "valid",
                good.clone(),
                Purpose::Ticket,
                42,
                NOW,
                Ok(Claims { address: "alice@ac-exemple.fr".into(), expires: NOW + 60 }),
            ),
            ("tampered payload", tampered(&good), Purpose::Ticket, 42, NOW, Err(TokenError::Invalid)),
            ("signed with another key", other_key, Purpose::Ticket, 42, NOW, Err(TokenError::Invalid)),
            (
                "expired",
                good.clone(),
                Purpose::Ticket,
                42,
                NOW + 60,
                Err(TokenError::Expired { address: "alice@ac-exemple.fr".into() }),
            ),
            ("other ticket", good.clone(), Purpose::Ticket, 43, NOW, Err(TokenError::OtherPage)),
            ("other purpose", good.clone(), Purpose::Mine, 42, NOW, Err(TokenError::OtherPage)),
            (
                "no signature",
                good.split('.').next().unwrap_or("").to_string(),
                Purpose::Ticket,
                42,
                NOW,
                Err(TokenError::Invalid),
            ),
            ("garbage", "%%%.???".into(), Purpose::Ticket, 42, NOW, Err(TokenError::Invalid)),
            ("empty", String::new(), Purpose::Ticket, 42, NOW, Err(TokenError::Invalid)),
        ];
        for (name, token, purpose, subject, now, expected) in cases {
            assert_eq!(key().verify(&token, purpose, subject, now), expected, "{name}");
        }
    }

    #[test]
    fn a_form_field_is_bound_to_its_link_and_its_form() {
        let token = key().sign(Purpose::Ticket, 7, "a@b.fr", NOW + 60);
        let field = key().csrf(&token, "accept");
        assert!(key().csrf_ok(&token, "accept", &field));
        assert!(!key().csrf_ok(&token, "refuse", &field), "another form");
        let other = key().sign(Purpose::Ticket, 8, "a@b.fr", NOW + 60);
        assert!(!key().csrf_ok(&other, "accept", &field), "another link");
        assert!(!key().csrf_ok(&token, "accept", ""), "missing");
    }
}
