//! SQLite on a disk that fills up under the running app, or is read-only when it starts
//! (issue 23): the real `osp serve` on a small disk of its own — a tmpfs mounted in a mount
//! namespace of the process's own (`unshare`), so nothing outlives it. Filled to the last byte,
//! every write is refused with what is wrong and how to fix it, nothing is half-written (a
//! refused import leaves no level of it behind), and once the disk has room the same process
//! takes writes with no restart. On a read-only disk it stops at once saying so. (A disk turned
//! read-only under the running process cannot be made here — Linux will not remount a disk
//! with files open for writing — so SQLite's READONLY and the disk's EROFS are mapped to their
//! message in `database::disk_hint`'s unit test.)
//!
//! The mount needs root, as the test command runs; as anyone else the test fails saying so.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::{Value, json};

use crate::cluster::{admins, level_draft, market_buy_ticket, orders};
use crate::own_postgres::is_root;
use crate::processes::{Layout, Process, SECRETS_KEY, free_addr};

/// The app's data directory as a disk of `SIZE` of its own, inside the process's namespace.
const SIZE: &str = "8m";

struct SmallDisk {
    pid: u32,
    dir: std::path::PathBuf,
}

impl SmallDisk {
    /// A shell command run inside the app's mount namespace (where the small disk is).
    fn inside(&self, script: &str) -> std::process::Output {
        Command::new("nsenter")
            .args(["-t", &self.pid.to_string(), "-m", "--", "sh", "-c", script])
            .env("DISK", &self.dir)
            .output()
            .expect("nsenter runs (util-linux)")
    }

