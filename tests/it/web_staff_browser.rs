//! Issue 16 in a real browser: a technician signs in through the link of
//! the mail found in the outbox, takes a ticket, answers it (the
//! requester's notification is queued), escalates it from one group to
//! another (the first stays as observer), solves it, and filters a queue;
//! the dashboard's counts are `mailgate stats`'s; every page passes
//! axe-core with no serious or critical violation and is photographed for
//! the README.

use std::time::Duration;

use fantoccini::Locator;

use crate::support::browser::Browser;
use crate::web::runtime;
use crate::web_staff_site::{ALICE, REQUESTER, TITLE, staff_site, wait_for};

fn docs(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(name)
}

/// The numbers of the dashboard's row `key`, in the order of the columns.
fn counts_row(html: &str, key: &str) -> Vec<i64> {
    let row =
        html.split(&format!("id=\"counts-{key}\"")).nth(1).and_then(|r| r.split("</tr>").next()).expect("the row");
    row.split("<td>").skip(1).filter_map(|c| c.split('<').next()?.trim().parse().ok()).collect()
}

#[test]
fn a_technician_signs_in_by_mail_takes_answers_escalates_and_solves_a_ticket_in_a_browser() {
    let site = staff_site();
    runtime().block_on(async {
        let browser = Browser::start(1280, 1000).await;
        let c = &browser.client;
        let find =
            |css: &'static str| async move { c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")) };
        let html = || async { c.source().await.expect("page source") };
        // A click on a form's button loads the next page: wait for what it
        // must show rather than for a time.
        let wait_text = |on: &'static str, needle: &'static str| async move {
            // `h1` or `#id`, holding `needle`: WebDriver's own wait.
            let node = match on.strip_prefix('#') {
                Some(id) => format!("//*[@id='{id}']"),
                None => format!("//{on}"),
            };
            let xpath = format!("{node}[contains(., '{needle}')]");
            c.wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::XPath(&xpath))
                .await
                .unwrap_or_else(|e| panic!("{on} never showed {needle:?}: {e}"));
        };
        let check = |page: &'static str| {
            let browser = &browser;
            async move {
                let violations = browser.serious_violations().await;
                assert!(violations.is_empty(), "{page}: {violations:?}");
            }
        };

        c.goto(&site.url("/staff")).await.expect("open");
        assert!(
            c.current_url().await.expect("url").as_str().ends_with("/staff/signin"),
            "signed out: the sign-in page"
        );
        check("sign-in").await;
        find("#address").await.send_keys(ALICE).await.expect("type");
        find("form button[type=submit]").await.click().await.expect("ask");
        let link = site.new_signin_link(ALICE, &[]);
        c.goto(&link).await.expect("the mailed link");
        find("#confirm").await.click().await.expect("sign in");
        wait_text("h1", "Tableau de bord").await;

        // The dashboard: everyone's counts are `mailgate stats`'s.
        let board = html().await;
        let stats = site.install.json(&["stats"]);
        let expected: Vec<i64> = ["new", "assigned", "planned", "pending", "solved", "closed"]
            .iter()
            .map(|s| stats["tickets"][s].as_i64().expect("a count"))
            .collect();
        assert_eq!(counts_row(&board, "everyone")[..6], expected[..], "the dashboard's counts are `mailgate stats`'s");
        check("dashboard").await;
        std::fs::write(docs("staff-dashboard.png"), c.screenshot().await.expect("shot")).expect("save");

        // Take, answer, escalate, solve.
        c.goto(&site.url("/staff/ticket/1")).await.expect("ticket");
        find("#do-take").await.click().await.expect("take");
        wait_text("#technicians", "Alice Martin").await;
        find("#answer-text").await.send_keys("STAFF-ANSWER : le technicien passe à 14 h.").await.expect("type");
        find("#do-answer").await.click().await.expect("answer");
        wait_for("the requester's notification of the answer", Duration::from_secs(30), || {
            site.install.notifications().iter().any(|m| {
                m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(REQUESTER)
                    && m.body_text(0).is_some_and(|t| t.contains("STAFF-ANSWER"))
            })
        });
        for (group, shown) in [("referents-lsu", "Référents LSU"), ("dsi-reseau", "Réseaux")] {
            find("#assign-group").await.select_by_value(group).await.expect("choose the group");
            find("#do-assign").await.click().await.expect("assign");
            wait_text("#groups", shown).await;
        }
        // Escalated: the first group stays on the ticket as observer.
        wait_text("#observer-groups", "Référents LSU").await;
        let page = html().await;
        let history = page.split("id=\"history\"").nth(1).expect("the history");
        assert!(
            history.contains("<td>web</td>") && history.contains("Alice Martin"),
            "the web and who acted are recorded"
        );
        check("ticket").await;
        std::fs::write(docs("staff-ticket.png"), c.screenshot().await.expect("shot")).expect("save");
        find("#solution").await.send_keys("Lampe changée.").await.expect("type");
        find("#do-solve").await.click().await.expect("solve");
        wait_text("#status", "Résolu").await;

        // A queue filtered by words finds the other ticket, and only it.
        c.goto(&site.url("/staff/queue/all")).await.expect("queue");
        find("#f-text").await.send_keys("badge").await.expect("type");
        find("#filter").await.click().await.expect("filter");
        wait_text("h1", "(1 ").await;
        let queue = html().await;
        assert!(queue.contains("Badge de cantine perdu") && !queue.contains(TITLE), "the filter holds");
        check("queue").await;
        std::fs::write(docs("staff-queue.png"), c.screenshot().await.expect("shot")).expect("save");
        browser.close().await;
    });
}
