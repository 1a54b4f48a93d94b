//! Mutation operators: what a broken mailer or an attacker does to a mail.
//! Each mutant is made from (seed, index) alone, so that any one of them can
//! be made again without the others (`--save INDEX`).

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn for_mutant(seed: u64, index: u64) -> Rng {
        let mut rng = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Log-uniform in `1..=max`: small values often, large ones sometimes.
    pub fn size(&mut self, max: usize) -> usize {
        let bits = 64 - (max.max(1) as u64).leading_zeros() as usize;
        let scale = 1usize << self.below(bits + 1);
        (1 + self.below(scale)).min(max)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// The largest mutant made: under `limits.max_message_bytes` (30 MiB), so
/// that every mutant is read, not refused for its size.
pub const MAX_MUTANT_BYTES: usize = 30 << 20;

const CHARSETS: &[&str] = &[
    "utf-8",
    "iso-8859-1",
    "iso-8859-15",
    "windows-1252",
    "utf-16",
    "utf-16le",
    "utf-7",
    "gb2312",
    "shift_jis",
    "koi8-r",
    "big5",
    "x-unknown",
    "",
    "\"utf-8",
    "utf-8\"; charset=latin1",
];
const ENCODINGS: &[&str] =
    &["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "bogus", "", "base64 base64"];
const HEADERS: &[&str] = &[
    "Content-Type: multipart/mixed; boundary=\"zz\"\r\n",
    "Content-Type: multipart/alternative; boundary=\r\n",
    "Content-Type: text/html; charset=utf-16\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment; filename*0*=utf-8''..%2F..%2F; filename*1=etc\r\n",
    "Subject: =?utf-8?b?Q2Fmw6k=?= =?iso-8859-1?q?=E9t=E9?= =?x-bogus?q?a?=\r\n",
    "From: \"=?utf-8?q?=00=0A?=\" <a@ac-exemple.fr>, <b@ac-exemple.fr>\r\n",
    "From: <>\r\n",
    "Cc: ,,,<@>, \"\" <>, a@, @b, group: c@ac-exemple.fr;\r\n",
    "In-Reply-To: <mailgate.1.new.abc@ac-exemple.fr> <<>>\r\n",
    "References: <GLPI_0-Ticket-1/followup@x> <mailgate.99999999999999999999.new.x@ac-exemple.fr>\r\n",
    "Message-ID: <>\r\n",
    "Message-ID: <a@b> <c@d>\r\n",
    "Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n",
    "Auto-Submitted: no\r\n",
    "Subject: [GLPI #99999999999999999999999] RE: RE:\r\n",
    "Subject: [GLPI #0000001] #solution #assign #group #prio 9 #close\r\n",
    "X-Header-Without-Colon\r\n",
    " folded continuation without a header\r\n",
    "\r\n",
];
const TOKENS: &[&str] = &[
    "\r\n",
    "\n",
    "\r",
    "=\r\n",
    "=",
    "=?utf-8?b?",
    "?=",
    "<",
    ">",
    "<div>",
    "<blockquote>",
    "</div>",
    "<table><tr><td>",
    "<!--",
    "&#x10FFFF;",
    "&",
    "--",
    "-- \r\n",
    "\"",
    "\\",
    " ",
    "\t",
    "\0",
    "\u{feff}",
    "é",
    "\u{202e}",
    "> ",
    ">>>>>>",
    "Le lun. 3 mars 2025 à 10:12, X a écrit :\n",
    "-----Message d'origine-----\n",
    "[GLPI #0000001]",
];

/// Where the header ends (the first empty line), or the end.
fn head_end(mail: &[u8]) -> usize {
    mail.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| mail.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(mail.len())
}

/// A position at the start of a line, or anywhere in a mail without lines.
fn line_start(rng: &mut Rng, mail: &[u8], within: usize) -> usize {
    let within = within.min(mail.len());
    let at = rng.below(within + 1);
    mail[..at].iter().rposition(|&b| b == b'\n').map(|p| p + 1).unwrap_or(0)
}

/// The boundaries a mail declares, or a made-up one.
fn boundary(rng: &mut Rng, mail: &[u8]) -> String {
    let text = String::from_utf8_lossy(mail);
    let found: Vec<&str> = text
        .match_indices("boundary=")
        .filter_map(|(i, _)| text[i + 9..].split(['\r', '\n', ';']).next())
        .map(|b| b.trim_matches('"'))
        .collect();
    if found.is_empty() { "zz".into() } else { rng.pick(&found).to_string() }
}

/// Replaces every value after `key` (up to the line's end or `;`) with `with`.
fn swap_values(mail: &[u8], key: &str, with: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(mail).into_owned();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(key) {
        let start = i + key.len();
        if start < last {
            continue;
        }
        let end = text[start..].find(['\r', '\n', ';']).map_or(text.len(), |e| start + e);
        out.push_str(&text[last..start]);
        out.push_str(with);
        last = end;
    }
    out.push_str(&text[last..]);
    if out.len() == text.len() && out == text { mail.to_vec() } else { out.into_bytes() }
}

/// Applies one to three operators; returns the mutant and their names.
pub fn mutate(rng: &mut Rng, original: &[u8]) -> (Vec<u8>, Vec<&'static str>) {
    let mut mail = original.to_vec();
    let mut names = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let name = apply(rng, &mut mail);
        names.push(name);
        if mail.len() > MAX_MUTANT_BYTES {
            mail.truncate(MAX_MUTANT_BYTES);
        }
    }
    (mail, names)
}

fn apply(rng: &mut Rng, mail: &mut Vec<u8>) -> &'static str {
    let len = mail.len();
    match rng.below(13) {
        0 => {
            for _ in 0..rng.size(32) {
                if len > 0 {
                    let at = rng.below(len);
                    mail[at] = rng.next() as u8;
                }
            }
            "byte flips"
        }
        1 => {
            let b = boundary(rng, mail);
            let line = match rng.below(3) {
                0 => format!("--{b}\r\n"),
                1 => format!("--{b}--\r\n"),
                _ => format!("--{b}\r\nContent-Type: text/html\r\n\r\n<p>inséré</p>\r\n"),
            };
            for _ in 0..rng.size(8) {
                let at = line_start(rng, mail, mail.len());
                mail.splice(at..at, line.bytes());
            }
            "MIME boundaries inserted"
        }
        2 => {
            let header = rng.pick(HEADERS);
            let at = line_start(rng, mail, head_end(mail));
            mail.splice(at..at, header.bytes());
            "header inserted"
        }
        3 => {
            let depth = rng.size(5_000);
            let mut nest = String::new();
            for k in 0..depth {
                nest += &format!("Content-Type: multipart/mixed; boundary=\"n{k}\"\r\n\r\n--n{k}\r\n");
            }
            nest += "Content-Type: text/plain\r\n\r\nau fond\r\n";
            let at = line_start(rng, mail, mail.len());
            mail.splice(at..at, nest.bytes());
            "nested multiparts"
        }
        4 => {
            let tag = rng.pick(&["<blockquote>", "<div>", "<ul><li>", "<table><tr><td>", "<b><i><u>", "<q>"]);
            let html = format!("<html><body>{}fond</body></html>", format!("{tag}mot ").repeat(rng.size(20_000)));
            let at = line_start(rng, mail, mail.len());
            mail.splice(at..at, html.bytes());
            "HTML nesting"
        }
        5 => {
            mail.truncate(rng.below(len + 1));
            "truncated"
        }
        6 => {
            let b = boundary(rng, mail);
            let text = String::from_utf8_lossy(mail).into_owned();
            let marker = format!("--{b}");
            let starts: Vec<usize> = text.match_indices(&marker).map(|(i, _)| i).collect();
            let (from, to) = if starts.len() >= 2 {
                let k = rng.below(starts.len() - 1);
                (starts[k], starts[k + 1])
            } else {
                let a = rng.below(len + 1);
                (a, a + rng.below(len - a + 1))
            };
            let copies = mail[from..to].repeat(rng.size(50));
            mail.splice(to..to, copies);
            "part duplicated"
        }
        7 => {
            *mail = swap_values(mail, "charset=", rng.pick(CHARSETS));
            "charset swapped"
        }
        8 => {
            *mail = swap_values(mail, "content-transfer-encoding:", &format!(" {}", rng.pick(ENCODINGS)));
            "encoding swapped"
        }
        9 => {
            let token = rng.pick(TOKENS).as_bytes();
            let total = rng.size(4 << 20);
            let mut run = Vec::with_capacity(total + token.len());
            while run.len() < total {
                run.extend_from_slice(token);
            }
            let at = rng.below(len + 1);
            mail.splice(at..at, run);
            "huge repeat"
        }
        10 => {
            let mut out = Vec::with_capacity(len);
            let into: &[u8] = rng.pick(&[&b"\n"[..], &b"\r"[..], &b"\r\r\n"[..], &b""[..]]);
            let mut i = 0;
            while i < len {
                if mail[i..].starts_with(b"\r\n") {
                    out.extend_from_slice(into);
                    i += 2;
                } else {
                    out.push(mail[i]);
                    i += 1;
                }
            }
            *mail = out;
            "line endings changed"
        }
        11 => {
            let at = line_start(rng, mail, head_end(mail));
            let header = format!("X-Storm: {}\r\n", " a\r\n".repeat(rng.size(100_000)));
            mail.splice(at..at, header.bytes());
            "folding storm"
        }
        _ => {
            let a = rng.below(len + 1);
            let b = a + rng.below((len - a).min(4096) + 1);
            let copies = mail[a..b].repeat(rng.size(1_000));
            mail.splice(b..b, copies);
            "slice repeated"
        }
    }
}
