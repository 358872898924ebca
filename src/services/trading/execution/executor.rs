//! `OrderExecutor`: places each order exactly once. An intent is recorded (pending, with a
//! unique tag the broker echoes) before the broker is called; the answer moves it on. When the
//! answer is unknown (a timeout, a crash, a lost connection) the broker port says so at once
//! (`Uncertain`, no waiting inside the client) and the intent stays pending; this executor is
//! the only resolver. `reconcile_pending` — at start-up, every second while an answer is
//! outstanding (`awaiting_answers`), and minutely — looks it up by tag in the broker's book:
//! found, it is adopted. Not found: an intent this executor placed and lost the answer to is
//! refused once the book has had `LOST_ANSWER_SETTLE_MS` to show it (never placed again: a
//! trigger must not fire late, and a trade's exit is asked for anew by the trade monitor); one
//! recorded and never sent here (a crash between the two steps, or a web process that left it
//! to the workers) is sent once — if it is found within `UNSENT_STALE_MS`; later, it is refused
//! with the reason, never sent late.
//!
//! One executor per account at a time: within a process, intents being sent are skipped by
//! reconciliation; across processes the trading lease (`with_lease`) decides — a process that
//! does not hold it sends nothing and reconciles nothing. A web process running apart from the
//! workers (`deferring`) holds no lease at all: it records each order pending and tells the
//! workers, whose executor (holding the lease) sends it through the same reconciliation, once.
//!
//! Over 500 lines: the exactly-once protocol (record, send, apply, reconcile) is read as a whole
//! or not at all; its scenarios live in `scenarios.rs`.

use crate::services::service_error::ServiceError;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::model::{
    BrokerOrder, IntentState, LevelId, OrderIntent, OrderKind, OrderRequest, OrderStatus, OrderTag,
    Price, ProductKind, StateChange,
};
use crate::ports::{
    Broker, BrokerError, BrokerErrorKind, ChangeNotifier, Clock, IntentStore, StoreError,
    TradingLease, WorkersPresence,
};

use super::broker_session::BrokerSession;
use super::intents::{IntentError, IntentEvent, Reconciliation, advance, reconcile};
use super::order_rules::margin_problem;
use super::pre_trade::PreTradeCheck;
use crate::services::announcer::Announcer;

/// What the broker holds of one instrument and product (`OrderExecutor::holding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    /// Net units: positive long, negative short.
    pub net: i64,
    /// The venue keeps one position per instrument whatever the product (the paper broker):
    /// `net` counts every product.
    pub any_product: bool,
    /// The broker's average price of today's sells and buys on it, if any.
    pub sold_average: Option<Price>,
    pub bought_average: Option<Price>,
}

impl Holding {
    /// What `positions` hold of `request`'s instrument and product.
    pub fn of(positions: &[crate::model::BrokerPosition], request: &OrderRequest) -> Self {
        let held: Vec<_> = positions
            .iter()
            .filter(|p| p.holds(request.exchange, &request.tradingsymbol, request.product))
            .collect();
        Holding {
            net: held.iter().map(|p| p.quantity).sum(),
            any_product: held.iter().any(|p| p.product.is_none()),
            sold_average: held.iter().find_map(|p| p.sold_average),
            bought_average: held.iter().find_map(|p| p.bought_average),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("the order record could not be written: {0}")]
    Store(#[from] StoreError),
    #[error("the broker could not be asked about the order: {0}")]
    Broker(BrokerError),
    #[error(transparent)]
    Intent(#[from] IntentError),
}

/// How the outside is told of it.
impl From<ExecError> for ServiceError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Store(e) => ServiceError::Store(e),
            other => ServiceError::fault(other),
        }
    }
}

pub struct OrderExecutor {
    store: Arc<dyn IntentStore>,
    broker: Arc<dyn Broker>,
    clock: Arc<dyn Clock>,
    rng: Mutex<SmallRng>,
    /// Intents this executor is sending right now.
    in_flight: Mutex<HashSet<i64>>,
    /// Pending intents this executor has placed once, with when (their answer is not recorded
    /// yet, or was lost): only a look-up by tag may resolve them, never a second placement.
    attempted: Mutex<HashMap<i64, i64>>,
    /// Set while a reconciliation runs: a second one does not start.
    reconciling: AtomicBool,
    /// Why the last reconciliation could not look some pending orders up (the broker's book
    /// unreadable): they wait for the next one, within a second (`awaiting_answers`).
    lookups_failed: Mutex<Option<String>>,
    /// Asked before an order is sent (the risk limits and the kill switch). Not optional: no
    /// executor can be built that sends without it.
    gate: Arc<dyn PreTradeCheck>,
    /// Held by this process, or it sends nothing (another server process trades).
    lease: Option<Arc<dyn TradingLease>>,
    /// Whether the broker session stands; once it has ended nothing is sent.
    session: Arc<BrokerSession>,
    /// A web process apart from the workers: new orders are recorded and left to them.
    deferred_to: Announcer,
    /// Whether the workers are there to take them; absent, a new order is recorded refused.
    workers: Option<Arc<dyn WorkersPresence>>,
}

