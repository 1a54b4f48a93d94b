//! The words robots put in subjects: out-of-office responders, delivery
//! failures, challenge-response systems, list managers. Every pattern is
//! anchored at the start of the subject and must be followed by what robots
//! put after it (a colon and the original subject, a parenthesis, dates, the
//! end), not by more words of a sentence: a person may well write
//! "Demande d'absence" or "Non remis : colis de toner" to IT support. These
//! are fallbacks for robots that say nothing in their headers, so they err
//! on the side of letting a mail through.

use std::sync::LazyLock;

use regex::Regex;

use super::strip_prefixes;

/// What robots put after their phrase, in the languages they answer in.
const TAIL: &str = r"(?:\s*$|\s*[:：(\[,.!]|\s+[\-–—]|\s+(?:jusqu|until|du\s+[0-9]|from|bis|vom|hasta|desde|fino|dal|tot|van|até|[0-9]))";

static OUT_OF_OFFICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "{}{TAIL}",
        concat!(
            r"(?i)^(?:",
            // French
            r"r[ée]ponse\s+automatique|message\s+d['’]absence|",
            r"absen(?:ce|te?|t\(e\))\s+du\s+bureau|je\s+suis\s+absent(?:e|\(e\))?|",
            // English
            r"automatic\s+reply|auto[-\s]?reply|auto[-\s]?response|",
            r"out[-\s]+of[-\s]+(?:the[-\s]+)?office(?:\s+auto[-\s]?reply)?|",
            r"away\s+from\s+(?:the\s+)?office|",
            // Nordic, German, Dutch
            r"autosvar|automatische\s+antwort|abwesenheitsnotiz|abwesenheitsnachricht|",
            r"nicht\s+im\s+b[üu]ro|au(?:ß|ss)er\s+haus|abwesend|",
            r"automatisch\s+antwoord|afwezig(?:heidsmelding)?|niet\s+aanwezig|buiten\s+kantoor|",
            // Spanish, Italian, Portuguese
            r"respuesta\s+autom[áa]tica|fuera\s+de\s+(?:la\s+)?oficina|ausente\s+de\s+la\s+oficina|",
            r"risposta\s+automatica|fuori\s+(?:ufficio|sede)|assente\s+dall['’]ufficio|",
            r"resposta\s+autom[áa]tica|fora\s+do\s+escrit[óo]rio|ausente\s+do\s+escrit[óo]rio",
            r")",
        )
    ))
    .expect("the out-of-office pattern is a valid regex")
});

/// Lotus Notes / HCL Domino: `AUTO: Marie Dupont est absent(e) du bureau
/// (retour le 10/03/2025)`, `AUTO: Jane Doe is out of the office
/// (returning 03/10/2025)`. Upper-case `AUTO:` as Notes writes it, followed
/// by an absence phrase.
static LOTUS_AUTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^AUTO\s?:\s.*(?i:out\s+of\s+(?:the\s+)?office|\sabsente?\b|absent\(e\)|abwesend|au(?:ß|ss)er\s+haus|",
        r"nicht\s+im\s+b[üu]ro|ausente|fuera\s+de|assente|fuori\s+ufficio|afwezig|\((?:returning|retour|r[üu]ckkehr|regreso|ritorno))",
    ))
    .expect("the Lotus pattern is a valid regex")
});

/// Whether `subject`, once its prefixes are gone, is one an out-of-office or
/// other automatic responder writes.
pub fn is_out_of_office(subject: &str) -> bool {
    let subject = strip_prefixes(subject);
    OUT_OF_OFFICE.is_match(subject) || LOTUS_AUTO.is_match(subject)
}

/// How sure a delivery-failure subject is by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceSubject {
    /// Only mail systems write it ("Undelivered Mail Returned to Sender").
    Certain,
    /// A person could write it about a parcel ("Non remis", "Unzustellbar"):
    /// a bounce only with a second sign.
    Words,
}

static BOUNCE_CERTAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:",
        r"undelivered\s+mail\s+returned\s+to\s+sender|delivery\s+status\s+notification|",
        r"mail\s+delivery\s+failed|returned\s+mail\s*:\s*see\s+transcript|failure\s+notice\s*$|",
        r"mail\s+system\s+error\s*-\s*returned\s+mail|delivery\s+notification\s*:\s*delivery\s+has\s+failed|",
        r"notification\s+d['’][ée]tat\s+de\s+(?:remise|distribution)|benachrichtigung\s+zum\s+[üu]bermittlungsstatus|",
        r"notificaci[óo]n\s+de\s+estado\s+de\s+(?:la\s+)?entrega|notifica\s+dello\s+stato\s+(?:di\s+)?(?:consegna|recapito)|",
        r"unzustellbare\s+nachricht|nondeliverable\s+mail|",
        r"メール配信エラー|メール送信エラー|配信エラーのお知らせ|系统退信|邮件投递失败|Недоставленное\s+сообщение",
        r")",
    ))
    .expect("the certain bounce pattern is a valid regex")
});

