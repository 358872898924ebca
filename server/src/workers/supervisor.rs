//! The worker manager: starts each worker as its own task, restarts one that panics, fails or
//! stops by itself (exponential back-off with jitter, the same rule as reconnects), marks it
//! failed after too many stops in a row, stops them all with the server's shutdown token, and
//! reports each one's phase, restarts and last error (`/ready`, the Settings page). An admin
//! can start a failed worker again, or restart a running one. A leased worker
//! (`supervise_leased`) runs only while this process holds its lease: until then it is a
//! standby, and a lease that cannot be renewed stops it at once. A worker that sends orders
//! (`pauses_with`) shows as paused while the broker session has ended: it keeps running (it
//! still reads ticks and order updates) but its orders are refused before the broker.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use osp_core::backoff::reconnect_delay_ms;
use osp_core::model::{WorkerPhase, WorkerState};
use osp_core::ports::{Clock, WorkerControl};
use osp_core::services::trading::BrokerSession;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::lease::Lease;

/// When to give up on a worker that keeps stopping.
#[derive(Clone, Copy, Debug)]
pub struct RestartPolicy {
    /// The first back-off; it doubles per stop in a row.
    pub base: Duration,
    pub ceiling: Duration,
    /// Stops in a row after which it is marked failed and left stopped.
    pub max_in_a_row: u32,
    /// A run at least this long was healthy: the count in a row starts again.
    pub healthy_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            ceiling: Duration::from_secs(60),
            max_in_a_row: 5,
            healthy_after: Duration::from_secs(300),
        }
    }
}

struct Entry {
    state: WorkerState,
    /// Cancels the current run (a restart asked for by an admin).
    run: Option<CancellationToken>,
    /// Wakes a worker waiting in back-off or failed.
    wake: Arc<Notify>,
    /// The broker session whose end pauses this worker (it sends orders).
    pauses_with: Option<Arc<BrokerSession>>,
}

impl Entry {
    /// The state as reported: a running worker that sends orders is paused while the broker
    /// session has ended.
    fn reported(&self) -> WorkerState {
        let mut state = self.state.clone();
        if state.phase == WorkerPhase::Running
            && let Some(ended) = self.pauses_with.as_ref().and_then(|s| s.expired())
        {
            state.phase = WorkerPhase::Paused;
            state.since_ms = state.since_ms.max(ended.since_ms);
            state.note = Some(format!(
                "sends no orders: the Kite session has ended ({}); connect Kite again",
                ended.reason
            ));
        }
        state
    }
}

pub struct WorkerManager {
    clock: Arc<dyn Clock>,
    policy: RestartPolicy,
    workers: Mutex<Vec<Entry>>,
}

fn lock(m: &Mutex<Vec<Entry>>) -> std::sync::MutexGuard<'_, Vec<Entry>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The message a panic carried, if it was text.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

impl WorkerManager {
    pub fn new(clock: Arc<dyn Clock>, policy: RestartPolicy) -> Self {
        Self {
            clock,
            policy,
            workers: Mutex::new(Vec::new()),
        }
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = lock(&self.workers)
            .iter_mut()
            .find(|e| e.state.name == name)
        {
            change(entry);
        }
    }

    /// Worker `name` sends orders: it shows as paused while `session` has ended.
    pub fn pauses_with(&self, name: &str, session: Arc<BrokerSession>) {
        self.update(name, |e| e.pauses_with = Some(session));
    }

    fn phase(&self, name: &str) -> Option<WorkerPhase> {
        lock(&self.workers)
            .iter()
            .find(|e| e.state.name == name)
            .map(|e| e.state.phase)
    }

    fn enter(&self, name: &str, phase: WorkerPhase, run: Option<CancellationToken>) {
        let now = self.clock.now_ms();
        self.update(name, |e| {
            e.state.phase = phase;
            e.state.since_ms = now;
            e.run = run;
        });
    }

