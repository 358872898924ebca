//! Scenarios of the whole trading loop on the core's test kit: ticks go into the engine, a
//! crossing places its one entry, the broker's fill opens the trade, a later tick exits it —
//! every order through the one executor and its risk gate, on in-memory stores and a manual
//! clock, as the server's trading worker drives the same engine.

use std::sync::Arc;

use crate::model::{
    Confirmation, Distance, Exchange, ExitReason, InstrumentToken, IntentState, KillSwitch, Level,
    LevelId, LevelOrderType, LevelTrigger, Ohlc, OrderKind, OrderSide, OrderStatus, Price,
    ProductKind, Rearm, RiskLimits, StateChange, Tick, TradeState,
};
use crate::ports::{Broker, Clock, IntentStore, LevelStore, MarketData, RiskStore, TradeStore};
use crate::services::announcer::Announcer;
use crate::services::instruments::InstrumentCatalog;
use crate::services::prices::FeedSubscriptions;
use crate::testing::{ManualClock, MemoryStore, NoTicks, QuietFeed, ScriptedBroker, run};

use super::portfolio::protection::PROTECTIVE_GRACE_MS;
use super::{
    BrokerSession, EntryCount, LevelPhase, LevelTrader, OrderExecutor, Portfolio, PreTradeCheck,
    RiskGate, RiskService, RiskState, TradeService, TradeServiceParts, TradingEngine,
    TradingEngineParts,
};

/// 2026-12-04 10:00 IST.
const NOW_MS: i64 = 1_796_358_600_000;
const INFY: InstrumentToken = InstrumentToken(408_065);

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn tick(price: &str) -> Tick {
    Tick {
        token: INFY,
        last_price: p(price),
        last_quantity: 1,
        volume: 0,
        ohlc: Ohlc::default(),
        exchange_time_ms: NOW_MS,
        depth: None,
    }
}

/// A level at 1500 that buys 10 INFY on an upward cross, with a target 20 and a stop 10 away.
fn level() -> Level {
    Level {
        id: LevelId(0),
        token: INFY,
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".to_owned(),
        price: p("1500"),
        trigger: LevelTrigger::Up,
        on_up: Some(OrderSide::Buy),
        on_down: None,
        quantity: 10,
        product: ProductKind::Intraday,
        order: LevelOrderType::Market,
        target: Some(Distance::Points(p("20"))),
        stop_loss: Some(Distance::Points(p("10"))),
        trailing_stop: None,
        confirmation: Confirmation::Cross,
        rearm: Rearm::Once,
        window: None,
        enabled: true,
        note: String::new(),
    }
}

/// The engine as the server's composition root builds it, on the kit's parts.
struct Bench {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    broker: Arc<ScriptedBroker>,
    state: Arc<RiskState>,
    trades: Arc<TradeService>,
    risk: Arc<RiskService>,
    executor: Arc<OrderExecutor>,
    trader: Arc<LevelTrader>,
    engine: TradingEngine,
}

impl Bench {
    fn new() -> Bench {
        Bench::with(level())
    }

    /// The engine watching `level` (stored as level 1).
    fn with(level: Level) -> Bench {
        let store = Arc::new(MemoryStore::default());
        run(store.set_limits(&RiskLimits::NONE, NOW_MS)).unwrap();
        run(LevelStore::insert(store.as_ref(), &level, NOW_MS)).unwrap();
        let manual = Arc::new(ManualClock::at(NOW_MS));
        let clock = manual.clone() as Arc<dyn Clock>;
        let broker = Arc::new(ScriptedBroker::default());
        let catalog = Arc::new(InstrumentCatalog::default());
        catalog.replace(vec![crate::testing::infy()]);
        let subscriptions = Arc::new(FeedSubscriptions::new(Arc::new(QuietFeed)));
        let market = Arc::new(NoTicks) as Arc<dyn MarketData>;
        let state = Arc::new(RiskState::new(RiskLimits::NONE, None));
        let session = Arc::new(BrokerSession::new(clock.clone()));
        session.started(NOW_MS - 60_000);
        let portfolio = Arc::new(Portfolio::new());
        let gate = Arc::new(RiskGate {
            state: state.clone(),
            intents: store.clone() as Arc<dyn IntentStore>,
            portfolio: portfolio.clone(),
            entries: EntryCount::default(),
            market: market.clone(),
            catalog: catalog.clone(),
            clock: clock.clone(),
            stored: None,
        }) as Arc<dyn PreTradeCheck>;
        let executor = Arc::new(OrderExecutor::new(
            store.clone() as Arc<dyn IntentStore>,
            broker.clone() as Arc<dyn Broker>,
            clock.clone(),
            gate,
            session.clone(),
        ));
        let trader = Arc::new(
            LevelTrader::new(
                store.clone() as Arc<dyn LevelStore>,
                executor.clone(),
                catalog.clone(),
                subscriptions.clone(),
                clock.clone(),
                state.clone(),
            )
            .with_session(session),
        );
        let trades = Arc::new(TradeService::new(TradeServiceParts {
            store: store.clone() as Arc<dyn TradeStore>,
            levels: store.clone() as Arc<dyn LevelStore>,
            executor: executor.clone(),
            catalog,
            market,
            subscriptions,
            clock: clock.clone(),
            square_off_minute: 15 * 60 + 20,
            stop_fill_grace_ms: PROTECTIVE_GRACE_MS,
            portfolio,
        }));
        let risk = Arc::new(RiskService::new(
            store.clone() as Arc<dyn RiskStore>,
            state.clone(),
            executor.clone(),
            trades.clone(),
            clock,
        ));
        let engine = TradingEngine::new(TradingEngineParts {
            trader: trader.clone(),
            trades: trades.clone(),
            risk: risk.clone(),
            executor: executor.clone(),
            announce: Announcer::default(),
            web_apart: false,
        });
        let loaded = run(engine.reload()).unwrap();
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        Bench {
            store,
            clock: manual,
            broker,
            state,
            trades,
            risk,
            executor,
            trader,
            engine,
        }
    }

