//! The robot guard as tables: each row a mail as its headers (and, where a
//! rule reads it, the opening of its text) and the reason it must get, or
//! `None` for a person's mail. The mails are parsed for real, so a row
//! also checks that parsing collects the fact its rule reads.

use super::*;

const PERSON_TEXT: &str = "Bonjour, l'imprimante du secrétariat ne répond plus.";

/// A mail from Marie about a printer, with `headers` (one `Name: value` a
/// line, replacing her From or Subject when given) and `body` (her text
/// when empty).
fn mail(headers: &str, body: &str) -> InboundMail {
    let has = |name: &str| headers.lines().any(|l| l.to_ascii_lowercase().starts_with(name));
    let mut raw = String::new();
    if !has("from:") {
        raw.push_str("From: Marie Dupont <marie.dupont@ac-exemple.fr>\n");
    }
    if !has("subject:") {
        raw.push_str("Subject: Imprimante en panne\n");
    }
    raw.push_str("To: support-informatique@ac-exemple.fr\n");
    if !headers.is_empty() {
        raw.push_str(headers);
        raw.push('\n');
    }
    raw.push('\n');
    raw.push_str(if body.is_empty() { PERSON_TEXT } else { body });
    raw.push('\n');
    crate::mail::parse(raw.replace('\n', "\r\n").as_bytes()).expect("a test mail parses")
}

type Case<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

fn check(ignore_lists: bool, cases: &[Case<'_>]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(name, headers, body, expected)| {
            let got = classify(&mail(headers, body), ignore_lists).map(|n| n.reason());
            (got.as_deref() != expected).then(|| format!("{name}: got {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} failing:\n{}", failures.len(), failures.join("\n"));
}

const DSN: &str = "Content-Type: multipart/report; report-type=delivery-status; boundary=b";
const DSN_BODY: &str = "--b\nContent-Type: text/plain\n\nDelivery failed.\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--";

#[test]
fn auto_replies() {
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("a person's mail", "", "", None),
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied", "", Some("auto-reply (Auto-Submitted: auto-replied)")),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: Auto-Generated", "", Some("auto-reply (Auto-Submitted: auto-generated)")),
        ("Auto-Submitted, other value", "Auto-Submitted: auto-notified", "", Some("auto-reply (Auto-Submitted: auto-notified)")),
        ("Auto-Submitted: no", "Auto-Submitted: no", "", None),
        ("X-Autoreply", "X-Autoreply: yes", "", Some("auto-reply (X-Autoreply or X-Autorespond)")),
        ("X-Autorespond", "X-Autorespond: 1", "", Some("auto-reply (X-Autoreply or X-Autorespond)")),
        ("X-Autoresponder", "X-Autoresponder: vacation", "", Some("auto-reply (X-Autoreply or X-Autorespond)")),
        ("Precedence: bulk", "Precedence: bulk", "", Some("auto-reply (Precedence: bulk)")),
        ("Precedence: junk", "Precedence: junk", "", Some("auto-reply (Precedence: junk)")),
        ("Precedence: auto_reply", "Precedence: auto_reply", "", Some("auto-reply (Precedence: auto_reply)")),
        ("Precedence: first-class", "Precedence: first-class", "", None),
        ("out-of-office subject", "Subject: RE: Absent du bureau", "", Some("auto-reply (out-of-office subject \"RE: Absent du bureau\")")),
        ("Lotus Notes", "Subject: AUTO: Jean Bernard est absent(e) du bureau (retour le 10/03/2025)", "", Some("auto-reply (out-of-office subject \"AUTO: Jean Bernard est absent(e) du bureau (retour le 10/03…\")")),
        ("German absence", "Subject: Abwesenheitsnotiz: Drucker", "", Some("auto-reply (out-of-office subject \"Abwesenheitsnotiz: Drucker\")")),
        ("absence request", "Subject: Demande d'absence pour formation", "", None),
        ("out-of-office phrase inside a request", "Subject: Message d'absence Outlook à configurer", "Je serai absente du bureau la semaine prochaine, pouvez-vous configurer ma réponse automatique ?", None),
        ("X-Auto-Response-Suppress only", "X-Auto-Response-Suppress: All", "", None),
        ("null sender of a responder", "Auto-Submitted: auto-replied\nReturn-Path: <>", "", Some("auto-reply (Auto-Submitted: auto-replied)")),
    ];
    check(true, cases);
}

