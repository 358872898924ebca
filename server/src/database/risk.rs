//! The account's risk limits and kill switch in the database (`account_settings`, one JSON
//! value per name). Storage only: what the limits mean is the core's (`services::trading::risk`).

use super::failed;
use async_trait::async_trait;
use osp_core::model::{KillSwitch, Mismatch, RiskLimits};
use osp_core::ports::{RiskStore, StoreError};

use super::Database;
use crate::on_pool;

const LIMITS: &str = "risk_limits";
const KILL_SWITCH: &str = "kill_switch";
const MISMATCHES: &str = "broker_mismatches";

/// What this store's errors name.
const WHAT: &str = "the account settings";

impl Database {
    pub(super) async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT value FROM account_settings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        Ok(row.map(|(v,)| v))
    }

    pub(super) async fn put_setting(
        &self,
        name: &str,
        value: Option<String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            match value {
                Some(value) => sqlx::query(
                    "INSERT INTO account_settings (name, value, updated_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                     updated_ms = excluded.updated_ms",
                )
                .bind(name)
                .bind(value)
                .bind(now_ms)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?,
                None => sqlx::query("DELETE FROM account_settings WHERE name = $1")
                    .bind(name)
                    .execute(pool)
                    .await
                    .map_err(failed(WHAT))?,
            };
        });
        Ok(())
    }
}

#[async_trait]
impl RiskStore for Database {
    async fn limits(&self) -> Result<Option<RiskLimits>, StoreError> {
        self.setting(LIMITS)
            .await?
            .map(|v| {
                serde_json::from_str(&v).map_err(|e| {
                    StoreError::unreadable(
                        WHAT,
                        format!("the stored risk limits are unreadable: {e}"),
                    )
                })
            })
            .transpose()
    }

    async fn set_limits(&self, limits: &RiskLimits, now_ms: i64) -> Result<(), StoreError> {
        let value = serde_json::to_string(limits).map_err(|e| {
            StoreError::unreadable(WHAT, format!("cannot encode the risk limits: {e}"))
        })?;
        self.put_setting(LIMITS, Some(value), now_ms).await
    }

    async fn kill_switch(&self) -> Result<Option<KillSwitch>, StoreError> {
        self.setting(KILL_SWITCH)
            .await?
            .map(|v| {
                serde_json::from_str(&v).map_err(|e| {
                    StoreError::unreadable(
                        WHAT,
                        format!("the stored kill switch is unreadable: {e}"),
                    )
                })
            })
            .transpose()
    }

    async fn set_kill_switch(
        &self,
        state: Option<&KillSwitch>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let value = state.map(serde_json::to_string).transpose().map_err(|e| {
            StoreError::unreadable(WHAT, format!("cannot encode the kill switch: {e}"))
        })?;
        self.put_setting(KILL_SWITCH, value, now_ms).await
    }

    async fn mismatches(&self) -> Result<Vec<Mismatch>, StoreError> {
        Ok(self
            .setting(MISMATCHES)
            .await?
            .map(|v| {
                serde_json::from_str(&v).map_err(|e| {
                    StoreError::unreadable(
                        WHAT,
                        format!("the stored broker mismatches are unreadable: {e}"),
                    )
                })
            })
            .transpose()?
            .unwrap_or_default())
    }

    async fn set_mismatches(&self, mismatches: &[Mismatch], now_ms: i64) -> Result<(), StoreError> {
        let value = if mismatches.is_empty() {
            None
        } else {
            Some(serde_json::to_string(mismatches).map_err(|e| {
                StoreError::unreadable(WHAT, format!("cannot encode the broker mismatches: {e}"))
            })?)
        };
        self.put_setting(MISMATCHES, value, now_ms).await
    }
}