    /// The trade monitor, as the Trades page's server functions call it.
    fn trades(&self) -> Arc<TradeService> {
        self.trades.clone()
    }

    /// The side and quantity of each order recorded, oldest first.
    fn sent(&self) -> Vec<(OrderSide, u32)> {
        self.store
            .intents()
            .iter()
            .map(|i| (i.request.side, i.request.quantity))
            .collect()
    }

    /// Trade `id` as stored.
    fn trade(&self, id: i64) -> crate::model::Trade {
        run(TradeStore::trade(
            self.store.as_ref(),
            crate::model::TradeId(id),
        ))
        .unwrap()
        .unwrap_or_else(|| panic!("trade {id} is stored"))
    }

    /// The broker fills its newest order whole at `price`; the engine hears of it.
    fn fill_newest(&self, price: &str) -> Vec<String> {
        let newest = self.broker.book().pop().expect("an order at the broker");
        self.fill(&newest, price)
    }

    fn fill(&self, order: &crate::model::BrokerOrder, price: &str) -> Vec<String> {
        let update = self
            .broker
            .fill(order.tag.as_ref().unwrap(), p(price))
            .unwrap();
        let report = run(self.engine.on_order_update(&update));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report.trade_notes
    }

    /// The stop orders at the broker, oldest first.
    fn stops(&self) -> Vec<crate::model::BrokerOrder> {
        self.broker
            .book()
            .into_iter()
            .filter(|o| matches!(o.kind, Some(OrderKind::StopLossMarket { .. })))
            .collect()
    }

    /// The broker's stop order for the trade triggers and fills at `price`.
    fn stop_fills(&self, price: &str) -> Vec<String> {
        let stop = self.stops().pop().expect("a stop order at the broker");
        assert_eq!(stop.status, crate::model::OrderStatus::Open);
        self.fill(&stop, price)
    }
}

#[test]
fn a_crossing_places_one_entry_its_fill_opens_the_trade_and_the_target_exits_it() {
    let bench = Bench::new();
    let below = run(bench.engine.on_entry_ticks(&[tick("1495")]));
    assert!(below.intents.is_empty());
    assert!(bench.broker.book().is_empty(), "no crossing yet");

    let crossed = run(bench.engine.on_entry_ticks(&[tick("1501")]));
    assert_eq!(crossed.intents.len(), 1, "{crossed:?}");
    assert_eq!(crossed.intents[0].state, IntentState::Placed);
    assert_eq!(crossed.intents[0].level, Some(LevelId(1)));
    assert_eq!(bench.broker.book().len(), 1);
    assert_eq!(bench.sent(), [(OrderSide::Buy, 10)]);

    let opened = bench.fill_newest("1501");
    assert!(opened[0].starts_with("trade 1 opened"), "{opened:?}");
    let trade = bench.trade(1);
    assert_eq!(
        (trade.target, trade.stop_loss),
        (Some(p("1521")), Some(p("1491")))
    );
    // The stop stands at the broker at once: an SL-M sell of all ten at 1491.
    let stops = bench.stops();
    assert_eq!(stops.len(), 1, "{:?}", bench.broker.book());
    assert_eq!(
        (stops[0].quantity, stops[0].kind, stops[0].status),
        (
            10,
            Some(OrderKind::StopLossMarket { trigger: p("1491") }),
            OrderStatus::Open
        )
    );
    assert_eq!(trade.protective, Some(2));

    // Short of the target nothing goes out; at it, the stop order is cancelled first and then
    // the exit goes — once.
    assert!(
        run(bench.engine.on_ticks(&[tick("1520")]))
            .trade_notes
            .is_empty()
    );
    assert_eq!(bench.broker.book().len(), 2);
    run(bench.engine.on_ticks(&[tick("1521.5")]));
    run(bench.engine.on_ticks(&[tick("1523")]));
    assert_eq!(bench.broker.book().len(), 3, "one exit");
    assert_eq!(bench.stops()[0].status, OrderStatus::Cancelled);
    assert_eq!(
        bench.sent(),
        [
            (OrderSide::Buy, 10),
            (OrderSide::Sell, 10),
            (OrderSide::Sell, 10)
        ]
    );

    let closed = bench.fill_newest("1521.5");
    assert!(closed[0].starts_with("trade 1 closed"), "{closed:?}");
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed);
    assert_eq!(trade.exit_reason, Some(ExitReason::Target));
    assert_eq!(trade.protective, None);
    assert_eq!(trade.realised, p("205"));

    // A level that arms once places nothing on the next crossing.
    run(bench.engine.on_entry_ticks(&[tick("1490")]));
    let again = run(bench.engine.on_entry_ticks(&[tick("1505")]));
    assert!(again.intents.is_empty(), "{again:?}");
    assert_eq!(bench.broker.book().len(), 3);
}

