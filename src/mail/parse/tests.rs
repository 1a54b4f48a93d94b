use super::*;

fn mail(text: &str) -> InboundMail {
    parse(text.replace('\n', "\r\n").as_bytes()).expect("parses")
}

#[test]
fn encoded_word_subjects_and_names_in_several_charsets_are_decoded() {
    let cases = [
        ("utf-8 base64", "=?UTF-8?B?SW1wcmltYW50ZSBkdSBzZWNyw6l0YXJpYXQ=?=", "Imprimante du secrétariat"),
        ("utf-8 q", "=?utf-8?Q?Acc=C3=A8s_Pronote?=", "Accès Pronote"),
        ("latin-1 q", "=?ISO-8859-1?Q?Probl=E8me_r=E9seau?=", "Problème réseau"),
        ("latin-9 euro", "=?ISO-8859-15?Q?Facture_=A4?=", "Facture €"),
        ("windows-1252 quotes", "=?windows-1252?Q?L=92=E9cran?=", "L’écran"),
        ("two words joined", "=?utf-8?Q?Wi-Fi_?= =?utf-8?Q?salle_12?=", "Wi-Fi salle 12"),
    ];
    for (name, encoded, decoded) in cases {
        let m = mail(&format!("From: =?utf-8?Q?Ren=C3=A9e?= <r@ac.fr>\nSubject: {encoded}\n\nx\n"));
        assert_eq!(m.subject, decoded, "{name}");
        assert_eq!(m.from.as_ref().and_then(|f| f.name.as_deref()), Some("Renée"), "{name}");
    }
}

#[test]
fn addresses_are_lower_cased_for_comparison() {
    let m = mail("From: Marie <Marie.Dupont@AC-Exemple.FR>\nCc: a@ac.fr, B <B@AC.FR>\n\nx\n");
    assert_eq!(m.from.map(|f| f.address), Some("marie.dupont@ac-exemple.fr".into()));
    assert_eq!(m.cc.iter().map(|c| c.address.as_str()).collect::<Vec<_>>(), ["a@ac.fr", "b@ac.fr"]);
}

#[test]
fn quoted_printable_and_base64_bodies_are_decoded() {
    let qp = mail(
        "From: a@ac.fr\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nL'=C3=A9cran est noir, =\nmerci.\n",
    );
    assert_eq!(qp.text, "L'écran est noir, merci.");
    let b64 = mail(
        "From: a@ac.fr\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nQm9uam91ciwgbCfDqWNyYW4gZXN0IG5vaXIu\n",
    );
    assert_eq!(b64.text, "Bonjour, l'écran est noir.");
}

#[test]
fn an_html_only_mail_becomes_text_not_tag_soup() {
    let m = mail(
        "From: a@ac.fr\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style></head><body><p class=MsoNormal>Bonjour&nbsp;!</p><p>L&eacute;cran</p></body></html>\n",
    );
    assert!(m.text.contains("Bonjour"), "{}", m.text);
    assert!(m.text.contains("Lécran"), "{}", m.text);
    for soup in ["<p", "&nbsp;", "MsoNormal", "color:red"] {
        assert!(!m.text.contains(soup), "{soup} left in {}", m.text);
    }
}

#[test]
fn multipart_alternative_prefers_the_text_part() {
    let m = mail(
        "From: a@ac.fr\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nplain version\n--b\nContent-Type: text/html\n\n<p>html version</p>\n--b--\n",
    );
    assert_eq!(m.text, "plain version");
}

#[test]
fn nested_multiparts_yield_text_and_attachments_with_their_facts() {
    let m = mail(concat!(
        "From: a@ac.fr\nContent-Type: multipart/mixed; boundary=outer\n\n",
        "--outer\nContent-Type: multipart/related; boundary=rel\n\n",
        "--rel\nContent-Type: multipart/alternative; boundary=alt\n\n",
        "--alt\nContent-Type: text/plain\n\nvoir capture\n--alt\nContent-Type: text/html\n\n<p>voir <img src=cid:logo></p>\n--alt--\n",
        "--rel\nContent-Type: image/png\nContent-ID: <logo>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--rel--\n",
        "--outer\nContent-Type: application/pdf; name=\"rapport.pdf\"\nContent-Disposition: attachment; filename=\"rapport.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--outer--\n"
    ));
    assert_eq!(m.text, "voir capture");
    let facts: Vec<(&str, &str, usize, bool)> =
        m.attachments.iter().map(|a| (a.content_type.as_str(), &a.filename[..], a.size, a.inline)).collect();
    assert_eq!(facts, [("image/png", "attachment-1.png", 8, true), ("application/pdf", "rapport.pdf", 9, false)]);
    assert_eq!(m.attachments[1].sha256, sha256_hex(b"%PDF-1.4\n"));
}

