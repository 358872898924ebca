//! Price alerts: conditions on live ticks (`condition.rs`: when one fires), the monitor that
//! evaluates only the alerts a tick concerns (`monitor.rs`), the form's draft and its checks
//! (`draft.rs`), and the service that keeps the store, the monitor and the feed in step and
//! records every firing (`service.rs`). Alerts kept at the broker (Kite's Alerts API): their
//! form (`broker_draft.rs`) and the desk that makes, mirrors and syncs them (`broker_desk.rs`).

mod broker_desk;
#[cfg(test)]
mod broker_desk_scenarios;
mod broker_draft;
mod condition;
mod draft;
mod monitor;
mod service;

pub use broker_desk::{
    BrokerAlertBoard, BrokerAlertDesk, BrokerAlertError, MAX_FIRINGS_PER_SYNC, SyncReport,
};
pub use broker_draft::{
    AtoOrderDraft, AtoOrderType, BrokerAlertDraft, BrokerAlertRequest, MAX_ATO_ORDERS,
    MAX_BROKER_ALERT_NAME,
};
pub use condition::{Watch, step};
pub use draft::{AlertDraft, ParsedAlert, cooldown_text, parse_cooldown, parse_value, value_text};
pub use monitor::{AlertMonitor, Fired};
pub use service::{ALERTS_FEED_OWNER, AlertError, AlertReport, AlertService, MAX_HISTORY};
