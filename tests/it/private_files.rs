//! The database holds every raw mail: it, its WAL and shared-memory files,
//! and every backup are created 0600 whatever the umask of whoever runs
//! mailgate by hand, and `db check` names a database file that others may
//! read, with the chmod to run. Each command runs under umask 022 (the
//! usual interactive one), set in the child process.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Install, mail};

/// `mailgate ARGS` in `install`, under umask 022.
fn under_umask_022(install: &Install, args: &[&str]) -> Output {
    let out = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_mailgate"), "--config"])
        .arg(install.config_path())
        .args(args)
        .current_dir(install.dir.path())
        .env_remove("RUST_LOG")
        .env_remove("MAILGATE_CONFIG")
        .output()
        .expect("run mailgate under sh");
    assert!(out.status.success(), "mailgate {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn request() -> Vec<u8> {
    mail(
        "From: marie.dupont@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Mot de passe\nMessage-ID: <modes-1@ac-exemple.fr>",
        "Mon mot de passe ENT ne marche plus.",
    )
}

#[test]
fn the_database_and_its_wal_and_shm_files_are_created_0600_under_umask_022() {
    let install = Install::new();
    // `ingest` as an MTA's pipe or an operator runs it creates the database.
    std::fs::write(install.path("request.eml"), request()).unwrap();
    under_umask_022(&install, &["ingest", "request.eml"]);
    assert_eq!(mode(&install.path("mailgate.db")), 0o600, "the database");

    // The daemon keeps its database open: its -wal and -shm exist meanwhile.
    let install = Install::new();
    let mut daemon = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_mailgate"), "--config"])
        .arg(install.config_path())
        .arg("run")
        .current_dir(install.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    install.deliver("1.mail", &request());
    let (wal, shm) = (install.path("mailgate.db-wal"), install.path("mailgate.db-shm"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(wal.exists() && shm.exists()) {
        assert!(Instant::now() < deadline, "the daemon never opened its database");
        std::thread::park_timeout(Duration::from_millis(25));
    }
    let modes = [mode(&install.path("mailgate.db")), mode(&wal), mode(&shm)];
    daemon.kill().expect("stop the daemon");
    daemon.wait().expect("reap the daemon");
    assert_eq!(modes, [0o600; 3], "mailgate.db, -wal, -shm");
}

#[test]
fn a_backup_is_created_0600_under_umask_022_also_when_it_replaces_a_file() {
    let install = Install::new();
    install.deliver("1.mail", &request());
    under_umask_022(&install, &["run", "--once"]);

    let fresh = install.path("fresh.db");
    under_umask_022(&install, &["backup", fresh.to_str().unwrap()]);
    assert_eq!(mode(&fresh), 0o600);

    let replaced = install.path("replaced.db");
    std::fs::write(&replaced, "old").unwrap();
    std::fs::set_permissions(&replaced, std::fs::Permissions::from_mode(0o644)).unwrap();
    under_umask_022(&install, &["backup", "--force", replaced.to_str().unwrap()]);
    assert_eq!(mode(&replaced), 0o600, "a replaced backup takes the private copy's mode");
}

#[test]
fn db_check_warns_about_a_database_others_can_read_naming_the_file_its_mode_and_the_chmod() {
    let install = Install::new();
    install.deliver("1.mail", &request());
    install.ok(&["run", "--once"]);
    let quiet = install.mailgate(&["db", "check"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("warning"), "a private database: no warning");

    let db = install.path("mailgate.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = install.mailgate(&["db", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "sound data: a warning, not a failure: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    let db = db.display().to_string();
    assert!(stderr.contains(&format!("{db} has mode 0644")) && stderr.contains(&format!("chmod 600 {db}")), "{stderr}");
}