    /// Runs `make(run)` as worker `name` until `shutdown`: each run gets a token of its own
    /// (cancelled by the shutdown, or by an admin's restart) and should return when it is
    /// cancelled. A run that returns on its own, with an error, or panics is started again
    /// after a back-off. The returned task ends once the worker is stopped for good.
    pub fn supervise<F, Fut>(
        self: &Arc<Self>,
        name: &str,
        shutdown: CancellationToken,
        make: F,
    ) -> JoinHandle<()>
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.start(name, shutdown, None, make)
    }

    /// Like `supervise`, but each run waits (as a standby) until this process holds `lease`,
    /// renews it while it runs, and is stopped the moment a renewal fails. The lease is given
    /// up at shutdown.
    pub fn supervise_leased<F, Fut>(
        self: &Arc<Self>,
        name: &str,
        shutdown: CancellationToken,
        lease: Arc<Lease>,
        make: F,
    ) -> JoinHandle<()>
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.start(name, shutdown, Some(lease), make)
    }

    fn start<F, Fut>(
        self: &Arc<Self>,
        name: &str,
        shutdown: CancellationToken,
        lease: Option<Arc<Lease>>,
        mut make: F,
    ) -> JoinHandle<()>
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let wake = Arc::new(Notify::new());
        lock(&self.workers).push(Entry {
            state: WorkerState {
                name: name.to_owned(),
                // A leased worker is not running until its lease is taken.
                phase: if lease.is_some() {
                    WorkerPhase::Standby
                } else {
                    WorkerPhase::Running
                },
                restarts: 0,
                last_error: None,
                since_ms: self.clock.now_ms(),
                note: None,
            },
            run: None,
            wake: wake.clone(),
            pauses_with: None,
        });
        let manager = self.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let policy = manager.policy;
            let mut in_a_row = 0u32;
            'runs: loop {
                if let Some(lease) = &lease {
                    let mut announced = false;
                    loop {
                        match lease.try_hold().await {
                            Ok(true) => break,
                            Ok(false) if !announced => {
                                announced = true;
                                let holder = lease.current_holder().await.unwrap_or_default();
                                tracing::info!(worker = %name, lease = lease.name, %holder, "another server process holds the lease; standing by");
                            }
                            Ok(false) => {}
                            Err(e) => manager.update(&name, |entry| {
                                entry.state.last_error =
                                    Some(format!("the lease could not be read: {e}"));
                            }),
                        }
                        if manager.phase(&name) != Some(WorkerPhase::Standby) {
                            manager.enter(&name, WorkerPhase::Standby, None);
                        }
                        tokio::select! {
                            _ = shutdown.cancelled() => break 'runs,
                            _ = tokio::time::sleep(lease.renew_every()) => {}
                            _ = wake.notified() => {}
                        }
                    }
                    tracing::info!(worker = %name, lease = lease.name, holder = %lease.holder, "lease taken; starting");
                }
                let run = shutdown.child_token();
                manager.enter(&name, WorkerPhase::Running, Some(run.clone()));
                let started = tokio::time::Instant::now();
                // While it runs, the lease is renewed; a failed renewal stops the run.
                let renewer = lease.clone().map(|lease| {
                    let run = run.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::select! {
                                _ = run.cancelled() => return false,
                                _ = tokio::time::sleep(lease.renew_every()) => {}
                            }
                            if !matches!(lease.try_hold().await, Ok(true)) {
                                run.cancel();
                                return true;
                            }
                        }
                    })
                });
                let outcome = tokio::spawn(make(run.clone())).await;
                let asked = run.is_cancelled();
                run.cancel();
                let lost = match renewer {
                    Some(renewer) => renewer.await.unwrap_or(false),
                    None => false,
                };
                if shutdown.is_cancelled() {
                    break;
                }
                if lost {
                    let error = "the lease could not be renewed (another process took it, or \
                                 the database did not answer); standing by"
                        .to_owned();
                    tracing::warn!(worker = %name, %error);
                    manager.update(&name, |e| {
                        e.state.restarts += 1;
                        e.state.last_error = Some(error.clone());
                    });
                    continue;
                }
                let error = match outcome {
                    // An admin asked for a restart: start again at once.
                    Ok(Ok(())) if asked => {
                        in_a_row = 0;
                        continue;
                    }
                    Ok(Ok(())) => "it stopped by itself".to_owned(),
                    Ok(Err(e)) => e,
                    Err(e) if e.is_panic() => {
                        format!("it panicked: {}", panic_text(e.into_panic()))
                    }
                    Err(e) => format!("its task ended: {e}"),
                };
                if started.elapsed() >= policy.healthy_after {
                    in_a_row = 0;
                }
                in_a_row += 1;
                manager.update(&name, |e| {
                    e.state.restarts += 1;
                    e.state.last_error = Some(error.clone());
                });
                metrics::counter!("osp_worker_restarts_total", "worker" => name.clone())
                    .increment(1);
                if in_a_row > policy.max_in_a_row {
                    tracing::error!(worker = %name, %error, "worker stopped {in_a_row} times in a row; it stays stopped until restarted from the Settings page");
                    manager.enter(&name, WorkerPhase::Failed, None);
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = wake.notified() => {
                            in_a_row = 0;
                            continue;
                        }
                    }
                }
                let delay = Duration::from_millis(u64::from(reconnect_delay_ms(
                    in_a_row,
                    u32::try_from(policy.base.as_millis()).unwrap_or(u32::MAX),
                    u32::try_from(policy.ceiling.as_millis()).unwrap_or(u32::MAX),
                    rand::random::<f64>(),
                )));
                tracing::error!(worker = %name, %error, retry_in_ms = delay.as_millis() as u64, "worker stopped; starting it again");
                manager.enter(&name, WorkerPhase::Restarting, None);
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(delay) => {}
                    _ = wake.notified() => {}
                }
            }
            if let Some(lease) = &lease {
                lease.release().await;
            }
            manager.enter(&name, WorkerPhase::Stopped, None);
            tracing::debug!(worker = %name, "worker stopped");
        })
    }
}