/// A web process apart runs no ticks through its own trader: a level's phase there is what is
/// stored, and "confirming" while the workers' trader says it is confirming the crossing.
#[test]
fn a_web_process_shows_the_phase_the_workers_trader_is_in() {
    struct Workers(Arc<LevelTrader>);
    impl crate::ports::LevelsLive for Workers {
        fn confirming(&self) -> Vec<LevelId> {
            self.0.confirming()
        }
    }
    let mut slow = level();
    slow.confirmation = Confirmation::Ticks { count: 3 };
    let bench = Bench::with(slow);
    let web = LevelTrader::new(
        bench.store.clone() as Arc<dyn LevelStore>,
        bench.executor.clone(),
        Arc::new(InstrumentCatalog::default()),
        Arc::new(FeedSubscriptions::new(Arc::new(QuietFeed))),
        bench.clock.clone() as Arc<dyn Clock>,
        bench.state.clone(),
    )
    .with_live(Arc::new(Workers(bench.trader.clone())));
    let stored = || {
        run(LevelStore::level(bench.store.as_ref(), LevelId(1)))
            .unwrap()
            .unwrap()
    };

    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    assert_eq!(web.phase(&stored()), LevelPhase::Armed);
    // Crossed: the workers confirm (1 tick of 3); the web process sees it.
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    assert_eq!(bench.trader.confirming(), [LevelId(1)]);
    assert_eq!(web.phase(&stored()), LevelPhase::Confirming);
    // Confirmed: the trigger is stored; the web process reads it.
    run(bench.engine.on_entry_ticks(&[tick("1502")]));
    run(bench.engine.on_entry_ticks(&[tick("1503")]));
    assert!(bench.trader.confirming().is_empty());
    assert_eq!(bench.sent().len(), 1);
    assert_eq!(web.phase(&stored()), LevelPhase::Triggered);
}

#[test]
fn a_crossing_confirmed_by_its_tick_is_logged_with_its_trigger_in_one_write_before_the_order() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    let before = bench.store.level_log_writes();
    let crossed = run(bench.engine.on_entry_ticks(&[tick("1501")]));
    assert_eq!(crossed.intents.len(), 1, "{crossed:?}");
    // The crossing, the trigger and its pending order in one write (one commit on the way to
    // the order, not one for the crossing first); the placed order's entry after it.
    assert_eq!(bench.store.level_log_writes() - before, 2);
    let log = run(bench.store.log(Some(LevelId(1)), 10)).unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            crate::model::LevelLogKind::OrderPlaced,
            crate::model::LevelLogKind::Triggered,
            crate::model::LevelLogKind::Crossed,
        ],
        "newest first"
    );
}

#[test]
fn with_the_kill_switch_on_a_crossing_places_nothing_but_the_stop_loss_still_exits() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    // Engaged on the Trades page of a web process apart: stored, then announced.
    let switch = KillSwitch {
        engaged_ms: NOW_MS,
        squared_off: false,
    };
    run(bench.store.set_kill_switch(Some(&switch), NOW_MS)).unwrap();
    run(bench.engine.on_change(Some(StateChange::Risk)));
    assert!(bench.state.halted());

    // The stop is hit: the stop order standing at the broker fills, the switch or not.
    run(bench.engine.on_ticks(&[tick("1490")]));
    assert_eq!(bench.broker.book().len(), 2);
    assert_eq!(bench.sent(), [(OrderSide::Buy, 10), (OrderSide::Sell, 10)]);
    let closed = bench.stop_fills("1490");
    assert!(closed[0].contains("closed by its stop order"), "{closed:?}");
    assert_eq!(bench.trade(1).exit_reason, Some(ExitReason::StopLoss));

    // A level armed again crosses while halted: no trigger, no order; it stays armed.
    let mut rearmed = level();
    rearmed.id = LevelId(1);
    let seen = run(LevelStore::level(bench.store.as_ref(), LevelId(1)))
        .unwrap()
        .unwrap()
        .updated_ms;
    run(LevelStore::update(
        bench.store.as_ref(),
        &rearmed,
        seen,
        NOW_MS,
    ))
    .unwrap();
    run(bench.engine.on_change(Some(StateChange::Levels)));
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    let halted = run(bench.engine.on_entry_ticks(&[tick("1502")]));
    assert!(halted.intents.is_empty(), "{halted:?}");
    assert_eq!(bench.broker.book().len(), 2);
    let stored = run(LevelStore::level(bench.store.as_ref(), LevelId(1)))
        .unwrap()
        .unwrap();
    assert!(stored.armed, "still armed for after the release");
}

