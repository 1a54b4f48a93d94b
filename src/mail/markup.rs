//! A mail's HTML made cheap to render. html5ever's tree builder and
//! html2text's renderer both cost time that grows with the depth of nesting
//! (each tag looks through the stack of open elements), and every level of
//! `<blockquote>` adds a quote prefix to every line under it: a 90 KB mail of
//! a few thousand nested `<div>`s or quotes took seconds and rendered to tens
//! of megabytes. [`bound`] rewrites the HTML in one pass of html5ever's
//! tokenizer, which is linear: elements nested deeper than [`MAX_DEPTH`]
//! (quotes deeper than [`MAX_QUOTE_DEPTH`]) lose their tags but keep their
//! text, tables lose their layout (rows become lines: html2text pads every
//! line of a cell to its column's width), scripts, styles and comments go,
//! only the attributes the renderer reads stay (no `data:` images), and the
//! output stops at a size bound. What comes out is small, shallow HTML that
//! renders in time proportional to it.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, TagKind, TagToken, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, local_name};

/// Deeper than this, elements are flattened into their parent. Real mail
/// nests a few dozen levels at most (Outlook's tables inside quoted tables).
pub const MAX_DEPTH: usize = 48;
/// Deeper quotes add no meaning to the text a technician reads (the reply
/// cutter only needs the first level), only bytes to every line.
pub const MAX_QUOTE_DEPTH: usize = 8;
/// The longest alternative text kept for an image.
const MAX_ALT_CHARS: usize = 200;
/// The tokenizer is fed this much at a time, so that it stops soon after
/// the output is full instead of reading a 30 MB body to the end.
const CHUNK_BYTES: usize = 64 * 1024;

/// HTML rewritten by [`bound`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded {
    pub html: String,
    /// The output reached its size bound: the rest of the body was not read.
    pub cut: bool,
    /// Some elements were nested too deep and were flattened.
    pub flattened: bool,
}

/// `html` rewritten shallow and at most about `max_bytes` long.
pub fn bound(html: &str, max_bytes: usize) -> Bounded {
    let sink = Rewriter { state: RefCell::new(State { max_bytes, ..State::default() }) };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        queue.push_back(StrTendril::from_slice(chunk));
        let _ = tokenizer.feed(&queue);
        if tokenizer.sink.state.borrow().full {
            break;
        }
    }
    tokenizer.end();
    let mut state = tokenizer.sink.state.into_inner();
    state.close_all();
    Bounded { html: state.out, cut: state.full, flattened: state.flattened }
}

#[derive(Default)]
struct State {
    out: String,
    max_bytes: usize,
    /// Open elements that were written, innermost last; never longer than
    /// MAX_DEPTH, so every search in it is bounded.
    open: Vec<LocalName>,
    quotes: usize,
    /// Inside a script, style or title, whose text is dropped.
    dropping: Option<LocalName>,
    full: bool,
    flattened: bool,
}

struct Rewriter {
    state: RefCell<State>,
}

impl TokenSink for Rewriter {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        if state.full {
            return TokenSinkResult::Continue;
        }
        let result = match token {
            TagToken(tag) if tag.kind == TagKind::StartTag => state.start(&tag.name, &tag.attrs),
            TagToken(tag) => {
                state.end(&tag.name);
                TokenSinkResult::Continue
            }
            CharacterTokens(text) => {
                if state.dropping.is_none() {
                    escape_into(&mut state.out, &text);
                }
                TokenSinkResult::Continue
            }
            // Doctype, comments, NULs and parse errors carry nothing to read.
            _ => TokenSinkResult::Continue,
        };
        if state.out.len() >= state.max_bytes {
            state.full = true;
        }
        result
    }
}

