//! What becomes of the parts of a mail that are not its text: every one is
//! a file, kept and counted, wherever the sender's client put it.

use super::*;

fn mail(text: &str) -> InboundMail {
    parse(text.replace('\n', "\r\n").as_bytes()).expect("parses")
}

/// A multipart/mixed the way Apple Mail and phones send a photo: text, the
/// image inline (or with no disposition at all), more text.
fn between_text_parts(image_headers: &str) -> String {
    format!(
        "From: a@ac.fr\nSubject: Photo\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain; charset=utf-8\n\nVoici l'écran :\n\
         --b\n{image_headers}Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n\
         --b\nContent-Type: text/plain; charset=utf-8\n\nMerci.\n--b--\n"
    )
}

#[test]
fn a_photo_between_text_parts_is_kept_as_an_inline_file_and_the_text_stays_whole() {
    let table = [
        (
            "inline with a name",
            "Content-Type: image/png; name=\"IMG_0042.png\"\nContent-Disposition: inline; filename=\"IMG_0042.png\"\n",
            "IMG_0042.png",
        ),
        ("no disposition", "Content-Type: image/png; name=\"photo.png\"\n", "photo.png"),
        ("no name at all", "Content-Type: image/png\n", "attachment-1.png"),
        ("video from a phone", "Content-Type: video/mp4\nContent-Disposition: inline\n", "attachment-1.bin"),
        ("audio memo", "Content-Type: audio/mpeg; name=\"memo.mp3\"\n", "memo.mp3"),
    ];
    for (name, headers, filename) in table {
        let m = mail(&between_text_parts(headers));
        assert_eq!(m.attachments.len(), 1, "{name}: {:?}", m.attachments);
        let a = &m.attachments[0];
        assert_eq!((a.filename.as_str(), a.inline, a.size), (filename, true, 8), "{name}");
        assert!(m.text.contains("Voici l'écran :") && m.text.contains("Merci."), "{name}: {:?}", m.text);
    }
}

#[test]
fn an_inline_image_of_an_html_mail_keeps_its_content_id() {
    let m = mail(
        "From: a@ac.fr\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"r\"\n\n\
         --r\nContent-Type: text/html; charset=utf-8\n\n<p>Voici <img src=\"cid:capture@x\"></p>\n\
         --r\nContent-Type: image/png; name=\"capture.png\"\nContent-ID: <capture@x>\n\
         Content-Disposition: inline; filename=\"capture.png\"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n",
    );
    let files: Vec<(&str, bool, Option<&str>)> =
        m.attachments.iter().map(|a| (a.filename.as_str(), a.inline, a.content_id.as_deref())).collect();
    assert_eq!(files, [("capture.png", true, Some("capture@x"))]);
}

#[test]
fn a_format_flowed_text_is_read_as_its_paragraphs() {
    let m = mail(
        "From: a@ac.fr\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n\
         L'imprimante du secr \nétariat ne répond plus depuis  \nce matin.\n\n> Le ticket  \n> cité\n",
    );
    assert_eq!(m.text, "L'imprimante du secrétariat ne répond plus depuis ce matin.\n\n> Le ticket cité");
    let plain = mail("From: a@ac.fr\nContent-Type: text/plain; charset=utf-8\n\nune ligne \nune autre\n");
    assert_eq!(plain.text, "une ligne \nune autre", "without format=flowed, lines stay as they are");
}