/// How long after a placement whose answer was lost the broker's book is trusted to show the
/// order: not found by then, it was not placed.
pub const LOST_ANSWER_SETTLE_MS: i64 = 5_000;
/// How old an unsent exit of units held outside the app may be and still be sent by the
/// reconciliation: a web process apart records it and the trading worker sends it within
/// moments; one found after a restart is refused, not sent late.
pub const OUTSIDE_EXIT_STALE_MS: i64 = 10_000;
/// How old any other order recorded and never sent may be and still be sent by the
/// reconciliation. A web process apart records a trader's order and the workers send it within
/// moments; a process killed between recording and sending is restarted within seconds. One
/// found later — no workers process was running, the app stayed down, the broker session had
/// ended — was asked for at prices long gone: it is refused with the reason, never sent late
/// (a trade's exit is asked for again by the trade monitor while the trade is open).
pub const UNSENT_STALE_MS: i64 = 30_000;

const STANDBY: &str = "not sent: this server is a standby — another server process holds the \
                       trading lease and places the orders; use that one, or stop it and this one \
                       takes over";

/// Clears `reconciling` when the reconciliation ends, however it ends.
struct Reconciling<'a>(&'a AtomicBool);

impl Drop for Reconciling<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

struct InFlight<'a> {
    set: &'a Mutex<HashSet<i64>>,
    id: i64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl OrderExecutor {
    /// Every order it sends is checked by `gate` first (a refused one ends rejected with the
    /// gate's reason and never reaches the broker), and nothing is sent once `session` has
    /// ended (a broker answer saying so ends it). Both are required: an executor that skips
    /// them cannot be built.
    pub fn new(
        store: Arc<dyn IntentStore>,
        broker: Arc<dyn Broker>,
        clock: Arc<dyn Clock>,
        gate: Arc<dyn PreTradeCheck>,
        session: Arc<BrokerSession>,
    ) -> Self {
        let seed =
            clock.now_ms() as u64 ^ (Arc::as_ptr(&store) as *const u8 as u64).rotate_left(17);
        Self {
            store,
            broker,
            clock,
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
            in_flight: Mutex::new(HashSet::new()),
            attempted: Mutex::new(HashMap::new()),
            reconciling: AtomicBool::new(false),
            lookups_failed: Mutex::new(None),
            gate,
            lease: None,
            session,
            deferred_to: Announcer::default(),
            workers: None,
        }
    }

    /// New orders are recorded pending and announced to `workers` instead of sent: the
    /// executor of the process holding the trading lease sends them (its gate, its session,
    /// once by tag). This one reconciles nothing; cancels and modifications of placed orders
    /// still go to the broker from here (they name an order that exists, and repeat safely).
    /// While `presence` says no workers process is there, a new order is recorded refused
    /// with its reason — never left pending for a process that may start minutes later.
    pub fn deferring(
        mut self,
        workers: Arc<dyn ChangeNotifier>,
        presence: Arc<dyn WorkersPresence>,
    ) -> Self {
        self.deferred_to = Announcer::to(workers);
        self.workers = Some(presence);
        self
    }

    /// Why nothing may be sent now because the broker session ended, if it did.
    fn session_refusal(&self) -> Option<String> {
        self.session.refusal()
    }

    /// A broker answer that the session is gone ends it here too.
    fn note(&self, error: &BrokerError) {
        if error.kind == BrokerErrorKind::Unauthorized {
            self.session
                .mark_expired(self.clock.now_ms(), &error.message);
        }
    }

    /// Orders are sent, and pending ones reconciled, only while `lease` is held: a standby
    /// process refuses its own orders with the reason and leaves the holder's alone.
    pub fn with_lease(mut self, lease: Arc<dyn TradingLease>) -> Self {
        self.lease = Some(lease);
        self
    }

    fn standby(&self) -> bool {
        self.lease.as_ref().is_some_and(|l| !l.held())
    }

    fn new_tag(&self) -> OrderTag {
        let now = self.clock.now_ms() as u64 & 0xFFF_FFFF_FFFF;
        let random: u32 = self.rng.lock().unwrap_or_else(|p| p.into_inner()).random();
        // "o" + 11 + 8 hex digits: 20 characters, Kite's limit.
        OrderTag::parse(&format!("o{now:011x}{random:08x}"))
            .unwrap_or_else(|_| unreachable!("hex digits make a valid tag"))
    }

    /// A new pending intent for `request` with a fresh unique tag, not yet stored: for a caller
    /// that stores it in a transaction of its own (a level's trigger and its order are written
    /// together), then `send`s it.
    /// Left to workers that are not there (`deferring`), it is final at once: refused, with
    /// the reason — `send` passes it back untouched.
    pub fn prepare(&self, level: Option<LevelId>, mut request: OrderRequest) -> OrderIntent {
        let now = self.clock.now_ms();
        request.tag = self.new_tag();
        let absent = self.workers.as_ref().and_then(|w| w.absent());
        OrderIntent {
            id: 0,
            level,
            closes: None,
            outside_exit: false,
            request,
            state: match absent {
                Some(_) => IntentState::Rejected,
                None => IntentState::Pending,
            },
            broker_order_id: None,
            filled_quantity: 0,
            average_price: None,
            reason: absent.map(|why| format!("not sent: {why}")),
            created_ms: now,
            updated_ms: now,
        }
    }

    /// Step one: the intent is recorded, pending, with a fresh unique tag. Nothing is sent.
    pub async fn record(
        &self,
        level: Option<LevelId>,
        request: OrderRequest,
    ) -> Result<OrderIntent, ExecError> {
        for _ in 0..5 {
            let mut intent = self.prepare(level, request.clone());
            if let Some(id) = self.store.insert(&intent).await.map_err(ExecError::Store)? {
                intent.id = id;
                return Ok(intent);
            }
        }
        Err(ExecError::Store(StoreError::conflict(
            "every order tag tried (5 tries)",
        )))
    }

    /// Step two: sends a pending intent and records the answer. An uncertain answer leaves it
    /// pending for `reconcile_pending`. What is stored decides, not the caller's copy: an intent
    /// another task sent meanwhile (reconciliation beside the level monitor, say) is not placed
    /// again, and one this executor placed whose answer was lost is left to reconciliation,
    /// which looks it up by tag.
    pub async fn send(&self, intent: &OrderIntent) -> Result<OrderIntent, ExecError> {
        if intent.state != IntentState::Pending {
            return Ok(intent.clone());
        }
        let _guard = {
            let mut set = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if !set.insert(intent.id) {
                // Another task is sending it; its answer will be recorded there.
                return Ok(intent.clone());
            }
            InFlight {
                set: &self.in_flight,
                id: intent.id,
            }
        };
        if self.deferred_to.is_on() {
            self.deferred_to.tell(StateChange::Orders);
            return Ok(intent.clone());
        }
        let stored = self
            .store
            .by_id(intent.id)
            .await
            .map_err(ExecError::Store)?
            .ok_or_else(|| {
                ExecError::Store(StoreError::not_found(format!("order record {}", intent.id)))
            })?;
        if stored.state != IntentState::Pending {
            return Ok(stored);
        }
        let first = {
            let mut attempted = self.attempted.lock().unwrap_or_else(|p| p.into_inner());
            match attempted.entry(stored.id) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(self.clock.now_ms());
                    true
                }
            }
        };
        if !first {
            return Ok(stored);
        }
        let intent = &stored;
        if self.standby() {
            let lapsed = self.lease.as_ref().and_then(|l| l.lapsed_because());
            let reason = lapsed.as_deref().unwrap_or(STANDBY);
            return self.apply(intent, IntentEvent::Refused { reason }).await;
        }
        if let Some(reason) = self.session_refusal() {
            return self
                .apply(intent, IntentEvent::Refused { reason: &reason })
                .await;
        }
        if let Err(problem) = self.gate.check(intent).await {
            let reason = format!("risk check: {problem}");
            return self
                .apply(intent, IntentEvent::Refused { reason: &reason })
                .await;
        }
        if let Some(reason) = self.margin_refusal(intent).await {
            return self
                .apply(intent, IntentEvent::Refused { reason: &reason })
                .await;
        }
        let answer = self.broker.place_order(&intent.request).await;
        if let Err(e) = &answer {
            self.note(e);
        }
        let refusal;
        let event = match &answer {
            Ok(order_id) => IntentEvent::Accepted { order_id },
            // Stays pending: `reconcile_pending` looks it up by tag (the caller runs it within
            // a second while `awaiting_answers`); it is never placed again. The settle time
            // counts from now, when the answer was given up on, however long the call took.
            Err(e) if e.kind == BrokerErrorKind::Uncertain => {
                self.attempted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(intent.id, self.clock.now_ms());
                return Ok(intent.clone());
            }
            Err(e) if e.kind == BrokerErrorKind::Rejected => {
                IntentEvent::Refused { reason: &e.message }
            }
            // Nothing was placed; a trigger must not fire late, so it is not retried.
            Err(e) => {
                refusal = format!("not sent: {}", e.message);
                IntentEvent::Refused { reason: &refusal }
            }
        };
        self.apply(intent, event).await
    }

    /// Why an entry may not go out for want of margin, asked of the broker just before it is
    /// sent (exits never are: they free margin). A broker that cannot say refuses it too —
    /// the account must be known to afford it.
    async fn margin_refusal(&self, intent: &OrderIntent) -> Option<String> {
        if !intent.is_entry() {
            return None;
        }
        match self
            .broker
            .margin_needed(std::slice::from_ref(&intent.request))
            .await
        {
            Ok(Some(need)) => margin_problem(&need).map(|p| format!("risk check: {p}")),
            Ok(None) => None,
            // The broker refused the order itself (an instrument it does not know): its words.
            Err(e) if e.kind == BrokerErrorKind::Rejected => Some(e.message),
            Err(e) => {
                self.note(&e);
                Some(format!(
                    "not sent: the margin it needs could not be read from the broker ({}); \
                     try again",
                    e.message
                ))
            }
        }
    }

    /// Applies `event` to the stored intent. When an order update got there first (a fill
    /// reported before the placement's answer), the stored intent is read again and the event
    /// applied to that, so nothing is lost or rolled back.
    async fn apply(
        &self,
        intent: &OrderIntent,
        event: IntentEvent<'_>,
    ) -> Result<OrderIntent, ExecError> {
        let mut current = intent.clone();
        for _ in 0..5 {
            let Some(next) = advance(&current, event, self.clock.now_ms())? else {
                return Ok(current);
            };
            if self
                .store
                .update(&next, &current)
                .await
                .map_err(ExecError::Store)?
            {
                if next.state != IntentState::Pending {
                    self.attempted
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&next.id);
                }
                return Ok(next);
            }
            current = self
                .store
                .by_tag(&intent.request.tag)
                .await
                .map_err(ExecError::Store)?
                .ok_or_else(|| {
                    ExecError::Store(StoreError::not_found(format!("order record {}", intent.id)))
                })?;
        }
        Err(ExecError::Store(StoreError::conflict(format!(
            "order record {} (it kept changing while it was being updated; it is reconciled next time)",
            intent.id
        ))))
    }

    /// What the broker holds now of `request`'s instrument and product, however it got there
    /// (through this app or not): what an exit is checked against, so a position closed or
    /// reduced outside this app (in Kite's own app, by Kite's square-off) is never reversed
    /// into an opposite one. `None` when the broker's positions cannot be read now: the exit
    /// goes out as asked, since a stop must not wait on a read.
    ///
    /// Delivery (CNC) counts the broker's holdings too: bought shares move from its positions
    /// to its holdings once settled.
    pub async fn holding(&self, request: &OrderRequest) -> Option<Holding> {
        let positions = self
            .positions_for(request.product == ProductKind::Delivery)
            .await?;
        Some(Holding::of(&positions, request))
    }

    /// The broker's positions now, with the holdings folded in when `delivery` (what a delivery
    /// trade is held against; holdings are read only then, since an exit waits on each read).
    /// `None` when they cannot be read now. One read serves any number of `Holding::of`.
    pub async fn positions_for(&self, delivery: bool) -> Option<Vec<crate::model::BrokerPosition>> {
        let read = if delivery {
            self.positions().await
        } else {
            self.broker.positions().await.inspect_err(|e| self.note(e))
        };
        read.ok()
    }

    /// The account's net positions at the broker now (every instrument and product, however
    /// placed).
    /// Delivery holdings are folded into the delivery (CNC) positions: what the account holds
    /// of a delivery trade is today's net CNC position plus the settled and settling shares.
    pub async fn positions(&self) -> Result<Vec<crate::model::BrokerPosition>, BrokerError> {
        self.positions_and_holdings().await.map(|(p, _)| p)
    }

    /// `positions`, and the holdings folded into them.
    pub async fn positions_and_holdings(
        &self,
    ) -> Result<
        (
            Vec<crate::model::BrokerPosition>,
            Vec<crate::model::HeldStock>,
        ),
        BrokerError,
    > {
        let positions = self
            .broker
            .positions()
            .await
            .inspect_err(|e| self.note(e))?;
        let holdings = self.broker.holdings().await.inspect_err(|e| self.note(e))?;
        Ok((
            super::holdings::with_holdings(positions, &holdings),
            holdings,
        ))
    }

    /// The broker's statement (funds, holdings, order and trade books) and which of its orders
    /// are the app's (their tag is one of the app's orders). `None`: the venue keeps none.
    pub async fn statement(
        &self,
    ) -> Result<Option<(crate::model::BrokerStatement, Vec<String>)>, ExecError> {
        let Some(statement) = self.broker.statement().await.map_err(|e| {
            self.note(&e);
            ExecError::Broker(e)
        })?
        else {
            return Ok(None);
        };
        let mut ours = Vec::new();
        for order in &statement.orders {
            let Some(tag) = order.tag.as_deref().and_then(|t| OrderTag::parse(t).ok()) else {
                continue;
            };
            if self
                .store
                .by_tag(&tag)
                .await
                .map_err(ExecError::Store)?
                .is_some()
            {
                ours.push(order.order_id.clone());
            }
        }
        Ok(Some((statement, ours)))
    }

    /// Every order of the app's not final yet: pending here, or placed and not done at the
    /// broker.
    pub async fn unfinished(&self) -> Result<Vec<OrderIntent>, ExecError> {
        let mut all = self.store.pending().await.map_err(ExecError::Store)?;
        all.extend(self.store.open().await.map_err(ExecError::Store)?);
        Ok(all)
    }

    /// Both steps for an exit of units the broker holds outside the app's trades
    /// (`OrderIntent::outside_exit`): it passes the gate as an exit, and its fill opens no trade.
    pub async fn submit_outside_exit(
        &self,
        request: OrderRequest,
    ) -> Result<OrderIntent, ExecError> {
        for _ in 0..5 {
            let mut intent = self.prepare(None, request.clone());
            intent.outside_exit = true;
            if let Some(id) = self.store.insert(&intent).await.map_err(ExecError::Store)? {
                intent.id = id;
                return self.send(&intent).await;
            }
        }
        Err(ExecError::Store(StoreError::conflict(
            "every order tag tried (5 tries)",
        )))
    }

    /// Both steps.
    pub async fn submit(
        &self,
        level: Option<LevelId>,
        request: OrderRequest,
    ) -> Result<OrderIntent, ExecError> {
        let intent = self.record(level, request).await?;
        self.send(&intent).await
    }

    /// Resolves every pending intent against the broker's book: adopt what the broker has,
    /// send what it provably does not. Returns the intents as they now stand. A second call
    /// while one runs returns at once with nothing.
    pub async fn reconcile_pending(&self) -> Result<Vec<OrderIntent>, ExecError> {
        if self
            .reconciling
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Ok(Vec::new());
        }
        let _held = Reconciling(&self.reconciling);
        // The holder's pending orders are the holder's to resolve.
        if self.standby() || self.deferred_to.is_on() {
            return Ok(Vec::new());
        }
        let mut pending = self.store.pending().await.map_err(ExecError::Store)?;
        {
            // Being sent right now: that send resolves it.
            let in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|intent| !in_flight.contains(&intent.id));
        }
        if let Some(expiry) = self.session.expired() {
            return self
                .refuse_after_session_end(pending, expiry.since_ms)
                .await;
        }
        let wanted: Vec<(&OrderRequest, Option<&str>)> = pending
            .iter()
            .map(|intent| (&intent.request, intent.broker_order_id.as_deref()))
            .collect();
        let looked_up = self.broker.find_orders(&wanted).await;
        let mut out = Vec::with_capacity(pending.len());
        let mut lookup_failed = None;
        for (intent, found) in pending.iter().zip(looked_up) {
            // One order the book could not be asked about waits for the next pass; the others
            // go on (under a flaky broker, one failed lookup must not hold every order back
            // until they are all too old to send).
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    // A 403 ends the session here: the next pass refuses what it must.
                    self.note(&e);
                    lookup_failed.get_or_insert(e.message);
                    continue;
                }
            };
            // Taken up by a send since the list was read: that send resolves it.
            let busy = self
                .in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&intent.id);
            if busy {
                continue;
            }
            let intent = intent.clone();
            let now = self.clock.now_ms();
            let placed_at = self
                .attempted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&intent.id)
                .copied();
            match (reconcile(&intent, found.as_ref(), now)?, &found, placed_at) {
                (Reconciliation::Adopt(_), Some(order), _) => {
                    out.push(self.apply(&intent, IntentEvent::Order(order)).await?)
                }
                // Placed here and its answer lost: the book may not show it yet.
                (Reconciliation::Send, None, Some(at)) if now - at < LOST_ANSWER_SETTLE_MS => {
                    out.push(intent)
                }
                (Reconciliation::Send, None, Some(at)) => {
                    let reason = format!(
                        "not sent: the broker's answer to this order was lost and after {} s its \
                         order book has no order tagged {}, so it was not placed; it is not sent \
                         again (a trigger must not fire late)",
                        (now - at) / 1000,
                        intent.request.tag.as_str()
                    );
                    out.push(
                        self.apply(&intent, IntentEvent::Refused { reason: &reason })
                            .await?,
                    );
                }
                // An exit of units held outside the app, recorded and never sent (a crash between
                // the two): the positions may have changed since, and a late sell of units no
                // longer held opens a short. The trader presses Exit again.
                (Reconciliation::Send, _, None)
                    if intent.outside_exit && now - intent.created_ms > OUTSIDE_EXIT_STALE_MS =>
                {
                    let reason = format!(
                        "not sent: this exit of units held outside the app was recorded {} s ago \
                         and never reached the broker (the app stopped meanwhile); what the \
                         broker holds may have changed, so it is not sent late — exit again from \
                         the Account page if the units are still there",
                        (now - intent.created_ms) / 1000
                    );
                    out.push(
                        self.apply(&intent, IntentEvent::Refused { reason: &reason })
                            .await?,
                    );
                }
                // Any other order recorded and never sent, found late: its prices are gone.
                (Reconciliation::Send, _, None) if now - intent.created_ms > UNSENT_STALE_MS => {
                    let reason = format!(
                        "not sent: this order was recorded {} s ago and never reached the broker \
                         (no workers process was running to send it, the app stopped before it \
                         could, or the broker did not answer meanwhile); prices have moved \
                         since, so it is not sent late — place it again if you still want it",
                        (now - intent.created_ms) / 1000
                    );
                    out.push(
                        self.apply(&intent, IntentEvent::Refused { reason: &reason })
                            .await?,
                    );
                }
                (Reconciliation::Send, _, None) => out.push(self.send(&intent).await?),
                _ => out.push(intent),
            }
        }
        *self
            .lookups_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = lookup_failed;
        Ok(out)
    }

    /// `reconcile_pending` while Kite's session is over (since `ended_ms`): nothing can be
    /// looked up or sent. An order recorded since it ended was never placed — no token could
    /// have placed it — so it is refused now with the reason (a web process's order placed
    /// meanwhile is not left pending). One recorded before may have reached Kite: it waits, and
    /// is looked up by its tag once Kite is connected again.
    async fn refuse_after_session_end(
        &self,
        pending: Vec<OrderIntent>,
        ended_ms: i64,
    ) -> Result<Vec<OrderIntent>, ExecError> {
        *self
            .lookups_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        let Some(reason) = self.session_refusal() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for intent in pending {
            if intent.created_ms >= ended_ms {
                out.push(
                    self.apply(&intent, IntentEvent::Refused { reason: &reason })
                        .await?,
                );
            }
        }
        Ok(out)
    }

    /// Why the last `reconcile_pending` left some pending orders unlooked-up, if it did (they
    /// are tried again within a second).
    pub fn lookups_failed(&self) -> Option<String> {
        self.lookups_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether a placement's answer is outstanding (sent, answer lost or not yet recorded), or
    /// a pending order could not be looked up: the caller runs `reconcile_pending` again within
    /// a second while it is.
    pub fn awaiting_answers(&self) -> bool {
        self.lookups_failed().is_some()
            || !self
                .attempted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
    }

    /// Brings every open intent (placed, partly filled) up to the broker's book. Order updates
    /// can be missed (a ticker reconnect, a reader that fell behind); this reads what they
    /// would have said. Returns the intents that changed.
    pub async fn sync_open(&self) -> Result<Vec<OrderIntent>, ExecError> {
        self.sync_where(|_| true).await
    }

    /// Brings the open GTTs up to the broker: a fired GTT's order carries no tag, so its fill
    /// reaches the intent only through this read (the other open orders have their updates).
    pub async fn sync_gtts(&self) -> Result<Vec<OrderIntent>, ExecError> {
        self.sync_where(|i| matches!(i.request.kind, OrderKind::Gtt { .. }))
            .await
    }

    async fn sync_where(
        &self,
        wanted: impl Fn(&OrderIntent) -> bool,
    ) -> Result<Vec<OrderIntent>, ExecError> {
        let (gtts, tagged): (Vec<OrderIntent>, Vec<OrderIntent>) = self
            .store
            .open()
            .await
            .map_err(ExecError::Store)?
            .into_iter()
            .filter(|i| wanted(i))
            .partition(|i| matches!(i.request.kind, OrderKind::Gtt { .. }));
        let mut changed = Vec::new();
        // A GTT lives outside the day's book and sends no update when it goes: one the broker
        // no longer has (deleted in Kite's own app, expired) is over, not unknown.
        for intent in gtts {
            let next = self.refresh(&intent).await?;
            if next != intent {
                changed.push(next);
            }
        }
        // The rest from one read of the book (`find_orders`): after a take-over, hundreds may
        // be open, and a read per order held the trading loop for minutes. One the book could
        // not be asked about waits for the next pass; the others go on.
        let lookups: Vec<(&OrderRequest, Option<&str>)> = tagged
            .iter()
            .map(|i| (&i.request, i.broker_order_id.as_deref()))
            .collect();
        let found = self.broker.find_orders(&lookups).await;
        let mut failed = None;
        for (intent, found) in tagged.iter().zip(found) {
            let order = match found {
                Ok(Some(order)) => order,
                Ok(None) => continue,
                Err(e) => {
                    self.note(&e);
                    failed.get_or_insert(e);
                    continue;
                }
            };
            let next = self.apply(intent, IntentEvent::Order(&order)).await?;
            if &next != intent {
                changed.push(next);
            }
        }
        match failed {
            Some(e) if changed.is_empty() => Err(ExecError::Broker(e)),
            _ => Ok(changed),
        }
    }

    /// Asks the broker to cancel an order it has (placed or partly filled), saying `why` on
    /// its record first; the cancellation arrives as an order update. An order still pending
    /// here cannot be cancelled yet.
    pub async fn cancel(&self, intent: &OrderIntent, why: &str) -> Result<(), BrokerError> {
        let refused = |message: String| BrokerError {
            kind: BrokerErrorKind::Rejected,
            message,
        };
        match (&intent.broker_order_id, intent.state) {
            (_, state) if state.is_final() => Err(refused(format!(
                "order #{} is already {}; only open orders can be cancelled",
                intent.id,
                match state {
                    IntentState::Filled => "filled",
                    IntentState::Rejected => "rejected",
                    _ => "cancelled",
                }
            ))),
            (Some(_), _) if let Some(reason) = self.session_refusal() => Err(refused(reason)),
            (Some(order_id), _) => {
                self.record_cancel_reason(intent.id, why).await;
                let answer = self.broker.cancel_order(order_id).await;
                if let Err(e) = &answer {
                    self.note(e);
                }
                answer
            }
            (None, _) => Err(refused(format!(
                "order #{} is still being sent to the broker; cancel it once it shows open",
                intent.id
            ))),
        }
    }

    /// Puts `why` on order `id`'s record before it is cancelled: Kite's cancelled order
    /// carries no message, so without it the Orders page showed an order the app cancelled
    /// (a stop order taken back for an exit at market, the kill switch's entries) as
    /// cancelled with no reason. The order's end keeps it (`advance`: the broker's message,
    /// else the one recorded). Best effort: a record that keeps changing under it, or a store
    /// that cannot answer, leaves the cancel to go on without it.
    async fn record_cancel_reason(&self, id: i64, why: &str) {
        for _ in 0..3 {
            let Ok(Some(current)) = self.store.by_id(id).await else {
                return;
            };
            if current.state.is_final() || current.reason.as_deref() == Some(why) {
                return;
            }
            let mut next = current.clone();
            next.reason = Some(why.to_owned());
            next.updated_ms = self.clock.now_ms();
            if !matches!(self.store.update(&next, &current).await, Ok(false)) {
                return;
            }
        }
    }

    /// Asks the broker to change open entry order `intent` to `request`'s quantity and
    /// pricing (instrument, side, product and tag stay as they are), after the risk gate's
    /// per-order limits. Returns the record as the broker's book then shows it; the order
    /// updates carry the change too, so a lost answer still ends with the record right.
    pub async fn modify(
        &self,
        intent: &OrderIntent,
        request: &OrderRequest,
    ) -> Result<OrderIntent, BrokerError> {
        let refused = |message: String| BrokerError {
            kind: BrokerErrorKind::Rejected,
            message,
        };
        if intent.state.is_final() {
            return Err(refused(format!(
                "order #{} has ended ({}); only open orders can be modified",
                intent.id,
                match intent.state {
                    IntentState::Filled => "filled",
                    IntentState::Rejected => "rejected",
                    _ => "cancelled",
                }
            )));
        }
        if intent.closes.is_some() {
            return Err(refused(format!(
                "order #{} exits a trade and is managed by the trade monitor; use Exit on the \
                 Trades page instead",
                intent.id
            )));
        }
        if intent.outside_exit {
            return Err(refused(format!(
                "order #{} exits a position held outside the app at market; cancel it instead",
                intent.id
            )));
        }
        let Some(order_id) = &intent.broker_order_id else {
            return Err(refused(format!(
                "order #{} is still being sent to the broker; modify it once it shows open",
                intent.id
            )));
        };
        if request.quantity <= intent.filled_quantity {
            return Err(refused(format!(
                "order #{} has {} filled already; the new quantity must be more than that",
                intent.id, intent.filled_quantity
            )));
        }
        let mut changed = intent.clone();
        changed.request.quantity = request.quantity;
        changed.request.kind = request.kind;
        if changed.request == intent.request {
            return Err(refused(
                "that is the order as it stands; change the quantity or a price".to_owned(),
            ));
        }
        self.gate
            .check_change(&changed)
            .await
            .map_err(|problem| refused(format!("risk check: {problem}")))?;
        if let Some(reason) = self.session_refusal() {
            return Err(refused(reason));
        }
        if let Err(e) = self.broker.modify_order(order_id, &changed.request).await {
            self.note(&e);
            return Err(e);
        }
        // The change is made; the book says how it now stands. If it cannot be read now, the
        // order update brings the same news.
        let Ok(Some(order)) = self
            .broker
            .find_order(&intent.request, intent.broker_order_id.as_deref())
            .await
        else {
            return Ok(intent.clone());
        };
        let current = match self.store.by_id(intent.id).await {
            Ok(Some(current)) => current,
            _ => return Ok(intent.clone()),
        };
        // A failure to record it here is not the trader's to retry: the change is made, and
        // the order update records it.
        Ok(self
            .apply(&current, IntentEvent::Order(&order))
            .await
            .unwrap_or(current))
    }

    /// One recorded intent, as stored.
    pub async fn intent(&self, id: i64) -> Result<Option<OrderIntent>, ExecError> {
        self.store.by_id(id).await.map_err(ExecError::Store)
    }

    /// Brings one placed intent up to the broker's book now (after a cancel, before acting on
    /// it). An order today's book no longer has (a day order the day ended, a broker that
    /// restarted) is over: recorded as cancelled with that reason, its fills as they were.
    pub async fn refresh(&self, intent: &OrderIntent) -> Result<OrderIntent, ExecError> {
        if intent.state.is_final() || intent.state == IntentState::Pending {
            return Ok(intent.clone());
        }
        let found = self
            .broker
            .find_order(&intent.request, intent.broker_order_id.as_deref())
            .await
            .map_err(|e| {
                self.note(&e);
                ExecError::Broker(e)
            })?;
        let order = match found {
            Some(order) => order,
            None => BrokerOrder {
                order_id: intent.broker_order_id.clone().unwrap_or_default(),
                tag: Some(intent.request.tag.clone()),
                status: OrderStatus::Cancelled,
                quantity: intent.request.quantity,
                kind: Some(intent.request.kind),
                filled_quantity: intent.filled_quantity,
                average_price: intent.average_price,
                status_message: Some(
                    if let OrderKind::Gtt { .. } = intent.request.kind {
                        "the broker no longer has this GTT (deleted in Kite's own app, or \
                         expired)"
                    } else {
                        "the broker's order book no longer has this order (a day order ends \
                         with the day)"
                    }
                    .to_owned(),
                ),
            },
        };
        // From the record as stored, not the caller's copy: the compare-and-set checks the
        // state and the fills only, so an older copy would write over what was recorded since
        // (the reason `cancel` put on it).
        let current = match self.store.by_id(intent.id).await {
            Ok(Some(current)) => current,
            _ => intent.clone(),
        };
        self.apply(&current, IntentEvent::Order(&order)).await
    }

    /// Changes a standing exit order of the trade monitor's (a protective stop: its quantity
    /// as the trade grows, its trigger as the trailing stop moves). An exit is never refused by
    /// the risk gate; an ended broker session refuses it. Returns the record as the book then
    /// shows it.
    pub async fn amend(
        &self,
        intent: &OrderIntent,
        request: &OrderRequest,
    ) -> Result<OrderIntent, BrokerError> {
        let refused = |message: String| BrokerError {
            kind: BrokerErrorKind::Rejected,
            message,
        };
        if intent.closes.is_none() || intent.state.is_final() {
            return Err(refused(format!(
                "order #{} is not a standing exit order",
                intent.id
            )));
        }
        let Some(order_id) = &intent.broker_order_id else {
            return Err(refused(format!(
                "order #{} is still being sent to the broker",
                intent.id
            )));
        };
        if let Some(reason) = self.session_refusal() {
            return Err(refused(reason));
        }
        let mut changed = intent.clone();
        changed.request.quantity = request.quantity;
        changed.request.kind = request.kind;
        if let Err(e) = self.broker.modify_order(order_id, &changed.request).await {
            self.note(&e);
            return Err(e);
        }
        Ok(self.refresh(intent).await.unwrap_or(changed))
    }

    /// Asks the broker to cancel every open entry order (exits are left to fill). Returns how
    /// many it accepted and what it refused; the cancellations arrive as order updates.
    pub async fn cancel_open_entries(&self) -> Result<(u32, Vec<String>), ExecError> {
        let open = self.store.open().await.map_err(ExecError::Store)?;
        let mut cancelled = 0;
        let mut problems = Vec::new();
        for intent in open.iter().filter(|i| i.is_entry()) {
            match self.cancel(intent, "cancelled by the kill switch").await {
                Ok(()) => cancelled += 1,
                Err(e) => problems.push(format!("order #{} was not cancelled: {e}", intent.id)),
            }
        }
        Ok((cancelled, problems))
    }

    /// The newest `limit` orders this account's executor recorded, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<OrderIntent>, ExecError> {
        self.store.recent(limit).await.map_err(ExecError::Store)
    }

    /// An order update from the broker (ticker or postback): moves its intent on, if it has
    /// one of ours.
    pub async fn on_order_update(
        &self,
        order: &BrokerOrder,
    ) -> Result<Option<OrderIntent>, ExecError> {
        let Some(tag) = &order.tag else {
            return Ok(None);
        };
        let Some(intent) = self.store.by_tag(tag).await.map_err(ExecError::Store)? else {
            return Ok(None);
        };
        self.apply(&intent, IntentEvent::Order(order))
            .await
            .map(Some)
    }
}
