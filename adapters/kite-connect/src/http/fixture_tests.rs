//! Every REST fixture Zerodha published for the endpoints this client speaks decodes through
//! the same envelope path the client uses, with values checked exactly.

use osp_core::model::Price;
use serde::de::DeserializeOwned;

use super::client::decode_envelope;
use super::error::{ErrorType, KiteError};
use super::models::*;
use crate::fixtures;

fn decode<T: DeserializeOwned>(name: &str) -> T {
    decode_envelope(&fixtures::bytes(name), 200)
        .unwrap_or_else(|e| panic!("{name} did not decode: {e}"))
}

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

#[test]
fn session_and_profile() {
    let s: Session = decode("generate_session.json");
    assert_eq!(s.profile.user_id, "XX0000");
    assert_eq!(s.access_token, "XXXXXX");
    assert_eq!(s.profile.exchanges.len(), 8);
    assert_eq!(s.login_time, "2021-01-01 16:15:14");
    let mut secret = s.clone();
    secret.access_token = "sekret-token".into();
    assert!(
        !format!("{secret:?}").contains("sekret"),
        "Debug must redact tokens"
    );
    let profile: Profile = decode("profile.json");
    assert_eq!(profile.user_id, "AB1234");
    assert_eq!(profile.order_types, ["MARKET", "LIMIT", "SL", "SL-M"]);
    assert_eq!(profile.avatar_url, None);
    let full: Profile = decode("full_profile.json");
    assert_eq!(full.user_shortname, "AxAx");
    let logout: bool = decode("session_logout.json");
    assert!(logout);
}

#[test]
fn margins() {
    let m: Margins = decode("margins.json");
    let equity = m.equity.unwrap();
    assert_eq!(equity.net, p("99725.05"));
    assert_eq!(equity.available.cash, p("245431.6"));
    assert_eq!(equity.utilised.span, p("101989"));
    assert_eq!(m.commodity.unwrap().net, p("100661.7"));
    let e: SegmentMargin = decode("margins_equity.json");
    assert_eq!(e.utilised.m2m_realised, p("761.7"));
    let c: SegmentMargin = decode("margin_commodity.json");
    assert!(c.enabled);

    let om: Vec<OrderMargin> = decode("order_margins.json");
    assert_eq!(om[0].var, p("1498"));
    assert_eq!(om[0].charges.total, p("1.7926"));
    assert_eq!(om[0].charges.gst.igst, p("0.0114"));
    let basket: BasketMargins = decode("basket_margins.json");
    assert_eq!(basket.initial.total, p("96504.975"));
    assert_eq!(basket.final_.span, p("7788"));
    assert_eq!(basket.orders[0].tradingsymbol, "NIFTY23JUL20600CE");
}

#[test]
fn orders_and_trades() {
    for name in [
        "order_response.json",
        "order_modify.json",
        "order_cancel.json",
    ] {
        let id: OrderId = decode(name);
        assert_eq!(id.order_id, "151220000000000");
    }
    let orders: Vec<Order> = decode("orders.json");
    assert_eq!(orders.len(), 10);
    assert_eq!(orders[0].status, "CANCELLED");
    assert_eq!(orders[0].price, p("72"));
    assert_eq!(orders[0].cancelled_quantity, 1);
    assert_eq!(orders[2].average_price, p("109.35"));
    assert_eq!(orders[3].variety, "iceberg");
    assert_eq!(orders[3].tag.as_deref(), Some("icebergord"));
    assert_eq!(
        orders[5].tags.as_deref(),
        Some(&["connect test order2".to_owned(), "XXXXX".to_owned()][..])
    );
    assert_eq!(orders[8].price, p("159.82"));
    assert_eq!(orders[8].average_price, p("156.7"));
    assert!(orders.iter().all(|o| !o.is_open()));

    let history: Vec<Order> = decode("order_info.json");
    let statuses: Vec<&str> = history.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(statuses.first(), Some(&"PUT ORDER REQ RECEIVED"));
    assert_eq!(statuses.last(), Some(&"OPEN"));
    assert!(history.last().unwrap().is_open());
    assert_eq!(history[0].exchange_order_id, None);

    let trades: Vec<Trade> = decode("trades.json");
    assert_eq!(trades.len(), 4);
    assert_eq!(trades[0].average_price, p("420.65"));
    assert_eq!(trades[1].average_price, p("72.755"));
    let order_trades: Vec<Trade> = decode("order_trades.json");
    assert_eq!(order_trades[0].tradingsymbol, "GOLDPETAL21JUNFUT");
    assert_eq!(order_trades[0].average_price, p("4852"));

    let update: OrderUpdate = serde_json::from_slice(&fixtures::bytes("postback.json")).unwrap();
    assert_eq!(update.order.order_id, "220303000308932");
    assert_eq!(update.order.average_price, p("470"));
    assert_eq!(update.unfilled_quantity, 0);
}

