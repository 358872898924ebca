//! The REST client against the simulator over loopback, endpoint by endpoint, with Kite's
//! error paths: bad checksum, reused or invalidated tokens, refused orders, 429s, 5xx retried
//! only where safe, a lost placement answer resolved by tag, and the circuit breaker.
//!
//! Over 500 lines: one test per endpoint family, all on one simulator fixture, so the client's
//! whole surface is checked in one place.

use std::sync::Arc;
use std::time::Duration;

use kite_connect::common::enums::{
    AlertOperator, AlertType, GttType, Interval, OrderType, PositionType, Product, TransactionType,
    Variety,
};
use kite_connect::common::urls::KiteEndpoints;
use kite_connect::http::models::{
    AlertParams, ConvertPosition, GttOrder, GttParams, MarginOrder, ModifyParams, OrderParams,
};
use kite_connect::http::{
    BreakerConfig, BreakerState, ErrorType, HistoricalRequest, KiteClient, KiteClientConfig,
    KiteError, RateLimitConfig, Retry, RetryConfig,
};
use kite_sim::{KiteSim, RestFault, RunningSim, SimConfig};
use osp_core::model::Price;
use osp_server::clock::SystemClock;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

const INFY: u32 = 408_065;
const API_KEY: &str = "rest_key";
const API_SECRET: &str = "rest_secret";

struct Sim {
    running: RunningSim,
    stop: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Sim {
    async fn start() -> Sim {
        let stop = CancellationToken::new();
        let mut config = SimConfig::new(API_KEY, API_SECRET);
        config.redirect_url = Some("http://127.0.0.1:9/kite/callback".into());
        // A slow market: tests move prices themselves.
        config.tick_interval = Duration::from_secs(60);
        let running = KiteSim::start_on_loopback(config, Arc::new(SystemClock), stop.clone())
            .await
            .unwrap();
        Sim { running, stop }
    }

    fn config(&self) -> KiteClientConfig {
        let mut config =
            KiteClientConfig::new(KiteEndpoints::simulator(&self.running.base_url()), API_KEY);
        config.api_secret = Some(SecretString::from(API_SECRET));
        config.retry = RetryConfig {
            max_retries: 3,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        };
        config
    }

    /// A client with a live session.
    fn client(&self) -> KiteClient {
        self.client_with(self.config())
    }

    fn client_with(&self, config: KiteClientConfig) -> KiteClient {
        let client = KiteClient::new(config).unwrap();
        client.set_access_token(SecretString::from(
            self.running.sim.state.auth.issue_access_token(),
        ));
        client
    }

    fn set_price(&self, token: u32, price: &str) {
        assert!(self.running.sim.set_last_price(token, p(price)));
    }
}

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

/// Follows the login URL like a browser would, up to the redirect, and returns its request
/// token.
pub async fn log_in(client: &KiteClient) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser
        .get(client.login_url(Some("next=/levels")))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("action=login"), "{location}");
    assert!(location.contains("status=success"), "{location}");
    assert!(location.contains("next=%2Flevels"), "{location}");
    location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("request_token="))
        .expect("the redirect carries a request_token")
        .to_owned()
}

fn api_error(e: &KiteError) -> (u16, ErrorType, String) {
    match e {
        KiteError::Api {
            status,
            error_type,
            message,
        } => (*status, error_type.clone(), message.clone()),
        other => panic!("expected Kite's error envelope, got {other:?}"),
    }
}

fn market_order(side: TransactionType, quantity: u32) -> OrderParams {
    OrderParams::new(
        "NSE",
        "INFY",
        side,
        OrderType::Market,
        Product::Mis,
        quantity,
    )
}