#[test]
fn bounces() {
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("multipart/report", DSN, DSN_BODY, Some("bounce (Content-Type: multipart/report; report-type=delivery-status)")),
        ("From MAILER-DAEMON", "From: MAILER-DAEMON@mx.ac-exemple.fr", "", Some("bounce (From: mailer-daemon)")),
        ("From postmaster", "From: Postmaster@ac-exemple.fr", "", Some("bounce (From: postmaster)")),
        ("From post_master", "From: post_master@ac-exemple.fr", "", Some("bounce (From: post_master)")),
        ("From mail-daemon", "From: mail-daemon@ac-exemple.fr", "", Some("bounce (From: mail-daemon)")),
        ("From: MAILER-DAEMON <>", "From: MAILER-DAEMON <>", "", Some("bounce (From: <>, the null sender)")),
        ("From: <>", "From: <>", "", Some("bounce (From: <>, the null sender)")),
        ("display name says so", "From: Mail Delivery System <mx@relais.ac-exemple.fr>", "", Some("bounce (From name \"Mail Delivery System\")")),
        ("Exchange Online system mailbox", "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@ac-exemple.fr>", "", Some("bounce (From: MicrosoftExchange… (Exchange's system mailbox))")),
        ("postmaster domain", "From: jean@postmaster.fr", "", None),
        ("Exim", "X-Failed-Recipients: ancien@ac-exemple.fr", "", Some("bounce (X-Failed-Recipients: ancien@ac-exemple.fr)")),
        ("Exchange NDR flag", "X-MS-Exchange-Message-Is-Ndr:", "", Some("bounce (X-MS-Exchange-Message-Is-Ndr:)")),
        ("Return-Path: <>", "Return-Path: <>", "", Some("bounce (Return-Path: <>)")),
        ("bounce that auto-replies", &const_str(DSN, "Auto-Submitted: auto-replied"), DSN_BODY, Some("bounce (Content-Type: multipart/report; report-type=delivery-status)")),
        ("bounce from a list", "From: mailer-daemon@lists.ac-exemple.fr\nList-Id: <it>", "", Some("bounce (From: mailer-daemon)")),
        ("SES bounce JSON", "From: no-reply-aws@amazon.com\nSubject: AWS Notification Message", "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\"}}", Some("bounce (Amazon SES bounce notification (notificationType Bounce))")),
        ("SES through SNS", "From: AWS Notifications <no-reply@sns.amazonaws.com>\nSubject: AWS Notification Message", "{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"{\\\"notificationType\\\":\\\"Bounce\\\"}\"\n}", Some("bounce (Amazon SES bounce notification (notificationType Bounce))")),
        ("JSON a person pastes after words", "", "Voici l'erreur :\n{\"notificationType\":\"Bounce\"}", None),
        ("X.400 Status of", "From: gw@relais.ac-exemple.fr\nSubject: Message status", "Status of: Imprimante\n\nRecipient: x@ac-exemple.fr\nStatus: Undeliverable", Some("bounce (X.400 delivery report (\"Status of:\"))")),
        ("French subject and notice", "From: relais@ac-exemple.fr\nSubject: Non remis : Imprimante", "Votre message n'a pas pu être remis aux destinataires suivants :", Some("bounce (delivery failure subject \"Non remis : Imprimante\")")),
        ("German subject, robot sender", "From: Microsoft Outlook <outlook@ac-exemple.fr>\nSubject: Unzustellbar: Drucker", "Zustellung an folgende Empfänger fehlgeschlagen.", Some("bounce (delivery failure subject \"Unzustellbar: Drucker\")")),
        ("Japanese carrier", "From: info@carrier.example.jp\nSubject: 配信エラー", "次の宛先へメールを送信できませんでした。", Some("bounce (delivery failure subject \"配信エラー\")")),
        ("certain subject alone", "Subject: Undelivered Mail Returned to Sender", "", Some("bounce (delivery failure subject \"Undelivered Mail Returned to Sender\")")),
        ("a parcel not delivered", "Subject: Non remis : colis de toner", "Bonjour, le colis de toner n'a pas été livré au secrétariat.", None),
        ("a person forwarding a bounce", "Subject: TR: Non remis : Imprimante", "Bonjour, j'ai reçu ceci, que faire ?\n\nDe : Microsoft Outlook\nVotre message n'a pas pu être remis aux destinataires suivants :", None),
    ];
    check(true, cases);
}

