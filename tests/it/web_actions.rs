//! Issue 15: the actions of the requester's page, clicked in a real
//! browser, go through the writer's web door (`daemon::DeskHandle`, the
//! same functions as the matching mail): the ticket changes, the history
//! names the web as the door, and the notifications the mail would have
//! queued are queued. A link asked for on the web is mailed, through the
//! outbox, to the institution's address that asked and to nobody else.
//! Reuses web.rs's install (`site()`).

use std::time::{Duration, Instant};

use fantoccini::Locator;

use crate::support::browser::Browser;
use crate::web::{REQUESTER, Site, runtime, site};

/// (event, recipient) of every outbox row.
fn events(site: &Site) -> Vec<(String, String)> {
    let rows = site.install.json(&["outbox", "list"]);
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["event"].as_str().unwrap_or("").to_string(), r["to"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// The doors of ticket 1's history lines whose action is `action`.
fn doors_of(site: &Site, action: &str) -> Vec<String> {
    let t = site.install.json(&["tickets", "show", "1"]);
    t["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["action"] == action)
        .map(|h| h["door"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Clicks the button whose text is `button`, then waits for the page the
/// form leads to: one showing `shown`.
async fn submit(b: &Browser, button: &str, shown: &str) {
    b.client
        .find(Locator::XPath(&format!("//button[normalize-space(text())='{button}']")))
        .await
        .unwrap_or_else(|e| panic!("no button {button}: {e}"))
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&format!("//*[contains(normalize-space(.), '{shown}')]")))
        .await
        .unwrap_or_else(|e| panic!("the page after {button} does not show {shown:?}: {e}"));
}

async fn type_into(b: &Browser, id: &str, text: &str) {
    b.client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no field {id}: {e}"))
        .send_keys(text)
        .await
        .expect("type");
}

#[test]
fn accepting_the_solution_in_the_browser_closes_the_ticket_and_queues_solution_accepted() {
    let site = site();
    let link = site.link_in_mail(REQUESTER, 1);
    runtime().block_on(async {
        let b = Browser::start(1280, 900).await;
        b.client.goto(&link).await.expect("open");
        submit(&b, "Accepter", "Clos").await;
        b.close().await;
    });
    let t = site.install.json(&["tickets", "show", "1"]);
    assert_eq!(t["status"], "closed");
    assert!(events(&site).iter().any(|(e, _)| e == "solution_accepted"));
    assert!(doors_of(&site, "solution_accepted").iter().all(|d| d == "web"), "{t}");
    assert!(!doors_of(&site, "solution_accepted").is_empty(), "{t}");
}

#[test]
fn refusing_with_a_reason_reopens_the_ticket_with_the_reason_as_a_followup() {
    let site = site();
    let link = site.link_in_mail(REQUESTER, 1);
    runtime().block_on(async {
        let b = Browser::start(1280, 900).await;
        b.client.goto(&link).await.expect("open");
        type_into(&b, "reason", "Elle bourre encore").await;
        submit(&b, "Refuser", "Elle bourre encore").await;
        b.close().await;
    });
    let t = site.install.json(&["tickets", "show", "1"]);
    assert_ne!(t["status"], "solved");
    assert!(t.to_string().contains("Elle bourre encore"));
    assert!(events(&site).iter().any(|(e, _)| e == "solution_rejected"));
    assert_eq!(doors_of(&site, "followup").last().map(String::as_str), Some("web"), "{t}");
}

#[test]
fn cancelling_in_the_browser_cancels_the_request_and_tells_the_staff() {
    let site = site();
    let link = site.link_in_mail(REQUESTER, 3);
    let before = events(&site).len();
    runtime().block_on(async {
        let b = Browser::start(1280, 900).await;
        b.client.goto(&link).await.expect("open");
        submit(&b, "Annuler ma demande", "Annulé").await;
        b.close().await;
    });
    let t = site.install.json(&["tickets", "show", "3"]);
    assert_eq!(t["status"], "cancelled", "{t}");
    let after = events(&site);
    assert!(after[before..].iter().any(|(e, to)| e == "status_changed" && to != REQUESTER), "{after:?}");
}

#[test]
fn a_followup_with_a_file_from_the_browser_reaches_the_technicians() {
    let site = site();
    let link = site.link_in_mail(REQUESTER, 3);
    let file = site.install.path("photo.png");
    std::fs::write(&file, b"\x89PNG\r\n\x1a\nfake").expect("file");
    runtime().block_on(async {
        let b = Browser::start(1280, 900).await;
        b.client.goto(&link).await.expect("open");
        type_into(&b, "text", "Toujours noir ce matin").await;
        type_into(&b, "files", &file.display().to_string()).await;
        submit(&b, "Envoyer", "Toujours noir ce matin").await;
        let html = b.client.source().await.expect("source");
        assert!(html.contains("photo.png"), "the file is listed with the followup");
        b.close().await;
    });
    assert!(events(&site).iter().any(|(e, to)| e == "followup" && to != REQUESTER), "the technicians are told");
}

#[test]
fn a_link_asked_for_on_the_web_is_mailed_to_the_institutions_address_only() {
    let site = site();
    let body = site.get("/ask").body;
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("CSRF").to_string();
    for address in [REQUESTER, "stranger@gmail.com"] {
        assert_eq!(site.post("/ask", &format!("csrf={csrf}&address={}", address.replace('@', "%40"))).status, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let links = || events(&site).into_iter().filter(|(e, _)| e == "personal_link").collect::<Vec<_>>();
    while links().is_empty() {
        assert!(Instant::now() < deadline, "no link was queued");
        std::thread::park_timeout(Duration::from_millis(50));
    }
    assert_eq!(links(), vec![("personal_link".to_string(), REQUESTER.to_string())]);
    // The mail, as the file transport wrote it, carries a « Mes demandes » link.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mailed = || {
        site.install.notifications().iter().any(|m| {
            m.subject().is_some_and(|s| s.contains("Le lien de vos demandes"))
                && m.body_text(0).is_some_and(|t| t.contains("/mine?k="))
        })
    };
    while !mailed() {
        assert!(Instant::now() < deadline, "the link's mail was not written");
        std::thread::park_timeout(Duration::from_millis(50));
    }
}