#[tokio::test]
async fn login_exchanges_a_request_token_once_and_logout_ends_the_session() {
    let sim = Sim::start().await;
    let client = KiteClient::new(sim.config()).unwrap();
    assert!(matches!(
        client.profile().await,
        Err(KiteError::NotLoggedIn)
    ));

    let request_token = log_in(&client).await;
    let session = client.generate_session(&request_token).await.unwrap();
    assert_eq!(session.api_key, API_KEY);
    assert_eq!(
        client.profile().await.unwrap().user_id,
        session.profile.user_id
    );

    // A request token is single-use.
    let reused = client.generate_session(&request_token).await.unwrap_err();
    let (status, kind, _) = api_error(&reused);
    assert_eq!((status, kind), (403, ErrorType::TokenException));
    assert_eq!(reused.retry(), Retry::Reauthenticate);

    // A client holding the wrong secret computes a wrong checksum.
    let mut wrong = sim.config();
    wrong.api_secret = Some(SecretString::from("not_the_secret"));
    let wrong = KiteClient::new(wrong).unwrap();
    let token = log_in(&wrong).await;
    let (status, kind, message) = api_error(&wrong.generate_session(&token).await.unwrap_err());
    assert_eq!((status, kind), (403, ErrorType::TokenException));
    assert!(message.contains("checksum"), "{message}");

    // Logout invalidates the access token at the simulator.
    let stale = KiteClient::new(sim.config()).unwrap();
    stale.set_access_token(SecretString::from(session.access_token.clone()));
    assert!(client.invalidate_session().await.unwrap());
    let (status, kind, _) = api_error(&stale.profile().await.unwrap_err());
    assert_eq!((status, kind), (403, ErrorType::TokenException));
    assert!(matches!(
        client.profile().await,
        Err(KiteError::NotLoggedIn)
    ));
}

#[tokio::test]
async fn orders_fill_into_trades_positions_and_margins() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1500");
    let before = client.margins().await.unwrap().equity.unwrap().net;

    let mut buy = market_order(TransactionType::Buy, 10);
    buy.tag = Some("entry1".into());
    let id = client.place_order(&buy).await.unwrap().order_id;
    let history = client.order_history(&id).await.unwrap();
    assert_eq!(history.first().unwrap().status, "PUT ORDER REQ RECEIVED");
    assert_eq!(history.last().unwrap().status, "COMPLETE");
    let trades = client.order_trades(&id).await.unwrap();
    assert_eq!(trades[0].average_price, p("1500"));
    assert_eq!(client.trades().await.unwrap().len(), 1);
    let found = client.find_order_by_tag("entry1").await.unwrap().unwrap();
    assert_eq!(found.order_id, id);

    sim.set_price(INFY, "1510");
    let positions = client.positions().await.unwrap();
    let infy = &positions.net[0];
    assert_eq!(infy.quantity, 10);
    assert_eq!(infy.average_price, p("1500"));
    assert_eq!(infy.pnl, p("100"));
    let after = client.margins().await.unwrap().equity.unwrap().net;
    assert_eq!(before.checked_sub(after), Some(p("15000")));
    assert_eq!(client.segment_margins("equity").await.unwrap().net, after);

    // A resting LIMIT order: modified, then cancelled.
    let mut limit = market_order(TransactionType::Sell, 10);
    limit.order_type = OrderType::Limit;
    limit.price = Some(p("1600"));
    let resting = client.place_order(&limit).await.unwrap().order_id;
    let change = ModifyParams {
        price: Some(p("1590")),
        ..Default::default()
    };
    client
        .modify_order(Variety::Regular, &resting, &change)
        .await
        .unwrap();
    let open = client.orders().await.unwrap();
    let order = open.iter().find(|o| o.order_id == resting).unwrap();
    assert_eq!((order.status.as_str(), order.price), ("OPEN", p("1590")));
    client
        .cancel_order(Variety::Regular, &resting)
        .await
        .unwrap();
    let (status, kind, message) = api_error(
        &client
            .cancel_order(Variety::Regular, &resting)
            .await
            .unwrap_err(),
    );
    assert_eq!((status, kind), (400, ErrorType::OrderException));
    assert!(message.contains("cancelled"), "{message}");

    // Converting the MIS position to CNC.
    let convert = ConvertPosition {
        exchange: "NSE".into(),
        tradingsymbol: "INFY".into(),
        transaction_type: TransactionType::Buy,
        position_type: PositionType::Day,
        quantity: 10,
        old_product: Product::Mis,
        new_product: Product::Cnc,
    };
    assert!(client.convert_position(&convert).await.unwrap());
    let positions = client.positions().await.unwrap();
    let cnc = positions.net.iter().find(|p| p.product == "CNC").unwrap();
    assert_eq!(cnc.quantity, 10);
    assert!(client.holdings().await.unwrap().is_empty());
}

