//! The fifth builder: the workers under their manager — trading (under the trading lease),
//! webhooks, alerts, Kite's alerts sync, the paper matcher — plus what a bus adds: the change
//! follower (the others' writes read again here) and, where workers run, their status on the
//! bus for the web processes. A web process apart from the workers runs none.

use std::sync::Arc;

use osp_core::model::BrokerOrder;
use osp_core::ports::{TickBus, TradingLease, WorkerControl};
use osp_core::services::announcer::Announcer;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::built::Built;
use super::market_data::configured_kite_app;
use crate::bus::StatusSources;
use crate::workers::{
    ALERTS_LEASE, AlertWorker, ChangeFollower, KITE_ALERTS_LEASE, KiteAlertSync, PaperMatcher,
    RestartPolicy, TradingWorker, WEBHOOKS_LEASE, WebParts, WebhookWorker, WorkerManager,
};

pub(super) struct Workers {
    pub manager: Arc<WorkerManager>,
    /// The supervised workers; they stop with `shutdown`.
    pub handles: Vec<JoinHandle<()>>,
    /// The change follower and the status announcements; they stop with `shutdown`.
    pub bus_tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// `order_events`: the receiver subscribed before anything was sent (the first trading
    /// run reads it).
    pub async fn start(
        built: &Built<'_>,
        order_events: broadcast::Receiver<BrokerOrder>,
    ) -> Workers {
        let Built {
            settings,
            infra,
            market,
            trading,
            alerts,
            ..
        } = *built;
        let local_feed = built.local_feed.clone();
        let (clock, shutdown, topology) = (&infra.clock, &infra.shutdown, &infra.topology);
        let session = &market.session;
        // Each worker runs under the manager: restarted with back-off when it panics or stops,
        // marked failed after too many stops in a row. The trading worker runs only while this
        // process holds the trading lease; each run reloads levels, trades and limits, reads
        // order updates from then on, and its first housekeeping catches up with the broker.
        let manager = Arc::new(WorkerManager::new(clock.clone(), RestartPolicy::default()));
        let mut handles = Vec::new();
        let mut bus_tasks = Vec::new();
        // The others' announcements: a Kite login anywhere reaches this process's client, and a
        // web process apart from the workers reads again what it shows.
        if let Some(changes) = topology.changes() {
            let follower = ChangeFollower {
                kite: market.kite_account.clone(),
                configured: configured_kite_app(settings),
                web: (!topology.runs_workers()).then(|| WebParts {
                    trader: trading.trader.clone(),
                    alerts: alerts.alerts.clone(),
                    risk: trading.risk.clone(),
                }),
            };
            bus_tasks.push(follower.spawn(changes, shutdown.clone()));
        }
        // A web process apart from the workers runs none: they run in `osp workers`.
        if !topology.runs_workers() {
            return Workers {
                manager,
                handles,
                bus_tasks,
            };
        }
        // What the web processes change is heard by each run of the trading and alert workers
        // (nothing, in one process alone).
        let changes = {
            let topology = topology.clone();
            Arc::new(move || topology.changes())
        };
        let announce = topology.announce();
        let lease = trading.lease.clone();
        let trading_lease = lease.clone() as Arc<dyn TradingLease>;
        // Start-up loaded everything just now; a run that starts later (a restart, or a
        // standby taking over) reads it all again.
        let fresh = lease.held();
        handles.push(
            manager.supervise_leased("trading", shutdown.clone(), lease, {
                let changes = changes.clone();
                let engine = trading.engine.clone();
                let bus = market.market.bus.clone() as Arc<dyn TickBus>;
                // The first run reads the receiver subscribed before anything was sent; a later
                // run reads a fresh one from the spare.
                let spare = order_events.resubscribe();
                let mut first = Some(order_events);
                move |run| {
                    let reload = first.is_none() || !fresh;
                    let order_events = first.take().unwrap_or_else(|| spare.resubscribe());
                    let worker = TradingWorker {
                        engine: engine.clone(),
                        bus: bus.clone(),
                        order_events,
                        reload,
                        changes: changes(),
                    };
                    worker.run_until_stopped(run)
                }
            }),
        );
        // The trading worker sends orders: it shows as paused while the Kite session has ended.
        manager.pauses_with("trading", session.clone());
        // One process sends the deliveries (a second stands by): an attempt is made once.
        handles.push(manager.supervise_leased(
            "webhooks",
            shutdown.clone(),
            infra.lease(WEBHOOKS_LEASE),
            {
                let webhooks = alerts.webhooks.clone();
                move |run| {
                    WebhookWorker {
                        sender: webhooks.clone(),
                    }
                    .run_until_stopped(run)
                }
            },
        ));
        // Only one process's alert monitor fires alerts; a second stands by.
        let alerts_lease = infra.lease(ALERTS_LEASE);
        let alerts_fresh = alerts_lease.try_hold().await.unwrap_or(false);
        if let Some(ticker_gate) = &market.ticker_gate {
            bus_tasks.push(ticker_gate.open_while(
                vec![trading_lease, alerts_lease.clone() as Arc<dyn TradingLease>],
                shutdown.clone(),
            ));
        }
        handles.push(
            manager.supervise_leased("alerts", shutdown.clone(), alerts_lease, {
                let changes = changes.clone();
                let announce = announce.clone();
                let alerts = alerts.alerts.clone();
                let bus = market.market.bus.clone() as Arc<dyn TickBus>;
                let mut first = true;
                move |run| {
                    let reload = !first || !alerts_fresh;
                    first = false;
                    AlertWorker {
                        alerts: alerts.clone(),
                        bus: bus.clone(),
                        reload,
                        changes: changes(),
                        announce: Announcer::maybe(announce.clone()),
                    }
                    .run_until_stopped(run)
                }
            }),
        );
        // Kite's alerts are read back into the mirror, and what Kite fired is recorded.
        // One process reads Kite's alerts back (a second stands by): one set of Kite calls.
        handles.push(manager.supervise_leased(
            "kite-alerts",
            shutdown.clone(),
            infra.lease(KITE_ALERTS_LEASE),
            {
                let (desk, session) = (alerts.kite_alerts.clone(), session.clone());
                let announce = announce.clone();
                let every = settings.workers.kite_alerts_sync;
                move |run| {
                    KiteAlertSync {
                        desk: desk.clone(),
                        session: session.clone(),
                        every,
                        announce: Announcer::maybe(announce.clone()),
                    }
                    .run_until_stopped(run)
                }
            },
        ));
        manager.pauses_with("kite-alerts", session.clone());
        if let Some(paper) = &trading.paper_broker {
            let matcher = Arc::new(PaperMatcher {
                paper: paper.clone(),
                bus: market.market.bus.clone() as Arc<dyn TickBus>,
            });
            handles.push(
                manager.supervise("paper-matcher", shutdown.clone(), move |run| {
                    let matcher = matcher.clone();
                    async move {
                        matcher.run_until_stopped(run).await;
                        Ok(())
                    }
                }),
            );
        }
        // The workers' processes say how they stand, for the web processes' Settings page.
        if let Some(bus) = &topology.bus {
            let feed_open: Arc<dyn Fn() -> bool + Send + Sync> = match &market.ticker_gate {
                Some(gate) => {
                    let gate = gate.clone();
                    Arc::new(move || gate.is_open())
                }
                None => Arc::new(|| true),
            };
            let trader = trading.trader.clone();
            bus_tasks.push(bus.announce_status(
                infra.addr.to_string(),
                topology.role.label(),
                StatusSources {
                    workers: manager.clone() as Arc<dyn WorkerControl>,
                    feed: local_feed,
                    feed_open,
                    confirming: Arc::new(move || trader.confirming()),
                },
                shutdown.clone(),
            ));
        }
        Workers {
            manager,
            handles,
            bus_tasks,
        }
    }
}
