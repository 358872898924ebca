//! Ports: the traits services depend on. The server implements them with real adapters
//! (sqlx, the demo feed, the system clock); tests may implement them with plain values.
//!
//! Over 500 lines: every port in one file, so a newcomer finds any of them in a minute.

use async_trait::async_trait;

mod store_error;
pub use store_error::StoreError;

use crate::model::{
    Alert, AlertEvent, AlertId, AtoSpec, BrokerAlert, BrokerAlertFiring, BrokerAlertHistoryEntry,
    BrokerAlertMirror, BrokerAlertSpec, BrokerOrder, BrokerPosition, Candle, FeedChange,
    FeedFigures, InstrumentToken, KillSwitch, KiteStatus, LastTrigger, Level, LevelId,
    LevelLogEntry, MarginNeed, Mismatch, OrderIntent, OrderRequest, OrderTag, RiskLimits, Role,
    StateChange, StoredLevel, StoredUser, SuspendedBrokerAlert, Tick, TotpEnrolment, Trade,
    TradeId, User, UserId, Watchlist, WatchlistItem, WebhookDelivery, WebhookSaved, WebhookView,
    WorkerState,
};
use crate::services::service_error::ServiceError;

/// Reachability of the database.
#[async_trait]
pub trait DatabaseProbe: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// A round trip to the database; the error says what failed, without credentials.
    async fn ping(&self) -> Result<(), String>;
}

/// The latest market data the server holds.
pub trait MarketData: Send + Sync {
    /// The newest tick of each of `tokens` that has one, in the order asked.
    fn latest(&self, tokens: &[InstrumentToken]) -> Vec<Tick>;
    /// When the feed last delivered an update (Unix ms), if ever.
    fn last_update_ms(&self) -> Option<i64>;
}

/// Which instruments a subscriber of the tick bus follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Every instrument (monitors).
    All,
    Only(Vec<InstrumentToken>),
}

/// One subscriber's end of the tick bus. What it has not taken yet is conflated: the newest
/// tick per instrument, never a growing queue, so a slow subscriber cannot slow the feed.
#[async_trait]
pub trait TickSubscription: Send + Sync {
    /// Waits until something is pending, then takes all of it (oldest-pending instrument
    /// first). `None` once the bus has shut down.
    async fn next_batch(&self) -> Option<Vec<Tick>>;
    /// Replaces what this subscriber follows; pending ticks of dropped instruments are discarded.
    fn follow(&self, interest: Interest);
}

/// Fan-out of ticks from the price service to everyone in the process (in-process) or on other
/// machines (a later, cross-process implementation).
pub trait TickBus: Send + Sync {
    /// One publish per tick; never waits for a subscriber.
    fn publish(&self, tick: &Tick);
    fn subscribe(&self, interest: Interest) -> Box<dyn TickSubscription>;
}

