//! How configuration errors and the effective configuration are shown to an
//! operator: one line per error, naming the file, the key, the line and what
//! was expected, with a did-you-mean for a misspelt key.

use std::sync::LazyLock;

use regex::Regex;

use super::{Config, ConfigError, raw::RawConfig};

pub(super) fn deserialize(text: &str, file: &str) -> Result<RawConfig, ConfigError> {
    let invalid = |key: String, message: String| ConfigError::Invalid { file: file.to_string(), key, message };
    let de = toml::Deserializer::parse(text).map_err(|e| invalid(at_line(text, e.span()), one_line(e.message())))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let mut message = one_line(inner.message());
        if let Some(hint) = did_you_mean(&message) {
            message.push_str(&hint);
        }
        let line = at_line(text, inner.span());
        let key = if path == "." || path.is_empty() { line } else { format!("{path} ({line})") };
        invalid(key, message)
    })
}

fn at_line(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = text.as_bytes()[..start].iter().filter(|&&b| b == b'\n').count() + 1;
            format!("line {line}")
        }
        None => "configuration".to_string(),
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// serde reports "unknown field `x`, expected one of `a`, `b`"; point at the
/// closest expected key so that a typo is fixed at a glance.
fn did_you_mean(message: &str) -> Option<String> {
    static UNKNOWN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"unknown (?:field|variant) `([^`]*)`, expected (.*)").expect("static regex"));
    static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]*)`").expect("static regex"));
    let caps = UNKNOWN.captures(message)?;
    let typo = caps.get(1)?.as_str();
    NAME.captures_iter(caps.get(2)?.as_str())
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .map(|candidate| (strsim::jaro_winkler(typo, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
}

pub(super) fn mailbox<S: serde::Serializer>(
    mailbox: &lettre::message::Mailbox,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&mailbox.to_string())
}

pub(super) fn to_toml(config: &Config) -> String {
    match toml::to_string_pretty(config) {
        Ok(text) => inline_number_arrays(&text),
        Err(e) => format!("# cannot show the configuration: {e}\n"),
    }
}

/// The pretty printer puts each number of an array on its own line; a row
/// of `tickets.priority_matrix` reads better as `[1, 1, 2, 2, 2]`. Only
/// arrays spread over lines are touched, never a one-line string value.
fn inline_number_arrays(text: &str) -> String {
    static NUMBERS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[\n\s*(\d+(?:,\n\s*\d+)*),?\n\s*\]").expect("static regex"));
    NUMBERS
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let numbers: Vec<&str> = caps[1].split(',').map(str::trim).collect();
            format!("[{}]", numbers.join(", "))
        })
        .into_owned()
}
