//! Kite's ATO alerts place their basket at Kite when they fire, without asking the app again:
//! the desk holds each basket to the risk gate before Kite is given it — on the core's test
//! kit, with the same `RiskGate` the executor has. Engaging the kill switch takes them back
//! out of Kite's hands, until the trader puts them back.

use std::sync::Arc;

use crate::model::{
    BrokerAlertKind, BrokerAlertOperator, InstrumentToken, KillSwitch, OrderSide, ProductKind,
    RiskLimits,
};
use crate::ports::{
    BrokerAlertStore, BrokerAlerts, BrokerOrderAlerts, Clock, IntentStore, MarketData, RiskStore,
};
use crate::services::instruments::InstrumentCatalog;
use crate::services::trading::{
    EntryCount, Portfolio, PreTradeCheck, RiskGate, RiskState, StandingOrders,
};
use crate::testing::{
    ManualClock, MemoryAlertMirror, MemoryBrokerAlerts, MemoryStore, NoTicks, run,
};

use super::{AtoOrderDraft, AtoOrderType, BrokerAlertDesk, BrokerAlertDraft, BrokerAlertError};

const INFY: u32 = 408_065;

struct Setup {
    desk: BrokerAlertDesk,
    kite: Arc<MemoryBrokerAlerts>,
    state: Arc<RiskState>,
    /// The stored limits and switch, which the gate reads before each check (as where the web
    /// side runs apart): engaging and releasing here is what the gate sees.
    store: Arc<MemoryStore>,
}

fn setup(limits: RiskLimits, kill_switch: Option<KillSwitch>) -> Setup {
    let catalog = Arc::new(InstrumentCatalog::default());
    catalog.replace(vec![crate::testing::infy()]);
    let store = Arc::new(MemoryStore::default());
    run(store.set_limits(&limits, 0)).unwrap();
    run(store.set_kill_switch(kill_switch.as_ref(), 0)).unwrap();
    let clock = Arc::new(ManualClock::at(1_796_358_600_000)) as Arc<dyn Clock>;
    let state = Arc::new(RiskState::new(limits, kill_switch));
    let gate = Arc::new(RiskGate {
        state: state.clone(),
        intents: store.clone() as Arc<dyn IntentStore>,
        portfolio: Arc::new(Portfolio::holding([])),
        entries: EntryCount::default(),
        market: Arc::new(NoTicks) as Arc<dyn MarketData>,
        catalog: catalog.clone(),
        clock: clock.clone(),
        stored: Some(store.clone() as Arc<dyn RiskStore>),
    });
    let kite = Arc::new(MemoryBrokerAlerts::default());
    let desk = BrokerAlertDesk::new(
        kite.clone() as Arc<dyn BrokerAlerts>,
        Some(kite.clone() as Arc<dyn BrokerOrderAlerts>),
        Arc::new(MemoryAlertMirror::default()) as Arc<dyn BrokerAlertStore>,
        catalog,
        clock,
        gate as Arc<dyn PreTradeCheck>,
    );
    Setup {
        desk,
        kite,
        state,
        store,
    }
}

fn ato(quantity: u32) -> BrokerAlertDraft {
    BrokerAlertDraft {
        name: "breakout".into(),
        token: Some(InstrumentToken(INFY)),
        operator: BrokerAlertOperator::Ge,
        value: "1600".into(),
        kind: BrokerAlertKind::Ato,
        order_token: None,
        basket: vec![AtoOrderDraft {
            side: OrderSide::Buy,
            quantity: quantity.to_string(),
            order_type: AtoOrderType::Limit,
            price: "1600".into(),
            product: ProductKind::Delivery,
        }],
    }
}

fn simple() -> BrokerAlertDraft {
    BrokerAlertDraft {
        kind: BrokerAlertKind::Simple,
        basket: Vec::new(),
        ..ato(1)
    }
}

