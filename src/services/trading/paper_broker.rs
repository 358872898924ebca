//! `PaperBroker`: the `Broker` port with simulated fills against live prices and no way out to
//! a real broker — it holds no client, so paper mode cannot place a live order whatever a
//! caller does; which broker the trading engine gets is decided once, at start-up.
//!
//! Fills: a market order at the last price moved by the configured slippage against the
//! trader; a limit when the price reaches it (at once if it already has); a stop-loss (market
//! or limit) when the price reaches its trigger. `on_tick` matches resting orders and returns
//! their updates, which the engine feeds to the executor like the broker's own order updates.
//! Positions, P&L and virtual capital come with the trade service.

use std::sync::{Arc, Mutex};

use crate::model::{
    BrokerOrder, OrderKind, OrderRequest, OrderSide, OrderStatus, OrderTag, Price, Tick,
};
use crate::ports::{Broker, BrokerError, BrokerErrorKind, MarketData};
use crate::services::instruments::InstrumentCatalog;

struct PaperOrder {
    id: String,
    request: OrderRequest,
    token: crate::model::InstrumentToken,
    status: OrderStatus,
    filled_quantity: u32,
    average_price: Option<Price>,
    /// A stop-loss limit whose trigger was hit rests as a limit at its price.
    triggered: bool,
    message: Option<String>,
}

impl PaperOrder {
    fn view(&self) -> BrokerOrder {
        BrokerOrder {
            order_id: self.id.clone(),
            tag: Some(self.request.tag.clone()),
            status: self.status,
            quantity: self.request.quantity,
            filled_quantity: self.filled_quantity,
            average_price: self.average_price,
            status_message: self.message.clone(),
        }
    }

    /// Fills it if `ltp` allows; `true` when it changed.
    fn try_fill(&mut self, ltp: Price, slippage_bp: u32) -> bool {
        if self.status.is_final() {
            return false;
        }
        let buy = self.request.side == OrderSide::Buy;
        let reached = |level: Price| if buy { ltp >= level } else { ltp <= level };
        let marketable = |limit: Price| if buy { ltp <= limit } else { ltp >= limit };
        let fill = match self.request.kind {
            OrderKind::Market => Some(slipped(ltp, buy, slippage_bp)),
            OrderKind::Limit { price } => marketable(price).then(|| better(ltp, price, buy)),
            OrderKind::StopLossMarket { trigger } => {
                reached(trigger).then(|| slipped(ltp, buy, slippage_bp))
            }
            OrderKind::StopLoss { trigger, price } => {
                if !self.triggered && reached(trigger) {
                    self.triggered = true;
                    self.status = OrderStatus::Open;
                }
                (self.triggered && marketable(price)).then(|| better(ltp, price, buy))
            }
        };
        match fill {
            Some(price) => {
                self.status = OrderStatus::Complete;
                self.filled_quantity = self.request.quantity;
                self.average_price = Some(price);
                true
            }
            None => false,
        }
    }
}

/// The last price moved `bp` basis points against the trader.
fn slipped(ltp: Price, buy: bool, bp: u32) -> Price {
    // In i128: a large slippage setting must not overflow.
    let delta = i128::from(ltp.raw()) * i128::from(bp) / 10_000;
    let raw = if buy {
        i128::from(ltp.raw()) + delta
    } else {
        i128::from(ltp.raw()) - delta
    };
    Price::from_raw(i64::try_from(raw.max(0)).unwrap_or(i64::MAX))
}

/// A limit fills at the market when the market is better than the limit.
fn better(ltp: Price, limit: Price, buy: bool) -> Price {
    if buy { ltp.min(limit) } else { ltp.max(limit) }
}

pub struct PaperBroker {
    market: Arc<dyn MarketData>,
    catalog: Arc<InstrumentCatalog>,
    slippage_bp: u32,
    book: Mutex<Vec<PaperOrder>>,
}

fn rejected(message: String) -> BrokerError {
    BrokerError {
        kind: BrokerErrorKind::Rejected,
        message,
    }
}

