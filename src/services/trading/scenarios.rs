//! Scenarios of the order path on the core's test kit (in-memory stores, a scripted broker, a
//! manual clock): what reaches the broker, what the gate and the broker session stop, and how
//! an uncertain or interrupted placement ends — exactly one order — in milliseconds, at a fixed
//! time, with nothing real to start.

use std::sync::Arc;

use crate::model::{
    Exchange, IntentState, KillSwitch, OrderIntent, OrderKind, OrderRequest, OrderSide, OrderTag,
    Price, ProductKind, RiskLimits, TradeId,
};
use crate::ports::{Broker, Clock, IntentStore, MarketData, RiskStore};
use crate::services::instruments::InstrumentCatalog;
use crate::testing::{Answer, ManualClock, MemoryStore, NoTicks, ScriptedBroker, run};

use super::execution::executor::{LOST_ANSWER_SETTLE_MS, UNSENT_STALE_MS};
use super::{
    BrokerSession, EntryCount, OrderExecutor, Portfolio, PreTradeCheck, RiskGate, RiskState,
};

/// 2026-12-04 10:00 IST.
const NOW_MS: i64 = 1_796_358_600_000;

struct Desk {
    store: Arc<MemoryStore>,
    broker: Arc<ScriptedBroker>,
    clock: Arc<ManualClock>,
    state: Arc<RiskState>,
    session: Arc<BrokerSession>,
    gate: Arc<RiskGate>,
}

impl Desk {
    /// One account: `limits`, the switch off, a standing session, no trades.
    fn new(limits: RiskLimits) -> Desk {
        Desk::holding(limits, Portfolio::holding([]))
    }

    /// One account whose trade monitor holds `portfolio`.
    fn holding(limits: RiskLimits, portfolio: Portfolio) -> Desk {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::at(NOW_MS));
        let state = Arc::new(RiskState::new(limits, None));
        let session = Arc::new(BrokerSession::new(clock.clone() as Arc<dyn Clock>));
        session.started(NOW_MS - 60_000);
        let gate = Arc::new(RiskGate {
            state: state.clone(),
            intents: store.clone() as Arc<dyn IntentStore>,
            portfolio: Arc::new(portfolio),
            entries: EntryCount::default(),
            market: Arc::new(NoTicks) as Arc<dyn MarketData>,
            catalog: Arc::new(InstrumentCatalog::default()),
            clock: clock.clone() as Arc<dyn Clock>,
            stored: None,
        });
        Desk {
            store,
            broker: Arc::new(ScriptedBroker::default()),
            clock,
            state,
            session,
            gate,
        }
    }

    /// An executor as the server builds one (a restart builds a new one on the same store).
    fn executor(&self) -> OrderExecutor {
        OrderExecutor::new(
            self.store.clone() as Arc<dyn IntentStore>,
            self.broker.clone() as Arc<dyn Broker>,
            self.clock.clone() as Arc<dyn Clock>,
            self.gate.clone() as Arc<dyn PreTradeCheck>,
            self.session.clone(),
        )
    }
}

fn buy(quantity: u32) -> OrderRequest {
    OrderRequest {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".to_owned(),
        side: OrderSide::Buy,
        quantity,
        kind: OrderKind::Market,
        product: ProductKind::Intraday,
        tag: OrderTag::parse("replaced").unwrap(),
    }
}

fn limits(max_quantity: u32) -> RiskLimits {
    RiskLimits {
        max_order_quantity: Some(max_quantity),
        ..RiskLimits::NONE
    }
}

/// An exit of trade 1, recorded as the trade monitor records one, then sent.
fn send_exit(desk: &Desk, executor: &OrderExecutor, quantity: u32) -> OrderIntent {
    run(async {
        let mut exit = executor.prepare(None, buy(quantity));
        exit.request.side = OrderSide::Sell;
        exit.closes = Some(TradeId(1));
        exit.id = IntentStore::insert(desk.store.as_ref(), &exit)
            .await
            .unwrap()
            .unwrap();
        executor.send(&exit).await.unwrap()
    })
}

