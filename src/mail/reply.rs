//! Reply cutting: a followup stores what the person wrote, not the history
//! their mail client quoted below it. The cut happens at the first marker a
//! client leaves: mailgate's own separator line (the same as GLPI's, so old
//! threads keep working), a quote header (`Le … a écrit :`, `On … wrote:`,
//! Outlook's `De : … Envoyé : …` block, `-----Message d'origine-----`), or a
//! tail of `>` lines; the marks of each client and language are in
//! [`patterns`]. Nothing is lost by cutting: the raw mail is kept. Every step
//! looks at each line a bounded number of times, so cutting stays linear in
//! the size of the text.

mod patterns;

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

/// What the person wrote in a reply: the text above the first quote
/// marker, without a mobile client's signature. Under a `>` quote block the
/// person's own lines that follow it (a closing line, an interleaved
/// answer) are kept too. A bottom-posted reply (nothing above the quote)
/// keeps its lines that are not quoted instead.
pub fn written_part(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(marker) = first_marker(&lines, 0, false) else {
        return without_mobile_signature(text.trim_end()).to_string();
    };
    let above = join(&lines[..marker.line]);
    if !above.trim().is_empty() {
        let mut written = without_mobile_signature(above.trim_end()).to_string();
        if marker.gt_quoted {
            let below = after_quote_block(&lines, marker.header_lines.end);
            let below = without_mobile_signature(&below);
            if !below.is_empty() {
                written.push_str("\n\n");
                written.push_str(below);
            }
        }
        return written;
    }
    // Bottom-posting: the answer is below the quote. Drop the quote header,
    // the quoted lines and separators; keep the rest up to the next history.
    let end = first_marker(&lines, marker.header_lines.end, true).map_or(lines.len(), |m| m.line);
    let kept: Vec<&str> = lines[..end]
        .iter()
        .enumerate()
        .filter(|(i, l)| !marker.header_lines.contains(i) && !is_quoted(l) && !l.contains(SEPARATOR_MARK))
        .map(|(_, l)| *l)
        .collect();
    without_mobile_signature(join(&kept).trim()).to_string()
}

/// The person's lines under the `>` block that starts at `from`: what
/// follows the block up to the next marker, or nothing.
fn after_quote_block(lines: &[&str], from: usize) -> String {
    let Some(start) = lines[from..].iter().position(|l| !is_quoted(l) && !l.trim().is_empty()).map(|n| from + n) else {
        return String::new();
    };
    let end = first_marker(lines, start, true).map_or(lines.len(), |m| m.line);
    let kept: Vec<&str> = lines[start..end].iter().copied().filter(|l| !is_quoted(l)).collect();
    join(&kept).trim().to_string()
}

/// `text` without the trailing line a mobile client adds
/// ("Envoyé de mon iPhone", "Télécharger Outlook pour Android").
fn without_mobile_signature(text: &str) -> &str {
    let trimmed = text.trim_end();
    match trimmed.rsplit_once('\n') {
        Some((rest, last)) if patterns::MOBILE_SIGNATURE.is_match(last) => rest.trim_end(),
        None if patterns::MOBILE_SIGNATURE.is_match(trimmed) => "",
        _ => trimmed,
    }
}

/// Where the quoted history starts, and the lines of its header.
struct Marker {
    line: usize,
    header_lines: std::ops::Range<usize>,
    /// The history under it is `>`-quoted, so a person's lines after it
    /// are theirs; under an Outlook block or a divider, all is history.
    gt_quoted: bool,
}

/// The first marker at or after line `from`; `outside_quotes` when
/// looking past a `>` block, whose own markers belong to the history.
fn first_marker(lines: &[&str], from: usize, outside_quotes: bool) -> Option<Marker> {
    let tail = quoted_tail(lines).filter(|t| *t >= from);
    for i in from..lines.len() {
        if tail == Some(i) {
            // A dated line ending in a colon just above the final quote is
            // a quote header in a language the patterns do not know
            // ("W dniu 3.03.2025 o 10:12, X pisze:").
            let header = (from..i).rev().find(|j| !lines[*j].trim().is_empty()).filter(|j| {
                lines[*j].trim_end().ends_with(':') && patterns::DATED.is_match(lines[*j]) && !is_quoted(lines[*j])
            });
            let start = header.unwrap_or(i);
            return Some(Marker { line: start, header_lines: start..i, gt_quoted: false });
        }
        if outside_quotes && is_quoted(lines[i]) {
            continue;
        }
        let line = unquote(lines[i]);
        if line.contains(SEPARATOR_MARK) || patterns::DIVIDER.is_match(line) || patterns::PLAIN_DIVIDER.is_match(line) {
            return Some(Marker { line: i, header_lines: i..i + 1, gt_quoted: false });
        }
        if let Some(n) = quote_header_len(lines, i) {
            let gt_quoted = next_filled(lines, i + n).is_some_and(is_quoted);
            return Some(Marker { line: i, header_lines: i..i + n, gt_quoted });
        }
        if let Some(n) = outlook_block_len(lines, i) {
            let start = if i > 0 && patterns::UNDERSCORES.is_match(lines[i - 1]) { i - 1 } else { i };
            return Some(Marker { line: start, header_lines: start..i + n, gt_quoted: false });
        }
    }
    None
}

/// The first line at or after `from` that is not blank, looking a few
/// lines ahead only (a quote follows its header closely).
fn next_filled<'a>(lines: &[&'a str], from: usize) -> Option<&'a str> {
    lines.iter().skip(from).take(3).find(|l| !unquote(l).is_empty() || is_quoted(l)).copied()
}

/// How many lines the quote header starting at `i` spans, if one does.
fn quote_header_len(lines: &[&str], i: usize) -> Option<usize> {
    // A header ends with a colon within three lines; checked on the line
    // ends first, without a regex: this runs for every line of every reply.
    let window = &lines[i..lines.len().min(i + 3)];
    let colon_at = window.iter().position(|l| {
        let end = l.trim_end();
        end.ends_with(':') || end.ends_with('：')
    })?;
    let mut joined = String::new();
    for (n, line) in window[..=colon_at].iter().enumerate() {
        // A wrapped header never spans a blank line: "Le poste est en
        // panne." followed later by a real header is two things.
        if unquote(line).is_empty() {
            return None;
        }
        if n > 0 {
            joined.push(' ');
        }
        joined.push_str(unquote(line).trim());
    }
    // Every client dates its header: "Le fournisseur a écrit :" is a
    // person's sentence, "Le 3 mars 2025 à 10:12, … a écrit :" is a header.
    if joined.bytes().any(|b| b.is_ascii_digit()) && patterns::QUOTE_HEADER.is_match(&joined) {
        return Some(colon_at + 1);
    }
    // The verb alone counts when quoted lines follow: "X a écrit :" then "> …".
    let verb_only = colon_at == 0 && patterns::QUOTE_VERB.is_match(&joined);
    (verb_only && next_filled(lines, i + 1).is_some_and(is_quoted)).then_some(1)
}

/// `De : X` followed within five lines by `Envoyé :`, `À :`, `Objet :`…
fn outlook_block_len(lines: &[&str], i: usize) -> Option<usize> {
    if !patterns::OUTLOOK_FROM.is_match(unquote(lines[i])) {
        return None;
    }
    let fields = lines[i + 1..].iter().take(5).take_while(|l| patterns::OUTLOOK_FIELD.is_match(unquote(l))).count();
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
mod table;
#[cfg(test)]
mod tests;