impl State {
    fn start(&mut self, name: &LocalName, attrs: &[html5ever::Attribute]) -> TokenSinkResult<()> {
        if self.dropping.is_some() {
            return TokenSinkResult::Continue;
        }
        match *name {
            local_name!("script") | local_name!("style") | local_name!("title") | local_name!("noscript") => {
                self.dropping = Some(name.clone());
                let kind = match *name {
                    local_name!("script") => RawKind::ScriptData,
                    local_name!("title") => RawKind::Rcdata,
                    _ => RawKind::Rawtext,
                };
                return TokenSinkResult::RawData(kind);
            }
            local_name!("br") | local_name!("hr") => {
                self.out.push_str(&format!("<{}>", name));
                return TokenSinkResult::Continue;
            }
            local_name!("img") => {
                self.image(attrs);
                return TokenSinkResult::Continue;
            }
            _ if is_void(name) => return TokenSinkResult::Continue,
            // No table layout: html2text pads every line of a cell to its
            // column's width, so one long line beside many short ones costs
            // lines × width (a 200 KB cell: 5 s and 1.4 GB). Rows become
            // lines and cells words of them, which a ticket reads as well.
            _ if is_table_part(name) => {
                let cell = matches!(*name, local_name!("td") | local_name!("th"));
                self.out.push_str(if cell { " " } else { "<br>" });
                return TokenSinkResult::Continue;
            }
            _ => {}
        }
        self.close_implied(name);
        let is_quote = *name == local_name!("blockquote");
        if self.open.len() >= MAX_DEPTH || (is_quote && self.quotes >= MAX_QUOTE_DEPTH) {
            // The tag goes, its text stays; a line break keeps block
            // boundaries readable.
            self.flattened = true;
            if is_block(name) {
                self.out.push_str("<br>");
            }
            return TokenSinkResult::Continue;
        }
        self.out.push('<');
        self.out.push_str(name);
        for attr in attrs {
            let kept = matches!(
                attr.name.local,
                local_name!("colspan") | local_name!("rowspan") | local_name!("start") | local_name!("type")
            );
            if kept && attr.value.len() <= 16 {
                self.out.push(' ');
                self.out.push_str(&attr.name.local);
                self.out.push_str("=\"");
                escape_into(&mut self.out, &attr.value);
                self.out.push('"');
            }
        }
        self.out.push('>');
        self.open.push(name.clone());
        if is_quote {
            self.quotes += 1;
        }
        TokenSinkResult::Continue
    }

    fn end(&mut self, name: &LocalName) {
        if let Some(dropping) = &self.dropping {
            if dropping == name {
                self.dropping = None;
            }
            return;
        }
        if *name == local_name!("br") {
            self.out.push_str("<br>");
            return;
        }
        match self.open.iter().rposition(|open| open == name) {
            Some(at) => self.close_to(at),
            // Opened too deep (flattened) or never opened.
            None if is_block(name) => self.out.push_str("<br>"),
            None => {}
        }
    }

    /// The end tags HTML implies: a new paragraph ends the open one, a new
    /// item the open item of the same list. Without this, unclosed `<p>`s would count as
    /// nesting and be flattened.
    fn close_implied(&mut self, name: &LocalName) {
        let (same, scope): (&[LocalName], &[LocalName]) = match *name {
            local_name!("p") => (&[local_name!("p")], &[]),
            local_name!("li") => (&[local_name!("li")], &[local_name!("ul"), local_name!("ol")]),
            local_name!("dt") | local_name!("dd") => (&[local_name!("dt"), local_name!("dd")], &[local_name!("dl")]),
            _ => return,
        };
        for at in (0..self.open.len()).rev() {
            let open = &self.open[at];
            if same.contains(open) {
                self.close_to(at);
                return;
            }
            // A paragraph is implied closed only when it is the innermost.
            if scope.contains(open) || scope.is_empty() {
                return;
            }
        }
    }

    /// Writes the end tags of the open elements from the innermost down to
    /// the one at `at`, included.
    fn close_to(&mut self, at: usize) {
        while self.open.len() > at {
            let Some(name) = self.open.pop() else { break };
            if name == local_name!("blockquote") {
                self.quotes -= 1;
            }
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
        }
    }

    fn close_all(&mut self) {
        self.close_to(0);
    }

