//! packaging/mailgate.service as systemd reads it: `systemd-analyze verify`
//! finds nothing to say, `systemd-analyze security` scores it no worse than
//! the figure recorded in packaging/README.md, and the unit and the daemon
//! agree on how it is started and supervised.
//!
//! These tests need `systemd-analyze` (Debian package `systemd`, installed by
//! scripts/install-test-deps). Without it they fail; they never skip.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The overall exposure recorded in packaging/README.md, in tenths
/// (`systemd-analyze security` prints one decimal). A change to the unit that
/// raises it fails `security_exposure_is_no_worse_than_recorded`; one that
/// lowers it should lower this figure and the README's with it.
const RECORDED_EXPOSURE_TENTHS: u32 = 11;

/// The exposures packaging/README.md lists as accepted, by the name
/// `systemd-analyze security` gives them, each with the reason there.
const ACCEPTED_EXPOSURES: &[&str] = &[
    "RootDirectory=/RootImage=",
    "RestrictAddressFamilies=~AF_UNIX",
    "RestrictAddressFamilies=~AF_(INET|INET6)",
    "PrivateNetwork=",
    "DeviceAllow=",
    "IPAddressDeny=",
];

/// The daemon's shutdown grace for the outbox (SHUTDOWN_GRACE in
/// src/daemon/mod.rs): TimeoutStopSec must leave it room.
const DAEMON_SHUTDOWN_GRACE_SECONDS: u64 = 20;

const INSTALLED_BINARY: &str = "/usr/bin/mailgate";

fn unit_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/mailgate.service")
}

fn unit_text() -> String {
    std::fs::read_to_string(unit_path()).unwrap_or_else(|e| panic!("{}: {e}", unit_path().display()))
}

/// Runs systemd-analyze, or fails the test naming the package to install.
fn systemd_analyze(args: &[&str], unit: &Path) -> Output {
    let result = Command::new("systemd-analyze")
        .arg("--no-pager")
        .args(args)
        .arg(unit)
        // Plain text whatever the terminal: the output is parsed.
        .env("SYSTEMD_COLORS", "0")
        .env_remove("SYSTEMD_UNIT_PATH")
        .output();
    match result {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "systemd-analyze is not installed, and these tests check packaging/mailgate.service with it: \
             install the Debian package `systemd` (apt-get install systemd, or run scripts/install-test-deps as root)"
        ),
        Err(e) => panic!("cannot run systemd-analyze: {e}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The unit's `Key=value` settings in file order, `(section, key, value)`;
/// comments and blank lines left out. The unit uses no line continuations.
fn settings(unit: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for (n, line) in unit.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(!line.ends_with('\\'), "line {}: this parser does not follow continuations: {line}", n + 1);
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("line {}: not Key=value: {line}", n + 1));
        out.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
    }
    out
}

/// Every value of `key` in [Service].
fn service_values(unit: &str, key: &str) -> Vec<String> {
    settings(unit).into_iter().filter(|(s, k, _)| s == "Service" && k == key).map(|(_, _, v)| v).collect()
}

/// The single value of `key` in [Service].
fn service_value(unit: &str, key: &str) -> String {
    let values = service_values(unit, key);
    assert_eq!(values.len(), 1, "[Service] {key}= should be set exactly once, found {values:?}");
    values.into_iter().next().unwrap()
}

/// A systemd time span in whole seconds: "60", "60s", "30 s", "2min", "1min 30s".
fn seconds(span: &str) -> u64 {
    let mut total = 0;
    let mut rest = span.trim();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().unwrap_or_else(|_| panic!("not a time span: {span}"));
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == ' ').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "" | "s" | "sec" => 1,
            "min" | "m" => 60,
            "h" | "hr" => 3600,
            other => panic!("unexpected time unit {other:?} in {span}"),
        };
        total += number * factor;
        rest = rest[unit_len..].trim_start();
    }
    total
}