static BOUNCE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "{}{TAIL}",
        concat!(
            r"(?i)^\s*(?:",
            r"undeliverable|undelivered(?:\s+mail)?|delivery\s+(?:failure|failed|has\s+failed|problem)|returned\s+mail|",
            r"message\s+not\s+delivered|non[-\s]?delivery(?:\s+report)?|delayed\s+mail|",
            r"non\s+remis|message\s+non\s+(?:remis|d[ée]livr[ée])|non\s+distribuable|courrier\s+non\s+distribuable|",
            r"[ée]chec\s+de\s+(?:la\s+)?(?:remise|livraison|distribution)|remise\s+(?:diff[ée]r[ée]e|retard[ée]e)|",
            r"unzustellbar|nicht\s+zustellbar|zustellung\s+fehlgeschlagen|",
            r"no\s+se\s+puede\s+entregar|no\s+entregado|mensaje\s+no\s+entregado|imposible\s+entregar|error\s+de\s+entrega|",
            r"non\s+recapitabile|mancato\s+recapito|impossibile\s+recapitare|",
            r"onbestelbaar|niet\s+bezorgd|n[ãa]o\s+entregue|falha\s+na\s+entrega|",
            r"配信エラー|配送エラー|送信エラー|配信不能|未配達|不達|配信失敗|退信|無法投遞|",
            r"не\s+доставлено|ошибка\s+доставки|메일\s+전송\s+실패|전송\s+실패",
            r")",
        )
    ))
    .expect("the bounce pattern is a valid regex")
});

/// Whether `subject` is one a mail system gives a delivery failure, and
/// how sure that is. Read as written, without stripping prefixes: a
/// person forwarding a bounce to IT writes `TR: Non remis : …`, and that is
/// a request.
pub fn bounce_subject(subject: &str) -> Option<BounceSubject> {
    if BOUNCE_CERTAIN.is_match(subject) {
        return Some(BounceSubject::Certain);
    }
    BOUNCE_WORDS.is_match(subject).then_some(BounceSubject::Words)
}

static CHALLENGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "{}{TAIL}",
        concat!(
            r"(?i)^(?:",
            r"please\s+confirm\s+(?:your|this)\s+(?:message|e-?mail|request)|",
            r"(?:please\s+)?confirm\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human|",
            r"(?:sender|e-?mail|message)\s+verification(?:\s+(?:required|request|needed))?|verification\s+(?:required|request)|",
            r"veuillez\s+confirmer\s+(?:votre|l['’]envoi\s+de\s+votre)\s+(?:message|courriel|e-?mail)|",
            r"v[ée]rification\s+(?:de\s+l['’]|d['’])exp[ée]diteur|confirmez\s+que\s+vous\s+(?:[êe]tes\s+(?:un\s+)?humain|n['’][êe]tes\s+pas\s+un\s+robot)|",
            r"bitte\s+best[äa]tigen\s+sie\s+ihre\s+(?:nachricht|e-?mail)|absenderbest[äa]tigung|",
            r"por\s+favor\s+confirme\s+su\s+(?:mensaje|correo)|verificaci[óo]n\s+del\s+remitente",
            r")",
        )
    ))
    .expect("the challenge pattern is a valid regex")
});

/// Whether `subject`, once its prefixes are gone, is a challenge-response
/// system's request to prove a sender is human.
pub fn is_challenge(subject: &str) -> bool {
    CHALLENGE.is_match(strip_prefixes(subject))
}

static LIST_MANAGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:",
        r"uncaught\s+bounce\s+notification|bounce\s+action\s+notification|",
        r"your\s+message\s+to\s+\S+\s+awaits\s+moderator\s+approval|",
        r"(?:mail\s+)?loop\s+detected\b|mail\s+loop\b|",
        r"message\s+(?:rejected|held)\s+(?:by|for)\s+(?:the\s+)?(?:list|moderator)|",
        r"votre\s+message\s+(?:pour|à)\s+\S+\s+(?:est\s+en\s+attente\s+de\s+mod[ée]ration|a\s+[ée]t[ée]\s+rejet[ée])|",
        r"(?:message\s+distribution|diffusion\s+du\s+message)\s*:\s*(?:authorization\s+denied|autorisation\s+refus[ée]e)",
        r")",
    ))
    .expect("the list manager pattern is a valid regex")
});

/// Whether `subject` is a list manager's notice (Mailman, Sympa) about a
/// held, looping or bounced message.
pub fn is_list_manager_notice(subject: &str) -> bool {
    LIST_MANAGER.is_match(subject)
}

#[cfg(test)]
mod tests;
