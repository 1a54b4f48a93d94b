//! The subject line as GLPI users know it. Notifications go out as
//! `[GLPI #0000123] Entity | Status – Title`, and people answer them through
//! whatever client they have, which piles reply and forward prefixes in its
//! own language (`RE :`, `TR:`, `AW:`, `SV:`…) in front. This module undoes
//! that: it finds the ticket token a reply carries, recovers the title a new
//! ticket should get, and recognises the subjects of out-of-office robots that
//! do not say what they are in their headers (see [`robots`]). It only reads text; what a
//! token or a title means for a ticket is decided in `intake`.

use std::sync::LazyLock;

use regex::Regex;

use crate::ticket::{Language, Status};

mod robots;

pub use robots::{BounceSubject, bounce_subject, is_challenge, is_list_manager_notice, is_out_of_office};

/// GLPI stores a ticket name in a `varchar(255)`, counted in characters.
const MAX_TITLE_CHARS: usize = 255;

/// Ticket ids are 32-bit in GLPI, so ten digits at most; a longer run of
/// digits, padded or not, is not a token GLPI or mailgate wrote.
const MAX_TOKEN_DIGITS: usize = 10;

/// Reply and forward prefixes of the clients our users and their
/// correspondents run, in French, English, German, Nordic, Dutch, Spanish,
/// Polish and Portuguese; counters (`Re[2]:`, `RE^2:`, `Re(2):`) are what some
/// clients write instead of repeating the prefix. French typography puts a
/// (often non-breaking) space before the colon, and East Asian input methods
/// produce a fullwidth colon.
static PREFIXES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:\s*(?:re|réf|ref|tr|fwd|fw|aw|wg|sv|vs|antw|rv|odp|enc|res)\s*(?:\[[0-9]+\]|\^[0-9]+|\([0-9]+\))?\s*[:：])+\s*",
    )
    .expect("the prefix pattern is a valid regex")
});

/// GLPI's decoration between the token and the title, with the status labels
/// of `ticket::Status::label` in both languages. The spaces around the dash
/// are required so that `Site | New-York printer` keeps its title whole.
static DECORATION: LazyLock<Regex> = LazyLock::new(|| {
    let labels: Vec<String> = [Language::Fr, Language::En]
        .into_iter()
        .flat_map(|language| Status::ALL.into_iter().map(move |s| regex::escape(s.label(language))))
        .collect();
    Regex::new(&format!(r"(?i)^.*?\s*\|\s*(?:{})\s+[–—-](?:\s+|$)", labels.join("|")))
        .expect("the decoration pattern is a valid regex")
});

/// The subject without the reply and forward prefixes at its start (any
/// chain of them) and without surrounding whitespace. Tags such as `[EXT]`
/// that a gateway puts first are left alone, and so are prefixes after them:
/// they are part of what the sender's side wrote.
pub fn strip_prefixes(subject: &str) -> &str {
    let subject = subject.trim();
    match PREFIXES.find(subject) {
        Some(m) => subject[m.end()..].trim(),
        None => subject,
    }
}

/// The ticket number of the first `[TAG #N]` in `subject`; see
/// [`SubjectToken::find`]. Compiles the pattern on each call: code that reads
/// many subjects keeps a [`SubjectToken`].
pub fn ticket_token(subject: &str, tag: &str) -> Option<u64> {
    SubjectToken::new(tag).find(subject)
}

/// The title a new ticket gets from `subject`; see [`SubjectToken::title`].
pub fn title_from(subject: &str, tag: &str) -> String {
    SubjectToken::new(tag).title(subject)
}

/// The `[TAG #N]` token of one institution, compiled once: the tag comes
/// from configuration and the pattern is used for every mail.
#[derive(Debug, Clone)]
pub struct SubjectToken {
    /// `None` only when the tag is too long for the regex engine's size
    /// limit, which configuration (a word such as "GLPI") never reaches; such
    /// a tag then names no ticket rather than stopping the daemon.
    pattern: Option<Regex>,
}

impl SubjectToken {
    /// The tag is matched literally and case-insensitively, with optional
    /// spaces inside the brackets: clients and people retyping a subject
    /// write `[glpi #123]`, `[ GLPI #123 ]` and `[GLPI#123]`. The bracket
    /// must open right before the tag, so `GLPI` does not match `[XGLPI #1]`.
    pub fn new(tag: &str) -> Self {
        let pattern = format!(r"(?i)\[\s*{}\s*#\s*([0-9]+)\s*\]", regex::escape(tag.trim()));
        SubjectToken { pattern: Regex::new(&pattern).ok() }
    }