#[test]
fn an_order_over_a_limit_is_refused_before_the_broker_and_one_within_goes_out() {
    let desk = Desk::new(limits(5));
    let executor = desk.executor();
    let refused = run(executor.submit(None, buy(10))).unwrap();
    assert_eq!(refused.state, IntentState::Rejected);
    assert_eq!(
        refused.reason.as_deref(),
        Some("risk check: quantity 10 is above the limit of 5 per order")
    );
    assert!(desk.broker.book().is_empty(), "the broker never saw it");

    let placed = run(executor.submit(None, buy(5))).unwrap();
    assert_eq!(placed.state, IntentState::Placed);
    assert_eq!(desk.broker.placed_with(&placed.request.tag), 1);
}

#[test]
fn the_kill_switch_stops_every_entry_but_an_exit_still_goes_out() {
    let desk = Desk::new(RiskLimits::NONE);
    let executor = desk.executor();
    desk.state.set_kill_switch(Some(KillSwitch {
        engaged_ms: NOW_MS,
        squared_off: false,
    }));
    let entry = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(entry.state, IntentState::Rejected);
    assert!(
        entry
            .reason
            .as_deref()
            .unwrap()
            .starts_with("risk check: the kill switch is on"),
        "{entry:?}"
    );
    assert!(desk.broker.book().is_empty());

    // Exits reduce risk: the square-off must get through.
    let exit = send_exit(&desk, &executor, 1);
    assert_eq!(exit.state, IntentState::Placed, "{exit:?}");
    assert_eq!(desk.broker.book().len(), 1);
}

#[test]
fn a_switch_stored_by_another_process_holds_here_for_orders_and_ato_baskets() {
    // Workers apart from the web side: the gate reads the stored switch at every order, even
    // when this process's own state has not heard of it.
    let mut desk = Desk::new(RiskLimits::NONE);
    let gate = RiskGate {
        stored: Some(desk.store.clone() as Arc<dyn RiskStore>),
        state: desk.state.clone(),
        intents: desk.store.clone() as Arc<dyn IntentStore>,
        portfolio: Arc::new(Portfolio::holding([])),
        entries: EntryCount::default(),
        market: Arc::new(NoTicks) as Arc<dyn MarketData>,
        catalog: Arc::new(InstrumentCatalog::default()),
        clock: desk.clock.clone() as Arc<dyn Clock>,
    };
    desk.gate = Arc::new(gate);
    let executor = desk.executor();
    let switch = KillSwitch {
        engaged_ms: NOW_MS,
        squared_off: false,
    };
    run(desk.store.set_limits(&RiskLimits::NONE, NOW_MS)).unwrap();
    run(desk.store.set_kill_switch(Some(&switch), NOW_MS)).unwrap();
    assert!(!desk.state.halted(), "this process has not heard of it");

    let entry = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(entry.state, IntentState::Rejected, "{entry:?}");
    let basket = run(desk.gate.check_standing(&[buy(1)]));
    assert!(basket.unwrap_err().starts_with("the kill switch is on"));
    assert!(desk.broker.book().is_empty());

    // Released there: both go out again.
    run(desk.store.set_kill_switch(None, NOW_MS)).unwrap();
    assert_eq!(run(desk.gate.check_standing(&[buy(1)])), Ok(()));
    let entry = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(entry.state, IntentState::Placed);
}

#[test]
fn nothing_is_sent_once_the_broker_session_has_ended() {
    let desk = Desk::new(RiskLimits::NONE);
    let executor = desk.executor();
    desk.session
        .end_now(NOW_MS, "Kite ended the session at 06:00 IST");
    let refused = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(refused.state, IntentState::Rejected);
    assert!(desk.broker.book().is_empty());
    let exit = send_exit(&desk, &executor, 1);
    assert_eq!(
        exit.state,
        IntentState::Rejected,
        "no token, no exit either"
    );
}