#[test]
fn a_trailing_stop_follows_the_best_price_and_exits_once_when_the_price_falls_back_to_it() {
    let mut trailing = level();
    trailing.target = None;
    trailing.trailing_stop = Some(Distance::Points(p("10")));
    let bench = Bench::with(trailing);
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");

    // Up to 1530: the stop trails to 1520, and the stop order at the broker with it. Falling to
    // 1521 is still above it: nothing sent.
    for price in ["1510", "1530", "1521"] {
        run(bench.engine.on_ticks(&[tick(price)]));
    }
    assert_eq!(
        bench.broker.book().len(),
        2,
        "the entry and its stop order; no exit above the trailing stop"
    );
    assert_eq!(
        bench.stops()[0].kind,
        Some(OrderKind::StopLossMarket { trigger: p("1520") })
    );
    // At 1519.95 the trailing stop is crossed: the broker's stop order exits it, and the app
    // sends nothing of its own, however many ticks follow within the grace.
    run(bench.engine.on_ticks(&[tick("1519.95")]));
    run(bench.engine.on_ticks(&[tick("1518")]));
    assert_eq!(bench.sent(), [(OrderSide::Buy, 10), (OrderSide::Sell, 10)]);
    bench.stop_fills("1519.95");
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed);
    assert_eq!(trade.exit_reason, Some(ExitReason::TrailingStop));
    assert_eq!(trade.realised, p("189.5"));
}

/// The trader sells `quantity` INFY in Kite's own app: the broker's position drops, the app
/// hears nothing of it.
fn sold_outside(bench: &Bench, quantity: u32) {
    bench.broker.trade_outside(
        &crate::model::OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            side: OrderSide::Sell,
            quantity,
            kind: crate::model::OrderKind::Market,
            product: ProductKind::Intraday,
            tag: crate::model::OrderTag::parse("outside1").unwrap(),
        },
        p("1505"),
    );
}

#[test]
fn a_stop_never_sells_what_was_already_sold_outside_the_app_and_closes_the_trade_there() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    sold_outside(&bench, 10);

    // The stop is hit and the broker's stop order did not fill: past the grace the app takes
    // it back and would exit itself, but the broker holds nothing to sell, so nothing is sent
    // (a sell now would open a short of 10). The trade closes as closed outside, at the
    // broker's sale price.
    run(bench.engine.on_ticks(&[tick("1490")]));
    bench.clock.advance(PROTECTIVE_GRACE_MS);
    let hit = run(bench.engine.on_ticks(&[tick("1490")]));
    assert!(hit.errors.is_empty(), "{hit:?}");
    assert_eq!(bench.stops()[0].status, OrderStatus::Cancelled);
    assert_eq!(
        bench.sent(),
        [(OrderSide::Buy, 10), (OrderSide::Sell, 10)],
        "the stop order, and no exit"
    );
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed);
    assert_eq!(trade.exit_reason, Some(ExitReason::Outside));
    assert_eq!(trade.exit_price, Some(p("1505")));
    assert_eq!(trade.realised, p("40"), "(1505 - 1501) × 10");
    assert!(
        trade
            .problem
            .as_deref()
            .is_some_and(|p| p.starts_with("closed outside the app")),
        "{trade:?}"
    );
    // Later ticks send nothing either.
    run(bench.engine.on_ticks(&[tick("1480")]));
    assert_eq!(bench.broker.book().len(), 2);
}

#[test]
fn a_stop_after_part_was_sold_outside_sells_only_what_is_left() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    sold_outside(&bench, 4);
    run(bench.engine.on_ticks(&[tick("1490")]));
    bench.clock.advance(PROTECTIVE_GRACE_MS);
    run(bench.engine.on_ticks(&[tick("1490")]));
    assert_eq!(
        bench.sent(),
        [
            (OrderSide::Buy, 10),
            (OrderSide::Sell, 10),
            (OrderSide::Sell, 6)
        ],
        "the stop order taken back, then an exit bounded by the 6 the broker holds"
    );
    // Its fill leaves 4 the broker does not hold: the next exit closes them as outside.
    bench.fill_newest("1490");
    let trade = bench.trade(1);
    assert_eq!((trade.state, trade.quantity), (TradeState::Open, 4));
    bench.clock.advance(super::EXIT_RETRY_MS);
    run(bench.engine.on_ticks(&[tick("1489")]));
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed, "{trade:?}");
    assert_eq!(trade.exit_reason, Some(ExitReason::Outside));
    assert_eq!(bench.broker.book().len(), 3, "no fourth order");
}

