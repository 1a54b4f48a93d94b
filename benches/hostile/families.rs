//! The pathological mails of issue 11, each made at any size: what an
//! attacker with only an email address can send, from a colleague's address
//! (a stranger's body is never read; a colleague's is, so this is the costly
//! case). Every mail carries `SEQ_MARKER` once, in its Message-ID, so that a
//! benchmark can make each iteration a new mail by overwriting those digits.

/// Twelve digits a benchmark overwrites to make each iteration a new mail.
pub const SEQ_MARKER: &[u8] = b"HSEQ000000000000";

/// One family: `make(n)` is the mail at size `n`, counted in `unit`.
pub struct Family {
    pub name: &'static str,
    pub unit: &'static str,
    /// The smallest size measured; the benchmark also takes 2× and 4×.
    pub base: usize,
    pub make: fn(usize) -> Vec<u8>,
}

const MESSAGE_ID: &str = "<HSEQ000000000000@mail.ac-exemple.fr>";
const FROM: &str = "Marie Dupont <marie.dupont@ac-exemple.fr>";
const SUBJECT: &str = "Imprimante en panne";

pub const FAMILIES: &[Family] = &[
    Family { name: "nested blockquote", unit: "bytes", base: 64 << 10, make: nested_blockquote },
    Family { name: "nested div", unit: "bytes", base: 64 << 10, make: nested_div },
    Family { name: "nested ul li", unit: "bytes", base: 64 << 10, make: nested_list },
    Family { name: "wide table cell", unit: "bytes", base: 64 << 10, make: wide_table },
    Family { name: "single-line HTML", unit: "bytes", base: 200 << 10, make: single_line_html },
    Family { name: "short text lines", unit: "bytes", base: 60 << 10, make: short_lines },
    Family { name: "many Cc", unit: "addresses", base: 2_500, make: many_cc },
    Family { name: "long Subject", unit: "bytes", base: 256 << 10, make: long_subject },
    Family { name: "encoded-word Subject", unit: "bytes", base: 256 << 10, make: encoded_subject },
    Family { name: "long Message-ID", unit: "bytes", base: 256 << 10, make: long_message_id },
    Family { name: "long References", unit: "ids", base: 25_000, make: long_references },
    Family { name: "long display name", unit: "bytes", base: 256 << 10, make: long_display_name },
];