/// Two header lines as one table cell.
fn const_str(a: &str, b: &str) -> String {
    format!("{a}\n{b}")
}

#[test]
fn reports() {
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("ARF", "Content-Type: multipart/report; report-type=feedback-report; boundary=b", "--b\nContent-Type: text/plain\n\nThis is an email abuse report.\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--", Some("report (feedback report: multipart/report; report-type=feedback-report)")),
        ("old Hotmail complaint", "From: staff@hotmail.com\nContent-Type: multipart/mixed; boundary=b", "--b\nContent-Type: text/plain\n\nComplaint.\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--", Some("report (feedback report: a message/feedback-report part)")),
        ("DMARC aggregate subject", "From: noreply-dmarc-support@google.com\nSubject: Report domain: ac-exemple.fr Submitter: google.com Report-ID: 1234", "", Some("report (DMARC aggregate report: subject \"Report domain: ac-exemple.fr Submitter: google.com Report-I…\")")),
        ("DMARC aggregate file", "From: dmarc@partner.example\nSubject: DMARC\nContent-Type: multipart/mixed; boundary=b", "--b\nContent-Type: text/plain\n\nReport.\n--b\nContent-Type: application/zip; name=\"partner.example!ac-exemple.fr!1740960000!1741046399.zip\"\nContent-Disposition: attachment; filename=\"partner.example!ac-exemple.fr!1740960000!1741046399.zip\"\n\nUEsDBA==\n--b--", Some("report (DMARC aggregate report: attachment partner.example!ac-exemple.fr!1740960000!1741046399.zip)")),
        ("TLS-RPT", "TLS-Report-Domain: ac-exemple.fr\nTLS-Report-Submitter: google.com\nContent-Type: multipart/report; report-type=tlsrpt; boundary=b", "--b\nContent-Type: text/plain\n\nTLS report.\n--b\nContent-Type: application/tlsrpt+gzip; name=\"google.com!ac-exemple.fr!1740960000!1741046399.json.gz\"\n\nH4sI\n--b--", Some("report (SMTP TLS report: multipart/report; report-type=tlsrpt)")),
        ("SES complaint", "From: no-reply-aws@amazon.com", "{\"notificationType\":\"Complaint\",\"complaint\":{}}", Some("report (Amazon SES complaint notification (notificationType Complaint))")),
        ("a person's zip of reports", "Subject: Rapport d'activité\nContent-Type: multipart/mixed; boundary=b", "--b\nContent-Type: text/plain\n\nCi-joint le rapport.\n--b\nContent-Type: application/zip; name=\"rapport-mars.zip\"\n\nUEsDBA==\n--b--", None),
    ];
    check(true, cases);
}