#[test]
fn portfolio() {
    let positions: Positions = decode("positions.json");
    assert_eq!(positions.net.len(), 3);
    assert_eq!(positions.day.len(), 3);
    let lead = &positions.net[0];
    assert_eq!(lead.multiplier, 1000);
    assert_eq!(lead.average_price, p("161.05"));
    assert_eq!(lead.value, p("-161050"));
    assert_eq!(positions.net[1].buy_price, p("23139.75"));
    assert_eq!(positions.net[2].pnl, p("-2"));

    let holdings: Vec<Holding> = decode("holdings.json");
    assert_eq!(holdings[0].tradingsymbol, "AARON");
    assert_eq!(holdings[0].day_change, p("0.6"));
    assert_eq!(holdings[1].average_price, p("801.7813"));
    assert_eq!(holdings[1].pnl, p("-629.3"));
    let auctions: Vec<Holding> = decode("auctions_list.json");
    assert_eq!(auctions[2].pnl, p("61.05"));
    let converted: bool = decode("convert_position.json");
    assert!(converted);
}

#[test]
fn quotes_and_candles() {
    let ltp: QuoteMap<LtpQuote> = decode("ltp.json");
    assert_eq!(ltp["NSE:INFY"].last_price, p("1074.35"));
    assert_eq!(ltp["NSE:INFY"].instrument_token, 408065);
    let ohlc: QuoteMap<OhlcQuote> = decode("ohlc.json");
    assert_eq!(ohlc["NSE:INFY"].ohlc.high, p("1085.9"));
    assert_eq!(ohlc["NSE:INFY"].last_price, p("1075"));
    let quote: QuoteMap<FullQuote> = decode("quote.json");
    let infy = &quote["NSE:INFY"];
    assert_eq!(infy.last_price, p("1412.95"));
    assert_eq!(infy.volume, 7360198);
    assert_eq!(infy.upper_circuit_limit, p("1528.6"));
    let depth = infy.depth.as_ref().unwrap();
    assert_eq!(depth.sell[0].price, p("1412.95"));
    assert_eq!(depth.sell[0].orders, 13);
    assert_eq!(depth.buy.len(), 5);

    let minute: Candles = decode("historical_minute.json");
    assert_eq!(minute.candles.len(), 6);
    assert_eq!(minute.candles[0].timestamp, "2017-12-15T09:15:00+0530");
    assert_eq!(minute.candles[0].low, p("1699.25"));
    assert_eq!(minute.candles[0].volume, 2499);
    assert_eq!(minute.candles[0].oi, None);
    let oi: Candles = decode("historical_oi.json");
    assert_eq!(oi.candles[2].close, p("11998.55"));
    assert_eq!(oi.candles[2].oi, Some(13758000));
    // What the simulator writes reads back the same.
    let text = serde_json::to_string(&oi).unwrap();
    assert_eq!(serde_json::from_str::<Candles>(&text).unwrap(), oi);
}

#[test]
fn gtt() {
    for name in [
        "gtt_place_order.json",
        "gtt_modify_order.json",
        "gtt_delete_order.json",
    ] {
        let id: TriggerId = decode(name);
        assert_eq!(id.trigger_id, 123);
    }
    let all: Vec<Gtt> = decode("gtt_get_orders.json");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].condition.trigger_values, [p("702")]);
    assert_eq!(all[0].orders[0].price, p("702.5"));
    let one: Gtt = decode("gtt_get_order.json");
    assert_eq!(one.kind, "two-leg");
    assert_eq!(one.condition.trigger_values, [p("102"), p("103.7")]);
    let result = one.orders[1].result.as_ref().unwrap();
    assert_eq!(result.triggered_at, Some(p("103.7")));
    assert_eq!(result.order_result.status, "failed");
    assert!(
        result
            .order_result
            .rejection_reason
            .contains("lower circuit")
    );
}