#[test]
fn a_placement_whose_answer_was_lost_is_adopted_by_its_tag_never_placed_twice() {
    let desk = Desk::new(RiskLimits::NONE);
    desk.broker.script([Answer::LoseAnswer]);
    let executor = desk.executor();
    let uncertain = run(executor.submit(None, buy(2))).unwrap();
    assert_eq!(
        uncertain.state,
        IntentState::Pending,
        "unknown: left pending"
    );
    assert_eq!(desk.broker.placed_with(&uncertain.request.tag), 1);

    let resolved = run(executor.reconcile_pending()).unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].state, IntentState::Placed);
    assert_eq!(resolved[0].broker_order_id.as_deref(), Some("SCRIPTED-1"));
    assert!(run(executor.reconcile_pending()).unwrap().is_empty());
    assert_eq!(
        desk.broker.placed_with(&uncertain.request.tag),
        1,
        "exactly one order"
    );
    assert!(!executor.awaiting_answers());
}

#[test]
fn a_lost_placement_the_book_never_shows_is_refused_after_the_settle_time_never_resent() {
    let desk = Desk::new(RiskLimits::NONE);
    desk.broker.script([Answer::LoseRequest]);
    let executor = desk.executor();
    let uncertain = run(executor.submit(None, buy(2))).unwrap();
    assert_eq!(uncertain.state, IntentState::Pending);
    assert!(executor.awaiting_answers(), "the worker keeps asking");

    // The book may not show it yet: asked at once and a second later, it stays pending.
    let early = run(executor.reconcile_pending()).unwrap();
    assert_eq!(early[0].state, IntentState::Pending);
    desk.clock.advance(LOST_ANSWER_SETTLE_MS - 1);
    assert_eq!(
        run(executor.reconcile_pending()).unwrap()[0].state,
        IntentState::Pending
    );
    assert!(
        desk.broker.book().is_empty(),
        "nothing sent again meanwhile"
    );

    // The book has had its time: not placed, and not sent late.
    desk.clock.advance(1);
    let settled = run(executor.reconcile_pending()).unwrap();
    assert_eq!(settled[0].state, IntentState::Rejected);
    let reason = settled[0].reason.clone().unwrap();
    assert!(reason.contains("answer to this order was lost"), "{reason}");
    assert!(reason.contains(uncertain.request.tag.as_str()), "{reason}");
    assert!(desk.broker.book().is_empty());
    assert!(!executor.awaiting_answers());
    assert!(run(executor.reconcile_pending()).unwrap().is_empty());
}

#[test]
fn the_settle_time_counts_from_when_a_slow_answer_was_given_up_on() {
    let desk = Desk::new(RiskLimits::NONE);
    // The call hangs longer than the settle time before it is given up on.
    desk.broker.script([Answer::LoseRequestAfter(
        desk.clock.clone(),
        LOST_ANSWER_SETTLE_MS * 2,
    )]);
    let executor = desk.executor();
    let uncertain = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(uncertain.state, IntentState::Pending);
    // Asked at once: the book has not had its time since the answer was lost.
    assert_eq!(
        run(executor.reconcile_pending()).unwrap()[0].state,
        IntentState::Pending
    );
    desk.clock.advance(LOST_ANSWER_SETTLE_MS);
    assert_eq!(
        run(executor.reconcile_pending()).unwrap()[0].state,
        IntentState::Rejected
    );
}

#[test]
fn a_crash_between_recording_and_sending_sends_once_after_the_restart() {
    let desk = Desk::new(RiskLimits::NONE);
    let recorded = run(desk.executor().record(None, buy(3))).unwrap();
    assert!(desk.broker.book().is_empty());
    // The process dies here; a new one starts on the same store.
    desk.clock.advance(5_000);
    let restarted = desk.executor();
    let sent = run(restarted.reconcile_pending()).unwrap();
    assert_eq!(sent[0].state, IntentState::Placed);
    assert!(run(restarted.reconcile_pending()).unwrap().is_empty());
    assert_eq!(desk.broker.placed_with(&recorded.request.tag), 1);
}