#[tokio::test]
async fn refused_orders_say_which_field_is_wrong() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1500");

    // Caught before sending.
    let mut no_price = market_order(TransactionType::Buy, 1);
    no_price.order_type = OrderType::Limit;
    let e = client.place_order(&no_price).await.unwrap_err();
    assert!(
        matches!(&e, KiteError::InvalidRequest(m) if m.contains("price")),
        "{e}"
    );

    // Refused by the simulator, as Kite would.
    let mut off_tick = market_order(TransactionType::Buy, 1);
    off_tick.order_type = OrderType::Limit;
    off_tick.price = Some(p("1500.03"));
    let (status, kind, message) = api_error(&client.place_order(&off_tick).await.unwrap_err());
    assert_eq!((status, kind), (400, ErrorType::InputException));
    assert!(
        message.contains("`price`") && message.contains("tick"),
        "{message}"
    );

    let mut index = market_order(TransactionType::Buy, 1);
    index.tradingsymbol = "NIFTY 50".into();
    let (_, kind, message) = api_error(&client.place_order(&index).await.unwrap_err());
    assert_eq!(kind, ErrorType::InputException);
    assert!(message.contains("index"), "{message}");

    let mut huge = market_order(TransactionType::Buy, 1_000_000);
    huge.product = Product::Cnc;
    let e = client.place_order(&huge).await.unwrap_err();
    let (_, kind, message) = api_error(&e);
    assert_eq!(kind, ErrorType::MarginException);
    assert!(message.contains("Insufficient funds"), "{message}");
    assert_eq!(e.retry(), Retry::Never);
    assert!(client.orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn quotes_instruments_and_historical_candles() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1512.35");

    let ltp = client.ltp(&["NSE:INFY", "NSE:NOPE"]).await.unwrap();
    assert_eq!(ltp["NSE:INFY"].last_price, p("1512.35"));
    assert!(
        !ltp.contains_key("NSE:NOPE"),
        "unknown instruments are left out"
    );
    let ohlc = client.ohlc(&["NSE:INFY"]).await.unwrap();
    assert!(ohlc["NSE:INFY"].ohlc.high >= p("1512.35"));
    let quote = client.quote(&["NSE:INFY"]).await.unwrap();
    let full = &quote["NSE:INFY"];
    let depth = full.depth.as_ref().unwrap();
    assert_eq!(depth.buy.len(), 5);
    assert!(depth.buy[0].price < full.last_price && full.last_price < depth.sell[0].price);
    assert!(matches!(
        client.ltp(&["INFY"]).await,
        Err(KiteError::InvalidRequest(m)) if m.contains("EXCHANGE:TRADINGSYMBOL")
    ));

    let dump = client.instruments(None).await.unwrap();
    assert!(dump.row_errors.is_empty());
    let infy = dump
        .instruments
        .iter()
        .find(|i| i.tradingsymbol == "INFY")
        .unwrap();
    assert_eq!(infy.token.0, INFY);
    assert_eq!(infy.tick_size, p("0.05"));
    assert!(dump.instruments.iter().any(|i| i.segment == "INDICES"));
    assert!(
        client
            .instruments(Some("BSE"))
            .await
            .unwrap()
            .instruments
            .is_empty()
    );

    let request = HistoricalRequest {
        instrument_token: INFY,
        interval: Interval::Minute15,
        from: "2026-11-23 09:15:00".into(),
        to: "2026-11-23 15:29:59".into(),
        continuous: false,
        oi: true,
    };
    let candles = client.historical(&request).await.unwrap().candles;
    assert_eq!(candles.len(), 25, "09:15 to 15:15 in 15-minute candles");
    assert_eq!(candles[0].timestamp, "2026-11-23T09:15:00+0530");
    assert!(
        candles
            .iter()
            .all(|c| c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close))
    );
    assert!(candles.iter().all(|c| c.oi == Some(0)));
    // The same instrument and time give the same candle, in any request.
    let again = client
        .historical(&HistoricalRequest {
            from: "2026-11-23 12:00:00".into(),
            ..request.clone()
        })
        .await
        .unwrap()
        .candles;
    assert_eq!(again[0], candles[11]);
    let weekend = client
        .historical(&HistoricalRequest {
            from: "2026-11-22".into(),
            to: "2026-11-22 23:59:59".into(),
            ..request.clone()
        })
        .await
        .unwrap();
    assert!(weekend.candles.is_empty(), "no candles on a Sunday");
    let (_, kind, message) = api_error(
        &client
            .historical(&HistoricalRequest {
                from: "23/11/2026".into(),
                ..request
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, ErrorType::InputException);
    assert!(message.contains("`from`"), "{message}");

    let margins = client
        .order_margins(&[MarginOrder {
            exchange: "NSE".into(),
            tradingsymbol: "INFY".into(),
            transaction_type: "BUY".into(),
            variety: "regular".into(),
            product: "CNC".into(),
            order_type: "MARKET".into(),
            quantity: 10,
            price: Price::ZERO,
            trigger_price: Price::ZERO,
        }])
        .await
        .unwrap();
    assert_eq!(margins[0].total, p("15123.5"));
}

#[tokio::test]
async fn gtts_are_stored_modified_triggered_and_deleted() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1500");
    let leg = |price: &str| GttOrder {
        exchange: "NSE".into(),
        tradingsymbol: "INFY".into(),
        product: "CNC".into(),
        order_type: "LIMIT".into(),
        transaction_type: "BUY".into(),
        quantity: 2,
        price: p(price),
        result: None,
    };
    let mut params = GttParams {
        kind: GttType::Single,
        exchange: "NSE".into(),
        tradingsymbol: "INFY".into(),
        instrument_token: INFY,
        last_price: p("1500"),
        trigger_values: vec![p("1450")],
        orders: vec![leg("1451")],
    };
    let id = client.place_gtt(&params).await.unwrap().trigger_id;
    params.trigger_values = vec![p("1440")];
    params.orders = vec![leg("1441")];
    client.modify_gtt(id, &params).await.unwrap();
    let gtt = client.gtt(id).await.unwrap();
    assert_eq!(gtt.condition.trigger_values, [p("1440")]);
    assert_eq!(gtt.status, "active");

    sim.set_price(INFY, "1445");
    assert_eq!(client.gtt(id).await.unwrap().status, "active");
    sim.set_price(INFY, "1439.5");
    let fired = client.gtt(id).await.unwrap();
    assert_eq!(fired.status, "triggered");
    let result = fired.orders[0].result.as_ref().unwrap();
    assert_eq!(result.order_result.status, "success");
    let orders = client.orders().await.unwrap();
    assert_eq!(orders[0].order_id, result.order_result.order_id);
    assert_eq!(
        orders[0].status, "COMPLETE",
        "a LIMIT at 1441 fills at 1439.5"
    );

    let two_leg = GttParams {
        kind: GttType::TwoLeg,
        trigger_values: vec![p("1500"), p("1400")],
        orders: vec![leg("1"), leg("2")],
        ..params.clone()
    };
    assert!(matches!(
        client.place_gtt(&two_leg).await,
        Err(KiteError::InvalidRequest(m)) if m.contains("below")
    ));
    assert_eq!(client.gtts().await.unwrap().len(), 1);
    client.delete_gtt(id).await.unwrap();
    let (status, _, _) = api_error(&client.gtt(id).await.unwrap_err());
    assert_eq!(status, 404);
}