/// A mail with these headers and body; `extra` ends with CRLF when not empty.
fn mail(from: &str, subject: &str, message_id: &str, extra: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support-informatique@ac-exemple.fr\r\nSubject: {subject}\r\n\
         Message-ID: {message_id}\r\nDate: Mon, 3 Mar 2025 10:12:00 +0100\r\n{extra}MIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn html_mail(body: &str) -> Vec<u8> {
    mail(FROM, SUBJECT, MESSAGE_ID, "", "text/html; charset=utf-8", body)
}

fn text_mail(from: &str, subject: &str, message_id: &str, extra: &str) -> Vec<u8> {
    let body = "Bonjour,\r\nl'imprimante du secrétariat ne répond plus.\r\nMerci.";
    mail(from, subject, message_id, extra, "text/plain; charset=utf-8", body)
}

/// `open` repeated, each followed by a word, then as many `close`: about `n` bytes.
fn nested(n: usize, open: &str, close: &str) -> Vec<u8> {
    let unit = open.len() + "mot ".len() + close.len();
    let levels = n / unit;
    let mut body = String::with_capacity(n + 64);
    body.push_str("<html><body>");
    for _ in 0..levels {
        body.push_str(open);
        body.push_str("mot ");
    }
    for _ in 0..levels {
        body.push_str(close);
    }
    body.push_str("</body></html>");
    html_mail(&body)
}

fn nested_blockquote(n: usize) -> Vec<u8> {
    nested(n, "<blockquote>", "</blockquote>")
}

fn nested_div(n: usize) -> Vec<u8> {
    nested(n, "<div>", "</div>")
}

fn nested_list(n: usize) -> Vec<u8> {
    nested(n, "<ul><li>", "</li></ul>")
}

/// A table cell of one 9,000-character line and `n` bytes of line breaks,
/// beside another cell: a layout that pads every line to the long one.
fn wide_table(n: usize) -> Vec<u8> {
    let cell = format!("{}{}", "x".repeat(9_000), "<br>".repeat(n.saturating_sub(9_000) / 4));
    html_mail(&format!("<html><body><table><tr><td>{cell}</td><td>y</td></tr></table></body></html>"))
}

/// One line of `n` bytes of sibling inline elements and words.
fn single_line_html(n: usize) -> Vec<u8> {
    let unit = "<b>mot</b> texte <i>encore</i> ";
    html_mail(&format!("<html><body><p>{}</p></body></html>", unit.repeat(n / unit.len())))
}

/// `n` bytes of one-character lines: the most lines per byte.
fn short_lines(n: usize) -> Vec<u8> {
    mail(FROM, SUBJECT, MESSAGE_ID, "", "text/plain; charset=utf-8", &"x\r\n".repeat(n / 3))
}

/// `n` colleagues of the institution in Cc, one per folded line.
fn many_cc(n: usize) -> Vec<u8> {
    let list: Vec<String> = (0..n).map(|i| format!("Collegue {i} <collegue.{i}@ac-exemple.fr>")).collect();
    text_mail(FROM, SUBJECT, MESSAGE_ID, &format!("Cc: {}\r\n", list.join(",\r\n ")))
}

/// A Subject of `n` bytes of words on one line.
fn long_subject(n: usize) -> Vec<u8> {
    text_mail(FROM, &"mot ".repeat(n / 4), MESSAGE_ID, "")
}

/// A Subject of `n` bytes of encoded words, each to be decoded and joined.
fn encoded_subject(n: usize) -> Vec<u8> {
    let word = "=?utf-8?q?caf=C3=A9_cr=C3=A8me?= ";
    text_mail(FROM, &word.repeat(n / word.len()), MESSAGE_ID, "")
}

/// A Message-ID of `n` bytes.
fn long_message_id(n: usize) -> Vec<u8> {
    let id = format!("<HSEQ000000000000{}@mail.ac-exemple.fr>", "a".repeat(n));
    text_mail(FROM, SUBJECT, &id, "")
}

/// In-Reply-To and References naming `n` Message-IDs, folded one per line.
fn long_references(n: usize) -> Vec<u8> {
    let ids: Vec<String> = (0..n).map(|i| format!("<ref.{i}@mail.ac-exemple.fr>")).collect();
    let extra = format!("In-Reply-To: {}\r\nReferences: {}\r\n", ids[n - 1], ids.join("\r\n "));
    text_mail(FROM, &format!("RE: {SUBJECT}"), MESSAGE_ID, &extra)
}

/// A From display name of `n` bytes, which greetings would paste.
fn long_display_name(n: usize) -> Vec<u8> {
    let from = format!("\"Marie {}\" <marie.dupont@ac-exemple.fr>", "Dupont ".repeat(n / 7));
    text_mail(&from, SUBJECT, MESSAGE_ID, "")
}

/// Writes `seq` into the mail's marker digits: a new Message-ID and content.
pub fn stamp(mail: &mut [u8], at: usize, seq: u64) {
    let digits = format!("{:012}", seq % 1_000_000_000_000);
    mail[at + 4..at + 16].copy_from_slice(digits.as_bytes());
}

/// Where the marker is in `mail`.
pub fn marker(mail: &[u8]) -> usize {
    mail.windows(SEQ_MARKER.len()).position(|w| w == SEQ_MARKER).expect("every family carries the marker")
}

/// The family's mail grown or shrunk to about `bytes` in all, for the
/// absolute targets (a mail just under `limits.max_message_bytes`).
pub fn at_total_size(family: &Family, bytes: usize) -> Vec<u8> {
    let probe = (family.make)(family.base);
    let per_unit = probe.len() as f64 / family.base as f64;
    let mut n = (bytes as f64 / per_unit) as usize;
    loop {
        let mail = (family.make)(n);
        if mail.len() <= bytes {
            return mail;
        }
        n = n * 99 / 100;
    }
}
