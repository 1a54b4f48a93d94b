//! Reply cutting: a followup stores what the person wrote, not the history
//! their mail client quoted below it. The cut happens at the first marker a
//! client leaves: mailgate's own separator line (the same as GLPI's, so old
//! threads keep working), a quote header (`Le … a écrit :`, `On … wrote:`,
//! Outlook's `De : … Envoyé : …` block, `-----Message d'origine-----`), or a
//! tail of `>` lines. Nothing is lost by cutting: the raw mail is kept.

use std::sync::LazyLock;

use regex::Regex;

pub const SEPARATOR_EN: &str = "=-=-=-= To answer by email, write above this line =-=-=-=";
pub const SEPARATOR_FR: &str = "=-=-=-= Pour répondre par courriel, écrivez au-dessus de cette ligne =-=-=-=";

/// Marks every separator, in any language: what users see of it is the dashes.
const SEPARATOR_MARK: &str = "=-=-=-=";

/// Everything above the separator line. New tickets keep quoted or
/// forwarded text (it is often the request itself) and lose only a quoted
/// notification of ours.
pub fn before_separator(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.contains(SEPARATOR_MARK) {
            return text[..offset].trim_end();
        }
        offset += line.len();
    }
    text.trim_end()
}

/// What the person wrote in a reply: the text above the first quote marker.
/// A bottom-posted reply (nothing above the quote) keeps its lines that are
/// not quoted instead.
pub fn written_part(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(marker) = first_marker(&lines) else {
        return text.trim_end().to_string();
    };
    let above = join(&lines[..marker.line]);
    if !above.trim().is_empty() {
        return above.trim_end().to_string();
    }
    // Bottom-posting: the answer is below the quote. Drop the quote header,
    // the quoted lines and separators; keep the rest.
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| !marker.header_lines.contains(i) && !is_quoted(l) && !l.contains(SEPARATOR_MARK))
        .map(|(_, l)| *l)
        .collect();
    join(&kept).trim().to_string()
}

/// Where the quoted history starts, and the lines of its header.
struct Marker {
    line: usize,
    header_lines: std::ops::Range<usize>,
}

fn first_marker(lines: &[&str]) -> Option<Marker> {
    let tail = quoted_tail(lines);
    for i in 0..lines.len() {
        if tail == Some(i) {
            return Some(Marker { line: i, header_lines: i..i });
        }
        let line = unquote(lines[i]);
        if line.contains(SEPARATOR_MARK) || DIVIDER.is_match(line) {
            return Some(Marker { line: i, header_lines: i..i + 1 });
        }
        if let Some(n) = quote_header_len(lines, i) {
            return Some(Marker { line: i, header_lines: i..i + n });
        }
        if let Some(n) = outlook_block_len(lines, i) {
            let start = if i > 0 && UNDERSCORES.is_match(lines[i - 1]) { i - 1 } else { i };
            return Some(Marker { line: start, header_lines: start..i + n });
        }
    }
    None
}

/// `-----Original Message-----` and its cousins from Outlook, Thunderbird, Zimbra.
static DIVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*-{2,}\s*(message d'origine|original message|mail original|message original|message transféré|forwarded message|message d’origine)\s*-{2,}\s*$",
    )
    .expect("static regex")
});

/// `Le … a écrit :` / `On … wrote:`, which Gmail wraps over two or three lines.
static QUOTE_HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(le|on)\s.{0,300}?\s(a\s+écrit|wrote)\s*:\s*$").expect("static regex"));

/// The first line of Outlook's header block, possibly bold after HTML conversion.
static OUTLOOK_FROM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*\**\s*(de|from)\s*\**\s*:\s*\**\s*\S").expect("static regex"));

static OUTLOOK_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\**\s*(envoyé|sent|date|à|a|to|objet|subject|cc)\s*\**\s*:").expect("static regex")
});

static UNDERSCORES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*_{8,}\s*$").expect("static regex"));

/// How many lines the quote header starting at `i` spans, if one does.
fn quote_header_len(lines: &[&str], i: usize) -> Option<usize> {
    // Checked on the first bytes, without lower-casing the whole line: this
    // runs for every line of every reply, and a profile showed it.
    let first = unquote(lines[i]).trim_start();
    let starts = |word: &str| first.get(..word.len()).is_some_and(|head| head.eq_ignore_ascii_case(word));
    if !(starts("le ") || starts("on ")) {
        return None;
    }
    let mut joined = String::new();
    for (n, line) in lines[i..].iter().take(3).enumerate() {
        // A wrapped header never spans a blank line: "Le poste est en
        // panne." followed later by a real header is two things.
        if line.trim().is_empty() {
            return None;
        }
        if n > 0 {
            joined.push(' ');
        }
        joined.push_str(unquote(line).trim());
        if QUOTE_HEADER.is_match(&joined) {
            return Some(n + 1);
        }
    }
    None
}

/// `De : X` followed within five lines by `Envoyé :`, `À :`, `Objet :`…
fn outlook_block_len(lines: &[&str], i: usize) -> Option<usize> {
    if !OUTLOOK_FROM.is_match(unquote(lines[i])) {
        return None;
    }
    let fields = lines[i + 1..].iter().take(5).take_while(|l| OUTLOOK_FIELD.is_match(unquote(l))).count();
    (fields >= 1).then_some(fields + 1)
}

/// The first line of a trailing run of `>` lines and blank lines, if the
/// mail ends with one.
fn quoted_tail(lines: &[&str]) -> Option<usize> {
    let mut start = None;
    for (i, line) in lines.iter().enumerate().rev() {
        if is_quoted(line) {
            start = Some(i);
        } else if !line.trim().is_empty() {
            break;
        }
    }
    start
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// A line without its `>` quote marks.
fn unquote(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}

fn join(lines: &[&str]) -> String {
    lines.join("\n")
}

#[cfg(test)]
mod tests;
