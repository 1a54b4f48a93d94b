//! A requester's plain answer to a solution. "Merci, ça fonctionne !" is
//! what people write, not `#accept`: a short positive answer (thanks or
//! "it works", French or English, a few lines, no question, no "but" nor
//! "still") accepts the solution. Anything else is taken as "not solved":
//! the cost of a wrong guess is a ticket re-opened to the technician who
//! can close it in one reply, whereas a wrong acceptance would close a
//! problem that is still there.

use std::sync::LazyLock;

use regex::Regex;

use super::commands::fold;

/// At most this many non-empty lines (a signature included) and characters.
const MAX_LINES: usize = 5;
const MAX_CHARS: usize = 400;

/// Whether `text` (the reply without its quote) accepts a solution.
pub fn is_thanks(text: &str) -> bool {
    static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(?:merci|thanks?|thank you|ca (?:fonctionne|marche|remarche|refonctionne)|tout (?:fonctionne|marche|est ok)|c'est (?:bon|ok|parfait|regle|resolu)|parfait|nickel|super|it works|works (?:now|fine|again)|working (?:now|again)|all good|perfect|fixed|solved|resolu|regle)\b",
        )
        .expect("static regex")
    });
    static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(?:ne|n'|pas|plus|toujours|encore|mais|cependant|sauf|probleme|souci|erreur|bloque|not|no|n't|still|but|however|except|problem|issue|error)\b|n't\b|\bn'",
        )
        .expect("static regex")
    });
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() || lines.len() > MAX_LINES || text.chars().count() > MAX_CHARS || text.contains('?') {
        return false;
    }
    let folded = fold(text).replace(['’', '`'], "'");
    POSITIVE.is_match(&folded) && !NEGATIVE.is_match(&folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_thanks_accept_and_everything_else_does_not() {
        let cases = [
            ("the classic", "Merci, ça fonctionne !", true),
            ("thanks and a signature", "Merci beaucoup !\n\nCordialement,\nMarie Dupont\nSecrétariat", true),
            ("typographic apostrophe", "C’est bon, merci", true),
            ("english", "Thanks, it works now.", true),
            ("works again", "Working again, thank you", true),
            ("plain merci", "merci", true),
            ("a question", "Merci ! Et pour la salle B12 ?", false),
            ("still broken", "Merci mais ça ne fonctionne toujours pas.", false),
            ("negation alone", "Ça ne marche pas", false),
            ("english negation", "Thanks, but it still doesn't work", false),
            ("a new problem", "Merci, par contre j'ai une erreur sur Pronote", false),
            ("no thanks at all", "La 3e B est toujours bloquée", false),
            ("empty", "", false),
            ("a long mail", &"Merci.\n".repeat(6), false),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter(|(_, text, expected)| is_thanks(text) != *expected)
            .map(|(name, text, expected)| format!("{name}: {text:?} should be {expected}"))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
