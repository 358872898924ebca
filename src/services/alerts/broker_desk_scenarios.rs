//! Kite's ATO alerts place their basket at Kite when they fire, without asking the app again:
//! the desk holds each basket to the risk gate before Kite is given it — on the core's test
//! kit, with the same `RiskGate` the executor has.

use std::sync::Arc;

use crate::model::{
    BrokerAlertKind, BrokerAlertOperator, Exchange, Instrument, InstrumentToken, KillSwitch,
    OrderSide, Price, ProductKind, RiskLimits,
};
use crate::ports::{
    BrokerAlertStore, BrokerAlerts, BrokerOrderAlerts, Clock, IntentStore, MarketData,
};
use crate::services::instruments::InstrumentCatalog;
use crate::services::trading::{EntryCount, Portfolio, PreTradeCheck, RiskGate, RiskState};
use crate::testing::{
    ManualClock, MemoryAlertMirror, MemoryBrokerAlerts, MemoryStore, NoTicks, run,
};

use super::{AtoOrderDraft, AtoOrderType, BrokerAlertDesk, BrokerAlertDraft, BrokerAlertError};

const INFY: u32 = 408_065;

struct Setup {
    desk: BrokerAlertDesk,
    kite: Arc<MemoryBrokerAlerts>,
    state: Arc<RiskState>,
}

fn setup(limits: RiskLimits, kill_switch: Option<KillSwitch>) -> Setup {
    let catalog = Arc::new(InstrumentCatalog::default());
    catalog.replace(vec![Instrument {
        token: InstrumentToken(INFY),
        exchange_token: 1,
        tradingsymbol: "INFY".into(),
        name: "INFOSYS".into(),
        exchange: Exchange::Nse,
        segment: "NSE".into(),
        instrument_type: "EQ".into(),
        tick_size: Price::parse("0.05").unwrap(),
        lot_size: 1,
        expiry: None,
        strike: Price::ZERO,
    }]);
    let store = Arc::new(MemoryStore::default());
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
        stored: None,
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
    Setup { desk, kite, state }
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