#[tokio::test]
async fn alerts_fire_once_per_crossing_and_keep_history() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1500");
    let params = AlertParams {
        name: "INFY breakout".into(),
        kind: AlertType::Simple,
        exchange: "NSE".into(),
        tradingsymbol: "INFY".into(),
        operator: AlertOperator::Ge,
        value: p("1520"),
        basket_json: None,
    };
    let alert = client.create_alert(&params).await.unwrap();
    assert_eq!(alert.status, "enabled");
    assert_eq!(alert.rhs_constant, p("1520"));
    let modified = client
        .modify_alert(
            &alert.uuid,
            &AlertParams {
                value: p("1510"),
                ..params.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(modified.rhs_constant, p("1510"));

    sim.set_price(INFY, "1511");
    sim.set_price(INFY, "1512");
    sim.set_price(INFY, "1505");
    sim.set_price(INFY, "1515");
    let fired = client.alert(&alert.uuid).await.unwrap();
    assert_eq!(fired.alert_count, 2, "two crossings, not three ticks above");
    let history = client.alert_history(&alert.uuid).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].meta[0].last_price, p("1511"));
    assert!(
        history[0].condition.contains(">= 1510"),
        "{}",
        history[0].condition
    );

    assert_eq!(client.alerts().await.unwrap().len(), 1);
    client.delete_alerts(&[&alert.uuid]).await.unwrap();
    assert!(client.alerts().await.unwrap().is_empty());
    let (status, _, _) = api_error(&client.delete_alerts(&[&alert.uuid]).await.unwrap_err());
    assert_eq!(status, 404);
    assert!(matches!(
        client
            .create_alert(&AlertParams {
                kind: AlertType::Ato,
                ..params
            })
            .await,
        Err(KiteError::InvalidRequest(m)) if m.contains("basket")
    ));
}