/// Past prices, to draw a chart before the live candles existed.
#[async_trait]
pub trait HistoricalPrices: Send + Sync {
    /// 1-minute candles of `token` in `[from_ms, to_ms]`, oldest first.
    async fn minute_candles(
        &self,
        token: InstrumentToken,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Candle>, String>;
}

/// Where watchlists are kept. Every call is one transaction: a failure leaves what was stored.
#[async_trait]
pub trait WatchlistStore: Send + Sync {
    /// The owner's lists in display order, each with its items in order.
    async fn lists(&self, owner: &str) -> Result<Vec<Watchlist>, StoreError>;
    /// Appends a new, empty list; returns its id.
    async fn create(&self, owner: &str, name: &str) -> Result<i64, StoreError>;
    /// `false` when the owner has no such list.
    async fn rename(&self, owner: &str, id: i64, name: &str) -> Result<bool, StoreError>;
    async fn delete(&self, owner: &str, id: i64) -> Result<bool, StoreError>;
    /// Replaces the list's items, in this order.
    async fn set_items(
        &self,
        owner: &str,
        id: i64,
        items: &[WatchlistItem],
    ) -> Result<bool, StoreError>;
    /// Replaces the list's items only if they are still `expected` (the instruments, in order)
    /// — checked under the list's write lock, so two edits at once never lose one. `Ok(None)`
    /// when they changed meanwhile (read again and retry), `Ok(Some(false))` when the owner
    /// has no such list.
    async fn replace_items(
        &self,
        owner: &str,
        id: i64,
        expected: &[WatchlistItem],
        items: &[WatchlistItem],
    ) -> Result<Option<bool>, StoreError>;
}

/// Leases in the database: which server process may do a piece of work (today, trading) while
/// others wait. A lease is held until it expires unless its holder renews it.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes lease `name` for `holder` until `now_ms + ttl_ms` if it is free, lapsed, or
    /// already `holder`'s (a renewal). `Ok(false)`: another holder has it.
    async fn acquire(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Gives it up, if `holder` has it (a clean shutdown lets the standby in at once).
    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError>;
    /// Who holds it and until when, if anyone ever did.
    async fn holder(&self, name: &str) -> Result<Option<(String, i64)>, StoreError>;
}

/// Whether this server process may send orders now: it holds the trading lease. A standby
/// process (another one holds it) sends nothing, so two processes never trade one account.
pub trait TradingLease: Send + Sync {
    fn held(&self) -> bool;
    /// Why it is not held, when the reason is not that another process holds it (the last
    /// renewal failed: the database did not answer). Refusals say so instead of "standby".
    fn lapsed_because(&self) -> Option<String> {
        None
    }
}

/// The background workers' supervisor, as the web side sees it.
pub trait WorkerControl: Send + Sync {
    /// Every worker, in the order they were started.
    fn states(&self) -> Vec<WorkerState>;
    /// Starts worker `name` again (a failed one, or a running one afresh); `false` when there
    /// is no such worker.
    fn restart(&self, name: &str) -> bool;
}

/// The event bus's figures, for the System card.
pub trait BusStats: Send + Sync {
    fn status(&self) -> crate::model::BusStatus;
}

/// Tells the other server processes that this one changed part of what they keep in memory
/// (when the web side and the workers run apart; one process alone needs no telling). Never
/// waits: an announcement that cannot go out is logged, and the housekeeping reloads catch up.
pub trait ChangeNotifier: Send + Sync {
    fn changed(&self, what: StateChange);
}

/// Whether a process that sends orders is there to take one that a web process running apart
/// records and leaves to the workers (`OrderExecutor::deferring`).
pub trait WorkersPresence: Send + Sync {
    /// Why no workers process would send an order recorded now (none heard from lately, the
    /// bus to them down), in words for the trader; `None` when one would.
    fn absent(&self) -> Option<String>;
}

/// What the workers' level trader is doing now, for a web process apart whose own trader sees
/// no ticks (`LevelTrader::with_live`).
pub trait LevelsLive: Send + Sync {
    /// The levels whose crossing the workers are confirming, as they last said.
    fn confirming(&self) -> Vec<LevelId>;
}

/// Wall-clock time, so services never read the system clock themselves.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// What a broker call's failure means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerErrorKind {
    /// The broker refused the order or request (bad input, margin, rules): do not repeat it.
    Rejected,
    /// The session is gone: the user must log in to the broker again.
    Unauthorized,
    /// The broker or the path to it is failing; nothing was done. Safe to try later.
    Unavailable,
    /// An order may or may not have been placed: look it up by its tag before anything else.
    Uncertain,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BrokerError {
    pub kind: BrokerErrorKind,
    /// Says what went wrong in words a trader understands; never holds credentials.
    pub message: String,
}

/// Where order intents are kept: written before the broker is called, so a crash between any
/// two steps leaves a record to reconcile. Errors are messages for the log and the user.
#[async_trait]
pub trait IntentStore: Send + Sync {
    /// Records a new intent and returns its id. A tag already used is refused (`Ok(None)`), so
    /// the caller can pick another.
    async fn insert(&self, intent: &OrderIntent) -> Result<Option<i64>, StoreError>;
    /// Writes `next`'s state, broker order id, fills, reason and request (a modification) —
    /// only if the stored intent is still as `from` left it (same state and fills). `Ok(false)`
    /// when it changed meanwhile (an order update raced the placement's answer): read it again
    /// and re-apply.
    async fn update(&self, next: &OrderIntent, from: &OrderIntent) -> Result<bool, StoreError>;
    /// Every intent still pending, oldest first.
    async fn pending(&self) -> Result<Vec<OrderIntent>, StoreError>;
    /// Every intent the broker has and has not finished (placed or partly filled), oldest first.
    async fn open(&self) -> Result<Vec<OrderIntent>, StoreError>;
    async fn by_tag(&self, tag: &OrderTag) -> Result<Option<OrderIntent>, StoreError>;
    async fn by_id(&self, id: i64) -> Result<Option<OrderIntent>, StoreError>;
    /// The newest `limit` intents, newest first (the order book the UI shows).
    async fn recent(&self, limit: u32) -> Result<Vec<OrderIntent>, StoreError>;
    /// The ids of the entry orders (not exits) recorded at or after `since_ms`.
    async fn entries_since(&self, since_ms: i64) -> Result<Vec<i64>, StoreError>;
}

/// Where alerts and their history are kept. Each call is one transaction; errors are messages
/// for the log and the user. A deleted alert is kept (its history stays readable) but no
/// longer listed.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a new alert (its `id`, counts and times as given are ignored); returns it stored.
    async fn insert(&self, alert: &Alert, now_ms: i64) -> Result<Alert, StoreError>;
    /// Replaces an alert's condition, repeat, window, note and enabled flag and arms it again
    /// (an edited alert watches anew). `Ok(None)`: no such alert.
    async fn update(&self, alert: &Alert, now_ms: i64) -> Result<Option<Alert>, StoreError>;
    /// Enables or disables; enabling a fired one-shot alert arms it again.
    async fn set_enabled(
        &self,
        id: AlertId,
        enabled: bool,
        now_ms: i64,
    ) -> Result<Option<Alert>, StoreError>;
    async fn delete(&self, id: AlertId, now_ms: i64) -> Result<bool, StoreError>;
    async fn get(&self, id: AlertId) -> Result<Option<Alert>, StoreError>;
    /// Every alert not deleted, newest first.
    async fn list(&self) -> Result<Vec<Alert>, StoreError>;
    /// Records one firing: appends `event` and counts it on the alert (a one-shot alert, `done`,
    /// becomes fired) — only if the alert is still armed, enabled and not deleted.
    /// `Ok(None)`: it changed meanwhile, and nothing was written.
    async fn record_fired(
        &self,
        event: &AlertEvent,
        done: bool,
    ) -> Result<Option<AlertEvent>, StoreError>;
    /// Firings newest first: of one alert, or of all.
    async fn history(
        &self,
        alert: Option<AlertId>,
        limit: u32,
    ) -> Result<Vec<AlertEvent>, StoreError>;
}

