//! The webhook's setting (`account_settings`, name `webhook`: the URL, the sealed secret, the
//! firing it starts after) and its deliveries (`webhook_deliveries`). Storage only: when and
//! how to send is `webhooks.rs`'s.

use super::{failed, only_row};
use osp_core::model::{
    AlertEvent, AlertId, BrokerAlertFiring, DeliveryState, Mismatch, Price, WebhookDelivery,
};
use osp_core::ports::StoreError;

use super::Database;
use crate::on_pool;
use crate::webhooks::WebhookConfig;

const SETTING: &str = "webhook";

/// id, alert_event_id, url, payload, state, attempts, last_status, last_error,
/// next_attempt_ms, created_ms, delivered_ms
type Row = (
    i64,
    Option<i64>,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "id, alert_event_id, url, payload, state, attempts, last_status, \
                       last_error, next_attempt_ms, created_ms, delivered_ms";

/// What a delivery is for: a firing of the app's own alert, or an event known by a text key —
/// a firing of an alert kept at Kite (`<alert_id>:<seq>`), a broker mismatch raised
/// (`mismatch:<exchange>:<symbol>:<product>:<outside>:<seen_ms>`). Keyed events share the unique
/// `kite_firing` column, named for the first of them.
#[derive(Clone, Copy)]
enum Firing<'a> {
    Alert(i64),
    Keyed(&'a str),
}

/// What this store's errors name.
const WHAT: &str = "the webhook delivery";

fn from_row(row: Row) -> Result<WebhookDelivery, StoreError> {
    let (id, event, url, payload, state, attempts, status, error, next, created, delivered) = row;
    Ok(WebhookDelivery {
        id,
        alert_event: event,
        url,
        payload,
        state: DeliveryState::parse(&state).ok_or_else(|| {
            StoreError::unreadable(
                WHAT,
                format!("delivery {id} has an unknown state '{state}'"),
            )
        })?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_status: status.and_then(|s| u16::try_from(s).ok()),
        last_error: error,
        next_attempt_ms: next,
        created_ms: created,
        delivered_ms: delivered,
    })
}

impl Database {
    pub async fn webhook_config(&self) -> Result<Option<WebhookConfig>, StoreError> {
        self.setting(SETTING)
            .await?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::unreadable(
                        WHAT,
                        format!("the stored webhook setting is unreadable: {e}"),
                    )
                })
            })
            .transpose()
    }

    /// Saves (or, with `None`, removes) the webhook. Deliveries still pending are dropped as
    /// failed: they were for the address before.
    pub async fn save_webhook_config(
        &self,
        config: Option<&WebhookConfig>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let value = config.map(serde_json::to_string).transpose().map_err(|e| {
            StoreError::unreadable(WHAT, format!("cannot encode the webhook setting: {e}"))
        })?;
        self.put_setting(SETTING, value, now_ms).await?;
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'failed', \
                 last_error = 'the webhook was changed before it was delivered' \
                 WHERE state = 'pending'",
            )
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    /// The newest firing's id (0 without any).
    pub async fn last_alert_event_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM alert_events")
                .fetch_one(pool)
                .await
                .map_err(failed(WHAT))?
        });
        Ok(id.unwrap_or(0))
    }

    /// Every firing after the webhook was saved that has no delivery yet gets one (pending,
    /// due now); a firing's delivery is unique, so doing this twice adds nothing.
    pub async fn enqueue_alert_deliveries(
        &self,
        config: &WebhookConfig,
        now_ms: i64,
        payload: impl Fn(&AlertEvent) -> String,
    ) -> Result<usize, StoreError> {
        type EventRow = (i64, i64, i64, i64, i64, i64, String);
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT e.id, e.alert_id, e.at_ms, e.value, e.target_value, e.last_price_raw, \
                 e.text FROM alert_events e WHERE e.id > $1 AND NOT EXISTS \
                 (SELECT 1 FROM webhook_deliveries d WHERE d.alert_event_id = e.id) \
                 ORDER BY e.id LIMIT 100",
            )
            .bind(config.after_event)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        let mut added = 0;
        for (id, alert, at_ms, value, target_value, last_price, text) in rows {
            let event = AlertEvent {
                id,
                alert: AlertId(alert),
                at_ms,
                value,
                target_value,
                last_price: Price::from_raw(last_price),
                text,
            };
            let body = payload(&event);
            added += self
                .queue_once(Firing::Alert(id), &config.url, &body, now_ms)
                .await? as usize;
        }
        Ok(added)
    }

    /// The same for the firings of alerts kept at Kite recorded after the webhook was saved
    /// (one delivery per firing, by its key).
    pub async fn enqueue_kite_deliveries(
        &self,
        config: &WebhookConfig,
        now_ms: i64,
        payload: impl Fn(&BrokerAlertFiring) -> String,
    ) -> Result<usize, StoreError> {
        type FiringRow = (String, i64, String, String, i64);
        let rows: Vec<FiringRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT f.alert_id, f.seq, f.name, f.text, f.recorded_ms \
                 FROM broker_alert_firings f WHERE f.recorded_ms > $1 AND NOT EXISTS \
                 (SELECT 1 FROM webhook_deliveries d \
                  WHERE d.kite_firing = f.alert_id || ':' || CAST(f.seq AS TEXT)) \
                 ORDER BY f.recorded_ms, f.alert_id, f.seq LIMIT 100",
            )
            .bind(config.after_kite_ms)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        let mut added = 0;
        for (alert_id, seq, name, text, recorded_ms) in rows {
            let key = format!("{alert_id}:{seq}");
            let firing = BrokerAlertFiring {
                alert_id,
                seq: u32::try_from(seq).unwrap_or(0),
                name,
                text,
                recorded_ms,
            };
            let body = payload(&firing);
            added += self
                .queue_once(Firing::Keyed(&key), &config.url, &body, now_ms)
                .await? as usize;
        }
        Ok(added)
    }

    /// Each broker mismatch raised after the webhook was saved and not acknowledged, once
    /// (by its key: the same units raised again later are a new event).
    pub async fn enqueue_mismatch_deliveries(
        &self,
        config: &WebhookConfig,
        now_ms: i64,
        payload: impl Fn(&Mismatch) -> String,
    ) -> Result<usize, StoreError> {
        let mut added = 0;
        for m in osp_core::ports::RiskStore::mismatches(self).await? {
            if !m.blocks() || m.seen_ms <= config.after_kite_ms {
                continue;
            }
            let key = format!(
                "mismatch:{}:{}:{}:{}:{}",
                m.exchange.code(),
                m.tradingsymbol,
                m.product.map_or("any", |p| p.kite_name()),
                m.outside(),
                m.seen_ms
            );
            added += self
                .queue_once(Firing::Keyed(&key), &config.url, &payload(&m), now_ms)
                .await? as usize;
        }
        Ok(added)
    }

    /// A pending delivery for `firing`, due now, unless it has one (`false`).
    async fn queue_once(
        &self,
        firing: Firing<'_>,
        url: &str,
        payload: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        // The unique column the firing is known by; never from input.
        let column = match firing {
            Firing::Alert(_) => "alert_event_id",
            Firing::Keyed(_) => "kite_firing",
        };
        let sql = format!(
            "INSERT INTO webhook_deliveries ({column}, url, payload, state, attempts, \
             next_attempt_ms, created_ms) VALUES ($1, $2, $3, 'pending', 0, $4, $4) \
             ON CONFLICT ({column}) DO NOTHING"
        );
        let added = on_pool!(self, pool => {
            let query = sqlx::query(&sql);
            let query = match firing {
                Firing::Alert(id) => query.bind(id),
                Firing::Keyed(key) => query.bind(key),
            };
            query
                .bind(url)
                .bind(payload)
                .bind(now_ms)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected()
        });
        Ok(added == 1)
    }

    pub async fn insert_delivery(
        &self,
        alert_event: Option<i64>,
        url: &str,
        payload: &str,
        now_ms: i64,
    ) -> Result<WebhookDelivery, StoreError> {
        let row: Row = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "INSERT INTO webhook_deliveries (alert_event_id, url, payload, state, attempts, \
                 next_attempt_ms, created_ms) VALUES ($1, $2, $3, 'pending', 0, $4, $4) \
                 RETURNING {COLUMNS}"
            ))
            .bind(alert_event)
            .bind(url)
            .bind(payload)
            .bind(now_ms)
            .fetch_all(pool)
            .await
            .and_then(only_row)
            .map_err(failed(WHAT))?
        });
        from_row(row)
    }

    /// Pending deliveries due at `now_ms`, oldest first.
    pub async fn due_deliveries(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_deliveries WHERE state = 'pending' \
                 AND next_attempt_ms <= $1 ORDER BY id LIMIT $2"
            ))
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    pub async fn delivery_done(
        &self,
        id: i64,
        attempts: u32,
        status: u16,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = $1, \
                 last_status = $2, last_error = NULL, delivered_ms = $3 WHERE id = $4",
            )
            .bind(i64::from(attempts))
            .bind(i64::from(status))
            .bind(now_ms)
            .bind(id)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    pub async fn delivery_failed(
        &self,
        id: i64,
        state: DeliveryState,
        attempts: u32,
        status: Option<u16>,
        error: &str,
        next_attempt_ms: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, attempts = $2, last_status = $3, \
                 last_error = $4, next_attempt_ms = $5 WHERE id = $6 AND state = 'pending'",
            )
            .bind(state.code())
            .bind(i64::from(attempts))
            .bind(status.map(i64::from))
            .bind(error)
            .bind(next_attempt_ms)
            .bind(id)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }

    /// The newest deliveries first.
    pub async fn deliveries(&self, limit: u32) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_deliveries ORDER BY id DESC LIMIT $1"
            ))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }
}
