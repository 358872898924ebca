use std::time::Duration;

use osp_server::config::DatabaseSettings;
use osp_server::database::Database;
use secrecy::SecretString;

use crate::helpers::{drop_postgres_database, fresh_postgres_database, spawn_app_with};

#[tokio::test]
async fn postgres_migrations_apply_and_are_idempotent() {
    let (url, name) = fresh_postgres_database().await;
    let db = Database::connect(&DatabaseSettings {
        url: SecretString::from(url),
        max_connections: 2,
    })
    .await
    .unwrap();
    assert_eq!(db.backend_name(), "postgres");
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    let Database::Postgres(pool) = &db else {
        panic!("expected PostgreSQL")
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
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
    db.close().await;
    drop_postgres_database(&name).await;
}

#[tokio::test]
async fn the_app_runs_on_postgres_and_health_turns_503_when_the_database_goes_away() {
    let (url, name) = fresh_postgres_database().await;
    let app = spawn_app_with(&[("OSP__DATABASE__URL", url.as_str())]).await;
    let (_, body) = app.health().await;
    assert_eq!(body["database"]["backend"], "postgres");
    assert_eq!(body["database"]["status"], "ok");

    drop_postgres_database(&name).await;
    let (status, body) = app.health().await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "down");
    assert_eq!(body["database"]["status"], "down");
    let detail = body["database"]["detail"].as_str().unwrap();
    assert!(detail.starts_with("postgres"), "{detail}");
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_postgres_fails_start_up_naming_the_server_not_the_password() {
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = DatabaseSettings {
        url: SecretString::from(format!("postgres://osp:s3cret-pw@127.0.0.1:{port}/osp")),
        max_connections: 1,
    };
    let started = std::time::Instant::now();
    let err = Database::connect(&settings).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(err.contains(&format!("127.0.0.1:{port}/osp")), "{err}");
    assert!(!err.contains("s3cret-pw"), "{err}");
}

/// A test that fails half-way (its connection still open) leaves no database on the test
/// server: the name's guard drops it as the panic unwinds.
#[tokio::test]
async fn a_failing_test_leaves_no_database_behind() {
    use sqlx::Connection;
    let (named, name) = tokio::sync::oneshot::channel();
    let failing = tokio::spawn(async move {
        let (url, database) = fresh_postgres_database().await;
        let _open = sqlx::PgConnection::connect(&url).await.unwrap();
        named.send(database.to_string()).unwrap();
        panic!("a failing assertion in a test (expected by this test)");
    });
    assert!(failing.await.unwrap_err().is_panic());
    let name = name.await.unwrap();
    assert!(name.starts_with("osp_test_"), "{name}");
    let mut admin = sqlx::PgConnection::connect(&crate::helpers::postgres_admin_url())
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "{name} was left behind");
}