#[test]
fn a_stop_order_filled_while_its_news_was_lost_closes_the_trade_at_the_next_housekeeping() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    // The broker's stop triggers while the app hears nothing (down, its ticker cut).
    let stop = bench.stops().pop().unwrap();
    bench.broker.fill(stop.tag.as_ref().unwrap(), p("1490.5"));

    let caught_up = run(bench.engine.on_timer(super::Timer::Housekeeping));
    assert!(caught_up.errors.is_empty(), "{caught_up:?}");
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed, "{trade:?}");
    assert_eq!(trade.exit_reason, Some(ExitReason::StopLoss));
    assert_eq!(trade.exit_price, Some(p("1490.5")));
    assert_eq!(trade.realised, p("-105"));
    // The price below the stop afterwards sends nothing: there is nothing left to exit.
    run(bench.engine.on_ticks(&[tick("1489")]));
    bench.clock.advance(PROTECTIVE_GRACE_MS);
    run(bench.engine.on_ticks(&[tick("1488")]));
    assert_eq!(bench.sent(), [(OrderSide::Buy, 10), (OrderSide::Sell, 10)]);
}

/// A trade entered at 1501 whose stop order the trader then cancelled in Kite's own app, the
/// cancel applied.
fn stop_cancelled_at_the_broker() -> Bench {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    let stop = bench.stops().pop().unwrap();
    run(bench.broker.cancel_order(&stop.order_id)).unwrap();
    let mut cancelled = bench.broker.book().pop().unwrap();
    cancelled.status_message = Some("cancelled by the user".to_owned());
    let report = run(bench.engine.on_order_update(&cancelled));
    assert!(report.errors.is_empty(), "{report:?}");
    bench
}

#[test]
fn a_stop_order_cancelled_at_the_broker_is_placed_again_and_the_app_still_exits_meanwhile() {
    let bench = stop_cancelled_at_the_broker();
    let trade = bench.trade(1);
    assert_eq!(trade.protective, None);
    assert!(
        trade
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("unprotected at the broker")),
        "{trade:?}"
    );
    // Not at once (the trader may have meant it), but after the retry time it stands again.
    run(bench.engine.on_timer(super::Timer::Housekeeping));
    assert_eq!(bench.stops().len(), 1);
    bench
        .clock
        .advance(super::portfolio::protection::PROTECT_RETRY_MS);
    run(bench.engine.on_timer(super::Timer::Housekeeping));
    let stops = bench.stops();
    assert_eq!(stops.len(), 2);
    assert_eq!(stops[1].status, OrderStatus::Open);
    assert_eq!(bench.trade(1).protective, Some(3));
}

#[test]
fn a_closed_trade_leaves_nothing_behind_in_the_trade_monitors_memory() {
    // The monitor waits before placing the stop order again: a per-trade timer.
    let bench = stop_cancelled_at_the_broker();
    let trades = bench.trades();
    assert!(trades.per_trade_entries() > 0, "the retry time is kept");
    // The trader exits meanwhile; once the exit fills, the trade is closed and forgotten.
    run(trades.exit(crate::model::TradeId(1))).unwrap();
    run(bench.engine.on_ticks(&[tick("1502")]));
    bench.fill_newest("1502");
    assert_eq!(bench.trade(1).state, TradeState::Closed);
    assert_eq!(trades.per_trade_entries(), 0);
}

