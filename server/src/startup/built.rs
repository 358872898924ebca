//! What the first builders made (infra, market data, trading, alerts), handed together to the
//! ones after them (the workers and the web state).

use std::sync::Arc;

use osp_core::ports::FeedStats;

use super::alerts::Alerts;
use super::infra::Infra;
use super::market_data::Market;
use super::trading::Trading;
use crate::config::Settings;

pub(super) struct Built<'a> {
    pub settings: &'a Settings,
    pub infra: &'a Infra,
    pub market: &'a Market,
    pub trading: &'a Trading,
    pub alerts: &'a Alerts,
    /// This process's live feed figures (its own ticker's).
    pub local_feed: Arc<dyn FeedStats>,
}