#[test]
fn an_ato_alert_made_while_the_kill_switch_is_on_is_refused_before_kite() {
    let halted = KillSwitch {
        engaged_ms: 1,
        squared_off: false,
    };
    let s = setup(RiskLimits::NONE, Some(halted));
    assert!(s.state.halted());
    match run(s.desk.create(&ato(1))) {
        Err(BrokerAlertError::RiskRefused(reason)) => {
            assert!(reason.starts_with("the kill switch is on"), "{reason}")
        }
        other => panic!("expected the gate's refusal, got {other:?}"),
    }
    assert_eq!(s.kite.calls(), 0, "Kite was not asked");
    // A simple alert places nothing: it is made.
    run(s.desk.create(&simple())).unwrap();
    assert_eq!(s.kite.calls(), 1);
}

#[test]
fn an_ato_basket_over_a_per_order_limit_is_refused_at_creation_and_at_modification() {
    let s = setup(
        RiskLimits {
            max_order_quantity: Some(5),
            ..RiskLimits::NONE
        },
        None,
    );
    let refused = run(s.desk.create(&ato(10))).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "risk check: quantity 10 is above the limit of 5 per order"
    );
    assert_eq!(s.kite.calls(), 0);

    let made = run(s.desk.create(&ato(5))).unwrap();
    assert_eq!(s.kite.calls(), 1);
    let refused = run(s.desk.modify(&made.id, &ato(6))).unwrap_err();
    assert!(
        matches!(refused, BrokerAlertError::RiskRefused(_)),
        "{refused:?}"
    );
    assert_eq!(s.kite.calls(), 1, "the change never reached Kite");
    let at_kite = run(s.kite.list()).unwrap();
    assert_eq!(at_kite[0].orders.as_ref().unwrap()[0].quantity, 5);
}

fn halt(s: &Setup) {
    let switch = KillSwitch {
        engaged_ms: 1,
        squared_off: false,
    };
    run(s.store.set_kill_switch(Some(&switch), 1)).unwrap();
}

fn release(s: &Setup) {
    run(s.store.set_kill_switch(None, 2)).unwrap();
}

fn ids(alerts: &[crate::model::BrokerAlert]) -> Vec<String> {
    alerts.iter().map(|a| a.id.clone()).collect()
}

#[test]
fn engaging_the_kill_switch_takes_the_ato_alerts_from_kite_and_keeps_them_until_put_back() {
    let s = setup(RiskLimits::NONE, None);
    let ato = run(s.desk.create(&ato(5))).unwrap();
    let simple = run(s.desk.create(&simple())).unwrap();
    halt(&s);

    let taken = run(s.desk.stand_down());
    assert_eq!(taken.suspended, 1, "{:?}", taken.problems);
    assert!(taken.problems.is_empty(), "{:?}", taken.problems);
    assert_eq!(
        ids(&run(s.kite.list()).unwrap()),
        vec![simple.id.clone()],
        "the ATO alert is gone from Kite, the simple one (it places nothing) stays"
    );
    let board = run(s.desk.board()).unwrap();
    assert_eq!(ids(&board.mirror.alerts), vec![simple.id.clone()]);
    assert_eq!(board.suspended.len(), 1);
    assert_eq!(board.suspended[0].alert, ato, "kept as Kite held it");

    // While the switch is on, putting it back meets the gate and is refused before Kite.
    let calls = s.kite.calls();
    match run(s.desk.put_back(&ato.id)) {
        Err(BrokerAlertError::RiskRefused(reason)) => {
            assert!(reason.starts_with("the kill switch is on"), "{reason}")
        }
        other => panic!("expected the gate's refusal, got {other:?}"),
    }
    assert_eq!(s.kite.calls(), calls, "Kite was not asked");

    // Released, nothing comes back by itself: a sync leaves it suspended.
    release(&s);
    run(s.desk.sync()).unwrap();
    assert_eq!(run(s.kite.list()).unwrap().len(), 1);
    assert_eq!(run(s.desk.suspended()).unwrap().len(), 1);

    // Put back deliberately: made again at Kite, as it was, under a new id.
    let back = run(s.desk.put_back(&ato.id)).unwrap();
    assert_ne!(back.id, ato.id);
    assert_eq!(back.orders, ato.orders);
    assert_eq!(back.spec, ato.spec);
    assert!(run(s.desk.suspended()).unwrap().is_empty());
    assert_eq!(run(s.kite.list()).unwrap().len(), 2);
    assert!(matches!(
        run(s.desk.put_back(&ato.id)),
        Err(BrokerAlertError::NotSuspended)
    ));
}