/// One step of a market on the kit's broker: the broker's stop orders the price reached fill
/// first (as an exchange triggers them), then the engine sees the tick, then its market orders
/// fill at the price.
fn market_step(bench: &Bench, price: Price) {
    for order in bench.broker.book() {
        let Some(OrderKind::StopLossMarket { trigger }) = order.kind else {
            continue;
        };
        if order.status == OrderStatus::Open && price <= trigger {
            bench.fill(&order, &price.to_string());
        }
    }
    let t = Tick {
        last_price: price,
        ..tick("1")
    };
    let report = run(bench.engine.on_ticks(&[t]));
    assert!(report.errors.is_empty(), "{report:?}");
    for order in bench.broker.book() {
        if order.status == OrderStatus::Open && order.kind == Some(OrderKind::Market) {
            bench.fill(&order, &price.to_string());
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Over any price path, with or without a trailing stop: the trade is exited once — by the
    /// broker's stop order or by the app's own exit, never both — so no more is sold than
    /// was bought.
    #[test]
    fn the_target_and_the_stop_never_both_execute(
        steps in proptest::collection::vec((-40i64..=40, 0i64..4_000), 1..60),
        trailing in proptest::bool::ANY,
    ) {
        let mut level = level();
        if trailing {
            level.trailing_stop = Some(Distance::Points(p("5")));
        }
        let bench = Bench::with(level);
        run(bench.engine.on_entry_ticks(&[tick("1495")]));
        run(bench.engine.on_entry_ticks(&[tick("1501")]));
        bench.fill_newest("1501");
        let mut price = p("1501");
        for (ticks, ms) in steps {
            bench.clock.advance(ms);
            price = Price::from_raw(price.raw() + ticks * 500);
            market_step(&bench, price);
        }
        let sold: u32 = bench
            .broker
            .book()
            .iter()
            .filter(|o| o.status == OrderStatus::Complete && o.order_id != "SCRIPTED-1")
            .map(|o| o.filled_quantity)
            .sum();
        proptest::prop_assert!(sold <= 10, "sold {} of 10: {:?}", sold, bench.broker.book());
        let trade = bench.trade(1);
        if trade.state == TradeState::Closed {
            proptest::prop_assert_eq!(sold, 10);
        }
    }
}

/// The broker's news of an order placed outside the app (no tag of ours), filled.
fn outside_update(quantity: u32) -> crate::model::BrokerOrder {
    crate::model::BrokerOrder {
        order_id: "KITE-APP-1".to_owned(),
        tag: None,
        status: OrderStatus::Complete,
        quantity,
        kind: Some(OrderKind::Market),
        filled_quantity: quantity,
        average_price: Some(p("1505")),
        status_message: None,
    }
}

#[test]
fn a_sale_outside_the_app_takes_the_stop_order_back_and_reduces_or_closes_the_trade_at_once() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");

    // 4 of the 10 sold in Kite's own app: the stop order for 10 would sell 4 the account no
    // longer has. It is taken back, the trade holds 6, and a stop for 6 stands instead.
    sold_outside(&bench, 4);
    let report = run(bench.engine.on_order_update(&outside_update(4)));
    assert!(report.errors.is_empty(), "{report:?}");
    let trade = bench.trade(1);
    assert_eq!((trade.state, trade.quantity), (TradeState::Open, 6));
    assert_eq!(trade.realised, p("16"), "(1505 - 1501) × 4");
    let stops = bench.stops();
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert_eq!(stops[0].status, OrderStatus::Cancelled);
    assert_eq!((stops[1].status, stops[1].quantity), (OrderStatus::Open, 6));

    // The other 6 sold there too: closed outside, its stop order taken back, nothing sent.
    sold_outside(&bench, 6);
    run(bench.engine.on_order_update(&outside_update(6)));
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed, "{trade:?}");
    assert_eq!(trade.exit_reason, Some(ExitReason::Outside));
    assert_eq!(trade.realised, p("40"));
    assert!(
        bench
            .stops()
            .iter()
            .all(|o| o.status == OrderStatus::Cancelled),
        "no stop order left to open a short: {:?}",
        bench.stops()
    );
    assert_eq!(
        bench.sent(),
        [
            (OrderSide::Buy, 10),
            (OrderSide::Sell, 10),
            (OrderSide::Sell, 6)
        ],
        "stop orders only, never an exit"
    );
}

#[test]
fn a_trailing_stop_in_a_fast_market_moves_the_broker_order_within_its_budget_to_the_newest_price() {
    let mut trailing = level();
    trailing.target = None;
    trailing.trailing_stop = Some(Distance::Points(p("10")));
    let bench = Bench::with(trailing);
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");

    // Forty new highs within one minute: the trailing stop moves forty times, the order at the
    // broker only as often as the budget allows.
    for step in 1..=40 {
        bench.clock.advance(1_000);
        run(bench.engine.on_ticks(&[tick(&format!("{}", 1501 + step))]));
    }
    let moves = bench.broker.modifications();
    assert!(
        (1..=crate::services::trading::MOVES_PER_MINUTE).contains(&moves),
        "{moves} modifications in the first minute"
    );
    // A minute on, the next tick brings it to the newest price at once (coalesced, not queued).
    bench.clock.advance(60_000);
    run(bench.engine.on_ticks(&[tick("1541")]));
    assert_eq!(bench.broker.modifications(), moves + 1);
    assert_eq!(
        bench.stops()[0].kind,
        Some(OrderKind::StopLossMarket { trigger: p("1531") })
    );
    assert_eq!(bench.stops().len(), 1, "moved, never placed anew");
}

