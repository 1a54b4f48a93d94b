//! The database holds every raw mail, so its files are the operator's
//! alone: the database, its WAL and shared-memory files, and every backup
//! are created mode 0600 whatever the umask of whoever runs mailgate (the
//! systemd unit sets `UMask=0077`, but `mailgate ingest` or `backup` run by
//! hand under the usual 022 would otherwise leave world-readable copies).
//! SQLite creates `-wal`, `-shm` and `-journal` with the mode of the main
//! file, so creating that one 0600 before SQLite opens it is enough. An
//! existing file is never changed behind the operator's back: `mailgate db
//! check` names the files whose mode is broader, with the chmod to run.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of every file mailgate creates for the database.
pub const PRIVATE_MODE: u32 = 0o600;

/// Creates `path` empty with mode 0600 if it does not exist (an existing
/// file is left as it is). Folders missing on the way are created 0700.
pub fn create_private(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
    }
    // The mode passed to open(2) is masked by the umask; 0600 under any
    // usual umask, and set exactly below when the file is new.
    match OpenOptions::new().write(true).create_new(true).mode(PRIVATE_MODE).open(path) {
        Ok(file) => file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A database file that others than its owner may read or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseFile {
    pub path: PathBuf,
    /// The permission bits, e.g. 0o644.
    pub mode: u32,
}

impl std::fmt::Display for LooseFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} has mode {:04o}: others can read the raw mail it holds; run `chmod 600 {}`",
            self.path.display(),
            self.mode,
            self.path.display()
        )
    }
}

/// The database at `db` and those of its `-wal`, `-shm` and `-journal`
/// files that exist, whose mode gives anything to the group or others.
pub fn loose_files(db: &Path) -> Vec<LooseFile> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let mut path = db.as_os_str().to_owned();
            path.push(suffix);
            let path = PathBuf::from(path);
            let mode = std::fs::metadata(&path).ok()?.permissions().mode() & 0o777;
            (mode & 0o077 != 0).then_some(LooseFile { path, mode })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_and_its_new_folders_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state/db/mailgate.sqlite3");
        create_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.path().join("state/db")), 0o700);
    }

    #[test]
    fn an_existing_file_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mailgate.sqlite3");
        std::fs::write(&db, b"kept").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_private(&db).unwrap();
        assert_eq!((mode(&db), std::fs::read(&db).unwrap()), (0o640, b"kept".to_vec()));
    }

    #[test]
    fn files_open_to_group_or_others_are_named_with_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.sqlite3");
        let cases = [("", 0o600, false), ("-wal", 0o644, true), ("-shm", 0o660, true), ("-journal", 0o400, false)];
        for (suffix, m, _) in cases {
            let path = dir.path().join(format!("m.sqlite3{suffix}"));
            std::fs::write(&path, b"").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        }
        let loose = loose_files(&db);
        let expected: Vec<LooseFile> = cases
            .iter()
            .filter(|c| c.2)
            .map(|(suffix, m, _)| LooseFile { path: dir.path().join(format!("m.sqlite3{suffix}")), mode: *m })
            .collect();
        assert_eq!(loose, expected);
        assert!(loose[0].to_string().contains("has mode 0644") && loose[0].to_string().contains("chmod 600"));
    }
}