/// The shipped unit with ExecStart pointing at the binary cargo built, so
/// that verify, which checks that every command exists, can check it here.
fn unit_for_this_build(dir: &Path) -> PathBuf {
    let original = unit_text();
    let binary = env!("CARGO_BIN_EXE_mailgate");
    assert!(!binary.contains('"') && !binary.contains('\\'), "cannot quote {binary} for a unit file");
    let prefix = format!("ExecStart={INSTALLED_BINARY} ");
    let mut replaced = 0;
    let adjusted: String = original
        .lines()
        .map(|line| match line.strip_prefix(&prefix) {
            Some(args) => {
                replaced += 1;
                format!("ExecStart=\"{binary}\" {args}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert_eq!(replaced, 1, "expected one line starting with `{prefix}` in the unit");
    // The file name is the unit name: keep it.
    let path = dir.join("mailgate.service");
    std::fs::write(&path, adjusted).expect("write the adjusted unit");
    path
}

#[test]
fn systemd_analyze_verify_finds_nothing_to_report() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let unit = unit_for_this_build(dir.path());
    let output = systemd_analyze(&["verify"], &unit);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    // verify exits 0 even for an unknown or misspelt key, reporting it only
    // on stderr ("Unknown key 'ProtectKernelTunabels' in section ..."): an
    // empty stderr is the real check. Nothing is filtered out of it.
    assert!(output.status.success(), "systemd-analyze verify failed ({}):\n{stderr}{stdout}", output.status);
    assert!(stderr.is_empty(), "systemd-analyze verify reported problems:\n{stderr}");
    assert!(stdout.trim().is_empty(), "systemd-analyze verify printed:\n{stdout}");
}

#[test]
fn security_exposure_is_no_worse_than_recorded() {
    // Offline analysis reads the unit file alone; the shipped file as is.
    let output = systemd_analyze(&["security", "--offline=yes"], &unit_path());
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "systemd-analyze security failed ({}):\n{stderr}{stdout}", output.status);
    assert!(stderr.trim().is_empty(), "systemd-analyze security complained:\n{stderr}");

    // "→ Overall exposure level for mailgate.service: 1.1 OK 🙂"
    let line = stdout
        .lines()
        .find(|l| l.contains("Overall exposure level for mailgate.service:"))
        .unwrap_or_else(|| panic!("no overall exposure line in:\n{stdout}"));
    let score = line.rsplit_once(':').unwrap().1.split_whitespace().next().unwrap_or_default();
    let (whole, tenth) = score.split_once('.').unwrap_or_else(|| panic!("unexpected score {score:?} in {line}"));
    let tenths: u32 = whole.parse::<u32>().expect(line) * 10 + tenth.parse::<u32>().expect(line);
    assert!(
        tenths <= RECORDED_EXPOSURE_TENTHS,
        "the unit's exposure rose to {score}, above the {}.{} recorded in packaging/README.md; \
         a hardening setting was weakened or removed:\n{stdout}",
        RECORDED_EXPOSURE_TENTHS / 10,
        RECORDED_EXPOSURE_TENTHS % 10
    );

    // Every remaining exposure (a ✗ line) is one the README accepts with a reason.
    let exposures: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('✗'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let unexplained: Vec<&&str> = exposures.iter().filter(|e| !ACCEPTED_EXPOSURES.contains(e)).collect();
    assert!(unexplained.is_empty(), "exposures not accepted in packaging/README.md: {unexplained:?}\n{stdout}");
}

#[test]
fn the_unit_and_the_daemon_agree_on_start_and_supervision() {
    let unit = unit_text();

    // Started as `mailgate --config /etc/mailgate/mailgate.toml run`, and the
    // built binary accepts exactly that command line.
    let exec_start = service_value(&unit, "ExecStart");
    let args: Vec<&str> = exec_start.split_whitespace().collect();
    assert_eq!(args.first(), Some(&INSTALLED_BINARY), "{exec_start}");
    assert_eq!(args.last(), Some(&"run"), "the daemon is the `run` command: {exec_start}");
    assert!(exec_start.contains("--config /etc/mailgate/mailgate.toml"), "{exec_start}");
    let help =
        Command::new(env!("CARGO_BIN_EXE_mailgate")).args(&args[1..]).arg("--help").output().expect("run mailgate");
    assert!(help.status.success(), "mailgate rejects the unit's command line {exec_start}: {}", text(&help.stderr));

    // The daemon speaks sd_notify: READY=1, WATCHDOG=1, STATUS=, from its main process.
    assert_eq!(service_value(&unit, "Type"), "notify");
    assert_eq!(service_value(&unit, "NotifyAccess"), "main");
    let watchdog = seconds(&service_value(&unit, "WatchdogSec"));
    assert!(watchdog > 0, "WatchdogSec must be set: the daemon pings at half of it");
    // READY=1 may wait 60 s for a silent source, after the migrations.
    assert!(seconds(&service_value(&unit, "TimeoutStartSec")) > 60);
    let stop = seconds(&service_value(&unit, "TimeoutStopSec"));
    assert!(
        stop > DAEMON_SHUTDOWN_GRACE_SECONDS,
        "TimeoutStopSec={stop}s leaves the daemon's {DAEMON_SHUTDOWN_GRACE_SECONDS}s outbox grace no room"
    );
    assert_eq!(service_value(&unit, "ExecReload"), "/bin/kill -HUP $MAINPID", "SIGHUP reloads the templates");
    // Room for the sources, the store and the metrics listener's 64
    // connections (MAX_CONNECTIONS in src/daemon/http.rs), stated in the unit.
    let nofile: u64 = service_value(&unit, "LimitNOFILE").parse().expect("LimitNOFILE= is a number");
    assert!(nofile >= 1024, "LimitNOFILE={nofile} leaves too little room");
    assert_eq!(service_value(&unit, "Restart"), "on-failure");
    assert_eq!(service_value(&unit, "RestartPreventExitStatus"), "78", "exit 78 is a bad configuration");

    // The user, and the directories the README and the example configuration name.
    assert_eq!(service_value(&unit, "DynamicUser"), "no");
    assert_eq!(service_value(&unit, "User"), "mailgate");
    assert_eq!(service_value(&unit, "Group"), "mailgate");
    assert_eq!(service_value(&unit, "StateDirectory"), "mailgate");
    assert_eq!(service_value(&unit, "ConfigurationDirectory"), "mailgate");
    let example = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.imap-smtp.example.toml"))
        .expect("config.imap-smtp.example.toml");
    assert!(example.contains("path = \"/var/lib/mailgate/mailgate.db\""), "the database lives in StateDirectory");

    // The log level comes from the configuration.
    assert!(service_values(&unit, "Environment").iter().all(|v| !v.contains("RUST_LOG")));
    assert_eq!(service_value(&unit, "UnsetEnvironment"), "RUST_LOG");

    // The hardening the README describes; verify would not notice one missing.
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("SystemCallArchitectures", "native"),
        ("MemoryDenyWriteExecute", "yes"),
        ("UMask", "0077"),
    ] {
        assert_eq!(service_value(&unit, key), value, "[Service] {key}=");
    }
    assert_eq!(service_values(&unit, "SystemCallFilter"), ["@system-service", "~@privileged @resources"]);
    assert!(service_values(&unit, "ReadWritePaths").is_empty(), "StateDirectory is the only writable place");
}