impl PaperBroker {
    pub fn new(
        market: Arc<dyn MarketData>,
        catalog: Arc<InstrumentCatalog>,
        slippage_bp: u32,
    ) -> Self {
        Self {
            market,
            catalog,
            slippage_bp,
            book: Mutex::new(Vec::new()),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Vec<PaperOrder>> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Matches resting orders of the tick's instrument; the orders that changed.
    pub fn on_tick(&self, tick: &Tick) -> Vec<BrokerOrder> {
        let mut book = self.book();
        book.iter_mut()
            .filter(|o| o.token == tick.token && !o.status.is_final())
            .filter_map(|o| {
                o.try_fill(tick.last_price, self.slippage_bp)
                    .then(|| o.view())
            })
            .collect()
    }

    /// Forgets every paper order (a fresh start).
    pub fn reset(&self) {
        self.book().clear();
    }
}

#[async_trait::async_trait]
impl Broker for PaperBroker {
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError> {
        if order.quantity == 0 {
            return Err(rejected("the quantity must be at least 1".to_owned()));
        }
        let instrument = self
            .catalog
            .find(order.exchange, &order.tradingsymbol)
            .ok_or_else(|| {
                rejected(format!(
                    "{}:{} is not in today's instruments list",
                    order.exchange, order.tradingsymbol
                ))
            })?;
        if !instrument.is_tradable() {
            return Err(rejected(format!(
                "{} is an index and cannot be traded",
                instrument.tradingsymbol
            )));
        }
        let ltp = self
            .market
            .latest(&[instrument.token])
            .first()
            .map(|t| t.last_price)
            .ok_or_else(|| BrokerError {
                kind: BrokerErrorKind::Unavailable,
                message: format!(
                    "no price for {} yet, so a paper fill cannot be simulated; try again when it trades",
                    instrument.tradingsymbol
                ),
            })?;
        let mut book = self.book();
        let id = format!("paper-{}", book.len() + 1);
        let mut paper = PaperOrder {
            id: id.clone(),
            request: order.clone(),
            token: instrument.token,
            status: match order.kind {
                OrderKind::StopLoss { .. } | OrderKind::StopLossMarket { .. } => {
                    OrderStatus::TriggerPending
                }
                _ => OrderStatus::Open,
            },
            filled_quantity: 0,
            average_price: None,
            triggered: false,
            message: None,
        };
        paper.try_fill(ltp, self.slippage_bp);
        book.push(paper);
        Ok(id)
    }

    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError> {
        let mut book = self.book();
        let order = book
            .iter_mut()
            .find(|o| o.id == order_id)
            .ok_or_else(|| rejected(format!("no paper order {order_id}")))?;
        if order.status.is_final() {
            return Err(rejected(format!(
                "paper order {order_id} is already {:?} and cannot be cancelled",
                order.status
            )));
        }
        order.status = OrderStatus::Cancelled;
        order.message = Some("cancelled by the user".to_owned());
        Ok(())
    }

    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError> {
        Ok(self
            .book()
            .iter()
            .rev()
            .find(|o| &o.request.tag == tag)
            .map(PaperOrder::view))
    }

    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(self.book().iter().map(PaperOrder::view).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exchange, Instrument, InstrumentToken, Ohlc, ProductKind};
    use std::collections::HashMap;

    /// Prices set by the test (the real price service needs a bus and a history source).
    #[derive(Default)]
    struct Prices(Mutex<HashMap<InstrumentToken, Price>>);
    impl MarketData for Prices {
        fn latest(&self, tokens: &[InstrumentToken]) -> Vec<Tick> {
            let prices = self.0.lock().unwrap();
            tokens
                .iter()
                .filter_map(|t| prices.get(t).map(|p| tick(*t, *p)))
                .collect()
        }
        fn last_update_ms(&self) -> Option<i64> {
            None
        }
    }

    fn tick(token: InstrumentToken, price: Price) -> Tick {
        Tick {
            token,
            last_price: price,
            last_quantity: 1,
            volume: 0,
            ohlc: Ohlc::default(),
            exchange_time_ms: 0,
            depth: None,
        }
    }

    fn p(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    const SBIN: InstrumentToken = InstrumentToken(779_521);

    fn broker() -> (PaperBroker, Arc<Prices>) {
        let catalog = Arc::new(InstrumentCatalog::default());
        catalog.replace(vec![Instrument {
            token: SBIN,
            exchange_token: 3045,
            tradingsymbol: "SBIN".to_owned(),
            name: "STATE BANK OF INDIA".to_owned(),
            exchange: Exchange::Nse,
            segment: "NSE".to_owned(),
            instrument_type: "EQ".to_owned(),
            tick_size: p("0.05"),
            lot_size: 1,
            expiry: None,
            strike: Price::ZERO,
        }]);
        let prices = Arc::new(Prices::default());
        prices.0.lock().unwrap().insert(SBIN, p("800"));
        (PaperBroker::new(prices.clone(), catalog, 10), prices)
    }

    fn order(side: OrderSide, kind: OrderKind, tag: &str) -> OrderRequest {
        OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "SBIN".to_owned(),
            side,
            quantity: 10,
            kind,
            product: ProductKind::Intraday,
            tag: OrderTag::parse(tag).unwrap(),
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the paper broker never waits"),
        }
    }

    #[test]
    fn a_market_order_fills_at_once_with_slippage_against_the_trader() {
        let (b, _) = broker();
        block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "m1"))).unwrap();
        let filled = block_on(b.order_by_tag(&OrderTag::parse("m1").unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(filled.status, OrderStatus::Complete);
        assert_eq!(
            filled.average_price,
            Some(p("800.80")),
            "10 bp above for a buy"
        );
        block_on(b.place_order(&order(OrderSide::Sell, OrderKind::Market, "m2"))).unwrap();
        let sold = block_on(b.order_by_tag(&OrderTag::parse("m2").unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(sold.average_price, Some(p("799.20")));
    }

    #[test]
    fn limits_and_stops_rest_until_the_price_reaches_them() {
        let (b, _) = broker();
        let limit = OrderKind::Limit { price: p("795") };
        let id = block_on(b.place_order(&order(OrderSide::Buy, limit, "l1"))).unwrap();
        assert!(b.on_tick(&tick(SBIN, p("796"))).is_empty());
        let done = b.on_tick(&tick(SBIN, p("794.50")));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].order_id, id);
        assert_eq!(
            done[0].average_price,
            Some(p("794.50")),
            "a better price than the limit"
        );

        let stop = OrderKind::StopLossMarket { trigger: p("790") };
        block_on(b.place_order(&order(OrderSide::Sell, stop, "s1"))).unwrap();
        assert!(b.on_tick(&tick(SBIN, p("791"))).is_empty());
        let hit = b.on_tick(&tick(SBIN, p("789.95")));
        assert_eq!(hit[0].status, OrderStatus::Complete);
        // Filled orders never fill again.
        assert!(b.on_tick(&tick(SBIN, p("700"))).is_empty());
    }

    #[test]
    fn refusals_say_why_and_cancel_only_what_is_open() {
        let (b, prices) = broker();
        let mut unknown = order(OrderSide::Buy, OrderKind::Market, "u1");
        unknown.tradingsymbol = "NOSUCH".to_owned();
        let e = block_on(b.place_order(&unknown)).unwrap_err();
        assert_eq!(e.kind, BrokerErrorKind::Rejected);
        assert!(e.message.contains("not in today's instruments list"));
        prices.0.lock().unwrap().clear();
        let e =
            block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "n1"))).unwrap_err();
        assert_eq!(e.kind, BrokerErrorKind::Unavailable);
        prices.0.lock().unwrap().insert(SBIN, p("800"));
        let resting = OrderKind::Limit { price: p("700") };
        let id = block_on(b.place_order(&order(OrderSide::Buy, resting, "c1"))).unwrap();
        block_on(b.cancel_order(&id)).unwrap();
        assert!(block_on(b.cancel_order(&id)).is_err(), "already cancelled");
        assert!(
            b.on_tick(&tick(SBIN, p("600"))).is_empty(),
            "a cancelled order never fills"
        );
        b.reset();
        assert!(block_on(b.orders()).unwrap().is_empty());
    }
}
