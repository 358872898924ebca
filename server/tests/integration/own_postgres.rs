//! A PostgreSQL server of a test's own, on a loopback port, that the test can stop and start
//! again (the storm's database-loss trial): made with the `initdb` and `pg_ctl` the test
//! command installs, in a temporary directory, and stopped (`immediate`) when dropped, passed
//! or failed. PostgreSQL refuses to run as root: as root the commands run as `postgres`.

use std::path::PathBuf;
use std::process::Command;

pub struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl OwnPostgres {
    /// A fresh cluster on `port`, started and accepting connections.
    pub fn start(port: u16) -> OwnPostgres {
        let bin = newest_bin();
        let dir = tempfile::tempdir().expect("a temporary directory for PostgreSQL");
        let own = OwnPostgres { bin, dir, port };
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres"])
                .arg(own.dir.path()));
        }
        run(own.command("initdb").arg("-D").arg(own.data()).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ]));
        own.start_again();
        own
    }

    /// `postgres://…/postgres` on this server.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start_again(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .arg("-w")
            .arg("-o")
            .arg(format!(
                "-h 127.0.0.1 -p {} -k {} -c fsync=off",
                self.port,
                self.dir.path().display()
            ))
            .arg("start"));
    }

    /// Stops the server the way an operator's `pg_ctl stop` does (`fast`: every session is
    /// ended at once, nothing waits for the clients).
    pub fn stop(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]));
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The newest installed PostgreSQL's `bin` (Debian keeps them under /usr/lib/postgresql/N).
fn newest_bin() -> PathBuf {
    let mut bins: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL under /usr/lib/postgresql (the test command installs it)")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    bins.sort();
    bins.pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
        .1
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    // The effective user id, as `id -u` prints it.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
