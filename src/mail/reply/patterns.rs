//! The marks mail clients leave where quoted history begins, in the
//! languages our users and their correspondents write: the quote header
//! ("Le … a écrit :", "On … wrote:", "Am … schrieb …:", "Il … ha scritto:",
//! "El … escribió:", "Op … schreef …:", "Em … escreveu:"), the Outlook
//! header block ("De : / Envoyé : / À : / Objet :" and its German, Italian,
//! Spanish, Dutch and Portuguese twins), the dashed dividers
//! ("-----Original Message-----", "-----Ursprüngliche Nachricht-----"…),
//! and the signatures mobile clients append ("Envoyé de mon iPhone").
//! Written from each client's documented or observed format.

use std::sync::LazyLock;

use regex::Regex;

/// Dashed dividers of Outlook, Thunderbird, Zimbra, Lotus, Gmail forwards.
pub(super) static DIVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*-{2,}\s*(?:",
        r"message\s+d['’]origine|original\s+message|mail\s+original|message\s+original|message\s+transf[ée]r[ée]|",
        r"forwarded\s+message|ursprüngliche\s+nachricht|weitergeleitete\s+nachricht|originalnachricht|",
        r"messaggio\s+originale|messaggio\s+inoltrato|mensaje\s+original|mensaje\s+reenviado|",
        r"oorspronkelijk\s+bericht|origineel\s+bericht|doorgestuurd\s+bericht|mensagem\s+original|mensagem\s+encaminhada",
        r")\s*-{2,}\s*$",
    ))
    .expect("static regex")
});

/// Apple Mail's forward and Lotus Notes' reply separators, which are not dashed.
pub(super) static PLAIN_DIVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:begin\s+forwarded\s+message\s*:|d[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]\s*:|anfang\s+der\s+weitergeleiteten\s+nachricht\s*:)\s*$")
        .expect("static regex")
});

/// A quote header, once wrapped lines are joined: an opener word, the date
/// and the author, and the verb with its colon.
pub(super) static QUOTE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:le|on|am|il|el|op|em|den|dne)\s.{0,300}?\s",
        r"(?:a\s+[ée]crit|wrote|ha\s+scritto|escribi[óo]|escreveu|het\s+volgende\s+geschreven|skrev|napisa[łl]\(?a?\)?|",
        r"schrieb(?:\s.{0,200}?)?|schreef(?:\s.{0,200}?)?)",
        r"\s*:\s*$",
    ))
    .expect("static regex")
});

/// The verb and colon alone, for clients that put the author first
/// ("Support <s@x> a écrit :", "2025-03-03 10:12 GMT+01:00 Support <s@x>:"
/// is not one): a mark only when quoted lines follow it.
pub(super) static QUOTE_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s(?:a\s+[ée]crit|wrote|schrieb|ha\s+scritto|escribi[óo]|escreveu|schreef|geschreven)\s*:\s*$")
        .expect("static regex")
});

/// The first line of Outlook's header block, possibly bold after HTML conversion.
pub(super) static OUTLOOK_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\**\s*(?:de|from|von|da|van|od)\s*\**\s*:\s*\**\s*\S").expect("static regex")
});

/// The other fields of that block, in the same languages.
pub(super) static OUTLOOK_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*\**\s*(?:",
        r"envoy[ée](?:\s+le)?|sent|date|datum|data|fecha|à|a|to|objet|subject|cc|cci|bcc|",
        r"gesendet|an|betreff|inviato|oggetto|enviado|enviada\s+em|enviado\s+el|para|asunto|assunto|",
        r"verzonden|aan|onderwerp|importance|priorit[ée]",
        r")\s*\**\s*:",
    ))
    .expect("static regex")
});

/// A date with its year or a time of day, as every quote header carries.
pub(super) static DATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[0-9]{1,2}[:h][0-9]{2}|[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{2,4}|(?:19|20)[0-9]{2})\b")
        .expect("static regex")
});

pub(super) static UNDERSCORES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*_{8,}\s*$").expect("static regex"));

/// What mobile clients append under what a person types. Matched on a
/// whole line at the end of the written part only: the same words inside a
/// sentence are the person's.
pub(super) static MOBILE_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:",
        r"envoy[ée]\s+(?:de|depuis|à\s+partir\s+de)\s+(?:mon|ma|l['’]|un)\s*.{0,40}|",
        r"sent\s+from\s+(?:my\s+)?.{0,40}|sent\s+via\s+.{0,40}|",
        r"von\s+meinem\s+.{0,40}\s+gesendet|gesendet\s+von\s+(?:meinem\s+)?.{0,40}|",
        r"inviato\s+da(?:l\s+mio)?\s+.{0,40}|",
        r"enviado\s+(?:desde|do|de)\s+(?:mi|meu|o\s+meu|o\s+)?\s*.{0,40}|",
        r"verzonden\s+(?:vanaf|met)\s+.{0,40}|verstuurd\s+vanaf\s+.{0,40}|",
        r"(?:get|t[ée]l[ée]charger|scarica|descargar|baixar(?:\s+o)?|download)\s+outlook\s+(?:for|pour|per|para|voor)\s+(?:ios|android)\b.{0,60}|",
        r"outlook\s+(?:f[üu]r|voor)\s+(?:ios|android)\s+(?:herunterladen|downloaden)\b.{0,40}",
        r")\s*$",
    ))
    .expect("static regex")
});