    /// An image renders as its alternative text; its source (often a
    /// megabyte of `data:` base64) is not needed for that.
    fn image(&mut self, attrs: &[html5ever::Attribute]) {
        if !attrs.iter().any(|a| a.name.local == local_name!("src") && !a.value.is_empty()) {
            return;
        }
        let alt = attrs.iter().find(|a| a.name.local == local_name!("alt")).map(|a| &*a.value).unwrap_or("");
        let alt: String = alt.chars().take(MAX_ALT_CHARS).collect();
        self.out.push_str("<img src=\"x\" alt=\"");
        escape_into(&mut self.out, &alt);
        self.out.push_str("\">");
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn is_void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("input")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
    )
}

/// The elements of a table's layout, written as line breaks and spaces.
fn is_table_part(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("table")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tfoot")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
    )
}

fn is_block(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("div")
            | local_name!("p")
            | local_name!("blockquote")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("li")
            | local_name!("table")
            | local_name!("tr")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("pre")
            | local_name!("section")
            | local_name!("article")
            | local_name!("center")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, depth: usize, text: &str) -> String {
        format!("{}{text}{}", format!("<{tag}>{text}").repeat(depth), format!("</{tag}>").repeat(depth))
    }

    #[test]
    fn ordinary_html_passes_unchanged_in_shape() {
        let cases: &[(&str, &str, &str)] = &[
            ("paragraphs", "<p>un<p>deux", "<p>un</p><p>deux</p>"),
            ("a quote", "<blockquote>Question ?</blockquote>", "<blockquote>Question ?</blockquote>"),
            ("list items close each other", "<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>"),
            ("scripts, styles and comments go", "<style>p{}</style><script>x()</script><!-- c -->texte", "texte"),
            ("text is escaped again", "a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"),
            (
                "an inline image keeps its alt only",
                r#"<img src="data:image/png;base64,AAAA" alt="capture">"#,
                r#"<img src="x" alt="capture">"#,
            ),
            ("attributes the renderer ignores go", r#"<div class="x" style="y" onclick="z">t</div>"#, "<div>t</div>"),
            ("unclosed elements are closed", "<div><b>gras", "<div><b>gras</b></div>"),
        ];
        let mut failures = Vec::new();
        for (name, html, expected) in cases {
            let got = bound(html, 1 << 20);
            if got.html != *expected || got.cut || got.flattened {
                failures.push(format!("{name}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn deep_nesting_is_flattened_and_keeps_its_text() {
        for tag in ["div", "blockquote", "ul", "span", "font"] {
            let html = nested(tag, 5_000, "x");
            let got = bound(&html, 1 << 20);
            assert!(got.flattened, "{tag}");
            let opened = got.html.matches(&format!("<{tag}>")).count();
            let limit = if tag == "blockquote" { MAX_QUOTE_DEPTH } else { MAX_DEPTH };
            assert!(opened <= limit, "{tag}: {opened} levels kept");
            assert_eq!(got.html.matches('x').count(), 5_001, "{tag}: every text kept");
        }
    }

    #[test]
    fn tables_become_lines_of_words_whatever_their_nesting() {
        let cases: &[(&str, &str, &str)] = &[
            ("rows and cells", "<table><tr><td>a<td>b<tr><td>c</table>", "<br><br> a b<br> c<br>"),
            (
                "a table in a cell",
                "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>",
                "<br><br> <br><br> x<br><br><br><br>",
            ),
        ];
        for (name, html, expected) in cases {
            let got = bound(html, 1 << 20);
            assert_eq!(got.html, *expected, "{name}");
            assert!(!got.flattened, "{name}: tables are not a defect");
        }
        let deep = bound(&nested("table", 5_000, "x"), 1 << 20);
        assert_eq!(deep.html.matches('x').count(), 5_001, "every text kept");
        assert!(!deep.html.contains("<t"), "no table element is kept");
    }

    #[test]
    fn the_output_stops_at_its_bound() {
        let html = "<p>ligne de texte</p>".repeat(100_000);
        let got = bound(&html, 10_000);
        assert!(got.cut);
        assert!(got.html.len() < 10_000 + CHUNK_BYTES, "{}", got.html.len());
    }

    #[test]
    fn many_unclosed_paragraphs_are_not_nesting() {
        let html = "<p>texte".repeat(1_000);
        let got = bound(&html, 1 << 20);
        assert!(!got.flattened);
        assert_eq!(got.html.matches("<p>").count(), 1_000);
    }
}
