//! How this process takes part in the layout: its role (everything, the web side, or the
//! workers) and whether a bus joins it to other processes, resolved once into a `Topology`
//! that answers every question the builders would otherwise branch on — which feed, which
//! executor mode, which worker control and feed figures, whether the gate reads the stored
//! kill switch.

use std::sync::Arc;

use osp_core::model::{StateChange, TradingMode};
use osp_core::ports::{
    ChangeNotifier, Clock, FeedStats, LevelsLive, MarketFeed, TradingLease, WorkerControl,
    WorkersPresence,
};
use osp_core::services::trading::OrderExecutor;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::bus::{RedisBus, RelayedFeed, RemoteFeed, RemoteWorkers};
use crate::config::{KiteEndpoint, Settings};
use kite_connect::feed::KiteFeed;
use kite_connect::gated_feed::GatedFeed;

/// What one `osp` process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The web app and the workers (`osp serve`, the default).
    All,
    /// Only the web app (`osp serve --no-workers`): no ticker (prices come over the bus), no
    /// worker, and no order sent from here — each is recorded for the workers to send.
    Web,
    /// Only the workers and the ticker (`osp workers`), with `/health` and `/ready`.
    Workers,
}

impl Role {
    pub(crate) fn runs_workers(self) -> bool {
        self != Role::Web
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Role::All => "web and workers",
            Role::Web => "web only",
            Role::Workers => "workers only",
        }
    }
}

/// Why this layout cannot run as configured, if it cannot.
pub(super) fn layout_problem(settings: &Settings, role: Role) -> Option<String> {
    let apart = role != Role::All;
    if apart && settings.bus.url.is_none() {
        return Some(format!(
            "running {} needs the bus between the processes: set OSP__BUS__URL=redis://HOST:PORT \
             (and a database every process shares, e.g. OSP__DATABASE__URL=postgres://…)",
            role.label()
        ));
    }
    // One process alone needs nothing more.
    settings.bus.url.as_ref()?;
    if settings.kite.endpoint == KiteEndpoint::Simulator {
        return Some(
            "processes sharing a bus must share one Kite: the in-process simulator is each \
             process's own. Run `osp kite-sim` and set OSP__KITE__ENDPOINT=http://HOST:PORT in \
             every process (or use Zerodha's Kite)"
                .to_owned(),
        );
    }
    if settings.mode == TradingMode::Paper {
        return Some(
            "paper trading's simulated fills live in one process: run `osp serve` without \
             OSP__BUS__URL in paper mode"
                .to_owned(),
        );
    }
    None
}

/// This process's place in the layout.
#[derive(Clone)]
pub(super) struct Topology {
    pub role: Role,
    /// The bus to the other processes, when there are any.
    pub bus: Option<Arc<RedisBus>>,
}

impl Topology {
    pub fn runs_workers(&self) -> bool {
        self.role.runs_workers()
    }

    /// The bus of a web process apart from the workers.
    pub(super) fn web_apart(&self) -> Option<&Arc<RedisBus>> {
        self.bus.as_ref().filter(|_| self.role == Role::Web)
    }

    /// A trader in a web process apart sees no ticks: the workers' say which levels they are
    /// confirming. `None` where this process's own trader runs.
    pub fn levels_live(&self) -> Option<Arc<dyn LevelsLive>> {
        self.web_apart()
            .map(|bus| bus.clone() as Arc<dyn LevelsLive>)
    }

    /// Where this process's writes are announced to the others (nowhere, alone).
    pub fn announce(&self) -> Option<Arc<dyn ChangeNotifier>> {
        self.bus.clone().map(|b| b as Arc<dyn ChangeNotifier>)
    }

    /// The others' announcements, when there are others.
    pub fn changes(&self) -> Option<broadcast::Receiver<StateChange>> {
        self.bus.as_ref().map(|b| b.changes())
    }

    /// Workers sharing a bus: Kite's ticker connects only where a lease is held, and the risk
    /// gate reads the kill switch the web side stored before every order.
    pub fn workers_on_a_bus(&self) -> bool {
        self.bus.is_some() && self.runs_workers()
    }

    /// The ticker gate, for workers sharing a bus.
    pub fn ticker_gate(&self, feed: &Arc<KiteFeed>) -> Option<Arc<GatedFeed>> {
        self.workers_on_a_bus()
            .then(|| GatedFeed::new(feed.clone() as Arc<dyn MarketFeed>))
    }

    /// What the subscription manager drives: the workers' ticker over the bus (a web process
    /// apart, which has none), the gated ticker (workers sharing a bus), or this process's own.
    pub fn feed(
        &self,
        feed: &Arc<KiteFeed>,
        gate: Option<&Arc<GatedFeed>>,
        shutdown: &CancellationToken,
    ) -> Arc<dyn MarketFeed> {
        match (self.web_apart(), gate) {
            (Some(bus), _) => RelayedFeed::start(bus.clone(), feed.capacity(), shutdown.clone())
                as Arc<dyn MarketFeed>,
            (None, Some(gate)) => gate.clone() as Arc<dyn MarketFeed>,
            (None, None) => feed.clone() as Arc<dyn MarketFeed>,
        }
    }

    /// The executor's mode: apart from the workers, orders are recorded here and sent by the
    /// lease holder there; otherwise they are sent while `lease` is held.
    pub fn executor(&self, executor: OrderExecutor, lease: Arc<dyn TradingLease>) -> OrderExecutor {
        match self.web_apart() {
            Some(bus) => executor.deferring(
                bus.clone() as Arc<dyn ChangeNotifier>,
                bus.clone() as Arc<dyn WorkersPresence>,
            ),
            None => executor.with_lease(lease),
        }
    }

    /// The workers the Settings page shows and restarts: the workers' processes' own, from the
    /// bus, for a web process apart; this process's manager otherwise.
    pub fn worker_control(&self, local: Arc<dyn WorkerControl>) -> Arc<dyn WorkerControl> {
        match self.web_apart() {
            Some(bus) => Arc::new(RemoteWorkers { bus: bus.clone() }) as Arc<dyn WorkerControl>,
            None => local,
        }
    }

    /// The live feed's figures: the connected ticker's, from the bus, for a web process apart.
    pub fn feed_figures(
        &self,
        local: Arc<dyn FeedStats>,
        clock: &Arc<dyn Clock>,
    ) -> Arc<dyn FeedStats> {
        match self.web_apart() {
            Some(bus) => Arc::new(RemoteFeed {
                bus: bus.clone(),
                clock: clock.clone(),
            }) as Arc<dyn FeedStats>,
            None => local,
        }
    }

    /// What wakes the activity push at once: the workers' announcements, for a web process
    /// apart (it polls otherwise).
    pub fn activity_wake(&self) -> Option<broadcast::Receiver<StateChange>> {
        self.web_apart().map(|b| b.changes())
    }
}
