//! Positions, holdings and position conversion.

use super::client::{Call, KiteClient};
use super::error::KiteError;
use super::models::{ConvertPosition, Holding, Positions};

impl KiteClient {
    pub async fn positions(&self) -> Result<Positions, KiteError> {
        self.send(Call::get("/portfolio/positions")).await
    }

    pub async fn holdings(&self) -> Result<Vec<Holding>, KiteError> {
        self.send(Call::get("/portfolio/holdings")).await
    }

    pub async fn convert_position(&self, params: &ConvertPosition) -> Result<bool, KiteError> {
        if params.quantity == 0 {
            return Err(KiteError::InvalidRequest(
                "quantity to convert must be at least 1".into(),
            ));
        }
        if params.old_product == params.new_product {
            return Err(KiteError::InvalidRequest(
                "old_product and new_product are the same".into(),
            ));
        }
        self.send(
            Call::put("/portfolio/positions")
                .form(params.to_form())
                .idempotent(false),
        )
        .await
    }
}
