//! The status service: one answer to "is the app well?" for the status area and `/health`.
//! It owns the rules (what counts as down, when a feed is stale), not the probing.

use std::sync::Arc;

use crate::model::{AppStatus, ComponentHealth, Exchange, HealthState, TradingMode};
use crate::ports::{Clock, DatabaseProbe, MarketData};
use crate::services::instruments::InstrumentCatalog;
use crate::services::market_calendar::MarketCalendar;

/// What the status service reads besides the database and the feed.
pub struct StatusSources {
    pub calendar: Arc<MarketCalendar>,
    pub catalog: Arc<InstrumentCatalog>,
    /// The kill switch's state, for the status area.
    pub risk: Arc<crate::services::trading::RiskState>,
    /// Whether the broker session has ended (the banner to reconnect).
    pub session: Arc<crate::services::trading::BrokerSession>,
}

pub struct StatusService {
    version: String,
    mode: TradingMode,
    database: Arc<dyn DatabaseProbe>,
    market: Arc<dyn MarketData>,
    clock: Arc<dyn Clock>,
    /// A feed with no update for this long is reported down.
    feed_stale_after_ms: i64,
    sources: StatusSources,
}

impl StatusService {
    pub fn new(
        version: impl Into<String>,
        mode: TradingMode,
        database: Arc<dyn DatabaseProbe>,
        market: Arc<dyn MarketData>,
        clock: Arc<dyn Clock>,
        feed_stale_after_ms: i64,
        sources: StatusSources,
    ) -> Self {
        Self {
            version: version.into(),
            mode,
            database,
            market,
            clock,
            feed_stale_after_ms,
            sources,
        }
    }

    pub fn mode(&self) -> TradingMode {
        self.mode
    }

    pub async fn status(&self) -> AppStatus {
        let database = match self.database.ping().await {
            Ok(()) => ComponentHealth {
                state: HealthState::Ok,
                detail: "reachable".to_owned(),
            },
            Err(reason) => ComponentHealth {
                state: HealthState::Down,
                detail: reason,
            },
        };
        let now = self.clock.now_ms();
        AppStatus {
            version: self.version.clone(),
            mode: self.mode,
            database_backend: self.database.backend().to_owned(),
            database,
            feed: self.feed_health(now),
            market: self.sources.calendar.session(Exchange::Nse, now),
            instruments: self.sources.catalog.load_state(),
            server_time_ms: now,
            halted: self.sources.risk.halted(),
            mismatches: self.sources.risk.blocking_mismatches(),
            session_expired: self.sources.session.expired(),
        }
    }

    fn feed_health(&self, now_ms: i64) -> ComponentHealth {
        match self.market.last_update_ms() {
            None => ComponentHealth {
                state: HealthState::Down,
                detail: "no price update received yet".to_owned(),
            },
            Some(at) if now_ms.saturating_sub(at) > self.feed_stale_after_ms => ComponentHealth {
                state: HealthState::Down,
                detail: format!("no price update for {} s", now_ms.saturating_sub(at) / 1000),
            },
            Some(_) => ComponentHealth {
                state: HealthState::Ok,
                detail: "streaming".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InstrumentToken, Tick};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct Db(Result<(), String>);
    #[async_trait]
    impl DatabaseProbe for Db {
        fn backend(&self) -> &'static str {
            "sqlite"
        }
        async fn ping(&self) -> Result<(), String> {
            self.0.clone()
        }
    }
    struct Feed(Option<i64>);
    impl MarketData for Feed {
        fn latest(&self, _: &[InstrumentToken]) -> Vec<Tick> {
            Vec::new()
        }
        fn last_update_ms(&self) -> Option<i64> {
            self.0
        }
    }
    struct FixedClock(AtomicI64);
    impl Clock for FixedClock {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    fn service(db: Result<(), String>, last: Option<i64>, now: i64) -> StatusService {
        let clock: Arc<dyn Clock> = Arc::new(FixedClock(AtomicI64::new(now)));
        StatusService::new(
            "1.2.3",
            TradingMode::Demo,
            Arc::new(Db(db)),
            Arc::new(Feed(last)),
            clock.clone(),
            5_000,
            StatusSources {
                calendar: Arc::new(MarketCalendar::around_the_clock()),
                catalog: Arc::new(InstrumentCatalog::default()),
                risk: Arc::new(crate::services::trading::RiskState::default()),
                session: Arc::new(crate::services::trading::BrokerSession::new(clock.clone())),
            },
        )
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The futures here never wait, so one poll with a no-op waker completes them.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("future did not complete"),
        }
    }

    #[test]
    fn healthy_when_database_answers_and_feed_is_fresh() {
        let s = block_on(service(Ok(()), Some(10_000), 12_000).status());
        assert_eq!(s.overall(), HealthState::Ok);
        assert_eq!(s.feed.state, HealthState::Ok);
        assert_eq!(s.version, "1.2.3");
        assert_eq!(s.database_backend, "sqlite");
        assert_eq!(s.server_time_ms, 12_000);
        assert!(s.market.open, "the demo calendar is always open");
        assert_eq!(s.instruments, crate::model::InstrumentsLoad::Waiting);
    }

    #[test]
    fn down_when_database_fails_with_its_reason() {
        let s = block_on(service(Err("pool timed out".into()), Some(10_000), 12_000).status());
        assert_eq!(s.overall(), HealthState::Down);
        assert_eq!(s.database.detail, "pool timed out");
    }

    #[test]
    fn stale_or_silent_feed_is_down_but_app_stays_up() {
        let s = block_on(service(Ok(()), Some(1_000), 20_000).status());
        assert_eq!(s.feed.state, HealthState::Down);
        assert_eq!(s.feed.detail, "no price update for 19 s");
        assert_eq!(s.overall(), HealthState::Ok);
        let s = block_on(service(Ok(()), None, 20_000).status());
        assert_eq!(s.feed.state, HealthState::Down);
    }
}