    /// The ticket number of the first valid token in `subject`. Leading
    /// zeros are GLPI's padding; zero, and numbers written with more than ten
    /// digits, name no ticket.
    pub fn find(&self, subject: &str) -> Option<u64> {
        let pattern = self.pattern.as_ref()?;
        pattern.captures_iter(subject).find_map(|caps| {
            let digits = caps.get(1)?.as_str();
            if digits.len() > MAX_TOKEN_DIGITS {
                return None;
            }
            digits.parse::<u64>().ok().filter(|&n| n != 0)
        })
    }

    /// The title a new ticket gets from `subject`: prefixes stripped, every
    /// token removed, and GLPI's `Entity | Status – ` decoration dropped when
    /// present, so that answering a notification of another ticket does not
    /// produce a title full of the old one's bookkeeping. Whitespace runs,
    /// line breaks and control characters become one space: the title is
    /// shown in lists and goes back out in notification subjects. Capped at
    /// 255 characters with `…`. May be empty; the caller picks a fallback.
    pub fn title(&self, subject: &str) -> String {
        let collapsed = collapse_whitespace(subject);
        let rest = strip_prefixes(&collapsed);
        let rest = match &self.pattern {
            Some(pattern) => collapse_whitespace(&pattern.replace_all(rest, " ")),
            None => rest.to_string(),
        };
        // A token before the prefixes (`[GLPI #1] RE: …`) hides them from
        // the first pass.
        let rest = strip_prefixes(&rest);
        let title = match DECORATION.find(rest) {
            Some(m) => &rest[m.end()..],
            None => rest,
        };
        cap_chars(title.trim(), MAX_TITLE_CHARS)
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most `max` characters, the last one `…` when something was cut.
fn cap_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::check;

    #[test]
    fn prefixes_are_stripped() {
        #[rustfmt::skip]
        let cases = [
            ("French chain with spaced colon", "RE : TR: Fwd: Re: Problème", "Problème"),
            ("no prefix", "Imprimante en panne", "Imprimante en panne"),
            ("upper and lower case", "re: RE: Re: rE: Écran", "Écran"),
            ("no space after colon", "RE:TR:Écran", "Écran"),
            ("non-breaking space before colon", "RE\u{a0}: Écran", "Écran"),
            ("narrow no-break space", "TR\u{202f}: Écran", "Écran"),
            ("fullwidth colon", "Re：Écran", "Écran"),
            ("bracket counter", "Re[2]: Écran", "Écran"),
            ("caret counter", "RE^2: Écran", "Écran"),
            ("parenthesised counter", "Re(3): Écran", "Écran"),
            ("French réf", "Réf : RÉF: Ref: Écran", "Écran"),
            ("forwards", "Fw: FW: Fwd: TR: Tr: Écran", "Écran"),
            ("German", "AW: WG: Antw: Écran", "Écran"),
            ("Nordic and Finnish", "SV: VS: Écran", "Écran"),
            ("Spanish, Polish, Portuguese", "RV: Odp: Enc: Res: Écran", "Écran"),
            ("leading and trailing whitespace", "  Re:  Écran  ", "Écran"),
            ("only prefixes", "RE: TR:", ""),
            ("external tag stays, and what follows it", "[EXT] RE: Écran", "[EXT] RE: Écran"),
            ("prefix in the middle stays", "Écran RE: clavier", "Écran RE: clavier"),
            ("a word that starts like a prefix", "Reset: mot de passe", "Reset: mot de passe"),
            ("prefix word without colon", "Re Écran", "Re Écran"),
            ("token stays", "RE: [GLPI #0000123] X | Nouveau – Y", "[GLPI #0000123] X | Nouveau – Y"),
        ];
        check(&cases, |s| strip_prefixes(s).to_string());
    }

    #[test]
    fn tokens_name_tickets() {
        #[rustfmt::skip]
        let cases = [
            ("GLPI padding", "[GLPI #0000123] Lycée | Nouveau – Panne", Some(123)),
            ("no padding", "[GLPI #123] Panne", Some(123)),
            ("behind prefixes", "RE: TR: [GLPI #0000042] Panne", Some(42)),
            ("at the end", "Panne [GLPI #7]", Some(7)),
            ("lower-case tag", "[glpi #12] Panne", Some(12)),
            ("spaces inside the brackets", "[ GLPI # 12 ] Panne", Some(12)),
            ("no space before the hash", "[GLPI#12] Panne", Some(12)),
            ("ten digits", "[GLPI #4294967296]", Some(4_294_967_296)),
            ("zero", "[GLPI #0000000] Panne", None),
            ("eleven digits", "[GLPI #12345678901]", None),
            ("overflowing number", "[GLPI #99999999999999999999999]", None),
            ("first valid token wins", "[GLPI #0] [GLPI #5] [GLPI #6]", Some(5)),
            ("other tag", "[XGLPI #1] Panne", None),
            ("tag as suffix of a word", "[MYGLPI #1]", None),
            ("no hash", "[GLPI 123]", None),
            ("no number", "[GLPI #] Panne", None),
            ("unclosed", "[GLPI #123 Panne", None),
            ("no token", "Ticket 123", None),
            ("non-ASCII digits", "[GLPI #١٢٣]", None),
        ];
        let token = SubjectToken::new("GLPI");
        check(&cases, |s| token.find(s));
    }

    #[test]
    fn the_tag_is_matched_literally() {
        assert_eq!(ticket_token("[A.B #3]", "A.B"), Some(3));
        assert_eq!(ticket_token("[AxB #3]", "A.B"), None, "a dot in the tag is not a wildcard");
        assert_eq!(ticket_token("[Hélp Désk #3]", "HÉLP DÉSK"), Some(3));
        assert_eq!(ticket_token("[SUPPORT+ #9]", "support+"), Some(9));
    }

    #[test]
    fn titles_come_from_subjects() {
        #[rustfmt::skip]
        let cases = [
            ("plain", "Imprimante en panne", "Imprimante en panne"),
            ("GLPI reply, French", "RE: [GLPI #0000123] Lycée Victor Hugo | Nouveau – Imprimante en panne", "Imprimante en panne"),
            ("GLPI reply, English", "Re: [GLPI #0000123] Main Campus | Processing (assigned) – Printer down", "Printer down"),
            ("status with parentheses", "[GLPI #1] Lycée | En cours (Planifié) – Réseau", "Réseau"),
            ("em dash", "[GLPI #1] Lycée | Résolu — Réseau", "Réseau"),
            ("hyphen", "[GLPI #1] Lycée | Clos - Réseau", "Réseau"),
            ("hierarchical entity", "[GLPI #1] Académie > Lycée | En attente – Wifi", "Wifi"),
            ("decoration without token", "Lycée | Annulé – Wifi", "Wifi"),
            ("unknown status keeps the pipe", "[GLPI #1] Salle B | Urgent – Wifi", "Salle B | Urgent – Wifi"),
            ("status glued to the dash is a word", "Site | New-York printer", "Site | New-York printer"),
            ("token at the end", "Imprimante en panne [GLPI #12]", "Imprimante en panne"),
            ("prefix after the token", "[GLPI #12] RE: Imprimante", "Imprimante"),
            ("other tag kept", "[XGLPI #1] Imprimante", "[XGLPI #1] Imprimante"),
            ("external tag kept", "[EXT] Imprimante", "[EXT] Imprimante"),
            ("whitespace collapsed", "  Imprimante\r\n\ten   panne ", "Imprimante en panne"),
            ("control characters", "Imprimante\u{0}\u{1b}panne", "Imprimante panne"),
            ("empty", "", ""),
            ("only prefixes and token", "RE: [GLPI #0000123]", ""),
            ("decoration with empty title", "[GLPI #1] Lycée | Nouveau –", ""),
        ];
        check(&cases, |s| title_from(s, "GLPI"));
    }

    #[test]
    fn long_titles_are_cut_on_a_character() {
        let subject = "é".repeat(300);
        let title = title_from(&subject, "GLPI");
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
        assert!(title.ends_with('…'));
        assert_eq!(title_from(&"a".repeat(255), "GLPI"), "a".repeat(255));
        let spaced = format!("{} {}", "a".repeat(253), "b".repeat(10));
        assert_eq!(title_from(&spaced, "GLPI"), format!("{}…", "a".repeat(253)), "no space before the ellipsis");
    }
}
