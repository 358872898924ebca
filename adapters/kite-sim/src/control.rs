//! Fault injection for tests, off by default: drop every ticker connection, go silent (no data,
//! no heartbeat: a stalled feed), send one malformed frame; fail REST calls with 5xx, 429 or a
//! hang past the client's timeout — the next N calls, or a share of all calls; or hang every
//! placement of one instrument (a slow order while the rest of the account trades). And two
//! timestamps for measuring, not faults: when the ticker last sent a data frame and when each
//! order placement arrived (the tick → order latency of `scripts/bench.sh`).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct SimControl {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    silent: AtomicBool,
    malformed_pending: AtomicBool,
    /// Bumped to make every open ticker connection close.
    drops: watch::Sender<u64>,
    connections: AtomicU64,
    /// Ticker connections subscribed to something now.
    serving: AtomicU64,
    /// Market steps taken while no ticker connection was subscribed to anything: their ticks
    /// reached nobody (Kite's ticker replays nothing either).
    unserved_steps: AtomicU64,
    rest: Mutex<RestFaults>,
    rest_faults_served: AtomicU64,
    last_frame_sent: Mutex<Option<Instant>>,
    last_margin_request: Mutex<Option<Instant>>,
    placements: watch::Sender<Option<Instant>>,
    /// Reads of the whole day's order book (`GET /orders`).
    book_reads: AtomicU64,
}

/// How a REST call is made to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestFault {
    /// 503 with Kite's NetworkException envelope.
    ServerError,
    /// 429 Too many requests.
    TooManyRequests,
    /// The request takes effect, but its answer comes this late (longer than the client's
    /// timeout): the case where a placement's outcome is unknown.
    Hang(Duration),
    /// The request takes effect, but the answer is not Kite's JSON (a proxy's error page).
    Garbled,
}

#[derive(Debug, Default)]
struct RestFaults {
    next: Vec<RestFault>,
    /// Faults for the next order placements only (other calls pass).
    next_placements: Vec<RestFault>,
    share_percent: u8,
    share_kind: Option<RestFault>,
    /// Placements of this trading symbol take effect, and their answer comes this late.
    slow_placements: Option<(String, Duration)>,
}

impl Default for SimControl {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                silent: AtomicBool::new(false),
                malformed_pending: AtomicBool::new(false),
                drops: watch::channel(0).0,
                connections: AtomicU64::new(0),
                serving: AtomicU64::new(0),
                unserved_steps: AtomicU64::new(0),
                rest: Mutex::new(RestFaults::default()),
                rest_faults_served: AtomicU64::new(0),
                last_frame_sent: Mutex::new(None),
                last_margin_request: Mutex::new(None),
                placements: watch::channel(None).0,
                book_reads: AtomicU64::new(0),
            }),
        }
    }
}

impl SimControl {
    /// Closes every open ticker connection (clients should reconnect).
    pub fn drop_connections(&self) {
        self.inner.drops.send_modify(|n| *n += 1);
    }

    /// While silent the ticker sends nothing at all, not even heartbeats.
    pub fn set_silent(&self, silent: bool) {
        self.inner.silent.store(silent, Ordering::SeqCst);
    }

    pub fn is_silent(&self) -> bool {
        self.inner.silent.load(Ordering::SeqCst)
    }

    /// The next data frame any connection sends is garbage.
    pub fn send_malformed_frame(&self) {
        self.inner.malformed_pending.store(true, Ordering::SeqCst);
    }

    pub(super) fn take_malformed(&self) -> bool {
        self.inner.malformed_pending.swap(false, Ordering::SeqCst)
    }

    pub(super) fn drops(&self) -> watch::Receiver<u64> {
        self.inner.drops.subscribe()
    }