#[test]
fn alerts() {
    for (name, constant) in [
        ("alerts_create.json", "27000"),
        ("alerts_get_one.json", "27000"),
        ("alerts_modify.json", "27500"),
    ] {
        let a: Alert = decode(name);
        assert_eq!(a.kind, "simple");
        assert_eq!(a.rhs_constant, p(constant));
        assert_eq!(a.lhs_exchange, "INDICES");
    }
    let ato: Alert = decode("alerts_create_ato.json");
    assert_eq!(ato.kind, "ato");
    let all: Vec<Alert> = decode("alerts_get.json");
    assert_eq!(all.len(), 2);
    let basket = all[1].basket.as_ref().unwrap();
    assert_eq!(basket.items[0].params.price, p("72.22"));
    assert_eq!(all[1].rhs_constant, p("71.8"));
    let history: Vec<AlertHistoryEntry> = decode("alerts_history.json");
    assert_eq!(history[0].meta[0].last_price, p("58288.05"));
    assert_eq!(history[0].meta[0].net_change, p("-1269.9"));
    let deleted: Option<serde_json::Value> = decode("alerts_delete.json");
    assert_eq!(deleted, None);
}

#[test]
fn an_error_envelope_is_a_typed_error_even_with_status_200() {
    let body = br#"{"status":"error","message":"Invalid `api_key` or `access_token`.","error_type":"TokenException"}"#;
    let err = decode_envelope::<Profile>(body, 200).unwrap_err();
    assert!(matches!(
        &err,
        KiteError::Api { error_type: ErrorType::TokenException, message, .. } if message.contains("api_key")
    ));
    let err = decode_envelope::<Profile>(b"<html>", 200).unwrap_err();
    assert!(matches!(err, KiteError::Decode(_)));
}

/// Every published fixture is either decoded above (values checked) or named here as not yet
/// spoken by this client, so a fixture cannot be skipped by accident.
#[test]
fn every_fixture_is_accounted_for() {
    const DECODED: &[&str] = &[
        "alerts_create",
        "alerts_create_ato",
        "alerts_delete",
        "alerts_get",
        "alerts_get_one",
        "alerts_history",
        "alerts_modify",
        "auctions_list",
        "basket_margins",
        "convert_position",
        "full_profile",
        "generate_session",
        "gtt_delete_order",
        "gtt_get_order",
        "gtt_get_orders",
        "gtt_modify_order",
        "gtt_place_order",
        "historical_minute",
        "historical_oi",
        "holdings",
        "ltp",
        "margin_commodity",
        "margins",
        "margins_equity",
        "ohlc",
        "order_cancel",
        "order_info",
        "order_margins",
        "order_modify",
        "order_response",
        "order_trades",
        "orders",
        "positions",
        "postback",
        "profile",
        "quote",
        "session_logout",
        "trades",
        // Decoded by the ticker's tests.
        "ticker_full",
        "ticker_ltp",
        "ticker_quote",
    ];
    // Endpoints outside this client so far: mutual funds, holdings authorisation (CDSL TPIN),
    // auto-slicing, contract notes, trigger ranges, compact holdings and the holdings summary.
    const NOT_YET: &[&str] = &[
        "autoslice_response",
        "holdings_auth",
        "holdings_compact",
        "holdings_summary",
        "mf_holdings",
        "mf_order_cancel",
        "mf_order_response",
        "mf_orders",
        "mf_orders_info",
        "mf_sip_cancel",
        "mf_sip_info",
        "mf_sip_modify",
        "mf_sip_place",
        "mf_sips",
        "trigger_range",
        "virtual_contract_note",
    ];
    let dir = fixtures::path("");
    let mut unaccounted = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json")
            && !DECODED.contains(&stem)
            && !NOT_YET.contains(&stem)
        {
            unaccounted.push(name);
        }
    }
    assert!(
        unaccounted.is_empty(),
        "fixtures no test decodes: {unaccounted:?}"
    );
}
