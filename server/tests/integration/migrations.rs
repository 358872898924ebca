use osp_server::config::DatabaseSettings;
use osp_server::database::Database;
use secrecy::SecretString;
use sqlx::Row;

fn sqlite_settings(path: &std::path::Path) -> DatabaseSettings {
    DatabaseSettings {
        url: SecretString::from(format!("sqlite://{}", path.display())),
        max_connections: 2,
    }
}

#[tokio::test]
async fn sqlite_is_created_in_a_missing_directory_in_wal_mode_and_migrates_twice() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/deeper/osp.db");
    let db = Database::connect(&sqlite_settings(&file)).await.unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    assert!(file.is_file());
    let Database::Sqlite(pool) = &db else {
        panic!("expected SQLite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' \
         AND name NOT LIKE 'sqlite%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("name"))
    .collect();
    assert_eq!(
        tables,
        [
            "account_settings",
            "alert_events",
            "alerts",
            "app_meta",
            "broker_alert_firings",
            "broker_alert_sync",
            "broker_alerts",
            "broker_alerts_suspended",
            "instruments",
            "kite_credentials",
            "level_events",
            "levels",
            "notification_reads",
            "order_intents",
            "sessions",
            "trades",
            "users",
            "watchlist_items",
            "watchlists",
            "webhook_deliveries",
            "worker_leases"
        ]
    );
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(applied, 18);
    // The schema enforces what the model promises: tick sizes are never negative (indices have 0).
    let bad = sqlx::query(
        "INSERT INTO instruments (instrument_token, exchange_token, tradingsymbol, exchange, \
         segment, instrument_type, tick_size_raw, lot_size) VALUES (1, 1, 'X', 'NSE', 'NSE', 'EQ', -5, 1)",
    )
    .execute(pool)
    .await;
    assert!(bad.is_err());
    db.close().await;
}

#[tokio::test]
async fn the_migrate_command_applies_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_osp"))
        .args(["--profile", "test", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied (sqlite)"));
    assert!(dir.path().join("data/osp.db").is_file());
}
