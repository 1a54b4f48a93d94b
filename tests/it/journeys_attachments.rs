//! Issue 13, point 1, played by mail through the binary on the shipped
//! configuration (the file transport writes each notification as an .eml,
//! read back with mail-parser): a requester's photo and file reach the
//! technicians attached to their notification, a technician's file
//! reaches the requester, a private followup's file goes nowhere, files
//! over `notifications.max_attachment_bytes` are listed by name and size
//! instead, and an inline image of an HTML mail stays inline with its
//! Content-ID.

use crate::support::{Install, mail};

use mail_parser::{MessageParser, MimeHeaders};

const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
const ALICE: &str = "alice.martin@ac-exemple.fr";
const BRUNO: &str = "bruno.leroy@ac-exemple.fr";

/// A file part of a test mail: its headers and its content (7bit ASCII,
/// so that its size is what is written).
struct Part<'a> {
    headers: &'a str,
    content: String,
}

/// `n` bytes of file content on CRLF lines of 78 bytes.
fn content(seed: char, n: usize) -> String {
    let line: String = std::iter::repeat_n(seed, 76).collect::<String>() + "\r\n";
    let mut out = line.repeat(n / 78 + 1);
    out.truncate(n);
    out
}

/// A multipart/mixed mail: the text parts and files in order. The mail is
/// written in CRLF, the files' content as it is.
fn multipart(headers: &str, parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = String::new();
    for (n, p) in parts.iter().enumerate() {
        body.push_str(&format!("--sep\n{}\n{{content {n}}}\n", p.headers));
    }
    body.push_str("--sep--");
    let skeleton =
        mail(&format!("{headers}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"sep\""), &body);
    let mut text = String::from_utf8(skeleton).expect("utf-8");
    for (n, p) in parts.iter().enumerate() {
        text = text.replace(&format!("{{content {n}}}"), &p.content);
    }
    text.into_bytes()
}

fn text(t: &str) -> Part<'_> {
    Part { headers: "Content-Type: text/plain; charset=utf-8\n", content: t.to_string() }
}

/// A sent notification: event, recipient, and its files as (name, inline,
/// Content-ID, content), read from the .eml the file transport wrote.
struct Sent {
    event: String,
    to: String,
    text: String,
    files: Vec<(String, bool, Option<String>, Vec<u8>)>,
}

fn sent(install: &Install) -> Vec<Sent> {
    let rows = install.json(&["outbox", "list"]);
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let path = r["delivered_to"].as_str().expect("written");
            let bytes = std::fs::read(path).expect("the .eml");
            let message = MessageParser::default().parse(&bytes).expect("a mail");
            let files = message
                .attachments()
                .map(|a| {
                    let inline = a.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
                    let name = a.attachment_name().unwrap_or("").to_string();
                    (name, inline, a.content_id().map(str::to_string), a.contents().to_vec())
                })
                .collect();
            Sent {
                event: r["event"].as_str().unwrap_or("").into(),
                to: r["to"].as_str().unwrap_or("").into(),
                text: message.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
                files,
            }
        })
        .collect()
}

/// A notification as compared: event, recipient, its files (name, inline).
type Seen<'a> = (&'a str, &'a str, Vec<(&'a str, bool)>);

fn seen(s: &Sent) -> Seen<'_> {
    (s.event.as_str(), s.to.as_str(), names(s))
}

fn names(s: &Sent) -> Vec<(&str, bool)> {
    s.files.iter().map(|(n, inline, _, _)| (n.as_str(), *inline)).collect()
}

