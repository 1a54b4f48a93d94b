//! Issue 16's gap: the staff ticket page lists every file of the ticket,
//! private notes' included, and each can be downloaded, by staff only, and
//! only through its own ticket; the answer is the requester's route's (an
//! attachment, bytes unless a safe image).

use crate::web_staff_site::{BRUNO, field_after, staff_site};

const NOTE: &[u8] = b"Mot de passe du compte de service : voir le coffre, entree 12.";

#[test]
fn a_technician_downloads_a_private_notes_file_and_nobody_else_does() {
    let site = staff_site();
    let cookie = site.sign_in(BRUNO);
    let page = site.get("/staff/ticket/1", &cookie);
    let csrf = field_after(&page.body, "/answer\"", "csrf");
    let noted = site.post_multipart(
        "/staff/ticket/1/answer",
        &cookie,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("text", None, b"Le compte de service a expire."),
            ("private", None, b"on"),
            ("files", Some("coffre.txt"), NOTE),
        ],
    );
    assert_eq!(noted.status, 303, "the private note is written: {}", noted.body);

    let page = site.get("/staff/ticket/1", &cookie);
    // The file is shown with the note that brought it, marked private as
    // the note is, not among the request's files.
    let request = page.body.split("id=\"request-title\"").nth(1).and_then(|s| s.split("</section>").next());
    assert!(!request.expect("the request's section").contains("coffre.txt"), "not one of the request's files");
    let note = page.body.split("<li class=\"followup private\">").nth(1).and_then(|s| s.split("</li>\n").next());
    let note = note.expect("the private note in the conversation");
    assert!(note.contains("coffre.txt") && note.contains("Le compte de service a expire."), "{note}");
    let link = page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/staff/ticket/1/file/"))
        .expect("the page links the file")
        .to_string();
    let downloaded = site.get(&link, &cookie);
    assert_eq!(downloaded.status, 200, "{}", downloaded.body);
    assert_eq!(downloaded.body.as_bytes(), NOTE, "the file's bytes");
    assert_eq!(downloaded.header("content-type"), Some("application/octet-stream"), "text is bytes to save");
    assert!(
        downloaded
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;") && d.contains("coffre.txt")),
        "{:?}",
        downloaded.header("content-disposition")
    );

    let signed_out = site.get(&link, "");
    assert_eq!(signed_out.status, 303, "no session: to the sign-in page");
    assert!(signed_out.header("location").is_some_and(|l| l.ends_with("/staff/signin")));
    assert!(!signed_out.body.contains("coffre"), "and nothing of the file");

    let file = link.rsplit('/').next().expect("the file's id");
    let elsewhere = site.get(&format!("/staff/ticket/2/file/{file}"), &cookie);
    assert_eq!(elsewhere.status, 404, "the file through another ticket");
    assert!(!elsewhere.body.contains("coffre") && !elsewhere.body.contains("coffre.txt"), "shows nothing of it");

    // The requester's own route still hides a private note's file.
    let requester_link = site.requester_link_query();
    let by_requester = site.get(&format!("/ticket/1/file/{file}{requester_link}"), "");
    assert_eq!(by_requester.status, 403, "a private note's file is not the requester's");
}