    pub(super) fn connection_opened(&self) {
        self.inner.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// The next `count` REST calls fail this way (after any already queued).
    pub fn fail_next_rest_calls(&self, count: usize, fault: RestFault) {
        let mut rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.next.extend(std::iter::repeat_n(fault, count));
    }

    /// The next `count` order placements fail this way; other calls (the book, positions)
    /// answer as usual.
    pub fn fail_next_placements(&self, count: usize, fault: RestFault) {
        let mut rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.next_placements
            .extend(std::iter::repeat_n(fault, count));
    }

    /// A share of all REST calls (0–100 %) fail this way; 0 turns it off.
    pub fn set_rest_failure_share(&self, percent: u8, fault: RestFault) {
        let mut rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.share_percent = percent.min(100);
        rest.share_kind = Some(fault);
    }

    /// Every order placed for `tradingsymbol` from now on takes effect at once, and its answer
    /// comes `delay` late (`None`: the rule is lifted).
    pub fn delay_placements_of(&self, rule: Option<(&str, Duration)>) {
        let mut rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.slow_placements = rule.map(|(symbol, delay)| (symbol.to_owned(), delay));
    }

    /// The delay a placement of `tradingsymbol` suffers, if any.
    pub(super) fn placement_delay(&self, tradingsymbol: &str) -> Option<Duration> {
        let rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.slow_placements
            .as_ref()
            .filter(|(symbol, _)| symbol == tradingsymbol)
            .map(|(_, delay)| *delay)
    }

    /// Whether any placement is slowed (the body of a placement is read only then).
    pub(super) fn slows_placements(&self) -> bool {
        let rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        rest.slow_placements.is_some()
    }

    /// The fault this REST call (an order placement, or not) suffers, if any.
    pub(super) fn take_rest_fault(&self, placement: bool) -> Option<RestFault> {
        let mut rest = self.inner.rest.lock().unwrap_or_else(|p| p.into_inner());
        let fault = if placement && !rest.next_placements.is_empty() {
            Some(rest.next_placements.remove(0))
        } else if rest.next.is_empty() {
            rest.share_kind
                .filter(|_| rest.share_percent > 0)
                .filter(|_| rand::random_range(0..100u8) < rest.share_percent)
        } else {
            Some(rest.next.remove(0))
        };
        if fault.is_some() {
            self.inner.rest_faults_served.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }

    /// Reads of the whole day's order book so far (`GET /orders`).
    pub fn book_reads(&self) -> u64 {
        self.inner.book_reads.load(Ordering::SeqCst)
    }

    pub(crate) fn book_read(&self) {
        self.inner.book_reads.fetch_add(1, Ordering::SeqCst);
    }

    /// REST calls failed on purpose so far.
    pub fn rest_faults_served(&self) -> u64 {
        self.inner.rest_faults_served.load(Ordering::SeqCst)
    }

    /// Ticker connections accepted so far (a reconnect counts again).
    pub fn connections_accepted(&self) -> u64 {
        self.inner.connections.load(Ordering::SeqCst)
    }

    /// A ticker connection began (`true`) or stopped (`false`) being subscribed to something.
    pub(crate) fn serving(&self, now: bool) {
        if now {
            self.inner.serving.fetch_add(1, Ordering::SeqCst);
        } else {
            self.inner.serving.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The market took a step: counted as unserved when no connection was subscribed.
    pub(crate) fn market_stepped(&self) {
        if self.inner.serving.load(Ordering::SeqCst) == 0 {
            self.inner.unserved_steps.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Market steps so far whose ticks reached no ticker connection (each step is a tick of
    /// every subscribed instrument): a drop's lost ticks, from the drop to the resubscription.
    pub fn unserved_steps(&self) -> u64 {
        self.inner.unserved_steps.load(Ordering::SeqCst)
    }

    /// A ticker connection is writing a data frame (prices) to its socket.
    pub(crate) fn frame_sent(&self) {
        stamp(&self.inner.last_frame_sent);
    }

    /// When a ticker connection last began writing a data frame to its socket.
    pub fn last_frame_sent(&self) -> Option<Instant> {
        stamped(&self.inner.last_frame_sent)
    }

    /// An order margin request (`POST /margins/orders`, the check before an entry) has just
    /// arrived (before it is read).
    pub(crate) fn margin_request_arrived(&self) {
        stamp(&self.inner.last_margin_request);
    }

    /// When the latest order margin request arrived: with `last_frame_sent` and `placements`,
    /// it splits a tick → order latency at the margin check.
    pub fn last_margin_request(&self) -> Option<Instant> {
        stamped(&self.inner.last_margin_request)
    }

    /// An order placement request has just arrived (before it is read).
    pub(crate) fn placement_arrived(&self) {
        self.inner.placements.send_replace(Some(Instant::now()));
    }

    /// When the latest order placement arrived; changes with every placement.
    pub fn placements(&self) -> watch::Receiver<Option<Instant>> {
        self.inner.placements.subscribe()
    }
}

/// Records now in a "when did it last happen" slot.
fn stamp(slot: &Mutex<Option<Instant>>) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
}

/// When it last happened (`stamp`), if ever.
fn stamped(slot: &Mutex<Option<Instant>>) -> Option<Instant> {
    *slot.lock().unwrap_or_else(|p| p.into_inner())
}
