//! The embedded default: with no `DATABASE_URL`, feedbackd runs a private PostgreSQL
//! cluster from the machine's own PostgreSQL binaries, under the data directory, listening
//! on loopback only, with a generated password. A cluster already running (started by
//! another feedbackd process on the same data directory) is reused, not started twice.

mod binaries;

use anyhow::{bail, Context};
use rand::RngCore;
use secrecy::SecretString;
use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The superuser and database of the embedded cluster.
const DB_USER: &str = "feedbackd";
const DB_NAME: &str = "feedbackd";

/// A running embedded cluster. Dropping it stops the cluster if this process started it.
pub struct EmbeddedPostgres {
    cluster: PathBuf,
    bin: PathBuf,
    port: u16,
    password: String,
    run_as: Option<(u32, u32)>,
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Initialises the cluster under `data_dir/pg` on first use, then starts it (or finds
    /// it already running).
    pub fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin = binaries::find().ok_or_else(|| anyhow::anyhow!(binaries::NOT_FOUND_HELP))?;
        fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let data_dir =
            data_dir.canonicalize().with_context(|| format!("resolving {}", data_dir.display()))?;
        let cluster = data_dir.join("pg");
        let run_as = unprivileged_user()?;
        let password = load_or_create_password(&data_dir)?;
        let mut pg = EmbeddedPostgres { cluster, bin, port: 0, password, run_as, started_here: false };
        if !pg.cluster.join("PG_VERSION").exists() {
            pg.init(&data_dir)?;
        }
        match pg.running_port() {
            Some(port) => pg.port = port,
            None => pg.launch(free_port()?)?,
        }
        pg.ensure_database()?;
        Ok(pg)
    }

    /// The URL to connect with.
    pub fn url(&self) -> SecretString {
        SecretString::from(self.url_for(DB_NAME))
    }

    /// The port the cluster listens on (loopback).
    pub fn port(&self) -> u16 {
        self.port
    }

    fn url_for(&self, database: &str) -> String {
        // Loopback only: TLS would add nothing but a handshake.
        format!("postgres://{DB_USER}:{}@127.0.0.1:{}/{database}?sslmode=disable", self.password, self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            // PostgreSQL refuses to run as root; run it as an unprivileged user instead.
            command.uid(uid).gid(gid);
        }
        command.env("LC_ALL", "C.UTF-8").env_remove("PGDATA");
        command
    }

    fn init(&self, data_dir: &Path) -> anyhow::Result<()> {
        tracing::info!(cluster = %self.cluster.display(), "initialising the embedded PostgreSQL cluster");
        fs::create_dir_all(&self.cluster)?;
        fs::set_permissions(&self.cluster, fs::Permissions::from_mode(0o700))?;
        let pwfile = data_dir.join(".pg-initdb-password");
        write_private(&pwfile, self.password.as_bytes())?;
        if let Some((uid, gid)) = self.run_as {
            chown(&self.cluster, uid, gid)?;
            chown(&pwfile, uid, gid)?;
        }
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.cluster)
            .args(["-U", DB_USER, "-E", "UTF8", "--locale=C", "--auth=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .context("running initdb")?;
        let _ = fs::remove_file(&pwfile);
        if !output.status.success() {
            // A half-made cluster would be mistaken for a real one next time.
            let _ = fs::remove_dir_all(&self.cluster);
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                self.permission_hint(data_dir)
            );
        }
        Ok(())
    }

    fn permission_hint(&self, data_dir: &Path) -> String {
        if self.run_as.is_some() {
            format!(
                "\nfeedbackd runs as root, so PostgreSQL runs as an unprivileged user, who must be able \
                 to reach {}; choose a data directory outside /root, e.g. --data-dir /var/tmp/feedbackd",
                data_dir.display()
            )
        } else {
            String::new()
        }
    }