/// The live feed's figures (the Settings page's feed card).
#[async_trait]
pub trait FeedStats: Send + Sync {
    async fn figures(&self) -> FeedFigures;
}

/// How far each user has read the notification centre.
#[async_trait]
pub trait NotificationReads: Send + Sync {
    async fn read_until(&self, user: UserId) -> Result<Option<i64>, StoreError>;
    /// Moves the mark to `until_ms`, never back.
    async fn mark_read(&self, user: UserId, until_ms: i64) -> Result<(), StoreError>;
}

/// The broker's own alerts (Kite's Alerts API): alerts that only tell. Placing orders is not
/// here but in `BrokerOrderAlerts`, which only a venue that sends orders to the broker has.
#[async_trait]
pub trait BrokerAlerts: Send + Sync {
    /// Every alert the broker keeps for the account.
    async fn list(&self) -> Result<Vec<BrokerAlert>, BrokerError>;
    async fn create(&self, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError>;
    /// Replaces alert `id` with `spec` (a simple alert).
    async fn modify(&self, id: &str, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError>;
    async fn delete(&self, id: &str) -> Result<(), BrokerError>;
    /// Its firings, as the broker recorded them, oldest first.
    async fn history(&self, id: &str) -> Result<Vec<BrokerAlertHistoryEntry>, BrokerError>;
}

/// Alerts that place orders at the broker when they fire (Kite's ATO). A paper venue has none:
/// its orders never reach the broker.
#[async_trait]
pub trait BrokerOrderAlerts: Send + Sync {
    async fn create_ato(&self, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError>;
    async fn modify_ato(&self, id: &str, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError>;
}

/// The app's copy of the broker's alerts and the firings it saw. Each call is one transaction.
#[async_trait]
pub trait BrokerAlertStore: Send + Sync {
    async fn mirror(&self) -> Result<BrokerAlertMirror, StoreError>;
    /// Stores one alert as the broker just answered it (a create or modify through the app, at
    /// `now_ms`). A stored alert keeps its count: only a sync raises it, recording the firings.
    async fn put(&self, alert: &BrokerAlert, now_ms: i64) -> Result<(), StoreError>;
    async fn remove(&self, id: &str) -> Result<(), StoreError>;
    /// Replaces the mirror with the broker's list asked for at `now_ms` (an alert stored after
    /// that moment is newer than the list, and stays) and records `firings` (each
    /// `(alert_id, seq)` once); returns the firings that were new.
    async fn replace(
        &self,
        alerts: &[BrokerAlert],
        firings: &[BrokerAlertFiring],
        now_ms: i64,
    ) -> Result<Vec<BrokerAlertFiring>, StoreError>;
    /// Notes that reading the broker's list failed (the mirror stays as it was).
    async fn sync_failed(&self, error: &str, now_ms: i64) -> Result<(), StoreError>;
    /// The firings seen, newest first.
    async fn firings(&self, limit: u32) -> Result<Vec<BrokerAlertFiring>, StoreError>;
    /// Keeps `alert` as the kill switch took it, before it is deleted at the broker (a second
    /// call for the same id keeps the first: a retried suspension changes nothing).
    async fn suspend(&self, alert: &BrokerAlert, now_ms: i64) -> Result<(), StoreError>;
    /// The alerts the kill switch took, oldest first.
    async fn suspended(&self) -> Result<Vec<SuspendedBrokerAlert>, StoreError>;
    /// Forgets one suspended alert (put back at the broker, or let go by the trader); `false`
    /// when there was none by that id.
    async fn unsuspend(&self, id: &str) -> Result<bool, StoreError>;
}

/// Where levels and their audit log are kept. Each call is one transaction; errors are
/// messages for the log and the user.
#[async_trait]
pub trait LevelStore: Send + Sync {
    /// Every level not deleted, oldest first.
    async fn levels(&self) -> Result<Vec<StoredLevel>, StoreError>;
    async fn level(&self, id: LevelId) -> Result<Option<StoredLevel>, StoreError>;
    /// The level's definition even if it was deleted since: a trade its order opened keeps
    /// the target and stop the trader set.
    async fn definition(&self, id: LevelId) -> Result<Option<Level>, StoreError>;
    /// Stores a new level, armed; returns it with its id.
    async fn insert(&self, level: &Level, now_ms: i64) -> Result<StoredLevel, StoreError>;
    /// Stores all of `levels` (armed) in one transaction, or none of them; in order.
    async fn insert_many(
        &self,
        levels: &[Level],
        now_ms: i64,
    ) -> Result<Vec<StoredLevel>, StoreError>;
    /// Replaces a level's definition and arms it again (an edited level is a new level to
    /// watch) — only if it is still as it was at `seen_updated_ms` (a trigger, a re-arm or
    /// another edit since changes that). `Ok(None)` when there is no such level or it changed.
    async fn update(
        &self,
        level: &Level,
        seen_updated_ms: i64,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError>;
    async fn set_enabled(
        &self,
        id: LevelId,
        enabled: bool,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError>;
    /// Marks it deleted (kept for the audit log and an undo); `false` when there is none.
    async fn delete(&self, id: LevelId, now_ms: i64) -> Result<bool, StoreError>;
    /// Brings a deleted level back as it was.
    async fn restore(&self, id: LevelId, now_ms: i64) -> Result<Option<StoredLevel>, StoreError>;
    /// Disarms the level, writes `entries` in order (its `Triggered` record, after the crossing
    /// that led to it when that came with the same prices) and records `order` (the trigger's
    /// pending order intent; its `id` is set) in one transaction — only if the level is still
    /// armed, enabled and not deleted. So a crash leaves either nothing or a disarmed level with
    /// its pending order to reconcile: never a trigger without its order. One transaction is
    /// one commit on the way to the order. `Ok(false)`, writing nothing, means someone else
    /// fired it or it went away.
    async fn record_trigger(
        &self,
        id: LevelId,
        trigger: LastTrigger,
        entries: &[LevelLogEntry],
        order: Option<&mut OrderIntent>,
    ) -> Result<bool, StoreError>;
    /// Arms a triggered level again and writes `entry` (its `Rearmed` record).
    async fn record_rearm(&self, id: LevelId, entry: &LevelLogEntry) -> Result<bool, StoreError>;
    async fn append_log(&self, entry: &LevelLogEntry) -> Result<(), StoreError>;
    /// The newest `limit` log entries (of one level, or of all), newest first.
    async fn log(
        &self,
        level: Option<LevelId>,
        limit: u32,
    ) -> Result<Vec<LevelLogEntry>, StoreError>;
}

/// Where trades are kept. Each call is one transaction; updates are compare-and-set on the
/// trade's `version`, so two writers never overwrite each other. Errors are messages for the
/// log and the user.
#[async_trait]
pub trait TradeStore: Send + Sync {
    /// Stores the trade an entry order opened; returns it with its id and version. `Ok(None)`
    /// when that entry order already has a trade (the news came twice).
    async fn insert(&self, trade: &Trade) -> Result<Option<Trade>, StoreError>;
    /// Writes `trade` if the stored one still has `trade.version`; returns it as stored (the
    /// version bumped). `Ok(None)` when it changed meanwhile: read it again.
    async fn update(&self, trade: &Trade) -> Result<Option<Trade>, StoreError>;
    /// Records the exit order `exit` (pending; its `id` is set) and writes `trade` (which must
    /// be `Exiting`; its `exit_intent` is set to the new order) in one transaction, only if the
    /// stored trade still has `trade.version`. So a crash leaves either an open trade or an
    /// exiting one with its pending exit order: never an exit sent twice or lost.
    async fn begin_exit(
        &self,
        trade: &Trade,
        exit: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError>;
    /// Records the protective stop order `order` (pending; its `id` is set) and writes `trade`
    /// (which must be `Open`; its `protective` is set to the new order) in one transaction,
    /// only if the stored trade still has `trade.version`. So a crash never leaves a stop order
    /// at the broker that its trade does not know of (a second one would exit twice).
    async fn begin_protection(
        &self,
        trade: &Trade,
        order: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError>;
    async fn trade(&self, id: TradeId) -> Result<Option<Trade>, StoreError>;
    async fn by_entry(&self, entry_intent: i64) -> Result<Option<Trade>, StoreError>;
    /// Every trade open or exiting, oldest first.
    async fn active(&self) -> Result<Vec<Trade>, StoreError>;
    /// The newest `limit` trades, newest first.
    async fn recent(&self, limit: u32) -> Result<Vec<Trade>, StoreError>;
    /// Every trade closed at or after `since_ms`, oldest first.
    async fn closed_since(&self, since_ms: i64) -> Result<Vec<Trade>, StoreError>;
    /// Order intents whose news the trades do not reflect yet (a fill with no trade, or fewer
    /// units than filled; an exit that ended while its trade is still exiting): what a crash
    /// between the order's update and the trade's left behind. Only intents updated at or
    /// after `since_ms` (older fills are history, not a crash to repair). Oldest first.
    async fn unapplied(&self, since_ms: i64) -> Result<Vec<OrderIntent>, StoreError>;
}

/// Where the account's risk limits and its kill switch are kept.
#[async_trait]
pub trait RiskStore: Send + Sync {
    /// `Ok(None)` when the account never set them (the defaults apply).
    async fn limits(&self) -> Result<Option<RiskLimits>, StoreError>;
    async fn set_limits(&self, limits: &RiskLimits, now_ms: i64) -> Result<(), StoreError>;
    async fn kill_switch(&self) -> Result<Option<KillSwitch>, StoreError>;
    /// Engages (`Some`) or releases (`None`) the kill switch.
    async fn set_kill_switch(
        &self,
        state: Option<&KillSwitch>,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// The broker positions the app's trades did not explain when last read, with their
    /// acknowledgments (empty when there were none).
    async fn mismatches(&self) -> Result<Vec<Mismatch>, StoreError>;
    /// Replaces them, whole.
    async fn set_mismatches(&self, mismatches: &[Mismatch], now_ms: i64) -> Result<(), StoreError>;
}

/// Where the paper account keeps when it was last reset.
#[async_trait]
pub trait PaperStore: Send + Sync {
    /// `Ok(None)` when it was never reset.
    async fn last_reset_ms(&self) -> Result<Option<i64>, StoreError>;
    async fn record_reset(&self, now_ms: i64) -> Result<(), StoreError>;
}

/// Where orders go: Kite's REST API, or the paper broker. The trading engine depends on this
/// port only, so which one it talks to is decided once, where the app is assembled.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Places an order and returns the broker's order id. An outcome the broker may or may
    /// not have acted on (a lost or unreadable answer) is reported at once as
    /// `BrokerErrorKind::Uncertain`, without waiting or looking: the order executor resolves
    /// it by the tag (`order_by_tag`), and nothing else does.
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError>;
    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError>;
    /// Changes open order `order_id` to `order`'s quantity and pricing (its instrument, side,
    /// product and tag stay). The book and the order updates show the change once it is made.
    async fn modify_order(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError>;
    /// Today's newest order carrying `tag`.
    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError>;
    /// The order placed for `request` (`order_id`: the id the broker gave it, once known), as
    /// the broker's book shows it now. By its tag, unless the broker keeps it where no tag goes
    /// (Kite's GTTs: by the trigger's id, or — its placement's answer lost — by what it holds).
    async fn find_order(
        &self,
        request: &OrderRequest,
        _order_id: Option<&str>,
    ) -> Result<Option<BrokerOrder>, BrokerError> {
        self.order_by_tag(&request.tag).await
    }
    /// `find_order` for several orders at once: an answer for each, in order. A broker that
    /// can read its whole book in one call answers them all from one read (a restart, or the
    /// workers sending what a web process recorded, may look up dozens).
    async fn find_orders(
        &self,
        wanted: &[(&OrderRequest, Option<&str>)],
    ) -> Vec<Result<Option<BrokerOrder>, BrokerError>> {
        let mut found = Vec::with_capacity(wanted.len());
        for (request, order_id) in wanted {
            found.push(self.find_order(request, *order_id).await);
        }
        found
    }
    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError>;
    /// The account's net positions now (every instrument and product held today or carried),
    /// including what was placed outside this app.
    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError>;
    /// What `orders` would need together and what the account has available for them, as the
    /// broker reckons margins (Kite's order and basket margins against its funds). `None`: a
    /// venue that keeps no margins (the paper broker checks its cash when it fills).
    async fn margin_needed(
        &self,
        _orders: &[OrderRequest],
    ) -> Result<Option<MarginNeed>, BrokerError> {
        Ok(None)
    }
    /// Delivery holdings (settled, and bought the day before and settling): what the broker
    /// keeps of delivery trades once they leave its positions. Empty for a venue whose
    /// positions keep them (the paper broker).
    async fn holdings(&self) -> Result<Vec<crate::model::HeldStock>, BrokerError> {
        Ok(Vec::new())
    }
    /// The account as the broker reports it besides its positions: funds and margins,
    /// holdings, today's order and trade books (everything, however it was placed). `None`: a
    /// venue that keeps no such statement.
    async fn statement(&self) -> Result<Option<crate::model::BrokerStatement>, BrokerError> {
        Ok(None)
    }
}

/// Where a broker's order updates go (the paper broker publishes its fills and cancels here; the
/// engine reads them like Kite's order updates).
pub trait OrderUpdates: Send + Sync {
    /// Never blocks: a reader that fell behind catches up from the broker's book.
    fn publish(&self, order: &BrokerOrder);
}

/// A live market-data feed the app subscribes instruments on.
pub trait MarketFeed: Send + Sync {
    /// Applies a change of subscriptions. Changes take effect in call order; never blocks.
    fn apply(&self, change: FeedChange);
    /// How many instruments the feed can follow at once.
    fn capacity(&self) -> usize;
}

/// What `UserStore::update` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleUpdate {
    Done,
    NoSuchUser,
    /// Refused: the user is the last enabled admin.
    LastAdmin,
}

/// Where app users are kept. Every call is one statement or transaction.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// How many users exist (none: the app asks for its first admin).
    async fn count(&self) -> Result<u64, StoreError>;
    async fn by_name(&self, username: &str) -> Result<Option<StoredUser>, StoreError>;
    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>, StoreError>;
    /// Every user, by username.
    async fn list(&self) -> Result<Vec<User>, StoreError>;
    /// Adds a user; `Ok(None)` when the username is taken, or — with `only_if_first` — when
    /// any user exists already (checked in the same statement, so two first-run forms sent
    /// at once make one admin).
    async fn insert(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        now_ms: i64,
        only_if_first: bool,
    ) -> Result<Option<UserId>, StoreError>;
    /// Counts one more wrong password in a row and returns the count (one atomic step).
    async fn add_failure(&self, id: UserId) -> Result<u32, StoreError>;
    /// A good sign-in: the failure count and any lock cleared.
    async fn record_login(&self, id: UserId, now_ms: i64) -> Result<(), StoreError>;
    /// Sets the role and the disabled flag, ending the user's sessions — unless that would
    /// leave no enabled admin, decided in the same write (two admins demoting each other at
    /// once cannot both succeed).
    async fn update(
        &self,
        id: UserId,
        role: Role,
        disabled: bool,
    ) -> Result<RoleUpdate, StoreError>;
    /// A new password hash (and, with `clear_totp`, the second factor off), in one write; ends
    /// the user's sessions.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        clear_totp: bool,
    ) -> Result<bool, StoreError>;
    /// Ends every session of the user.
    async fn end_sessions(&self, id: UserId) -> Result<bool, StoreError>;
    /// A TOTP secret being enrolled (sealed), or none.
    async fn set_totp_pending(&self, id: UserId, sealed: Option<&str>) -> Result<bool, StoreError>;
    /// The TOTP secret in use (sealed), or none (turned off); clears the pending one.
    async fn set_totp(&self, id: UserId, sealed: Option<&str>) -> Result<bool, StoreError>;
    /// Records that a sign-in used TOTP time `step`; `false` if that step (or a later one)
    /// was used already — the code was replayed.
    async fn use_totp_step(&self, id: UserId, step: i64) -> Result<bool, StoreError>;
}

/// The second factor's secrets: made, sealed and checked by the server (TOTP, RFC 6238).
pub trait SecondFactor: Send + Sync {
    /// A new secret: sealed (to store) and in base32 (for the user's app).
    fn new_secret(&self) -> Result<(String, String), String>;
    /// The time step `code` is valid for under the sealed secret (this step or the one either
    /// side), if it is.
    fn verify(&self, sealed: &str, code: &str, now_ms: i64) -> Option<i64>;
    /// The otpauth URL and its QR code (SVG) for `username`'s app.
    fn enrolment(&self, base32: &str, username: &str) -> Result<TotpEnrolment, String>;
}

/// How many sign-in attempts each username typed may have (known or not, alike): a few at
/// once, then one per interval. Kept by the server in memory (a rate limiter per username).
pub trait SignInThrottle: Send + Sync {
    /// Takes one attempt at `username`, or `Err(seconds to wait)` when its allowance is used.
    fn take(&self, username: &str) -> Result<(), u64>;
}

/// Password hashing (Argon2id on the server). Slow on purpose: the adapter runs it off the
/// async threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// The hash in PHC string form (algorithm, parameters and salt included).
    async fn hash(&self, password: &str) -> Result<String, String>;
    /// Whether `password` matches `hash`; a hash that cannot be read matches nothing.
    async fn verify(&self, password: &str, hash: &str) -> bool;
}

/// The account's outgoing webhook, for the Settings page: every alert firing is POSTed to it,
/// signed, and retried with back-off until the receiver takes it (or the attempts run out).
#[async_trait]
pub trait Webhooks: Send + Sync {
    /// The webhook and its newest `limit` deliveries.
    async fn view(&self, limit: u32) -> Result<WebhookView, ServiceError>;
    /// Sends firings to `url` from now on, signed with a new secret (returned this once).
    /// `Invalid` (the `url` field) when the URL is not one to send to; nothing changes then.
    async fn save(&self, url: &str) -> Result<WebhookSaved, ServiceError>;
    /// No webhook any more (deliveries still pending are dropped as failed).
    async fn remove(&self) -> Result<(), ServiceError>;
    /// Queues a test payload now; its delivery shows in the log. `Refused` without a webhook.
    async fn send_test(&self) -> Result<WebhookDelivery, ServiceError>;
}

/// The account's Kite connection, for the Settings page (the login redirect itself is an HTTP
/// route of the server's).
#[async_trait]
pub trait KiteConnection: Send + Sync {
    async fn status(&self) -> Result<KiteStatus, String>;
    /// Stores the Kite app's API key and secret (the secret encrypted). `Err` with the
    /// problems per field when they are not valid; nothing is stored then.
    async fn save_app(
        &self,
        api_key: &str,
        api_secret: &str,
    ) -> Result<Result<KiteStatus, Vec<crate::model::FieldProblem>>, String>;
    /// Ends the Kite session: invalidated at Kite, forgotten here.
    async fn disconnect(&self) -> Result<KiteStatus, String>;
}