#[test]
fn an_order_the_book_could_not_be_asked_about_waits_a_second_while_the_others_go() {
    let desk = Desk::new(RiskLimits::NONE);
    let first = run(desk.executor().record(None, buy(1))).unwrap();
    let second = run(desk.executor().record(None, buy(2))).unwrap();
    // Sent by a process that did not record them (a restart, the workers for a web process):
    // each is looked up by its tag first, and the broker's book fails once.
    let restarted = desk.executor();
    desk.broker.fail_next_lookups(1);
    let resolved = run(restarted.reconcile_pending()).unwrap();
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0].id, second.id, "the other order went on");
    assert_eq!(resolved[0].state, IntentState::Placed);
    assert_eq!(desk.broker.placed_with(&first.request.tag), 0);
    assert!(restarted.lookups_failed().is_some());
    assert!(
        restarted.awaiting_answers(),
        "asked again within a second, not at the next housekeeping"
    );
    let later = run(restarted.reconcile_pending()).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id, first.id);
    assert_eq!(later[0].state, IntentState::Placed);
    assert!(!restarted.awaiting_answers());
    assert_eq!(desk.broker.placed_with(&first.request.tag), 1);
    assert_eq!(desk.broker.placed_with(&second.request.tag), 1);
}

#[test]
fn with_the_session_over_an_order_recorded_since_is_refused_and_one_from_before_waits_for_the_login()
 {
    let desk = Desk::new(RiskLimits::NONE);
    // Recorded (by a web process, say) while the session was good, not yet sent.
    let before = run(desk.executor().record(None, buy(1))).unwrap();
    desk.clock.advance(1_000);
    desk.session
        .end_now(desk.clock.now_ms(), "Kite ended the session at 06:00 IST");
    desk.clock.advance(1_000);
    let since = run(desk.executor().record(None, buy(2))).unwrap();
    // The book cannot be read on a dead token: were it asked, these would be skipped, not
    // settled.
    desk.broker.fail_next_lookups(100);
    let workers = desk.executor();
    let settled = run(workers.reconcile_pending()).unwrap();
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert_eq!(settled[0].id, since.id);
    assert_eq!(settled[0].state, IntentState::Rejected);
    let reason = settled[0].reason.clone().unwrap();
    assert!(reason.contains("Kite session has ended"), "{reason}");
    assert!(
        !workers.awaiting_answers(),
        "nothing is asked of the broker every second while the session is over"
    );
    assert!(desk.broker.book().is_empty());

    // Kite connected again: the one from before is looked up by its tag and sent once.
    desk.broker.fail_next_lookups(0);
    desk.clock.advance(5_000);
    desk.session.started(desk.clock.now_ms());
    let sent = run(workers.reconcile_pending()).unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].id, before.id);
    assert_eq!(sent[0].state, IntentState::Placed);
    assert_eq!(desk.broker.placed_with(&before.request.tag), 1);
    assert_eq!(desk.broker.placed_with(&since.request.tag), 0);
}

#[test]
fn open_orders_whose_updates_were_missed_are_caught_up_even_when_one_cannot_be_looked_up() {
    let desk = Desk::new(RiskLimits::NONE);
    let executor = desk.executor();
    let first = run(executor.submit(None, buy(1))).unwrap();
    let second = run(executor.submit(None, buy(2))).unwrap();
    assert_eq!(first.state, IntentState::Placed);
    assert_eq!(second.state, IntentState::Placed);
    // Both fill at the broker while nobody hears (the holder died before the updates came).
    let price = Price::from_rupees(100).unwrap();
    desk.broker.fill(&first.request.tag, price).unwrap();
    desk.broker.fill(&second.request.tag, price).unwrap();
    desk.broker.fail_next_lookups(1);
    let caught_up = run(executor.sync_open()).unwrap();
    assert_eq!(
        caught_up.len(),
        1,
        "the other one is caught up: {caught_up:?}"
    );
    assert_eq!(caught_up[0].id, second.id);
    assert_eq!(caught_up[0].state, IntentState::Filled);
    let later = run(executor.sync_open()).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].id, first.id);
    assert_eq!(later[0].state, IntentState::Filled);
    assert!(run(executor.sync_open()).unwrap().is_empty());
}

/// What a web process apart hears of the workers: a switch the scenario flips.
#[derive(Default)]
struct Workers {
    gone: std::sync::atomic::AtomicBool,
    told: std::sync::atomic::AtomicUsize,
}

