//! The operator's commands over the database file: `stats` (the dashboard
//! counts), `backup PATH` (a consistent, checked copy taken while the daemon
//! runs), `db migrate`, `db check` (which also warns about database files
//! that others may read), and `purge --older-than DAYS` (the
//! retention of raw mail copies). The work is done by `store::admin`; this
//! file picks the times, the words and the exit codes.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mailgate::clock::{Clock, SystemClock, rfc3339};
use mailgate::store::{Store, files};

use super::table::Table;
use super::{load_config, open_store, print_json};

/// `--older-than`: a whole number of days, at least 1 (at most a century,
/// which keeps the date arithmetic in range).
pub fn parse_days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(days) if (1..=36_500).contains(&days) => Ok(days as u32),
        Ok(days) if days < 1 => Err(format!("DAYS must be at least 1, got {days}")),
        Ok(_) => Err("DAYS must be at most 36500 (a century)".to_string()),
        Err(_) => Err(format!("DAYS must be a whole number of days, got \"{s}\"")),
    }
}

pub fn stats(config: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let midnight = SystemClock.now().replace_time(time::Time::MIDNIGHT);
    let stats = store.stats(&rfc3339(midnight))?;
    if json {
        return print_json(&stats).map(|_| ExitCode::SUCCESS);
    }
    let groups = [&stats.tickets.0, &stats.today.0, &stats.outbox.0];
    let mut table = Table::new(&["TICKETS", "", "TODAY (UTC)", "", "OUTBOX", ""]);
    for i in 0..groups.iter().map(|g| g.len()).max().unwrap_or(0) {
        let mut row = Vec::new();
        for group in groups {
            match group.get(i) {
                Some((name, n)) => row.extend([name.to_string(), n.to_string()]),
                None => row.extend([String::new(), String::new()]),
            }
        }
        table.row(row);
    }
    let total = |g: &[(&str, i64)]| g.iter().map(|(_, n)| n).sum::<i64>().to_string();
    table.row(vec![
        "total".into(),
        total(&stats.tickets.0),
        "total".into(),
        total(&stats.today.0),
        "total".into(),
        total(&stats.outbox.0),
    ]);
    table.print();
    println!("\ntoday = mail received since {} (midnight UTC)", stats.today_since);
    Ok(ExitCode::SUCCESS)
}

pub fn backup(config: &Path, dest: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let store = Store::open_existing(&config.database_path).context("cannot back up the store (database.path)")?;
    let report = store.backup_to(dest, force).context("backup failed")?;
    println!("{}: {} bytes ({}), integrity ok", report.path.display(), report.size, human(report.size as i64));
    Ok(ExitCode::SUCCESS)
}

pub fn db_migrate(config: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let path = &config.database_path;
    let before = if path.exists() {
        Store::open_existing(path).and_then(|s| s.schema_version()).context("cannot read the schema version")?
    } else {
        0
    };
    let after = open_store(&config)?.schema_version()?;
    let what = match after - before {
        0 => "up to date".to_string(),
        1 => "1 migration applied".to_string(),
        n => format!("{n} migrations applied"),
    };
    println!("{}: schema version {before} -> {after} ({what})", path.display());
    Ok(ExitCode::SUCCESS)
}

pub fn db_check(config: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let path = &config.database_path;
    let store = Store::open_existing(path).context("cannot check the store (database.path)")?;
    let problems = store.check()?;
    // A warning, not a failure: the data is sound, but readable by others.
    for loose in files::loose_files(path) {
        eprintln!("mailgate: warning: {loose}");
    }
    if problems.is_empty() {
        println!("ok");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{p}");
    }
    eprintln!(
        "mailgate: {}: {} problem(s); restore the latest backup (see `mailgate backup`) or repair with sqlite3's .recover",
        path.display(),
        problems.len()
    );
    Ok(ExitCode::FAILURE)
}

pub fn purge(config: &Path, older_than: u32, dry_run: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let mut store = open_store(&config)?;
    let cutoff = SystemClock.now() - time::Duration::days(i64::from(older_than));
    let cutoff = rfc3339(cutoff);
    let purged = store.purge_raw_copies(&cutoff, dry_run)?;
    let verb = if dry_run { "would be purged" } else { "purged" };
    println!(
        "{} raw cop{} of mail received before {cutoff} {verb}: {} bytes ({})",
        purged.copies,
        if purged.copies == 1 { "y" } else { "ies" },
        purged.bytes,
        human(purged.bytes)
    );
    if purged.kept_shared > 0 {
        println!("{} kept: a more recent mail or an attachment has the same bytes", purged.kept_shared);
    }
    if !dry_run && purged.copies > 0 {
        println!(
            "the space is reused for new mail; the file itself shrinks only after `VACUUM` (e.g. `sqlite3 {} VACUUM` with the daemon stopped)",
            config.database_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A size for people: 1.2 MB.
fn human(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}
