//! What a web process apart from the workers shows of them: their states and the feed, from
//! what the workers' processes say on the bus (`osp:status`), and an admin's restart passed to
//! the process that runs the worker. Also the bus's figures for the System card, in either
//! layout.

use std::sync::Arc;

use async_trait::async_trait;
use osp_core::model::{BusStatus, FeedFigures, WorkerState};
use osp_core::ports::{BusStats, Clock, FeedStats, WorkerControl};

use super::redis::RedisBus;

/// A worker's name as a web process lists it: `trading @ 10.0.0.5:3100`.
const AT: &str = " @ ";

pub struct RemoteWorkers {
    pub bus: Arc<RedisBus>,
}

impl WorkerControl for RemoteWorkers {
    fn states(&self) -> Vec<WorkerState> {
        self.bus
            .peers()
            .into_iter()
            .flat_map(|(_, peer)| {
                peer.workers.into_iter().map(move |w| WorkerState {
                    name: format!("{}{AT}{}", w.name, peer.label),
                    ..w
                })
            })
            .collect()
    }

    fn restart(&self, name: &str) -> bool {
        let Some((worker, label)) = name.split_once(AT) else {
            return false;
        };
        let known = self
            .bus
            .peers()
            .iter()
            .any(|(_, p)| p.label == label && p.workers.iter().any(|w| w.name == worker));
        if known {
            self.bus.request_restart(label, worker);
        }
        known
    }
}

pub struct RemoteFeed {
    pub bus: Arc<RedisBus>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl FeedStats for RemoteFeed {
    async fn figures(&self) -> FeedFigures {
        let leader = self.bus.peers().into_iter().find_map(|(_, peer)| peer.feed);
        leader.unwrap_or_else(|| FeedFigures {
            connections: vec![
                "no workers process with a connected ticker heard on the bus: start `osp workers`"
                    .to_owned(),
            ],
            subscribed: 0,
            capacity: 0,
            packets: 0,
            last_tick_ms: None,
            at_ms: self.clock.now_ms(),
        })
    }
}

/// The bus's figures: Redis's, or one process's own bus.
pub struct BusFiguresSource {
    pub bus: Option<Arc<RedisBus>>,
    pub role: &'static str,
}

impl BusStats for BusFiguresSource {
    fn status(&self) -> BusStatus {
        match &self.bus {
            Some(bus) => bus.status(self.role),
            None => BusStatus {
                kind: "in-process".to_owned(),
                address: String::new(),
                role: self.role.to_owned(),
                connected: true,
                last_error: None,
                published: 0,
                received: 0,
                dropped: 0,
                peers: Vec::new(),
            },
        }
    }
}
