//! The mirror of the broker's alerts (`broker_alerts`), the firings seen (`broker_alert_firings`),
//! how the last read of the broker's list went (`broker_alert_sync`), and the ATO alerts the
//! kill switch took from the broker (`broker_alerts_suspended`).

use async_trait::async_trait;
use osp_core::model::{BrokerAlert, BrokerAlertFiring, BrokerAlertMirror, SuspendedBrokerAlert};
use osp_core::ports::{BrokerAlertStore, StoreError};

use super::{BeginWrite, Database, failed};
use crate::on_pool;

/// What this store's errors name.
const WHAT: &str = "the Kite alerts";

fn encode(alert: &BrokerAlert) -> Result<String, StoreError> {
    serde_json::to_string(alert).map_err(|e| {
        StoreError::unreadable(WHAT, format!("cannot encode Kite alert {}: {e}", alert.id))
    })
}

fn count(n: u32) -> i64 {
    i64::from(n)
}

/// alert_id, seq, name, text, recorded_ms
type FiringRow = (String, i64, String, String, i64);

#[async_trait]
impl BrokerAlertStore for Database {
    async fn mirror(&self) -> Result<BrokerAlertMirror, StoreError> {
        let (rows, sync): (
            Vec<(String, String, i64)>,
            Option<(Option<i64>, Option<String>)>,
        ) = on_pool!(self, pool => {
            let rows = sqlx::query_as("SELECT id, body, fired_count FROM broker_alerts")
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?;
            let sync = sqlx::query_as(
                "SELECT synced_ms, error FROM broker_alert_sync WHERE id = 1",
            )
            .fetch_optional(pool)
            .await
            .map_err(failed(WHAT))?;
            (rows, sync)
        });
        let mut alerts = Vec::with_capacity(rows.len());
        for (id, body, fired_count) in rows {
            let mut alert: BrokerAlert = serde_json::from_str(&body).map_err(|e| {
                StoreError::unreadable(WHAT, format!("stored Kite alert {id} is unreadable: {e}"))
            })?;
            // The count the firings were recorded up to.
            alert.fired_count = u32::try_from(fired_count).unwrap_or(0);
            alerts.push(alert);
        }
        alerts.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        let (synced_ms, error) = sync.unwrap_or((None, None));
        Ok(BrokerAlertMirror {
            alerts,
            synced_ms,
            error,
        })
    }

    async fn put(&self, alert: &BrokerAlert, now_ms: i64) -> Result<(), StoreError> {
        let body = encode(alert)?;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO broker_alerts (id, body, fired_count, stored_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
                 SET body = excluded.body, stored_ms = excluded.stored_ms",
            )
            .bind(&alert.id)
            .bind(&body)
            .bind(count(alert.fired_count))
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM broker_alerts WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    async fn replace(
        &self,
        alerts: &[BrokerAlert],
        firings: &[BrokerAlertFiring],
        now_ms: i64,
    ) -> Result<Vec<BrokerAlertFiring>, StoreError> {
        let bodies = alerts
            .iter()
            .map(|a| encode(a).map(|b| (a, b)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut fresh = Vec::new();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            for firing in firings {
                let added = sqlx::query(
                    "INSERT INTO broker_alert_firings (alert_id, seq, name, text, recorded_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (alert_id, seq) DO NOTHING",
                )
                .bind(&firing.alert_id)
                .bind(count(firing.seq))
                .bind(&firing.name)
                .bind(&firing.text)
                .bind(firing.recorded_ms)
                .execute(&mut *tx)
                .await
                .map_err(failed(WHAT))?
                .rows_affected();
                if added == 1 {
                    fresh.push(firing.clone());
                }
            }
            // An alert stored after the list was asked for is newer than the list: it stays.
            for (alert, body) in &bodies {
                sqlx::query(
                    "INSERT INTO broker_alerts (id, body, fired_count, stored_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
                     SET body = excluded.body, fired_count = excluded.fired_count, \
                     stored_ms = excluded.stored_ms \
                     WHERE broker_alerts.stored_ms <= excluded.stored_ms",
                )
                .bind(&alert.id)
                .bind(body)
                .bind(count(alert.fired_count))
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .map_err(failed(WHAT))?;
            }
            let stored: Vec<(String, i64)> =
                sqlx::query_as("SELECT id, stored_ms FROM broker_alerts")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(failed(WHAT))?;
            for (id, stored_ms) in stored {
                if stored_ms <= now_ms && !alerts.iter().any(|a| a.id == id) {
                    sqlx::query("DELETE FROM broker_alerts WHERE id = $1")
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(failed(WHAT))?;
                }
            }
            sqlx::query(
                "INSERT INTO broker_alert_sync (id, synced_ms, error, tried_ms) \
                 VALUES (1, $1, NULL, $1) ON CONFLICT (id) DO UPDATE \
                 SET synced_ms = excluded.synced_ms, error = NULL, tried_ms = excluded.tried_ms",
            )
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(failed(WHAT))?;
            tx.commit().await.map_err(failed(WHAT))?;
        });
        Ok(fresh)
    }

    async fn sync_failed(&self, error: &str, now_ms: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO broker_alert_sync (id, synced_ms, error, tried_ms) \
                 VALUES (1, NULL, $1, $2) ON CONFLICT (id) DO UPDATE \
                 SET error = excluded.error, tried_ms = excluded.tried_ms",
            )
            .bind(error)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    async fn firings(&self, limit: u32) -> Result<Vec<BrokerAlertFiring>, StoreError> {
        let rows: Vec<FiringRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT alert_id, seq, name, text, recorded_ms FROM broker_alert_firings \
                 ORDER BY recorded_ms DESC, alert_id, seq DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        Ok(rows
            .into_iter()
            .map(
                |(alert_id, seq, name, text, recorded_ms)| BrokerAlertFiring {
                    alert_id,
                    seq: u32::try_from(seq).unwrap_or(0),
                    name,
                    text,
                    recorded_ms,
                },
            )
            .collect())
    }

    async fn suspend(&self, alert: &BrokerAlert, now_ms: i64) -> Result<(), StoreError> {
        let body = encode(alert)?;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO broker_alerts_suspended (id, body, suspended_ms) \
                 VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&alert.id)
            .bind(&body)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    async fn suspended(&self) -> Result<Vec<SuspendedBrokerAlert>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, body, suspended_ms FROM broker_alerts_suspended \
                 ORDER BY suspended_ms, id",
            )
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter()
            .map(|(id, body, suspended_ms)| {
                let alert = serde_json::from_str(&body).map_err(|e| {
                    StoreError::unreadable(
                        WHAT,
                        format!("suspended Kite alert {id} is unreadable: {e}"),
                    )
                })?;
                Ok(SuspendedBrokerAlert {
                    alert,
                    suspended_ms,
                })
            })
            .collect()
    }

    async fn unsuspend(&self, id: &str) -> Result<bool, StoreError> {
        let gone = on_pool!(self, pool => {
            sqlx::query("DELETE FROM broker_alerts_suspended WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected()
        });
        Ok(gone == 1)
    }
}
