//! HTML bodies turned into readable text. Outlook on phones and many webmails
//! send HTML only; a technician must read the request, not tag soup, and the
//! reply cutter must see quote headers and `>` lines as text. html2text does
//! the rendering; this module chooses its settings and cleans the result.

use std::sync::LazyLock;

use html2text::render::{TaggedLine, TextDecorator};
use regex::Regex;

use super::markup;

/// Wide enough that html2text never re-wraps a paragraph: line breaks in the
/// result are the author's, not the renderer's.
const WIDTH: usize = 10_000;

/// An HTML body as text, with what was lost on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub text: String,
    /// Only the first `max_html_bytes` of the HTML were rendered.
    pub cut: bool,
    /// Elements nested too deep were flattened (see [`markup::bound`]).
    pub flattened: bool,
}

/// Readable text from an HTML body: no tags, no styles, no markdown
/// decorations, blockquotes as `> ` lines, at most one blank line in a row.
/// The HTML is first made shallow and cut at about `max_html_bytes`, in one
/// linear pass, so that rendering costs time in proportion to the mail
/// whatever its nesting.
pub fn html_to_text(html: &str, max_html_bytes: usize) -> Converted {
    let bounded = markup::bound(html, max_html_bytes);
    let rendered = html2text::config::with_decorator(MailDecorator)
        .link_footnotes(false)
        .no_table_borders()
        .allow_width_overflow()
        .string_from_read(bounded.html.as_bytes(), WIDTH)
        .unwrap_or_else(|_| strip_tags(&bounded.html));
    Converted { text: tidy(&rendered), cut: bounded.cut, flattened: bounded.flattened }
}

/// How mail HTML is spelled as text: no markdown marks around emphasis or
/// links (a person wrote words, not markup), but quoted mail keeps its `> `
/// prefix so that the reply cutter sees it, lists keep their bullets, and an
/// image shows its alternative text.
#[derive(Clone, Copy)]
struct MailDecorator;

impl TextDecorator for MailDecorator {
    type Annotation = ();

    fn decorate_link_start(&mut self, _url: &str) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_link_end(&mut self) -> String {
        String::new()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, title: &str) -> (String, ()) {
        (if title.is_empty() { String::new() } else { format!("[{title}]") }, ())
    }
    fn header_prefix(&self, _level: usize) -> String {
        String::new()
    }
    fn quote_prefix(&self) -> String {
        "> ".into()
    }
    fn unordered_item_prefix(&self) -> String {
        "- ".into()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        MailDecorator
    }
    fn finalise(&mut self, _urls: Vec<String>) -> Vec<TaggedLine<()>> {
        Vec::new()
    }
}

/// The last resort when html2text refuses a document: drop tags, styles and
/// scripts, decode the few entities that matter to French text.
fn strip_tags(html: &str) -> String {
    static BLOCKS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)<(style|script|head)\b.*?</(style|script|head)\s*>").expect("static regex"));
    static BREAKS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>").expect("static regex"));
    static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("static regex"));
    let text = BLOCKS.replace_all(html, "");
    let text = BREAKS.replace_all(&text, "\n");
    let text = TAGS.replace_all(&text, "");
    text.replace("&nbsp;", " ")
        .replace("&eacute;", "é")
        .replace("&egrave;", "è")
        .replace("&agrave;", "à")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Non-breaking spaces become spaces, trailing spaces go, and runs of blank
/// lines collapse to one.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.replace('\u{a0}', " ");
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_shapes_become_readable_text() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "outlook paragraphs with o:p and entities",
                r#"<html><head><style>p.MsoNormal{margin:0}</style></head><body><p class=MsoNormal>Bonjour,<o:p></o:p></p><p class=MsoNormal>L&#8217;&eacute;cran&nbsp;reste noir.<o:p></o:p></p></body></html>"#,
                "Bonjour,\n\nL’écran reste noir.",
            ),
            ("line breaks are kept", "<div>ligne 1<br>ligne 2</div>", "ligne 1\nligne 2"),
            ("a blockquote becomes > lines", "<p>Oui.</p><blockquote>Question ?</blockquote>", "Oui.\n\n> Question ?"),
            ("scripts never show", "<script>alert(1)</script><p>texte</p>", "texte"),
            ("unclosed tags still give text", "<p>début <b>gras <i>fin", "début gras fin"),
            ("empty input", "", ""),
            ("a link keeps its text", r#"<p>Voir <a href="https://x.fr/a">la page</a></p>"#, "Voir la page"),
        ];
        let mut failures = Vec::new();
        for (name, html, expected) in cases {
            let got = html_to_text(html, 1 << 20).text;
            if got != *expected {
                failures.push(format!("{name}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_table_is_readable_without_borders() {
        let text = html_to_text(
            "<table><tr><td>Poste</td><td>PC-12</td></tr><tr><td>Salle</td><td>B204</td></tr></table>",
            1 << 20,
        )
        .text;
        assert!(text.contains("Poste") && text.contains("PC-12") && text.contains("B204"), "{text}");
        assert!(!text.contains('─') && !text.contains('|'), "{text}");
    }

    #[test]
    fn the_fallback_strips_tags_and_styles() {
        let text = strip_tags("<style>x{}</style><p>Bonjour&nbsp;&eacute;l&egrave;ve</p>");
        assert_eq!(text.trim(), "Bonjour élève");
    }
}
