//! The paper account's reset time in the database (`account_settings`, name `paper_reset`).
//! Storage only: what a reset means is the core's (`services::trading::paper_account`).

use async_trait::async_trait;
use osp_core::ports::{PaperStore, StoreError};

use super::Database;

const RESET: &str = "paper_reset";

#[async_trait]
impl PaperStore for Database {
    async fn last_reset_ms(&self) -> Result<Option<i64>, StoreError> {
        self.setting(RESET)
            .await?
            .map(|text| {
                text.trim().parse::<i64>().map_err(|_| {
                    StoreError::unreadable(
                        "the paper reset time",
                        format!("'{text}' is not a time; reset again"),
                    )
                })
            })
            .transpose()
    }

    async fn record_reset(&self, now_ms: i64) -> Result<(), StoreError> {
        self.put_setting(RESET, Some(now_ms.to_string()), now_ms)
            .await
    }
}
