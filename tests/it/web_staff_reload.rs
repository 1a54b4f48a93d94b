//! Issue 16's gap: the staff pages follow SIGHUP like the mail side does.
//! Who is staff and who is an operator are read from the configuration at
//! every request, and after a reload that is the reloaded one: a
//! technician added can sign in, one removed is refused with the session
//! they already had, without a restart.

use crate::web_staff_site::{BRUNO, staff_site};

const NADIA: &str = "nadia.roux@ac-exemple.fr";

#[test]
fn after_sighup_an_added_technician_signs_in_and_a_removed_ones_session_opens_no_staff_page() {
    let site = staff_site();
    let bruno = site.sign_in(BRUNO);
    assert_eq!(site.get("/staff", &bruno).status, 200, "Bruno is staff before the reload");

    let config = std::fs::read_to_string(site.install.config_path()).expect("config");
    let edited = config
        .replace(
            "[[technicians]]\nemail = \"bruno.leroy@ac-exemple.fr\"\nname = \"Bruno Leroy\"\n",
            &format!("[[technicians]]\nemail = \"{NADIA}\"\nname = \"Nadia Roux\"\nadmin = true\n"),
        )
        .replace("\"alice.martin@ac-exemple.fr\", \"bruno.leroy@ac-exemple.fr\"", "\"alice.martin@ac-exemple.fr\"");
    assert!(!edited.contains(BRUNO) && edited.contains(NADIA), "the example's lines for Bruno are replaced");
    std::fs::write(site.install.config_path(), edited).expect("write config");
    site.reload();

    let refused = site.get("/staff", &bruno);
    assert_eq!(refused.status, 403, "a removed technician's session opens nothing");
    assert!(!refused.body.contains("Bruno Leroy"), "and shows nothing of the staff pages");
    assert_eq!(site.get("/staff/ticket/1", &bruno).status, 403, "not a ticket either");

    let nadia = site.sign_in(NADIA);
    let dashboard = site.get("/staff", &nadia);
    assert_eq!(dashboard.status, 200, "an added technician signs in without a restart");
    assert!(dashboard.body.contains("Nadia Roux"), "under the name the new configuration gives");
    assert_eq!(site.get("/staff/journal", &nadia).status, 200, "and is an operator, as it says");
}
