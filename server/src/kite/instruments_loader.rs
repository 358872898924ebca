//! Loads the instruments master: at start-up the stored list goes into the catalog at once (a
//! search works before the network answers), then Kite's dump is downloaded, stored in one
//! transaction and swapped into the catalog; again every day at 08:45 IST (Kite publishes the
//! dump once a day, before the market opens). A failed load keeps the previous list and says
//! why in the catalog's load state, which the UI shows.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::{InstrumentsLoad, StateChange};
use osp_core::ports::Clock;
use osp_core::services::announcer::Announcer;
use osp_core::services::instruments::InstrumentCatalog;
use tokio_util::sync::CancellationToken;

use crate::database::Database;
use kite_connect::http::KiteClient;
use osp_core::services::instruments::schedule::{RETRY_AFTER_FAILURE_MS, until_next_daily_load};

/// After a failed download, try again this soon (not only tomorrow).
const RETRY_AFTER: Duration = Duration::from_millis(RETRY_AFTER_FAILURE_MS as u64);

pub struct InstrumentsLoader {
    database: Database,
    client: Arc<KiteClient>,
    catalog: Arc<InstrumentCatalog>,
    clock: Arc<dyn Clock>,
}

impl InstrumentsLoader {
    pub fn new(
        database: Database,
        client: Arc<KiteClient>,
        catalog: Arc<InstrumentCatalog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            database,
            client,
            catalog,
            clock,
        }
    }

    /// Puts the stored list into the catalog; the number of instruments.
    pub async fn load_stored(&self) -> Result<usize, String> {
        let stored = self.database.load_instruments().await?;
        let count = stored.len();
        if count > 0 {
            self.catalog.replace(stored);
        }
        Ok(count)
    }

    /// Downloads Kite's dump, stores it and swaps it in; the number of instruments.
    pub async fn refresh(&self) -> Result<usize, String> {
        let before = self.catalog.index().len();
        self.catalog.set_load_state(InstrumentsLoad::Downloading);
        let result = self.download_and_store().await;
        match &result {
            Ok((count, skipped)) => self.catalog.set_load_state(InstrumentsLoad::Ready {
                count: *count,
                skipped: *skipped,
                at_ms: self.clock.now_ms(),
            }),
            Err(reason) => {
                tracing::warn!(%reason, "loading the instruments list failed; keeping the last one");
                self.catalog.set_load_state(InstrumentsLoad::Failed {
                    reason: reason.clone(),
                    count: before,
                })
            }
        }
        result.map(|(count, _)| count)
    }

    async fn download_and_store(&self) -> Result<(usize, usize), String> {
        let dump = self
            .client
            .instruments(None)
            .await
            .map_err(|e| format!("downloading from Kite: {e}"))?;
        if dump.instruments.is_empty() {
            return Err("Kite's instruments list came back empty".to_owned());
        }
        let total = dump.instruments.len();
        let skipped = usize::try_from(dump.skipped_rows).unwrap_or(usize::MAX);
        let catalog = self.catalog.clone();
        catalog.set_load_state(InstrumentsLoad::Storing { done: 0, total });
        let progress =
            move |done, total| catalog.set_load_state(InstrumentsLoad::Storing { done, total });
        self.database
            .replace_instruments(&dump.instruments, &progress)
            .await?;
        self.catalog.replace(dump.instruments);
        tracing::info!(count = total, skipped, "instruments list loaded");
        Ok((total, skipped))
    }

    /// Puts the stored list into the catalog; on a first run (nothing stored) waits for the
    /// first download, so the first page already finds instruments. Then refreshes in the
    /// background (now, if a stored list was used) and every day until `shutdown`.
    /// A new list is announced to `announce` (web processes running apart read it then).
    pub async fn start(
        self: Arc<Self>,
        shutdown: CancellationToken,
        announce: Announcer,
    ) -> tokio::task::JoinHandle<()> {
        let stored = match self.load_stored().await {
            Ok(count) => count,
            Err(reason) => {
                tracing::warn!(%reason, "cannot read the stored instruments");
                0
            }
        };
        // A stored list is served at once and refreshed right away; a first run waits above.
        let wait = if stored > 0 {
            0
        } else if self.refresh().await.is_ok() {
            announce.tell(StateChange::Instruments);
            until_next_daily_load(self.clock.now_ms())
        } else {
            // The failure is in the load state the UI shows; go on without a list and retry.
            RETRY_AFTER.as_millis() as i64
        };
        // Kite serves the dump only to a session: a login that arrives while no list is
        // loaded (a first run on a real Kite) loads it at once instead of at the next retry.
        let mut login = self.client.login_watch();
        login.borrow_and_update();
        tokio::spawn(async move {
            let mut next = tokio::time::Instant::now() + Duration::from_millis(wait.unsigned_abs());
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep_until(next) => {}
                    Ok(()) = login.changed() => {
                        let loaded = matches!(self.catalog.load_state(), InstrumentsLoad::Ready { .. });
                        if loaded || login.borrow_and_update().is_none() {
                            continue;
                        }
                    }
                }
                let wait = match self.refresh().await {
                    Ok(_) => {
                        announce.tell(StateChange::Instruments);
                        until_next_daily_load(self.clock.now_ms())
                    }
                    Err(_) => RETRY_AFTER.as_millis() as i64,
                };
                next = tokio::time::Instant::now() + Duration::from_millis(wait.unsigned_abs());
            }
        })
    }
}

impl InstrumentsLoader {
    /// For a web process apart from the workers, which never downloads: the stored list now,
    /// and again whenever the workers announce a new one (or announcements were missed).
    pub fn follow_stored(
        self: Arc<Self>,
        shutdown: CancellationToken,
        mut changes: Option<tokio::sync::broadcast::Receiver<StateChange>>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.load_stored().await {
                    Ok(count) => tracing::info!(count, "instruments read from the database"),
                    Err(reason) => tracing::warn!(%reason, "cannot read the stored instruments"),
                }
                loop {
                    let change = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        change = crate::workers::changes::next_change(&mut changes) => change,
                    };
                    if change.is_none_or(|what| what == StateChange::Instruments) {
                        break;
                    }
                }
            }
        })
    }
}