#[test]
fn files_travel_with_public_notifications_and_are_listed_when_too_large() {
    let install = Install::with_config(|c| c.replace("max_attachment_bytes = 10485760", "max_attachment_bytes = 4096"));
    let photo = content('p', 1500);
    let report = content('r', 1200);
    // A photo as Apple Mail sends it: inline, between two text parts; a PDF.
    install.deliver(
        "1.mail",
        &multipart(
            &format!("From: {REQUESTER}\nTo: support-informatique@ac-exemple.fr\nSubject: Écran noir\nMessage-ID: <r1@mua.ac-exemple.fr>"),
            &[
                text("Voici l'écran :"),
                Part { headers: "Content-Type: image/jpeg; name=\"IMG_0042.jpg\"\n", content: photo.clone() },
                text("Merci."),
                Part {
                    headers: "Content-Type: application/pdf; name=\"rapport.pdf\"\nContent-Disposition: attachment; filename=\"rapport.pdf\"\n",
                    content: report.clone(),
                },
            ],
        ),
    );
    install.ok(&["run", "--once"]);
    let stored = install.json(&["tickets", "show", "1"]);
    let stored: Vec<(&str, u64)> = stored["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| (a["filename"].as_str().unwrap_or(""), a["size"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(stored, [("IMG_0042.jpg", 1500), ("rapport.pdf", 1200)], "the inline photo is stored and counted");
    let all = sent(&install);
    let got: Vec<Seen<'_>> = all.iter().map(seen).collect();
    let files = vec![("IMG_0042.jpg", true), ("rapport.pdf", false)];
    assert_eq!(
        got,
        [
            ("ticket_new", REQUESTER, vec![]),
            ("ticket_new_staff", ALICE, files.clone()),
            ("ticket_new_staff", BRUNO, files)
        ],
        "the technicians get the files; the requester's acknowledgment does not send them back"
    );
    for s in &all[1..] {
        assert_eq!(s.files[0].3, photo.as_bytes(), "the photo's bytes");
        assert_eq!(s.files[1].3, report.as_bytes(), "the report's bytes");
        assert!(
            s.text.contains("Pièces jointes à ce courriel :\n  - IMG_0042.jpg (2 Ko)\n  - rapport.pdf (2 Ko)\n"),
            "{}",
            s.text
        );
    }

    // The technician answers with a file: it reaches the requester.
    let guide = content('g', 900);
    install.deliver(
        "2.mail",
        &multipart(
            &format!("From: {ALICE}\nTo: support-informatique@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Écran noir\nMessage-ID: <t1@mua.ac-exemple.fr>"),
            &[
                text("Suivez la procédure jointe."),
                Part { headers: "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"procedure.pdf\"\n", content: guide.clone() },
            ],
        ),
    );
    // A private note's file goes nowhere.
    install.deliver(
        "3.mail",
        &multipart(
            &format!("From: {ALICE}\nTo: support-informatique@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Écran noir\nMessage-ID: <t2@mua.ac-exemple.fr>"),
            &[
                text("#privé\nLe mot de passe admin est dans le fichier."),
                Part { headers: "Content-Type: text/plain; name=\"secret.txt\"\nContent-Disposition: attachment; filename=\"secret.txt\"\n", content: content('s', 100) },
            ],
        ),
    );
    // The requester sends a file over the notification limit: listed.
    install.deliver(
        "4.mail",
        &multipart(
            &format!("From: {REQUESTER}\nTo: support-informatique@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Écran noir\nMessage-ID: <r2@mua.ac-exemple.fr>"),
            &[
                text("Le journal complet."),
                Part { headers: "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"journal.log\"\n", content: content('j', 6000) },
            ],
        ),
    );
    install.ok(&["run", "--once"]);
    let all = sent(&install);
    let later: Vec<Seen<'_>> = all[3..].iter().map(seen).collect();
    assert_eq!(
        later,
        [("followup", REQUESTER, vec![("procedure.pdf", false)]), ("followup", ALICE, vec![])],
        "the technician's file reaches the requester; the private note reaches nobody; the large file is listed"
    );
    assert_eq!(all[3].files[0].3, guide.as_bytes());
    assert!(
        !all.iter().any(|s| s.files.iter().any(|f| f.0 == "secret.txt")),
        "a private followup's file never travels"
    );
    assert!(
        all[4].text.contains(
            "Pièces jointes, trop volumineuses pour ce courriel (6 Ko au total, au-delà de 4 Ko) ; elles sont sur le ticket : \
             https://assistance.ac-exemple.fr/front/ticket.form.php?id=1\n  - journal.log (6 Ko)\n"
        ),
        "{}",
        all[4].text
    );
}

#[test]
fn an_inline_image_of_an_html_mail_stays_inline_with_its_content_id() {
    let install = Install::new();
    let image = content('i', 700);
    let body = "--rel\nContent-Type: text/html; charset=utf-8\n\n<p>L'erreur :</p><img src=\"cid:err@mua\">\n\
         --rel\nContent-Type: image/png; name=\"erreur.png\"\nContent-ID: <err@mua>\nContent-Disposition: inline; filename=\"erreur.png\"\n\n{image}\n--rel--";
    let raw = mail(
        &format!(
            "From: {REQUESTER}\nTo: support-informatique@ac-exemple.fr\nSubject: Erreur\nMessage-ID: <h1@mua.ac-exemple.fr>\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"rel\""
        ),
        body,
    );
    let raw = String::from_utf8(raw).expect("utf-8").replace("{image}", &image);
    install.deliver("1.mail", raw.as_bytes());
    install.ok(&["run", "--once"]);
    let all = sent(&install);
    let staff: Vec<&Sent> = all.iter().filter(|s| s.event == "ticket_new_staff").collect();
    assert_eq!(staff.len(), 2, "both technicians");
    for s in staff {
        assert_eq!(
            s.files,
            [("erreur.png".to_string(), true, Some("err@mua".to_string()), image.clone().into_bytes())],
            "{}",
            s.to
        );
    }
}

#[test]
fn an_inline_photo_counts_against_the_attachment_limit() {
    let install = Install::with_config(|c| c.replace("max_attachment_bytes = 20971520", "max_attachment_bytes = 1000"));
    install.deliver(
        "1.mail",
        &multipart(
            &format!("From: {REQUESTER}\nTo: support-informatique@ac-exemple.fr\nSubject: Photo\nMessage-ID: <p1@mua.ac-exemple.fr>"),
            &[
                text("Voici :"),
                Part { headers: "Content-Type: image/jpeg; name=\"IMG_0043.jpg\"\n", content: content('p', 1500) },
                text("Merci."),
            ],
        ),
    );
    install.ok(&["run", "--once"]);
    let messages = install.json(&["messages", "list"]);
    let record = &messages.as_array().expect("messages")[0];
    assert_eq!(record["outcome"], "refused", "{record}");
    let reason = record["reason"].as_str().unwrap_or("");
    assert!(reason.contains("IMG_0043.jpg") && reason.contains("limits.max_attachment_bytes"), "{reason}");
}
