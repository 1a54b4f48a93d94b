//! What a connection to a mail server needs, shared by the IMAP source and
//! the SMTP transport: a TLS mode (plain text only to loopback), an optional
//! CA file for an institution's own certificate authority, and a password
//! read from a file or the environment rather than written in the file.

use std::net::IpAddr;
use std::path::PathBuf;

use super::secret::{Secret, SecretSource};

/// A problem with one key: (key, what was expected).
pub(super) type KeyError = (String, String);

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (imaps 993, submissions 465).
    Implicit,
    /// Plain connection upgraded by STARTTLS before login (143, 587).
    Starttls,
    /// No TLS: only to a loopback address.
    None,
}

/// Plain text is allowed only where nothing crosses a network.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The `tls` key: "implicit" (the default), "starttls", or "none" to a
/// loopback `host` only.
pub(super) fn tls_mode(host: &str, value: Option<&str>) -> Result<TlsMode, String> {
    match value.unwrap_or("implicit") {
        "implicit" => Ok(TlsMode::Implicit),
        "starttls" => Ok(TlsMode::Starttls),
        "none" if is_loopback(host) => Ok(TlsMode::None),
        "none" => Err(format!(
            "\"none\" is allowed only to a loopback address, and \"{host}\" is not one: use \"implicit\" or \"starttls\""
        )),
        other => Err(format!("expected \"implicit\", \"starttls\" or \"none\", got \"{other}\"")),
    }
}

/// The `ca_file` key: a readable PEM file, when given.
pub(super) fn ca_file(value: Option<&str>, resolve: &dyn Fn(&str) -> PathBuf) -> Result<Option<PathBuf>, String> {
    let Some(f) = value else { return Ok(None) };
    let path = resolve(f);
    if !path.is_file() {
        return Err(format!("expected a PEM file of CA certificates, {} is not a readable file", path.display()));
    }
    Ok(Some(path))
}

/// The three ways a password can be given; exactly one must be.
pub(super) struct PasswordKeys<'a> {
    pub password: Option<&'a str>,
    pub password_file: Option<&'a str>,
    pub password_env: Option<&'a str>,
}

impl PasswordKeys<'_> {
    pub fn any(&self) -> bool {
        self.password.is_some() || self.password_file.is_some() || self.password_env.is_some()
    }
}

/// Reads the password now, so that a missing file or variable stops the
/// start rather than the first login; `key` names a key of the section.
pub(super) fn password(
    given: &PasswordKeys<'_>,
    resolve: &dyn Fn(&str) -> PathBuf,
    key: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<(Secret, SecretSource), KeyError> {
    let count = [given.password.is_some(), given.password_file.is_some(), given.password_env.is_some()]
        .iter()
        .filter(|g| **g)
        .count();
    if count != 1 {
        return Err((
            key("password_file"),
            "expected exactly one of password_file (a file holding the password), password_env (the name of an environment variable) or password".into(),
        ));
    }
    if let Some(file) = given.password_file {
        let path = resolve(file);
        let secret = Secret::from_file(&path)
            .map_err(|e| (key("password_file"), format!("cannot read {}: {e}", path.display())))?;
        return Ok((secret, SecretSource::File(path.display().to_string())));
    }
    if let Some(var) = given.password_env {
        let value = std::env::var(var).map_err(|_| {
            (
                key("password_env"),
                format!("expected the environment variable {var} to hold the password; it is not set"),
            )
        })?;
        return Ok((Secret::new(value), SecretSource::Env(var.to_string())));
    }
    warnings.push(format!(
        "{} is written in the configuration file; prefer password_file or password_env",
        key("password")
    ));
    Ok((Secret::new(given.password.unwrap_or_default().to_string()), SecretSource::Inline))
}