    /// The port of a cluster already serving this data directory, if any.
    fn running_port(&self) -> Option<u16> {
        let pid_file = fs::read_to_string(self.cluster.join("postmaster.pid")).ok()?;
        // Line 4 of postmaster.pid is the port.
        let port: u16 = pid_file.lines().nth(3)?.trim().parse().ok()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
        Some(port)
    }

    fn launch(&mut self, port: u16) -> anyhow::Result<()> {
        let log = self.cluster.join("feedbackd-postgres.log");
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
        );
        let output = self
            .command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&self.cluster)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options])
            .output()
            .context("running pg_ctl start")?;
        if !output.status.success() {
            // Another feedbackd process may have started it a moment ago.
            if let Some(port) = self.running_port() {
                self.port = port;
                return Ok(());
            }
            bail!(
                "could not start the embedded PostgreSQL: {}\nits log: {}",
                String::from_utf8_lossy(&output.stderr).trim(),
                log.display()
            );
        }
        self.port = port;
        self.started_here = true;
        tracing::info!(port, "embedded PostgreSQL started");
        Ok(())
    }

    fn ensure_database(&self) -> anyhow::Result<()> {
        use diesel::{Connection, PgConnection, RunQueryDsl};
        let mut conn = PgConnection::establish(&self.url_for("postgres"))
            .context("connecting to the embedded PostgreSQL")?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}') AS exists"
        ))
        .get_result(&mut conn)?;
        if !found.exists {
            diesel::sql_query(format!("CREATE DATABASE {DB_NAME}")).execute(&mut conn)?;
        }
        Ok(())
    }

    /// Starts the cluster again on the same port after [`EmbeddedPostgres::stop`]: for
    /// fault tests that take the database away from a running service.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.launch(self.port)
    }

    /// A streaming standby of this cluster (`pg_basebackup -R`) under `data_dir/pg`,
    /// started on a free port: read replicas for tests and for trying them locally.
    pub fn start_standby(&self, data_dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir)?;
        let data_dir = data_dir.canonicalize()?;
        let cluster = data_dir.join("pg");
        if let Some((uid, gid)) = self.run_as {
            chown(&data_dir, uid, gid)?;
        }
        let output = self
            .command("pg_basebackup")
            .arg("-D")
            .arg(&cluster)
            .args([
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                DB_USER,
            ])
            .env("PGPASSWORD", &self.password)
            .output()
            .context("running pg_basebackup")?;
        if !output.status.success() {
            bail!("pg_basebackup failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let mut standby = EmbeddedPostgres {
            cluster,
            bin: self.bin.clone(),
            port: 0,
            password: self.password.clone(),
            run_as: self.run_as,
            started_here: false,
        };
        standby.launch(free_port()?)?;
        Ok(standby)
    }

    /// Stops the cluster if this process started it.
    pub fn stop(&mut self) {
        if !std::mem::take(&mut self.started_here) {
            return;
        }
        let result = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.cluster)
            .args(["-m", "fast", "-w", "-t", "60"])
            .output();
        match result {
            Ok(out) if out.status.success() => tracing::info!("embedded PostgreSQL stopped"),
            Ok(out) => tracing::warn!(stderr = %String::from_utf8_lossy(&out.stderr), "pg_ctl stop failed"),
            Err(error) => tracing::warn!(%error, "pg_ctl stop failed"),
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// When running as root, the uid and gid to run PostgreSQL as (`postgres`, else `nobody`).
fn unprivileged_user() -> anyhow::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Some(ids) = user_ids(name) {
            return Ok(Some(ids));
        }
    }
    bail!("running as root, and there is no `postgres` or `nobody` user to run PostgreSQL as")
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == name)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

fn chown(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("changing the owner of {}", path.display()))
}

/// The cluster's password: made once, kept beside it, readable only by its owner.
fn load_or_create_password(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("pg-password");
    if let Ok(existing) = fs::read_to_string(&path) {
        return Ok(existing.trim().to_string());
    }
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let password = hex::encode(bytes);
    write_private(&path, password.as_bytes())?;
    Ok(password)
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
