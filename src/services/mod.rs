//! Services: the business rules. Each takes its collaborators as ports; each service's error
//! is told outside in one vocabulary, `service_error::ServiceError`.

pub mod accounts;
pub mod activity;
pub mod alerts;
pub mod announcer;
pub mod instruments;
pub mod market_calendar;
pub mod matching;
pub mod prices;
pub mod service_error;
pub mod status;
pub mod trading;
pub mod watchlists;
pub mod webhook_policy;
