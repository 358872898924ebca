//! The binary's own behaviour at the edges: a bad value stops it with one clear line.

fn osp(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_osp"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_key() {
    let out = osp(&["serve"], &[("OSP__DEMO__TICK_INTERVAL_MS", "fast")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("demo.tick_interval_ms (OSP__DEMO__TICK_INTERVAL_MS) = \"fast\""));
    assert!(stderr.contains("a whole number from 50 to 60000"));
}

#[test]
fn help_documents_every_command_flag_and_key() {
    let out = osp(&["--help"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "serve",
        "migrate",
        "--config",
        "--profile",
        "--data-dir",
        "OSP__SERVER__ADDR",
        "OSP__DATABASE__URL",
        "LEPTOS_SITE_ROOT",
        "OSP__KITE__API_SECRET",
        "OSP__SECRETS__KEY",
        "OSP__AUTH__IDLE_TIMEOUT_SECS",
        "OSP__SERVER__ALLOWED_ORIGINS",
        "user",
    ] {
        assert!(text.contains(needle), "--help mentions {needle}");
    }
    let serve = osp(&["serve", "--help"], &[]);
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--addr"));
    assert!(text.contains("kite-sim"));
    let sim = osp(&["kite-sim", "--help"], &[]);
    let sim_help = String::from_utf8_lossy(&sim.stdout);
    for flag in [
        "--listen",
        "--api-key",
        "--api-secret",
        "--redirect-url",
        "--seed",
        "--auto-login",
        "--fail-percent",
        "--drop-ticker-every",
    ] {
        assert!(sim_help.contains(flag), "kite-sim --help mentions {flag}");
    }
}

#[test]
fn kite_sim_serves_the_api_and_logs_in_a_client() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_osp"))
        .args([
            "kite-sim",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k1",
            "--api-secret",
            "s1",
            "--redirect-url",
            "http://127.0.0.1:9/back",
            "--auto-login",
        ])
        .env("OSP__LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _child = Kill(child);
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("the simulator prints its address; it printed {line:?}"))
        .to_owned();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use kite_connect::common::urls::KiteEndpoints;
        use kite_connect::http::{KiteClient, KiteClientConfig};
        let mut config = KiteClientConfig::new(KiteEndpoints::simulator(&base), "k1");
        config.api_secret = Some(secrecy::SecretString::from("s1"));
        let client = KiteClient::new(config).unwrap();
        let request_token = crate::kite_rest::log_in(&client).await;
        let session = client.generate_session(&request_token).await.unwrap();
        assert_eq!(session.api_key, "k1");
        let ltp = client.ltp(&["NSE:INFY"]).await.unwrap();
        assert!(ltp["NSE:INFY"].last_price.raw() > 0);
    });
}

/// Every `osp` process turns transparent huge pages off before anything else (the kernel
/// otherwise fills the allocator's arena with 2 MiB pages minutes after start: docs/MEMORY.md).
#[cfg(target_os = "linux")]
#[test]
fn an_osp_process_runs_without_transparent_huge_pages() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_osp"))
        .args(["kite-sim", "--listen", "127.0.0.1:0", "--api-secret", "s1"])
        .env("OSP__LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    let status = status.unwrap();
    let thp = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .unwrap_or_else(|| panic!("no THP_enabled line in /proc/PID/status: {status}"));
    assert_eq!(thp.split_whitespace().nth(1), Some("0"), "{thp}");
}

/// `osp kite-sim` has no default secret anyone could know: without `--api-secret` it makes one
/// up and says it once.
#[test]
fn kite_sim_without_a_secret_makes_one_up_and_says_it() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_osp"))
        .args(["kite-sim", "--listen", "127.0.0.1:0"])
        .env_remove("OSP_SIM_API_SECRET")
        .env("OSP__LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    let secret = second
        .split("api_secret is ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the made-up secret is told: {second:?}"));
    assert_eq!(secret.len(), 32, "{second}");
    assert!(!second.contains("osp_sim_secret"));
}

#[test]
fn plain_text_in_production_or_live_mode_needs_a_named_opt_out_and_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let production = [
        ("OSP__PROFILE", "production"),
        ("OSP__DATA_DIR", data_dir),
        ("OSP__METRICS__ADDR", "off"),
    ];
    let out = osp(&["migrate"], &production);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("server.https"), "{stderr}");
    assert!(
        stderr.contains("server.allow_plain_http = true"),
        "{stderr}"
    );

    let mut opted_out = production.to_vec();
    opted_out.push(("OSP__SERVER__ALLOW_PLAIN_HTTP", "true"));
    let out = osp(&["migrate"], &opted_out);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("a protection is turned off: server.allow_plain_http"),
        "{stdout}"
    );

    let live = [
        ("OSP__DATA_DIR", data_dir),
        ("OSP__MODE", "live"),
        ("OSP__KITE__ENDPOINT", "http://127.0.0.1:9"),
    ];
    let out = osp(&["migrate"], &live);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kite.allow_plain_http = true"));
    let mut opted_out = live.to_vec();
    opted_out.push(("OSP__KITE__ALLOW_PLAIN_HTTP", "true"));
    let out = osp(&["migrate"], &opted_out);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("a protection is turned off: kite.allow_plain_http"),
        "{stdout}"
    );
    assert!(stdout.contains("http://127.0.0.1:9"), "{stdout}");
}