impl crate::ports::ChangeNotifier for Workers {
    fn changed(&self, _: crate::model::StateChange) {
        self.told.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl crate::ports::WorkersPresence for Workers {
    fn absent(&self) -> Option<String> {
        self.gone
            .load(std::sync::atomic::Ordering::SeqCst)
            .then(|| "no workers process is running to send it".to_owned())
    }
}

/// A web process apart records a trader's order pending and tells the workers, who send it.
/// With no workers process there, the order is recorded refused at once with the reason —
/// nothing is left pending for a process that may start minutes later — and the workers,
/// when they come, find nothing to send.
#[test]
fn a_web_process_apart_refuses_an_order_at_once_when_no_workers_process_is_there() {
    use std::sync::atomic::Ordering;
    let desk = Desk::new(RiskLimits::NONE);
    let workers = Arc::new(Workers::default());
    let web = desk.executor().deferring(workers.clone(), workers.clone());

    let left = run(web.submit(None, buy(1))).unwrap();
    assert_eq!(left.state, IntentState::Pending, "{left:?}");
    assert_eq!(
        workers.told.load(Ordering::SeqCst),
        1,
        "the workers are told"
    );
    assert!(
        desk.broker.book().is_empty(),
        "the web process sends nothing"
    );

    workers.gone.store(true, Ordering::SeqCst);
    let refused = run(web.submit(None, buy(2))).unwrap();
    assert_eq!(refused.state, IntentState::Rejected, "{refused:?}");
    let reason = refused.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("not sent: no workers process"),
        "{reason}"
    );
    assert_eq!(workers.told.load(Ordering::SeqCst), 1, "nothing to tell");
    let stored = run(desk.store.by_id(refused.id)).unwrap().unwrap();
    assert_eq!(stored.state, IntentState::Rejected, "recorded final");

    // The workers' executor sends the first, once, and never the second.
    let sent = run(desk.executor().reconcile_pending()).unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(desk.broker.placed_with(&left.request.tag), 1);
    assert_eq!(desk.broker.placed_with(&refused.request.tag), 0);
}

/// A trader's order recorded by a web process apart while no workers process runs (or by a
/// process that died before sending it): the workers started within the window send it once;
/// found later, it is refused with the reason and never reaches the broker.
#[test]
fn an_order_recorded_and_left_unsent_past_the_window_is_refused_never_sent_late() {
    let desk = Desk::new(RiskLimits::NONE);
    let in_time = run(desk.executor().record(None, buy(1))).unwrap();
    desk.clock.advance(UNSENT_STALE_MS);
    let sent = run(desk.executor().reconcile_pending()).unwrap();
    assert_eq!(sent[0].state, IntentState::Placed, "{sent:?}");
    assert_eq!(desk.broker.placed_with(&in_time.request.tag), 1);

    let late = run(desk.executor().record(None, buy(2))).unwrap();
    desk.clock.advance(UNSENT_STALE_MS + 1);
    let refused = run(desk.executor().reconcile_pending()).unwrap();
    assert_eq!(refused[0].state, IntentState::Rejected, "{refused:?}");
    let reason = refused[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("not sent late"), "{reason}");
    assert!(reason.contains("no workers process"), "{reason}");
    assert_eq!(desk.broker.placed_with(&late.request.tag), 0);
    // Final: a later reconciliation finds nothing to resolve.
    assert!(run(desk.executor().reconcile_pending()).unwrap().is_empty());
    assert_eq!(desk.broker.placed_with(&late.request.tag), 0);
}

#[test]
fn an_outside_exit_recorded_before_a_crash_is_sent_by_a_worker_at_once_but_never_late() {
    let desk = Desk::new(RiskLimits::NONE);
    let record = |executor: &OrderExecutor| {
        let mut exit = executor.prepare(None, buy(3));
        exit.request.side = OrderSide::Sell;
        exit.outside_exit = true;
        exit.id = run(IntentStore::insert(desk.store.as_ref(), &exit))
            .unwrap()
            .unwrap();
        exit
    };
    // Recorded by a web process apart; the trading worker's reconciliation sends it moments
    // later.
    let prompt = record(&desk.executor());
    desk.clock.advance(1_000);
    let sent = run(desk.executor().reconcile_pending()).unwrap();
    assert_eq!(sent[0].state, IntentState::Placed, "{sent:?}");
    assert_eq!(desk.broker.placed_with(&prompt.request.tag), 1);
    // Recorded, then the process died; found after the restart a minute later: what the broker
    // holds may have changed, so it is refused, never sent late (a sale of units already sold
    // would open a short).
    let stale = record(&desk.executor());
    desk.clock.advance(60_000);
    let refused = run(desk.executor().reconcile_pending()).unwrap();
    assert_eq!(refused[0].state, IntentState::Rejected, "{refused:?}");
    assert!(
        refused[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("not sent late"),
        "{refused:?}"
    );
    assert_eq!(desk.broker.placed_with(&stale.request.tag), 0);
}

#[test]
fn refusals_and_failures_end_the_order_with_a_reason_and_a_fill_completes_it() {
    let desk = Desk::new(RiskLimits::NONE);
    desk.broker.script([
        Answer::Reject("insufficient funds".into()),
        Answer::Unavailable("connection refused".into()),
    ]);
    let executor = desk.executor();
    let rejected = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(rejected.state, IntentState::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("insufficient funds"));
    let unreachable = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(unreachable.state, IntentState::Rejected);
    assert_eq!(
        unreachable.reason.as_deref(),
        Some("not sent: connection refused"),
        "a trigger must not fire late: not retried"
    );

    let placed = run(executor.submit(None, buy(4))).unwrap();
    let update = desk
        .broker
        .fill(&placed.request.tag, Price::parse("1500").unwrap())
        .unwrap();
    let filled = run(executor.on_order_update(&update)).unwrap().unwrap();
    assert_eq!(filled.state, IntentState::Filled);
    assert_eq!(filled.filled_quantity, 4);
    assert_eq!(filled.average_price, Price::parse("1500").ok());
    assert_eq!(desk.store.intents().len(), 3);
}

#[test]
fn a_send_after_reconciliation_sent_the_same_order_does_not_place_it_again() {
    // The level monitor records its order; reconciliation, running beside it, finds the
    // pending record first and sends it; then the monitor's own send arrives with its copy.
    let desk = Desk::new(RiskLimits::NONE);
    let executor = desk.executor();
    let recorded = run(executor.record(None, buy(1))).unwrap();
    let reconciled = run(executor.reconcile_pending()).unwrap();
    assert_eq!(reconciled[0].state, IntentState::Placed);
    let late = run(executor.send(&recorded)).unwrap();
    assert_eq!(late.state, IntentState::Placed, "the stored record decides");
    assert_eq!(desk.broker.placed_with(&recorded.request.tag), 1);
}

#[test]
fn an_order_whose_answer_was_lost_is_never_placed_twice_by_a_second_send() {
    let desk = Desk::new(RiskLimits::NONE);
    desk.broker.script([Answer::LoseAnswer]);
    let executor = desk.executor();
    let pending = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(pending.state, IntentState::Pending);
    // Sent again (a retry, another task): not placed — only a look-up by tag resolves it.
    let again = run(executor.send(&pending)).unwrap();
    assert_eq!(again.state, IntentState::Pending);
    assert_eq!(desk.broker.placed_with(&pending.request.tag), 1);
    let resolved = run(executor.reconcile_pending()).unwrap();
    assert_eq!(resolved[0].state, IntentState::Placed);
    assert_eq!(desk.broker.placed_with(&pending.request.tag), 1);
}

/// A trade of `quantity` INFY opened by entry order `entry` at 1500, as the monitor stores it.
fn infy_trade(id: i64, entry: i64, quantity: u32) -> crate::model::Trade {
    let filled = OrderIntent {
        id: entry,
        state: IntentState::Filled,
        filled_quantity: quantity,
        average_price: Some(Price::parse("1500").unwrap()),
        ..Desk::new(RiskLimits::NONE)
            .executor()
            .prepare(None, buy(quantity))
    };
    let mut trade = super::portfolio::trade_rules::open_trade(
        &filled,
        crate::model::InstrumentToken(408_065),
        None,
        Price::parse("0.05").unwrap(),
        NOW_MS,
    )
    .unwrap();
    trade.id = TradeId(id);
    trade.version = 1;
    trade
}

#[test]
fn the_gate_counts_the_trades_held_in_memory_and_refuses_entries_until_they_are_loaded() {
    let desk = Desk::holding(
        RiskLimits {
            max_open_positions: Some(1),
            max_daily_loss: Some(Price::parse("400").unwrap()),
            ..RiskLimits::NONE
        },
        Portfolio::new(),
    );
    let executor = desk.executor();
    // Not loaded yet (the trade monitor has not read the trades): refused, never guessed.
    let early = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(early.state, IntentState::Rejected);
    assert!(
        early
            .reason
            .as_deref()
            .unwrap()
            .contains("the open trades are not loaded yet"),
        "{early:?}"
    );
    // An exit needs no portfolio: it goes out.
    assert_eq!(send_exit(&desk, &executor, 1).state, IntentState::Placed);

    // Loaded from the (empty) store, then one trade opens: the store never hears of it here,
    // so a gate that read the database would let the next entry through.
    run(desk.gate.portfolio.load(desk.store.as_ref(), NOW_MS)).unwrap();
    assert_eq!(
        run(executor.submit(None, buy(1))).unwrap().state,
        IntentState::Placed
    );
    let open = infy_trade(1, 1, 5);
    desk.gate.portfolio.put(&open);
    let refused = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(
        refused.reason.as_deref(),
        Some("risk check: 1 positions are open, the most allowed; close one first")
    );

    // Closed at a loss of 500 (a stale copy arriving late changes nothing): the daily loss
    // limit holds today ...
    let mut closed = open.clone();
    closed.version = 2;
    closed.state = crate::model::TradeState::Closed;
    closed.realised = Price::parse("-500").unwrap();
    closed.closed_ms = Some(NOW_MS + 1_000);
    desk.gate.portfolio.put(&closed);
    desk.gate.portfolio.put(&open);
    let refused = run(executor.submit(None, buy(1))).unwrap();
    assert!(
        refused
            .reason
            .as_deref()
            .unwrap()
            .starts_with("risk check: today's loss of"),
        "{refused:?}"
    );
    // ... and not tomorrow.
    desk.clock.advance(24 * 3_600_000);
    // (The trader logs in again: Kite's sessions end at 06:00 IST.)
    desk.session.started(NOW_MS + 24 * 3_600_000 - 60_000);
    assert_eq!(
        run(executor.submit(None, buy(1))).unwrap().state,
        IntentState::Placed
    );
}

/// The portfolio works the day's totals out under its lock, from its compact records: they are
/// those of `day_totals` over every trade that counts, and it names the instruments to price.
#[test]
fn the_days_totals_from_the_portfolio_are_those_over_every_trade_that_counts() {
    use super::portfolio::{Counted, Portfolio, day_totals};
    use crate::services::market_calendar::ist_day_number;
    let p = |text: &str| Price::parse(text).unwrap();
    let today = ist_day_number(NOW_MS);
    let mut partly = infy_trade(1, 1, 10);
    partly.realised = p("120.50");
    let mut closed = infy_trade(2, 2, 5);
    closed.state = crate::model::TradeState::Closed;
    closed.realised = p("-300");
    closed.closed_ms = Some(NOW_MS + 1_000);
    let mut yesterday = infy_trade(3, 3, 5);
    yesterday.state = crate::model::TradeState::Closed;
    yesterday.realised = p("-9000");
    yesterday.closed_ms = Some(NOW_MS - 24 * 3_600_000);
    let all = [partly.clone(), closed, yesterday];
    let portfolio = Portfolio::holding(all.clone());
    assert_eq!(
        portfolio.open_tokens(today).unwrap(),
        vec![partly.token],
        "only the open trade's instrument needs a price"
    );
    let prices = [(crate::model::InstrumentToken(408_065), p("1510"))].into();
    let counted: Vec<_> = all
        .iter()
        .filter(|t| t.closed_ms.is_none_or(|c| ist_day_number(c) == today))
        .map(Counted::of)
        .collect();
    let totals = portfolio.totals(today, &prices).unwrap();
    assert_eq!(totals, day_totals(counted, &prices, today));
    assert_eq!(totals, (p("-179.50"), p("100"), 1));
    // What the portfolio keeps of an open trade is a tenth of the trade.
    assert!(std::mem::size_of::<Counted>() <= 64);
    // Not loaded yet: nothing to count against, and the gate refuses.
    assert_eq!(Portfolio::new().totals(today, &prices), None);
    assert_eq!(Portfolio::new().open_tokens(today), None);
}

#[test]
fn a_closed_trade_counts_once_and_a_late_older_copy_does_not_reopen_it() {
    use super::portfolio::Portfolio;
    use crate::services::market_calendar::ist_day_number;
    let p = |text: &str| Price::parse(text).unwrap();
    let today = ist_day_number(NOW_MS);
    let no_prices = std::collections::HashMap::new();
    let portfolio = Portfolio::holding([]);
    let mut open = infy_trade(1, 1, 10);
    open.version = 1;
    portfolio.put(&open);
    assert_eq!(
        portfolio.totals(today, &no_prices).unwrap(),
        (Price::ZERO, Price::ZERO, 1)
    );

    let mut closed = open.clone();
    closed.version = 2;
    closed.state = crate::model::TradeState::Closed;
    closed.realised = p("250");
    closed.closed_ms = Some(NOW_MS + 1_000);
    portfolio.put(&closed);
    portfolio.put(&closed);
    portfolio.put(&open);
    assert_eq!(
        portfolio.totals(today, &no_prices).unwrap(),
        (p("250"), Price::ZERO, 0),
        "counted twice, or reopened by an older copy"
    );
    assert_eq!(portfolio.open_tokens(today).unwrap(), vec![]);

    // The next day it no longer counts, and a trade closed then lets it go.
    let tomorrow_ms = NOW_MS + 24 * 3_600_000;
    let realised_on = |day| portfolio.totals(day, &no_prices).unwrap().0;
    assert_eq!(realised_on(today + 1), Price::ZERO);
    let mut next = infy_trade(2, 2, 5);
    next.state = crate::model::TradeState::Closed;
    next.realised = p("-40");
    next.closed_ms = Some(tomorrow_ms);
    portfolio.put(&next);
    assert_eq!(realised_on(today), Price::ZERO);
    assert_eq!(realised_on(today + 1), p("-40"));
}

#[test]
fn orders_per_day_count_what_was_stored_before_and_each_entry_asked_since_then_a_new_day() {
    let desk = Desk::new(RiskLimits {
        max_orders_per_day: Some(3),
        ..RiskLimits::NONE
    });
    // One entry recorded today before this process started (its executor is gone).
    let earlier = desk.executor();
    run(earlier.record(None, buy(1))).unwrap();
    // An exit recorded today does not count.
    send_exit(&desk, &earlier, 1);

    let executor = desk.executor();
    assert_eq!(
        run(executor.submit(None, buy(1))).unwrap().state,
        IntentState::Placed
    );
    assert_eq!(
        run(executor.submit(None, buy(1))).unwrap().state,
        IntentState::Placed
    );
    let fourth = run(executor.submit(None, buy(1))).unwrap();
    assert_eq!(
        fourth.reason.as_deref(),
        Some("risk check: 3 orders were placed today, the most allowed per day")
    );
    // The refused one was asked about once; asking again (a reconciliation) counts it once.
    assert_eq!(
        run(desk.gate.check(&fourth)).unwrap_err(),
        "3 orders were placed today, the most allowed per day"
    );

    // The next IST day starts from what that day holds.
    desk.clock.advance(24 * 3_600_000);
    // (The trader logs in again: Kite's sessions end at 06:00 IST.)
    desk.session.started(NOW_MS + 24 * 3_600_000 - 60_000);
    assert_eq!(
        run(executor.submit(None, buy(1))).unwrap().state,
        IntentState::Placed
    );
}