#[tokio::test]
async fn reads_are_retried_through_5xx_429_and_damaged_answers_but_a_placement_never_blindly() {
    let sim = Sim::start().await;
    let client = sim.client();
    let control = sim.running.sim.state.control.clone();
    sim.set_price(INFY, "1500");

    control.fail_next_rest_calls(2, RestFault::ServerError);
    assert!(client.profile().await.is_ok(), "two 503s, then success");
    control.fail_next_rest_calls(2, RestFault::TooManyRequests);
    assert!(client.orders().await.is_ok(), "two 429s, then success");
    assert_eq!(control.rest_faults_served(), 4);

    // A 503 on a placement is not retried: Kite may or may not have acted, so it is reported
    // uncertain with Kite's 503 as the reason (here the book shows it was not placed).
    control.fail_next_rest_calls(1, RestFault::ServerError);
    let e = client
        .place_order(&market_order(TransactionType::Buy, 1))
        .await
        .unwrap_err();
    match &e {
        KiteError::PlacementUncertain { tag, reason } => {
            assert!(
                tag.starts_with("osp"),
                "a tag made up to look it up by: {tag}"
            );
            assert!(reason.contains("503"), "{reason}");
        }
        other => panic!("expected an uncertain placement, got {other:?}"),
    }
    assert_eq!(control.rest_faults_served(), 5, "sent once");
    assert!(client.orders().await.unwrap().is_empty());

    // A 429 on a placement was refused before Kite acted: retried.
    control.fail_next_rest_calls(1, RestFault::TooManyRequests);
    client
        .place_order(&market_order(TransactionType::Buy, 1))
        .await
        .unwrap();
    assert_eq!(client.orders().await.unwrap().len(), 1);

    // A read whose answer came back damaged (not Kite's JSON) is asked again; a placement whose
    // answer did is looked up by its tag, never sent twice.
    let served = control.rest_faults_served();
    control.fail_next_rest_calls(2, RestFault::Garbled);
    let margins = client.margins().await;
    assert!(
        margins.is_ok(),
        "two damaged answers, then success: {margins:?}"
    );
    assert_eq!(control.rest_faults_served(), served + 2);
    control.fail_next_rest_calls(1, RestFault::Garbled);
    let e = client
        .place_order(&market_order(TransactionType::Buy, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, KiteError::PlacementUncertain { reason, .. } if reason.contains("damaged")),
        "{e:?}"
    );
    assert_eq!(control.rest_faults_served(), served + 3, "sent once");
    assert_eq!(
        client.orders().await.unwrap().len(),
        2,
        "the damaged answer's order stands once"
    );
}

/// The id of the order tagged `tag` in the book. A `Hang` fault answers only after the
/// placement took effect, so the book already holds it when the client gives up.
async fn found_by_tag(client: &KiteClient, tag: &str) -> String {
    client
        .find_order_by_tag(tag)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no order tagged {tag} in the book"))
        .order_id
}