impl WorkerControl for WorkerManager {
    fn states(&self) -> Vec<WorkerState> {
        lock(&self.workers).iter().map(Entry::reported).collect()
    }

    fn restart(&self, name: &str) -> bool {
        let workers = lock(&self.workers);
        let Some(entry) = workers.iter().find(|e| e.state.name == name) else {
            return false;
        };
        match &entry.run {
            Some(run) => run.cancel(),
            None => entry.wake.notify_one(),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Frozen;
    impl Clock for Frozen {
        fn now_ms(&self) -> i64 {
            7
        }
    }

    fn manager(max_in_a_row: u32) -> Arc<WorkerManager> {
        Arc::new(WorkerManager::new(
            Arc::new(Frozen),
            RestartPolicy {
                base: Duration::from_millis(100),
                ceiling: Duration::from_secs(1),
                max_in_a_row,
                healthy_after: Duration::from_secs(60),
            },
        ))
    }

    async fn phase_becomes(m: &WorkerManager, phase: WorkerPhase) -> WorkerState {
        for _ in 0..1000 {
            if let Some(s) = m.states().into_iter().find(|s| s.phase == phase) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never {phase:?}: {:?}", m.states());
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_worker_is_restarted_with_its_error_then_runs() {
        let m = manager(5);
        let shutdown = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let task = m.supervise("flaky", shutdown.clone(), {
            let runs = runs.clone();
            move |run: CancellationToken| {
                let n = runs.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        panic!("bad tick {n}");
                    }
                    run.cancelled().await;
                    Ok(())
                }
            }
        });
        let running = loop {
            let s = phase_becomes(&m, WorkerPhase::Running).await;
            if s.restarts == 2 {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(
            running.last_error.as_deref(),
            Some("it panicked: bad tick 1")
        );
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        shutdown.cancel();
        task.await.unwrap();
        assert_eq!(m.states()[0].phase, WorkerPhase::Stopped);
        assert_eq!(m.states()[0].restarts, 2, "a shutdown is no restart");
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_keeps_failing_is_marked_failed_until_restarted() {
        let m = manager(2);
        let shutdown = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let task = m.supervise("broken", shutdown.clone(), {
            let runs = runs.clone();
            move |_run| {
                runs.fetch_add(1, Ordering::SeqCst);
                async { Err("the database is gone".to_owned()) }
            }
        });
        let failed = phase_becomes(&m, WorkerPhase::Failed).await;
        assert_eq!(
            failed.restarts, 3,
            "two restarts, then the third stop fails it"
        );
        assert_eq!(failed.last_error.as_deref(), Some("the database is gone"));
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "a failed worker is not started again"
        );
        assert!(m.restart("broken"));
        assert!(!m.restart("nobody"));
        for _ in 0..1000 {
            if runs.load(Ordering::SeqCst) > 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            runs.load(Ordering::SeqCst) > 3,
            "the restart started it again"
        );
        shutdown.cancel();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_admin_restart_starts_a_running_worker_again_at_once() {
        let m = manager(5);
        let shutdown = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let task = m.supervise("steady", shutdown.clone(), {
            let runs = runs.clone();
            move |run: CancellationToken| {
                runs.fetch_add(1, Ordering::SeqCst);
                async move {
                    run.cancelled().await;
                    Ok(())
                }
            }
        });
        phase_becomes(&m, WorkerPhase::Running).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(m.restart("steady"));
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        let state = phase_becomes(&m, WorkerPhase::Running).await;
        assert_eq!(state.restarts, 0, "asked for, not a failure");
        shutdown.cancel();
        task.await.unwrap();
    }
}