#[test]
fn while_halted_each_sync_takes_any_ato_alert_kite_lists_and_what_a_failed_stand_down_left() {
    let s = setup(RiskLimits::NONE, None);
    let first = run(s.desk.create(&ato(5))).unwrap();
    halt(&s);
    // Kite cannot be reached when the switch is engaged: nothing is lost, the trader is told.
    s.kite.set_down(true);
    let taken = run(s.desk.stand_down());
    assert_eq!(taken.suspended, 0);
    assert!(
        taken.problems[0].starts_with("Kite's alerts could not be read"),
        "{:?}",
        taken.problems
    );
    s.kite.set_down(false);
    assert_eq!(run(s.kite.list()).unwrap().len(), 1, "still at Kite");

    // Back up, with a second ATO alert made at Kite meanwhile: the next sync takes both.
    let mut second = first.clone();
    second.id = "made-at-kite".into();
    second.name = "another".into();
    s.kite.made_at_kite(second);
    let report = run(s.desk.sync()).unwrap();
    assert_eq!(report.stood_down.suspended, 2, "{:?}", report.stood_down);
    assert!(run(s.kite.list()).unwrap().is_empty());
    assert!(run(s.desk.board()).unwrap().mirror.alerts.is_empty());
    assert_eq!(run(s.desk.suspended()).unwrap().len(), 2);

    // Let go: forgotten without being made again.
    run(s.desk.let_go("made-at-kite")).unwrap();
    let kept: Vec<_> = run(s.desk.suspended()).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].alert.id, first.id);
    assert!(matches!(
        run(s.desk.let_go("made-at-kite")),
        Err(BrokerAlertError::NotSuspended)
    ));
}

#[test]
fn an_ato_alert_that_fired_already_is_left_as_it_is() {
    let s = setup(RiskLimits::NONE, None);
    let mut fired = run(s.desk.create(&ato(5))).unwrap();
    run(s.kite.delete(&fired.id)).unwrap();
    fired.id = "fired".into();
    fired.enabled = false;
    fired.disabled_reason = "triggered".into();
    s.kite.made_at_kite(fired);
    halt(&s);
    let taken = run(s.desk.stand_down());
    assert_eq!(taken, crate::services::trading::StandDown::default());
    assert_eq!(ids(&run(s.kite.list()).unwrap()), vec!["fired".to_owned()]);
}

#[test]
fn an_ato_alert_this_app_cannot_make_again_is_left_at_kite_and_named() {
    let s = setup(RiskLimits::NONE, None);
    let mut foreign = run(s.desk.create(&ato(5))).unwrap();
    run(s.kite.delete(&foreign.id)).unwrap();
    foreign.id = "foreign".into();
    foreign.name = "stop-loss basket".into();
    foreign.orders = None;
    s.kite.made_at_kite(foreign);
    halt(&s);
    let taken = run(s.desk.stand_down());
    assert_eq!(taken.suspended, 0);
    assert!(
        taken.problems[0].contains("\"stop-loss basket\" was made outside this app"),
        "{:?}",
        taken.problems
    );
    assert_eq!(
        ids(&run(s.kite.list()).unwrap()),
        vec!["foreign".to_owned()]
    );
    assert!(run(s.desk.suspended()).unwrap().is_empty());
}

#[test]
fn a_put_back_whose_answer_was_lost_is_not_made_twice() {
    let s = setup(RiskLimits::NONE, None);
    let ato = run(s.desk.create(&ato(5))).unwrap();
    halt(&s);
    run(s.desk.stand_down());
    release(&s);
    // Made again at Kite, then a crash before it was forgotten here: the sync mirrors it.
    let spec = run(s.desk.suspended()).unwrap()[0].ato_spec().unwrap();
    run(s.kite.create_ato(&spec)).unwrap();
    run(s.desk.sync()).unwrap();
    let calls = s.kite.calls();
    let back = run(s.desk.put_back(&ato.id)).unwrap();
    assert_eq!(s.kite.calls(), calls, "not made a second time");
    assert_eq!(back.orders, ato.orders);
    assert_eq!(run(s.kite.list()).unwrap().len(), 1);
    assert!(run(s.desk.suspended()).unwrap().is_empty());
}
