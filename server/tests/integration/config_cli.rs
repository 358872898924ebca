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
    ] {
        assert!(text.contains(needle), "--help mentions {needle}");
    }
    let serve = osp(&["serve", "--help"], &[]);
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--addr"));
}
