//! Text from a mail made safe to show on an operator's terminal. A subject,
//! a sender's name or a body is whatever the sender typed, and a terminal
//! obeys what it prints: ESC sequences set the window title, the colours or
//! (in some terminals) the clipboard, a carriage return overwrites the line,
//! and Unicode's bidirectional controls make `facture\u{202e}fdp.exe` read as
//! `factureexe.pdf`. Every command that prints mail-derived text passes it
//! through [`for_terminal`], which shows such characters escaped (`\u{1b}`)
//! instead of obeying them: the operator sees that they were there.
//! JSON output needs none of this (serde escapes control characters).
//!
//! Here too the one home of [`one_line`]: a value from a mail cut to one
//! bounded line, for a header, a reason or a greeting.

use std::borrow::Cow;

/// `text` on one line (every control character, line breaks included,
/// becomes a space, runs of spaces one) and at most `max` characters, the
/// last being `…` when it was cut. Reads at most about `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut count = 0;
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_control() || c.is_whitespace() {
            space = true;
            continue;
        }
        let needed = if space && count > 0 { 2 } else { 1 };
        if count + needed > max {
            // More than fits: the last character kept becomes the ellipsis.
            out.pop();
            out.push('…');
            return out;
        }
        if space && count > 0 {
            out.push(' ');
            count += 1;
        }
        space = false;
        out.push(c);
        count += 1;
    }
    out
}

/// Unicode's bidirectional formatting characters: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), the left-to-right and
/// right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether a terminal could act on `c` rather than just show it: C0 and C1
/// control characters (ESC, CSI, OSC, BEL, backspace, carriage return…),
/// DEL, and the bidirectional controls. Newline and tab are text.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t')) || is_bidi_control(c)
}

/// `text` with every character a terminal would act on written as its
/// escape (`\u{1b}`); newlines and tabs kept, and a carriage return kept
/// where it ends a line (CRLF), where it cannot overwrite anything.
/// Borrows when there is nothing to escape, which is nearly always.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_a_terminal_would_obey_are_shown_escaped() {
        let cases = [
            ("plain text stays as it is", "Imprimante en panne", "Imprimante en panne"),
            ("an OSC title sequence", "\u{1b}]0;pwned\u{7}ok", "\\u{1b}]0;pwned\\u{7}ok"),
            ("a colour sequence", "\u{1b}[31mred", "\\u{1b}[31mred"),
            ("a C1 CSI", "a\u{9b}2Jb", "a\\u{9b}2Jb"),
            ("DEL and backspace", "x\u{7f}\u{8}", "x\\u{7f}\\u{8}"),
            ("a lone carriage return", "safe\rEVIL", "safe\\u{d}EVIL"),
            ("newlines, tabs and CRLF are text", "a\tb\nc\r\nd", "a\tb\nc\r\nd"),
            ("a right-to-left override", "facture\u{202e}fdp.exe", "facture\\u{202e}fdp.exe"),
            (
                "isolates and marks",
                "\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}",
                "\\u{2066}\\u{2069}\\u{200e}\\u{200f}\\u{61c}",
            ),
            ("accents and emoji are text", "Clé cassée 🔑", "Clé cassée 🔑"),
        ];
        for (what, input, shown) in cases {
            assert_eq!(for_terminal(input), shown, "{what}");
        }
    }

    #[test]
    fn text_with_nothing_to_escape_is_not_copied() {
        assert!(matches!(for_terminal("Bonjour,\n\tmerci"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_bidirectional_control_is_recognised_and_nothing_else() {
        let bidi: Vec<char> = (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| is_bidi_control(*c)).collect();
        let expected: Vec<char> =
            "\u{61c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}"
                .chars()
                .collect();
        assert_eq!(bidi, expected);
    }
}