#[tokio::test]
async fn a_placement_whose_answer_is_lost_is_reported_uncertain_with_its_tag_and_found_by_it() {
    let sim = Sim::start().await;
    let mut config = sim.config();
    config.timeout = Duration::from_millis(400);
    let client = sim.client_with(config);
    let control = sim.running.sim.state.control.clone();
    sim.set_price(INFY, "1500");

    control.fail_next_rest_calls(1, RestFault::Hang(Duration::from_secs(2)));
    let mut order = market_order(TransactionType::Buy, 3);
    order.tag = Some("lostanswer".into());
    // Said at once, with the tag to look it up by: not "refused", not retried.
    match client.place_order(&order).await {
        Err(KiteError::PlacementUncertain { tag, .. }) => assert_eq!(tag, "lostanswer"),
        other => panic!("expected an uncertain placement, got {other:?}"),
    }
    let id = found_by_tag(&client, "lostanswer").await;
    let orders = client.orders().await.unwrap();
    assert_eq!(orders.len(), 1, "placed exactly once");
    assert_eq!(orders[0].order_id, id);

    // An answer that is not Kite's JSON is no proof the order was refused either.
    control.fail_next_rest_calls(1, RestFault::Garbled);
    order.tag = Some("garbled".into());
    match client.place_order(&order).await {
        Err(KiteError::PlacementUncertain { tag, .. }) => assert_eq!(tag, "garbled"),
        other => panic!("expected an uncertain placement, got {other:?}"),
    }
    let id = found_by_tag(&client, "garbled").await;
    let orders = client.orders().await.unwrap();
    assert_eq!(orders.len(), 2, "placed exactly once more");
    assert_eq!(orders[1].order_id, id);
}

#[tokio::test]
async fn the_circuit_breaker_opens_on_repeated_failures_and_recovers() {
    let sim = Sim::start().await;
    let mut config = sim.config();
    config.retry.max_retries = 0;
    config.breaker = BreakerConfig {
        failure_threshold: 3,
        open_for: Duration::from_millis(300),
    };
    let client = sim.client_with(config);
    let control = sim.running.sim.state.control.clone();
    control.set_rest_failure_share(100, RestFault::ServerError);
    for _ in 0..3 {
        assert_eq!(api_error(&client.profile().await.unwrap_err()).0, 503);
    }
    assert!(matches!(client.breaker_state(), BreakerState::Open { .. }));
    let refused = client.profile().await.unwrap_err();
    assert!(
        matches!(refused, KiteError::CircuitOpen { .. }),
        "{refused:?}"
    );
    assert_eq!(
        control.rest_faults_served(),
        3,
        "an open breaker sends nothing"
    );

    control.set_rest_failure_share(0, RestFault::ServerError);
    tokio::time::sleep(Duration::from_millis(350)).await;
    client.profile().await.unwrap();
    assert_eq!(
        client.breaker_state(),
        BreakerState::Closed {
            consecutive_failures: 0
        }
    );
}

#[tokio::test]
async fn a_burst_past_kites_limits_gets_429_and_our_own_limits_prevent_it() {
    let sim = Sim::start().await;
    // A client that ignores Kite's quote limit and never retries.
    let mut config = sim.config();
    config.retry.max_retries = 0;
    config.limits = RateLimitConfig {
        quote_per_second: 1000,
        ..RateLimitConfig::default()
    };
    let reckless = sim.client_with(config);
    let mut refused = 0;
    for _ in 0..8 {
        if let Err(e) = reckless.ltp(&["NSE:INFY"]).await {
            assert_eq!(api_error(&e).0, 429);
            assert_eq!(e.retry(), Retry::Safe);
            refused += 1;
        }
    }
    assert!(refused >= 4, "only {refused} of 8 refused");

    // With Kite's limits kept on our side, the same calls all succeed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let careful = sim.client();
    for _ in 0..4 {
        careful.ltp(&["NSE:INFY"]).await.unwrap();
    }
}

