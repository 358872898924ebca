//! The paper matcher (paper mode): fills the paper broker's resting orders on every tick batch
//! from the bus. Its step is the core's `PaperBroker::on_tick`.

use std::sync::Arc;

use osp_core::ports::{Interest, TickBus};
use osp_core::services::trading::PaperBroker;
use tokio_util::sync::CancellationToken;

pub struct PaperMatcher {
    pub paper: Arc<PaperBroker>,
    pub bus: Arc<dyn TickBus>,
}

impl PaperMatcher {
    pub async fn run_until_stopped(&self, shutdown: CancellationToken) {
        let ticks = self.bus.subscribe(Interest::All);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                batch = ticks.next_batch() => match batch {
                    Some(batch) => {
                        for tick in &batch {
                            self.paper.on_tick(tick);
                        }
                    }
                    None => break,
                },
            }
        }
    }
}