#[test]
fn other_helpdesks_and_robots() {
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("GLPI", "X-GLPI-Ticket-ID: 12\nSubject: [GLPI #0000012] Nouveau suivi", "", Some("notification of another helpdesk, GLPI (X-GLPI-Ticket-ID)")),
        ("OTRS", "X-OTRS-Loop: yes", "", Some("notification of another helpdesk, OTRS (X-OTRS-Loop)")),
        ("Zammad", "X-Zammad-Ticket-Number: 31001", "", Some("notification of another helpdesk, Zammad (X-Zammad-Ticket-Number)")),
        ("osTicket", "X-Mailer: osTicket Mailer", "", Some("notification of another helpdesk, osTicket (X-Mailer: osTicket)")),
        ("Request Tracker", "RT-Ticket: rt.ac-exemple.fr #42", "", Some("notification of another helpdesk, Request Tracker (RT-Ticket)")),
        ("Thunderbird's X-Mailer", "X-Mailer: Mozilla Thunderbird", "", None),
        ("TMDA", "X-Delivery-Agent: TMDA/1.1.12", "", Some("robot (challenge-response, X-Delivery-Agent: TMDA/1.1.12)")),
        ("challenge subject", "From: verify@antispam.example\nSubject: Please confirm you are human: Imprimante", "", Some("robot (challenge-response subject \"Please confirm you are human: Imprimante\")")),
        ("Mailman", "From: profs-bounces@lists.ac-exemple.fr\nSubject: Uncaught bounce notification", "", Some("robot (list manager's notice \"Uncaught bounce notification\")")),
        ("Sympa's own address", "From: sympa@lists.ac-exemple.fr\nSubject: Résultat de votre commande", "", Some("robot (list manager's address \"sympa\")")),
        ("a person asking about verification", "Subject: Please confirm your message was received", "", None),
    ];
    check(true, cases);
}

#[test]
fn lists_count_only_when_ignored() {
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("List-Id", "List-Id: <it.ac-exemple.fr>", "", Some("mailing list (List-Id)")),
        ("List-Unsubscribe", "List-Unsubscribe: <mailto:x@ac-exemple.fr>", "", Some("mailing list (List-Unsubscribe)")),
        ("Precedence: list", "Precedence: list", "", Some("mailing list (Precedence: list)")),
        ("auto-reply through a list", "X-Autoreply: yes\nList-Id: <it>", "", Some("auto-reply (X-Autoreply or X-Autorespond)")),
    ];
    check(true, cases);
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("List-Id", "List-Id: <it.ac-exemple.fr>", "", None),
        ("List-Unsubscribe", "List-Unsubscribe: <mailto:x@ac-exemple.fr>", "", None),
        ("Precedence: list", "Precedence: list", "", None),
        ("bounce from a list", &const_str(DSN, "List-Id: <it>"), DSN_BODY, Some("bounce (Content-Type: multipart/report; report-type=delivery-status)")),
        ("auto-reply through a list", "Auto-Submitted: auto-replied\nList-Id: <it>", "", Some("auto-reply (Auto-Submitted: auto-replied)")),
    ];
    check(false, cases);
}

#[test]
fn reasons_are_one_line_for_the_record() {
    let cases = [
        (Noise::AutoReply("Auto-Submitted: auto-replied".into()), "auto-reply (Auto-Submitted: auto-replied)"),
        (Noise::Bounce("Return-Path: <>".into()), "bounce (Return-Path: <>)"),
        (Noise::MailingList("List-Id".into()), "mailing list (List-Id)"),
        (Noise::Report("x".into()), "report (x)"),
        (Noise::Helpdesk("OTRS".into(), "X-OTRS-Loop".into()), "notification of another helpdesk, OTRS (X-OTRS-Loop)"),
        (Noise::Robot("y".into()), "robot (y)"),
    ];
    for (noise, expected) in cases {
        assert_eq!(noise.reason(), expected);
        assert_eq!(noise.to_string(), expected);
    }
    let mut sneaky = mail("", "");
    sneaky.subject = format!("Out of Office:\r\nBcc: victime@exemple.com {}", "x".repeat(80));
    sneaky.automation.auto_submitted = Some("auto-replied\r\n\tfolded".into());
    let reason = classify(&sneaky, true).map(|n| n.reason()).unwrap_or_default();
    assert_eq!(reason, "auto-reply (Auto-Submitted: auto-replied folded)");
    sneaky.automation.auto_submitted = None;
    let reason = classify(&sneaky, true).map(|n| n.reason()).unwrap_or_default();
    let shown = format!("Out of Office: Bcc: victime@exemple.com {}…", "x".repeat(19));
    assert_eq!(reason, format!("auto-reply (out-of-office subject \"{shown}\")"));
}
