//! Kite's Alerts API: create (simple and ATO), modify, delete, list, get, history.

use super::client::{Call, KiteClient};
use super::error::KiteError;
use super::models::{Alert, AlertHistoryEntry, AlertParams};
use super::orders::path_segment;

impl KiteClient {
    pub async fn create_alert(&self, params: &AlertParams) -> Result<Alert, KiteError> {
        params.validate().map_err(KiteError::InvalidRequest)?;
        self.send(
            Call::post("/alerts")
                .form(params.to_form())
                .idempotent(false),
        )
        .await
    }

    pub async fn modify_alert(&self, uuid: &str, params: &AlertParams) -> Result<Alert, KiteError> {
        params.validate().map_err(KiteError::InvalidRequest)?;
        self.send(
            Call::put(format!("/alerts/{}", path_segment(uuid)?))
                .form(params.to_form())
                .idempotent(true),
        )
        .await
    }

    /// Deletes alerts by uuid (Kite takes several at once).
    pub async fn delete_alerts(&self, uuids: &[&str]) -> Result<(), KiteError> {
        if uuids.is_empty() {
            return Err(KiteError::InvalidRequest(
                "name at least one alert to delete".into(),
            ));
        }
        let mut call = Call::delete("/alerts").idempotent(true);
        for uuid in uuids {
            call = call.query("uuid", path_segment(uuid)?.to_owned());
        }
        let _: Option<serde_json::Value> = self.send(call).await?;
        Ok(())
    }

    pub async fn alerts(&self) -> Result<Vec<Alert>, KiteError> {
        self.send(Call::get("/alerts")).await
    }

    pub async fn alert(&self, uuid: &str) -> Result<Alert, KiteError> {
        self.send(Call::get(format!("/alerts/{}", path_segment(uuid)?)))
            .await
    }

    pub async fn alert_history(&self, uuid: &str) -> Result<Vec<AlertHistoryEntry>, KiteError> {
        self.send(Call::get(format!(
            "/alerts/{}/history",
            path_segment(uuid)?
        )))
        .await
    }
}