#[tokio::test]
async fn the_broker_port_speaks_domain_types_over_kite() {
    use kite_connect::broker::KiteBroker;
    use osp_core::model::{
        Exchange, OrderKind, OrderRequest, OrderSide, OrderStatus, OrderTag, ProductKind,
    };
    use osp_core::ports::{Broker, BrokerErrorKind};

    let sim = Sim::start().await;
    sim.set_price(INFY, "1500");
    let broker = KiteBroker::new(Arc::new(sim.client()));
    let tag = OrderTag::parse("lvl1buy").unwrap();
    let request = OrderRequest {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        side: OrderSide::Buy,
        quantity: 4,
        kind: OrderKind::Limit { price: p("1490") },
        product: ProductKind::Intraday,
        tag: tag.clone(),
    };
    let id = broker.place_order(&request).await.unwrap();
    let open = broker.order_by_tag(&tag).await.unwrap().unwrap();
    assert_eq!(
        (open.order_id.as_str(), open.status),
        (id.as_str(), OrderStatus::Open)
    );
    sim.set_price(INFY, "1489");
    let filled = broker.order_by_tag(&tag).await.unwrap().unwrap();
    assert_eq!(filled.status, OrderStatus::Complete);
    assert_eq!(filled.filled_quantity, 4);
    assert_eq!(filled.average_price, Some(p("1490")));
    assert_eq!(broker.orders().await.unwrap().len(), 1);

    let stop = OrderRequest {
        kind: OrderKind::StopLossMarket { trigger: p("1400") },
        side: OrderSide::Sell,
        tag: OrderTag::parse("lvl1stop").unwrap(),
        ..request.clone()
    };
    let stop_id = broker.place_order(&stop).await.unwrap();
    broker.cancel_order(&stop_id).await.unwrap();
    let cancelled = broker.order_by_tag(&stop.tag).await.unwrap().unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);

    let refused = broker
        .place_order(&OrderRequest {
            tradingsymbol: "NIFTY 50".into(),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(refused.kind, BrokerErrorKind::Rejected);
    assert!(refused.message.contains("index"), "{}", refused.message);
}

#[tokio::test]
async fn every_variety_is_accepted_with_its_own_fields_and_baskets_are_margined() {
    let sim = Sim::start().await;
    let client = sim.client();
    sim.set_price(INFY, "1500");

    let mut cover = market_order(TransactionType::Buy, 1);
    cover.variety = Variety::Co;
    assert!(matches!(
        client.place_order(&cover).await,
        Err(KiteError::InvalidRequest(m)) if m.contains("cover order")
    ));
    cover.trigger_price = Some(p("1480"));
    client.place_order(&cover).await.unwrap();

    let mut iceberg = market_order(TransactionType::Buy, 10);
    iceberg.variety = Variety::Iceberg;
    iceberg.iceberg_legs = Some(2);
    iceberg.iceberg_quantity = Some(5);
    client.place_order(&iceberg).await.unwrap();
    let mut amo = market_order(TransactionType::Buy, 1);
    amo.variety = Variety::Amo;
    client.place_order(&amo).await.unwrap();
    let varieties: Vec<String> = client
        .orders()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.variety)
        .collect();
    assert_eq!(varieties, ["co", "iceberg", "amo"]);

    let order = |symbol: &str, quantity| MarginOrder {
        exchange: "NSE".into(),
        tradingsymbol: symbol.into(),
        transaction_type: "BUY".into(),
        variety: "regular".into(),
        product: "CNC".into(),
        order_type: "LIMIT".into(),
        quantity,
        price: p("100"),
        trigger_price: Price::ZERO,
    };
    let basket = client
        .basket_margins(&[order("INFY", 10), order("TCS", 5)])
        .await
        .unwrap();
    assert_eq!(basket.orders.len(), 2);
    assert_eq!(basket.initial.total, p("1500"));
    assert_eq!(basket.final_.total, p("1500"));
}

#[tokio::test]
async fn a_cancel_goes_ahead_of_reads_waiting_for_kites_shared_limit() {
    let sim = Sim::start().await;
    sim.set_price(INFY, "1500");
    let client = Arc::new(sim.client());
    let mut limit = market_order(TransactionType::Sell, 10);
    limit.order_type = OrderType::Limit;
    limit.price = Some(p("1600"));
    let resting = client.place_order(&limit).await.unwrap().order_id;

    // The shared budget (10 a second, 10 at once) is spent, and thirty reads — a viewer's
    // reloads, say — queue for it: three seconds of them.
    for _ in 0..10 {
        client.orders().await.unwrap();
    }
    let reads_done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let (client, reads_done) = (client.clone(), reads_done.clone());
        reads.spawn(async move {
            client.orders().await.unwrap();
            reads_done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
    tokio::task::yield_now().await;

    // The cancel takes the next slot, not the thirty-first. (Sent from a task like the reads':
    // the test's own future is woken ahead of them anyway.)
    let cancel = {
        let (client, resting) = (client.clone(), resting.clone());
        tokio::spawn(async move { client.cancel_order(Variety::Regular, &resting).await })
    };
    cancel.await.unwrap().unwrap();
    let before_the_cancel = reads_done.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        before_the_cancel <= 2,
        "{before_the_cancel} queued reads went before the cancel"
    );
    reads.abort_all();
    let book = client.orders().await.unwrap();
    let order = book.iter().find(|o| o.order_id == resting).unwrap();
    assert_eq!(order.status, "CANCELLED");
}