#[test]
fn hostile_attachment_names_are_made_safe() {
    let cases = [
        ("parent traversal", "../../etc/passwd", "passwd"),
        ("windows path", "C:\\Users\\x\\rapport.pdf", "rapport.pdf"),
        ("only dots", "..", "attachment"),
        ("control characters", "fac\u{7}ture\r\n.pdf", "fac_ture__.pdf"),
        ("hidden file", ".bashrc", "bashrc"),
        ("empty", "", "attachment"),
    ];
    for (name, input, expected) in cases {
        assert_eq!(safe_filename(input), expected, "{name}");
    }
    let long = format!("{}.pdf", "a".repeat(500));
    let safe = safe_filename(&long);
    assert!(safe.chars().count() <= 200 && safe.ends_with(".pdf"), "long name kept its extension: {safe}");
}

#[test]
fn a_mail_without_message_id_gets_a_stable_derived_one() {
    let text = "From: a@ac.fr\nSubject: sans id\n\ncorps\n";
    let (first, second) = (mail(text), mail(text));
    assert!(first.message_id_derived);
    assert!(first.message_id.ends_with("@mailgate.invalid"), "{}", first.message_id);
    assert_eq!(first.message_id, second.message_id);
    assert_ne!(first.message_id, mail("From: a@ac.fr\nSubject: sans id\n\nautre corps\n").message_id);
}

#[test]
fn no_date_and_no_subject_are_fine() {
    let m = mail("From: a@ac.fr\n\ncorps\n");
    assert_eq!((m.subject.as_str(), m.date), ("", None));
}

#[test]
fn a_second_delivery_with_more_trace_headers_has_the_same_content_hash() {
    let original = "From: a@ac.fr\nMessage-ID: <x@ac.fr>\nSubject: s\n\ncorps\n";
    let redelivered =
        format!("Received: from mx2 by mx1; Mon, 3 Mar 2025 10:00:00 +0100\nDelivered-To: support@ac.fr\n{original}");
    assert_eq!(mail(original).content_hash, mail(&redelivered).content_hash);
    assert_ne!(
        mail(original).content_hash,
        mail("From: a@ac.fr\nMessage-ID: <x@ac.fr>\nSubject: s\n\nautre\n").content_hash
    );
}

#[test]
fn threading_headers_are_read_without_brackets() {
    let m = mail(
        "From: a@ac.fr\nIn-Reply-To: <mailgate.1.followup.ab@ac.fr>\nReferences: <o@ac.fr>\n <mailgate.1@ac.fr>\n\nx\n",
    );
    assert_eq!(m.in_reply_to, ["mailgate.1.followup.ab@ac.fr"]);
    assert_eq!(m.references, ["o@ac.fr", "mailgate.1@ac.fr"]);
}

#[test]
fn automation_headers_are_collected_for_the_noise_guard() {
    let m = mail(
        "From: a@ac.fr\nAuto-Submitted: Auto-Replied; owner-email=x\nPrecedence: Bulk\nList-Id: <l.ac.fr>\nReturn-Path: < >\nX-Autoreply: yes\n\nx\n",
    );
    let s = m.automation;
    assert_eq!(s.auto_submitted.as_deref(), Some("auto-replied"));
    assert_eq!(s.precedence.as_deref(), Some("bulk"));
    assert!(s.list_id && s.x_autoreply && s.empty_return_path && !s.list_unsubscribe);
}

#[test]
fn a_header_folded_with_cr_lf_cannot_smuggle_a_line_break_into_the_subject() {
    let m = mail("From: a@ac.fr\nSubject: =?utf-8?Q?a=0D=0ABcc:_victim@x.fr?=\n\nx\n");
    assert!(!m.subject.contains('\n') && !m.subject.contains('\r'), "{:?}", m.subject);
}

#[test]
fn nothing_mail_like_is_an_error_not_a_panic() {
    for raw in [&b""[..], b"\x00\x01\x02\xff\xfe", b"\r\n\r\n"] {
        let _ = parse(raw);
    }
    assert_eq!(parse(b"").err(), Some(ParseError::NoHeaders));
}