#[test]
fn an_exit_by_hand_waits_for_the_broker_to_confirm_the_stop_orders_cancel_and_then_goes_once() {
    let bench = Bench::new();
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    bench.fill_newest("1501");
    let trades = bench.trades();

    // Kite takes the cancel but has not done it yet: no exit goes (the stop order could still
    // fill), the trader's press is taken and the trade says why it waits.
    bench.broker.slow_cancels(true);
    let waiting = run(trades.exit(crate::model::TradeId(1))).unwrap();
    assert_eq!(waiting.state, TradeState::Open);
    assert!(
        waiting
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("once the broker confirms the cancel")),
        "{waiting:?}"
    );
    run(bench.engine.on_ticks(&[tick("1502")]));
    assert_eq!(bench.sent(), [(OrderSide::Buy, 10), (OrderSide::Sell, 10)]);

    // Kite confirms: the next tick sends the exit, once.
    for update in bench.broker.confirm_cancels() {
        run(bench.engine.on_order_update(&update));
    }
    run(bench.engine.on_ticks(&[tick("1502")]));
    run(bench.engine.on_ticks(&[tick("1503")]));
    assert_eq!(
        bench.sent(),
        [
            (OrderSide::Buy, 10),
            (OrderSide::Sell, 10),
            (OrderSide::Sell, 10)
        ]
    );
    bench.fill_newest("1502");
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Closed);
    assert_eq!(trade.exit_reason, Some(ExitReason::Manual));
    assert_eq!(bench.stops()[0].status, OrderStatus::Cancelled);
    // Kite's cancelled order says nothing; the record says why the app cancelled it.
    let stop = bench.store.intents()[1].clone();
    assert_eq!(stop.state, crate::model::IntentState::Cancelled);
    assert!(
        stop.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("taken back by the app: trade 1 exits")),
        "{stop:?}"
    );
}

/// An entry of `quantity` INFY at market, as the order ticket sends one.
fn manual_entry(bench: &Bench, quantity: u32) -> crate::model::OrderIntent {
    let request = crate::model::OrderRequest {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".to_owned(),
        side: OrderSide::Buy,
        quantity,
        kind: OrderKind::Market,
        product: ProductKind::Intraday,
        tag: crate::model::OrderTag::parse("unset").unwrap(),
    };
    run(bench.executor.submit(None, request)).unwrap()
}

/// The trader buys `quantity` INFY in Kite's own app; the broker's news of it arrives.
fn bought_outside(bench: &Bench, quantity: u32) -> super::EngineReport {
    bench.broker.trade_outside(
        &crate::model::OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            side: OrderSide::Buy,
            quantity,
            kind: OrderKind::Market,
            product: ProductKind::Intraday,
            tag: crate::model::OrderTag::parse("outside2").unwrap(),
        },
        p("1499"),
    );
    run(bench.engine.on_order_update(&outside_update(quantity)))
}

#[test]
fn a_reconciliation_reads_the_brokers_positions_once_however_many_trades_are_open() {
    let bench = Bench::new();
    for _ in 0..3 {
        manual_entry(&bench, 10);
        bench.fill_newest("1501");
    }
    let open = |bench: &Bench| -> Vec<(TradeState, u32)> {
        (1..=3)
            .map(|id| {
                let t = bench.trade(id);
                (t.state, t.quantity)
            })
            .collect()
    };
    assert_eq!(open(&bench), [(TradeState::Open, 10); 3]);
    // Each read is one of Kite's 10 a second for everything else, which the margin check and
    // the read before an exit share: a read per trade held entries back once dozens were open.
    let before = bench.broker.position_reads();
    let report = run(bench.trades().reconcile_positions());
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(bench.broker.position_reads() - before, 1);
    assert_eq!(open(&bench), [(TradeState::Open, 10); 3], "all explained");

    // A sale outside the app is still found on that one read: 4 fewer units in all.
    sold_outside(&bench, 4);
    let report = run(bench.trades().reconcile_positions());
    assert!(report.errors.is_empty(), "{report:?}");
    let held: u32 = open(&bench).iter().map(|(_, q)| q).sum();
    assert_eq!(held, 26, "{:?}", open(&bench));
}

