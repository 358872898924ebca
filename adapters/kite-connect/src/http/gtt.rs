//! GTT triggers: place, modify, delete, list, get.

use super::client::{Call, KiteClient};
use super::error::KiteError;
use super::limits::LimitClass;
use super::models::{Gtt, GttParams, TriggerId};

impl KiteClient {
    pub async fn place_gtt(&self, params: &GttParams) -> Result<TriggerId, KiteError> {
        params.validate().map_err(KiteError::InvalidRequest)?;
        self.send(
            Call::post("/gtt/triggers")
                .form(params.to_form())
                .idempotent(false),
        )
        .await
    }

    pub async fn modify_gtt(&self, id: i64, params: &GttParams) -> Result<TriggerId, KiteError> {
        params.validate().map_err(KiteError::InvalidRequest)?;
        self.send(
            Call::put(format!("/gtt/triggers/{id}"))
                .form(params.to_form())
                .class(LimitClass::OrderChange)
                .idempotent(true),
        )
        .await
    }

    pub async fn delete_gtt(&self, id: i64) -> Result<TriggerId, KiteError> {
        self.send(
            Call::delete(format!("/gtt/triggers/{id}"))
                .class(LimitClass::OrderChange)
                .idempotent(true),
        )
        .await
    }

    pub async fn gtts(&self) -> Result<Vec<Gtt>, KiteError> {
        self.send(Call::get("/gtt/triggers")).await
    }

    pub async fn gtt(&self, id: i64) -> Result<Gtt, KiteError> {
        self.send(Call::get(format!("/gtt/triggers/{id}"))).await
    }
}
