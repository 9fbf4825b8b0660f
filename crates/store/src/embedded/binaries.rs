//! Finding the machine's PostgreSQL server binaries.

use std::path::{Path, PathBuf};

/// What to do when there are none.
pub const NOT_FOUND_HELP: &str = "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found \
on PATH or in the usual places.\n\
Either install PostgreSQL (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: \
`brew install postgresql@16`), or point feedbackd at a server with DATABASE_URL, or run \
`docker compose up` from the repository.";

/// The directory holding `initdb`, `pg_ctl` and `postgres`: PATH first, then the places
/// Debian, Red Hat and Homebrew install them (newest version first).
pub fn find() -> Option<PathBuf> {
    let on_path =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    let mut candidates = on_path;
    for pattern_dir in ["/usr/lib/postgresql", "/opt/homebrew/opt", "/usr/local/opt"] {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(pattern_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .collect();
        versions.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
        candidates.extend(versions);
    }
    candidates.extend(["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"].map(PathBuf::from));
    // Where `initdb` really is: a PATH directory may hold links to the three server
    // binaries alone, and the standby needs `pg_basebackup` beside them.
    let found = candidates.into_iter().find(|dir| has_server_binaries(dir))?;
    let real = found.join("initdb").canonicalize().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    Some(real.filter(|dir| has_server_binaries(dir)).unwrap_or(found))
}

fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file())
}

/// The major version in a path like `/usr/lib/postgresql/16/bin` or `.../postgresql@16/bin`.
fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .map(|n| n.rsplit(['@', '-']).next().unwrap_or(n))
        .and_then(|v| v.split('.').next()?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_install_paths() {
        assert_eq!(version_of(Path::new("/usr/lib/postgresql/16/bin")), 16);
        assert_eq!(version_of(Path::new("/opt/homebrew/opt/postgresql@15/bin")), 15);
        assert_eq!(version_of(Path::new("/usr/pgsql-14/bin")), 14);
    }
}