#[test]
fn units_bought_outside_the_app_block_entries_on_that_instrument_until_acknowledged() {
    let bench = Bench::new();
    // 5 INFY bought in Kite's own app: the app has no trade that explains them.
    let report = bought_outside(&bench, 5);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("5 units the app cannot explain")),
        "{report:?}"
    );
    assert_eq!(bench.state.blocking_mismatches(), 1);
    let stored = run(RiskStore::mismatches(bench.store.as_ref())).unwrap();
    assert_eq!((stored.len(), stored[0].outside()), (1, 5));

    // The level's crossing meets the gate: refused, nothing sent.
    run(bench.engine.on_entry_ticks(&[tick("1495")]));
    run(bench.engine.on_entry_ticks(&[tick("1501")]));
    let refused = bench
        .store
        .intents()
        .pop()
        .expect("the level's entry is recorded");
    assert_eq!(refused.state, IntentState::Rejected);
    let reason = refused.reason.clone().unwrap_or_default();
    assert!(reason.contains("acknowledged"), "{reason}");
    assert!(bench.broker.book().is_empty(), "nothing sent");
    // A manual entry on it is refused the same way; housekeeping does not clear it.
    run(bench.engine.on_timer(super::Timer::Housekeeping));
    assert_eq!(manual_entry(&bench, 1).state, IntentState::Rejected);

    // Acknowledged: entries on INFY go out again, and the app's own trade does not count as
    // unexplained.
    let key = crate::model::PositionKey {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        product: Some(ProductKind::Intraday),
    };
    let acked = run(bench.risk.acknowledge(&key, "asha")).unwrap();
    assert_eq!(
        acked.acknowledged.as_ref().map(|a| a.by.as_str()),
        Some("asha")
    );
    assert_eq!(bench.state.blocking_mismatches(), 0);
    let placed = manual_entry(&bench, 2);
    assert_eq!(placed.state, IntentState::Placed, "{placed:?}");
    bench.fill_newest("1502");
    let quiet = run(bench.engine.on_timer(super::Timer::Housekeeping));
    assert!(quiet.errors.is_empty(), "{quiet:?}");
    assert_eq!(bench.state.blocking_mismatches(), 0);

    // 3 more bought outside: 8 unexplained now, a new mismatch that blocks again.
    let report = bought_outside(&bench, 3);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("8 units the app cannot explain")),
        "{report:?}"
    );
    assert_eq!(manual_entry(&bench, 1).state, IntentState::Rejected);
    // The exits of the app's trade are never held back by it.
    let trade = bench.trade(1);
    assert_eq!(trade.state, TradeState::Open);
    // Acknowledging a position that has none is named.
    let mut other = key.clone();
    other.tradingsymbol = "SBIN".into();
    let missing = run(bench.risk.acknowledge(&other, "asha")).unwrap_err();
    assert!(
        missing.to_string().contains("the mismatch on SBIN (MIS)"),
        "{missing}"
    );
}

#[test]
fn units_held_outside_are_exited_by_one_order_for_just_them_that_the_kill_switch_lets_through() {
    let bench = Bench::new();
    // The app's own trade of 2 INFY, then 5 more bought in Kite's own app.
    manual_entry(&bench, 2);
    bench.fill_newest("1500");
    bought_outside(&bench, 5);
    assert_eq!(bench.state.blocking_mismatches(), 1);
    let key = crate::model::PositionKey {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        product: Some(ProductKind::Intraday),
    };

    // The kill switch is engaged without square-off: it lists the outside position.
    let halted = run(bench.risk.engage(false)).unwrap();
    assert_eq!(halted.outside.len(), 1, "{halted:?}");
    assert_eq!(
        (halted.outside[0].outside, halted.outside[0].managed),
        (5, 2)
    );

    // Exit: one market sell of the 5 outside units, never the trade's 2; the switch lets it
    // through, as an exit.
    let exit = run(bench.trades.exit_outside(&key)).unwrap();
    assert!(exit.outside_exit);
    assert_eq!(exit.state, IntentState::Placed, "{exit:?}");
    assert_eq!(
        (exit.request.side, exit.request.quantity),
        (OrderSide::Sell, 5)
    );
    // A second press while it is on its way (not filled, so Kite still shows the units) sends
    // nothing: it would sell them twice and open a short.
    let twice = run(bench.trades.exit_outside(&key)).unwrap_err();
    assert!(twice.to_string().contains("already on its way"), "{twice}");
    assert_eq!(bench.broker.book().len(), 2, "the entry and the one exit");
    // A second kill switch press does not cancel it: it is no entry.
    let again = run(bench.risk.engage(false)).unwrap();
    assert_eq!(again.cancelled_orders, 0, "{again:?}");
    assert_eq!(
        bench.broker.book().last().unwrap().status,
        OrderStatus::Open
    );
    // Once it fills, the mismatch is gone at once, and its fill opened no trade of its own.
    bench.fill_newest("1498");
    assert_eq!(bench.state.blocking_mismatches(), 0);
    assert!(
        run(RiskStore::mismatches(bench.store.as_ref()))
            .unwrap()
            .is_empty()
    );
    let trades = run(TradeStore::recent(bench.store.as_ref(), 10)).unwrap();
    assert_eq!(trades.len(), 1, "{trades:?}");
    assert_eq!(
        (trades[0].id.0, trades[0].quantity, trades[0].state),
        (1, 2, TradeState::Open)
    );
    // Nothing is outside now: a second Exit is refused and sends nothing.
    let nothing = run(bench.trades.exit_outside(&key)).unwrap_err();
    assert!(
        nothing
            .to_string()
            .contains("nothing of INFY is held outside"),
        "{nothing}"
    );
    assert_eq!(bench.broker.book().len(), 2, "the entry and the one exit");
}
