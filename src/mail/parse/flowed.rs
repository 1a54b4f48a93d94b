//! `text/plain; format=flowed` (RFC 3676), as Thunderbird and many phones
//! send it: a line ending in a space is a soft break, and the next line
//! continues the same paragraph. Read as it is, every paragraph of such a
//! mail is cut into 72-column pieces, in the ticket and in every quote of
//! it; re-joined, it reads as the person wrote it.

/// `text` with its soft line breaks joined. `delsp` (`DelSp=yes`) means the
/// space before a soft break was added by the sender and goes. Quoted lines
/// (`>`) join only with lines of the same depth; the space that stuffs a
/// line beginning with a space, `>` or `From ` is removed; the signature
/// separator `-- ` is a hard break. Linear in the text.
pub(super) fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The quote depth of the paragraph being joined, while one is.
    let mut joining: Option<usize> = None;
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        if joining != Some(depth) {
            if joining.is_some() {
                // A soft break followed by a line of another depth: the
                // paragraph ends there (RFC 3676 §4.5).
                out.push('\n');
            }
            if depth > 0 {
                out.push_str(&line[..depth]);
                out.push(' ');
            }
        }
        if soft {
            out.push_str(if delsp { &content[..content.len() - 1] } else { content });
            joining = Some(depth);
        } else {
            out.push_str(content);
            out.push('\n');
            joining = None;
        }
    }
    if !text.ends_with('\n') && joining.is_none() {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unflow;

    #[test]
    fn soft_breaks_are_joined_and_hard_ones_kept() {
        let table: [(&str, bool, &str); 8] = [
            (
                "Bonjour,\n\nL'imprimante de la salle \n12 ne marche plus.\nMerci",
                false,
                "Bonjour,\n\nL'imprimante de la salle 12 ne marche plus.\nMerci",
            ),
            ("L'impri\r\nmante\r\n", false, "L'impri\nmante\n"),
            ("L'impri \r\nmante \r\nest en panne\r\n", true, "L'imprimanteest en panne\n"),
            ("un \ndeux \ntrois\n", true, "undeuxtrois\n"),
            ("> cité \n> suite\nréponse\n", false, "> cité suite\nréponse\n"),
            ("> cité \nréponse\n", false, "> cité \nréponse\n"),
            ("texte\n-- \nMarie Dupont\n", false, "texte\n-- \nMarie Dupont\n"),
            ("  indenté\n >From\n", false, " indenté\n>From\n"),
        ];
        for (text, delsp, expected) in table {
            assert_eq!(unflow(text, delsp), expected, "{text:?} delsp={delsp}");
        }
    }
}