#[test]
fn envelope_recipients_are_read_from_delivered_to_and_x_original_to() {
    let cases: [(&str, &str, &[&str]); 5] = [
        ("none", "", &[]),
        ("one delivered-to", "Delivered-To: LSU-Support@ac-exemple.fr\n", &["lsu-support@ac-exemple.fr"]),
        (
            "every hop, in header order, each once",
            "Delivered-To: support-informatique@ac-exemple.fr\nX-Original-To: lsu-support@ac-exemple.fr\nDelivered-To: lsu-support@ac-exemple.fr\n",
            &["support-informatique@ac-exemple.fr", "lsu-support@ac-exemple.fr"],
        ),
        ("angle brackets tolerated", "X-Original-To: <lsu-support@ac-exemple.fr>\n", &["lsu-support@ac-exemple.fr"]),
        ("garbage skipped", "Delivered-To: not an address\nDelivered-To: @\n", &[]),
    ];
    for (name, headers, expected) in cases {
        let m = mail(&format!("{headers}From: a@ac.fr\nTo: support@ac.fr\nSubject: s\n\nx\n"));
        let got: Vec<&str> = m.delivered_to.iter().map(|d| d.address.as_str()).collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn a_mail_with_thousands_of_delivered_to_keeps_a_bounded_few() {
    let headers: String = (0..5000).map(|i| format!("Delivered-To: a{i}@ac.fr\n")).collect();
    let m = mail(&format!("{headers}From: a@ac.fr\n\nx\n"));
    assert_eq!(m.delivered_to.len(), 20);
}

#[test]
fn a_mail_whose_first_lines_are_blank_is_read_not_refused() {
    for lead in ["\n", "  \n", "\t\n\n", " \r\n"] {
        let m = mail(&format!("{lead}From: Marie <marie@ac.fr>\nSubject: Imprimante\n\nElle est en panne.\n"));
        assert_eq!(m.from.map(|f| f.address), Some("marie@ac.fr".into()), "lead {lead:?}");
        assert_eq!(m.subject, "Imprimante", "lead {lead:?}");
        assert_eq!(m.text, "Elle est en panne.", "lead {lead:?}");
    }
    assert_eq!(parse(b"\r\n\r\njust text, no header\r\n").err(), Some(ParseError::NoHeaders));
}

#[test]
fn bare_and_bracketed_addresses_are_read() {
    for from in ["marie@ac.fr", "<marie@ac.fr>", " <Marie@AC.fr> "] {
        let m = mail(&format!("From: {from}\nSubject: s\n\nx\n"));
        assert_eq!(m.from.map(|f| f.address), Some("marie@ac.fr".into()), "From: {from}");
    }
}

#[test]
fn robot_facts_are_collected_from_headers_and_part_headers() {
    let m = mail(concat!(
        "From: MAILER-DAEMON <>\nX-GLPI-Sender-ID: 3\nX-Failed-Recipients: a@b.fr\n",
        "Content-Type: multipart/report; report-type=Feedback-Report; boundary=b\n\n",
        "--b\nContent-Type: text/plain\n\n{\"notificationType\":\"Bounce\"}\n",
        "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n",
        "--b\nContent-Type: application/gzip; name=\"google.com!ac.fr!1700000000!1700086400.xml.gz\"\n\nxx\n--b--\n",
    ));
    let s = &m.automation;
    assert!(s.null_from && s.multipart_report);
    assert_eq!(s.from_name.as_deref(), Some("MAILER-DAEMON"));
    assert_eq!(s.report_type.as_deref(), Some("feedback-report"));
    assert_eq!(s.helpdesk, Some(("GLPI".into(), "X-GLPI-Sender-ID".into())));
    assert_eq!(s.robot_header.as_deref(), Some("X-Failed-Recipients: a@b.fr"));
    assert!(s.part_types.contains(&"message/feedback-report".to_string()), "{:?}", s.part_types);
    assert_eq!(s.part_names, ["google.com!ac.fr!1700000000!1700086400.xml.gz"]);
    assert!(s.text_opening.starts_with("{\"notificationType\""), "{:?}", s.text_opening);
}

#[test]
fn the_text_opening_is_bounded() {
    let m = mail(&format!("From: a@ac.fr\n\n{}\n", "ligne\n".repeat(5_000)));
    assert!(m.automation.text_opening.len() <= crate::mail::MAX_OPENING_BYTES);
    assert!(!m.automation.null_from);
}
