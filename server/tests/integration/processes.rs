//! `osp` as real processes for the tests that need one: started with an environment and a data
//! directory of their own (`Layout`), waited on until `/health` answers, killed with SIGKILL.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::process::{Child, Command};

/// "0123456789abcdef0123456789abcdef": every process opens what another sealed.
pub const SECRETS_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

pub struct Process {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub child: Child,
    pub log: std::path::PathBuf,
}

impl Process {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process ends at once, nothing of it runs after.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("the process is killed");
    }
}

pub struct Layout {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Layout {
    /// Starts `osp <args>` on `addr` and waits for its `/health`; its data directory is named
    /// for `name`, so a second start under the same name is the same installation.
    pub async fn start(&self, name: &'static str, args: &[&str], addr: SocketAddr) -> Process {
        self.start_through(&[], name, args, addr).await
    }

    /// As `start`, with `osp` run by `wrapper` (a program and its first arguments, `osp`'s
    /// path and arguments after them): the process is the wrapper until it `exec`s `osp`.
    pub async fn start_through(
        &self,
        wrapper: &[&str],
        name: &'static str,
        args: &[&str],
        addr: SocketAddr,
    ) -> Process {
        let log = self.dir.path().join(format!("{name}.log"));
        // Appended: a process started again under its name (on its data directory) keeps the log
        // of its first run.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("a log file");
        let data_dir = self.dir.path().join(name);
        let osp = env!("CARGO_BIN_EXE_osp");
        let mut command = match wrapper.split_first() {
            Some((program, first)) => {
                let mut command = Command::new(program);
                command.args(first).arg(osp);
                command
            }
            None => Command::new(osp),
        };
        let child = command
            .args(args)
            .arg("--addr")
            .arg(addr.to_string())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("OSP__DATA_DIR", &data_dir)
            // The log lines go to stdout; stderr carries panics. Both land in the one file.
            .stdout(file.try_clone().expect("the log file, twice"))
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("osp starts");
        let mut process = Process {
            name,
            addr,
            child,
            log,
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("{name} exited ({status}): {}", process.log());
            }
            if let Ok(response) = client.get(format!("http://{addr}/health")).send().await
                && response.status().is_success()
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        process.kill().await;
        panic!("{name} never answered /health: {}", process.log());
    }
}