    fn must(&self, what: &str, script: &str) {
        let out = self.inside(script);
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes zeros until the disk has no byte left (`cat` ends with "No space left").
    fn fill(&self) {
        let out = self.inside(
            r#"cat /dev/zero 2>/dev/null > "$DISK/filler"; df -k --output=avail "$DISK" | tail -n1"#,
        );
        let available = String::from_utf8_lossy(&out.stdout);
        assert_eq!(available.trim(), "0", "the disk did not fill");
    }

    fn free(&self) {
        self.must("removing the filler", r#"rm "$DISK/filler""#);
    }
}

/// `osp serve` in demo mode with its data directory on a small disk of its own.
async fn app_on_small_disk(layout: &Layout, addr: SocketAddr) -> (Process, SmallDisk) {
    let dir = layout.dir.path().join("app");
    std::fs::create_dir_all(&dir).expect("the data directory");
    let dir_text = dir.to_str().expect("a UTF-8 path").to_owned();
    let mount = format!(r#"mount -t tmpfs -o size={SIZE} osp-test "$1" && shift && exec "$@""#);
    let wrapper = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        &mount,
        "sh",
        &dir_text,
    ];
    let process = layout
        .start_through(&wrapper, "app", &["serve"], addr)
        .await;
    let pid = process.child.id().expect("the app's process id");
    (process, SmallDisk { pid, dir })
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    endpoint: &str,
    body: Value,
) -> (u16, Value) {
    let response = client
        .post(format!("http://{addr}/api/{endpoint}"))
        .json(&body)
        .send()
        .await
        .expect("the app answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn import(client: &reqwest::Client, addr: SocketAddr, csv: &str) -> (u16, Value) {
    let response = client
        .post(format!("http://{addr}/api/levels/import"))
        .form(&[("csv", csv)])
        .send()
        .await
        .expect("the app answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn level_prices(client: &reqwest::Client, addr: SocketAddr) -> Vec<String> {
    let (status, levels) = post(client, addr, "levels", json!({})).await;
    assert_eq!(status, 200, "{levels}");
    let mut prices: Vec<String> = levels["levels"]
        .as_array()
        .unwrap_or_else(|| panic!("the levels as a list: {levels}"))
        .iter()
        .map(|l| {
            l["stored"]["level"]["price"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    prices.sort();
    prices
}

/// Sixty levels on INFY, 1000.00 up in steps of 1.
fn sixty_levels() -> String {
    let mut csv = "exchange,tradingsymbol,price,trigger,on_up,on_down,quantity,product,\
                   limit_offset,target,stop_loss,trailing_stop,confirmation,confirmation_value,\
                   rearm,rearm_distance,window_from,window_to,enabled,note\n"
        .to_owned();
    for i in 0..60 {
        csv.push_str(&format!(
            "NSE,INFY,{},up,buy,,1,intraday,,,,,cross,,once,,,,false,imported {i}\n",
            1000 + i
        ));
    }
    csv
}

fn says(answer: &Value, words: &[&str]) -> bool {
    let text = answer.to_string().to_lowercase();
    words.iter().all(|w| text.contains(w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_refuses_writes_saying_why_half_writes_nothing_and_resumes_with_room()
{
    assert!(
        is_root(),
        "this test mounts a small disk for the app (tmpfs in a mount namespace of its own) and \
         needs root: run the README's test command as root, as CI does"
    );
    let layout = Layout {
        dir: tempfile::tempdir().expect("a temporary directory"),
        env: [
            ("OSP__PROFILE", "test"),
            ("OSP__MODE", "demo"),
            ("OSP__SECRETS__KEY", SECRETS_KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    };
    let addr = free_addr();
    let (mut app, disk) = app_on_small_disk(&layout, addr).await;
    let (admin, _) = admins(addr, &[]).await.remove(0);
    let first = level_draft(osp_core::model::Price::from_rupees(1500).expect("a price"));
    let (status, made) = post(&admin, addr, "levels/create", json!({ "draft": first })).await;
    assert_eq!(status, 200, "a level on an empty disk: {made}");

    // Full: every write is refused with what is wrong, the app goes on answering.
    disk.fill();
    let second = level_draft(osp_core::model::Price::from_rupees(1600).expect("a price"));
    let (status, refused) = post(&admin, addr, "levels/create", json!({ "draft": second })).await;
    assert_eq!(
        status,
        503,
        "a level with the disk full: {refused}\n{}",
        app.log()
    );
    assert!(
        says(&refused, &["disk", "full", "free"]),
        "the refusal does not say the disk is full and what to do: {refused}"
    );
    let (status, refused_import) = import(&admin, addr, &sixty_levels()).await;
    assert_eq!(
        status, 503,
        "an import with the disk full: {refused_import}"
    );
    assert!(
        says(&refused_import, &["disk", "full"]),
        "{refused_import}\n{}",
        app.log()
    );
    let (status, order) = post(&admin, addr, "orders/place", market_buy_ticket()).await;
    assert!(
        status == 503 && says(&order, &["disk", "full"]),
        "an order with the disk full: {status} {order}\n{}",
        app.log()
    );
    // Reading still works, and shows only what was stored whole.
    assert_eq!(level_prices(&admin, addr).await, vec!["1500.00"]);

    // Room again: the same process takes writes, and the import that failed left nothing.
    disk.free();
    let (status, made) = post(&admin, addr, "levels/create", json!({ "draft": second })).await;
    assert_eq!(status, 200, "a level once the disk has room: {made}");
    assert_eq!(
        level_prices(&admin, addr).await,
        vec!["1500.00", "1600.00"],
        "the refused import left levels behind"
    );
    let (status, imported) = import(&admin, addr, &sixty_levels()).await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(level_prices(&admin, addr).await.len(), 62);

    let (status, placed) = post(&admin, addr, "orders/place", market_buy_ticket()).await;
    assert_eq!(status, 200, "{placed}");
    assert!(
        placed["broker_order_id"].is_string() && placed["reason"].is_null(),
        "the order once the disk has room: {placed}"
    );
    assert_eq!(placed["request"]["tradingsymbol"], "INFY", "{placed}");
    // The order refused on the full disk left no record: the book holds the one placed after.
    assert_eq!(orders(&admin, addr).await.len(), 1);

    assert!(
        app.child.try_wait().expect("the app").is_none(),
        "the app exited: {}",
        app.log()
    );
    app.kill().await;
}

#[tokio::test]
async fn osp_on_a_read_only_disk_stops_at_start_saying_so_and_what_to_do() {
    assert!(
        is_root(),
        "this test mounts a read-only disk for the app (tmpfs in a mount namespace of its own) \
         and needs root: run the README's test command as root, as CI does"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("the data directory");
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(r#"mount -t tmpfs -o size=1m,ro osp-test "$1" && shift && exec "$@""#)
            .arg("sh")
            .arg(&data)
            .arg(env!("CARGO_BIN_EXE_osp"))
            .args(["serve", "--addr", &free_addr().to_string()])
            .env("OSP__PROFILE", "test")
            .env("OSP__MODE", "demo")
            .env("OSP__DATA_DIR", &data)
            .env("OSP__SECRETS__KEY", SECRETS_KEY)
            .output(),
    )
    .await
    .expect("osp stops by itself on a read-only disk")
    .expect("osp runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "osp ran on a read-only disk: {said}");
    assert!(
        said.contains(&format!("{} does not take writes", data.display()))
            && said.contains("read-only")
            && said.contains("remount the disk read-write"),
        "osp does not say the disk is read-only and what to do: {said}"
    );
}
