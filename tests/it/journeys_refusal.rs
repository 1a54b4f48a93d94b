//! Refused senders may be told why (issue 13, point 5), played by mail: a
//! person writing from outside gets one polite answer a day when
//! `institution.refusal_reply` is on, a robot never does, and a colleague
//! whose file was over the limit is told so, with the limit.

use crate::desk::Desk;
use mailgate::intake::Outcome;

fn refusals(desk: &Desk) -> Vec<(String, String)> {
    let rows = desk.pipeline.store().list_outbox(None).expect("outbox");
    rows.iter().filter(|r| r.event == "refusal_reply").map(|r| (r.recipient.clone(), r.body_text.clone())).collect()
}

#[test]
fn a_person_writing_from_outside_is_told_once_a_day_to_write_from_their_institutional_address() {
    let mut desk = Desk::with_config(|c| c.replace("refusal_reply = false", "refusal_reply = true"));
    let first =
        desk.mail("parent.eleve@gmail.com", "support-informatique@ac-exemple.fr", "ENT", None, "Mot de passe ?");
    let again = desk.mail("parent.eleve@gmail.com", "support-informatique@ac-exemple.fr", "ENT", None, "Relance");
    assert_eq!((first.outcome, again.outcome), (Outcome::Refused, Outcome::Refused));
    let told = refusals(&desk);
    assert_eq!(told.len(), 1, "once a day: {told:?}");
    assert_eq!(told[0].0, "parent.eleve@gmail.com");
    assert!(told[0].1.contains("depuis une adresse de l'établissement"), "{}", told[0].1);

    // An outside robot is never answered, whatever the setting.
    let robot = desk.deliver(
        "From: noreply@robot.example.com\nTo: support-informatique@ac-exemple.fr\nAuto-Submitted: auto-replied\nSubject: Absent\nMessage-ID: <r1@robot.example.com>\n\nJe suis absent.\n",
    );
    assert_eq!(robot.outcome, Outcome::Ignored);
    assert_eq!(refusals(&desk).len(), 1, "no answer to a robot");
}

#[test]
fn without_refusal_reply_an_outsider_hears_nothing() {
    let mut desk = Desk::new();
    desk.mail("parent.eleve@gmail.com", "support-informatique@ac-exemple.fr", "ENT", None, "Mot de passe ?");
    assert!(refusals(&desk).is_empty(), "no backscatter by default");
}

#[test]
fn a_colleague_whose_file_is_over_the_limit_is_told_so_with_the_limit() {
    let mut desk = Desk::with_config(|c| c.replace("max_attachment_bytes = 20971520", "max_attachment_bytes = 1024"));
    let video = "A".repeat(4000);
    let applied = desk.deliver(&format!(
        "From: Marie Dupont <marie.dupont@ac-exemple.fr>\nTo: support-informatique@ac-exemple.fr\nSubject: Vidéo du bug\n\
         Message-ID: <v1@ac-exemple.fr>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n\
         --b\nContent-Type: text/plain; charset=utf-8\n\nVoici la vidéo.\n\
         --b\nContent-Type: video/mp4\nContent-Disposition: attachment; filename=bug.mp4\n\n{video}\n--b--\n"
    ));
    assert_eq!(applied.outcome, Outcome::Refused);
    let told = refusals(&desk);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, "marie.dupont@ac-exemple.fr");
    assert!(
        told[0].1.contains("« bug.mp4 »") && told[0].1.contains("pèse 3,9 Ko, au-delà de la limite de 1,0 Ko"),
        "{}",
        told[0].1
    );
}
