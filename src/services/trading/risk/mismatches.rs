//! The broker mismatches, kept by the risk service: found again after every reconciliation
//! (the engine asks), stored — so they hold across a restart and reach the web processes and
//! the gate in every process — and announced; a trader acknowledges one to let entries on its
//! instrument go out again (the units stay outside, known).

use crate::model::{Mismatch, MismatchAck, PositionKey};
use crate::ports::StoreError;

use super::service::{RiskError, RiskService};

impl RiskService {
    /// The mismatches now: the broker's positions against the open trades. Stored and
    /// announced when they changed. Returns the ones newly raised (blocking, not known before).
    pub async fn check_mismatches(&self) -> Result<Vec<Mismatch>, RiskError> {
        let known = self.store.mismatches().await?;
        let found = self
            .trades
            .mismatches(&known)
            .await
            .map_err(RiskError::Unavailable)?;
        if found != known {
            self.store
                .set_mismatches(&found, self.clock.now_ms())
                .await?;
            self.announce();
        }
        // New: not carried from before (the same position with the same unexplained units,
        // whatever else of it moved).
        let raised = found
            .iter()
            .filter(|m| {
                m.blocks()
                    && !known
                        .iter()
                        .any(|k| k.same_position(m) && k.outside() == m.outside())
            })
            .cloned()
            .collect();
        self.state.set_mismatches(found);
        Ok(raised)
    }

    /// The mismatches as last found.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        self.state.mismatches()
    }

    /// `by` knows of the mismatch on `key`: entries on its instrument may go out again, until
    /// its units change. `NotFound` when there is none (any more) on that position.
    pub async fn acknowledge(&self, key: &PositionKey, by: &str) -> Result<Mismatch, RiskError> {
        let mut list = self.store.mismatches().await?;
        let Some(found) = list
            .iter_mut()
            .find(|m| m.on(key.exchange, &key.tradingsymbol) && m.product == key.product)
        else {
            return Err(RiskError::Store(StoreError::not_found(format!(
                "the mismatch on {}{}",
                key.tradingsymbol,
                key.product
                    .map(|p| format!(" ({})", p.kite_name()))
                    .unwrap_or_default()
            ))));
        };
        if found.acknowledged.is_none() {
            found.acknowledged = Some(MismatchAck {
                by: by.to_owned(),
                at_ms: self.clock.now_ms(),
            });
        }
        let acknowledged = found.clone();
        self.store
            .set_mismatches(&list, self.clock.now_ms())
            .await?;
        self.state.set_mismatches(list);
        self.announce();
        Ok(acknowledged)
    }
}
