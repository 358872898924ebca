//! The simulator's broker: an order book with Kite's status sequence around the core's matching
//! engine (`osp_core::services::matching`), over the simulated market. MARKET orders fill at the touch (plus configurable slippage in
//! ticks); LIMIT orders fill at once when marketable, else rest and fill at their price when
//! the market crosses it; SL / SL-M wait in `TRIGGER PENDING` until the trigger is touched.
//! Fills make trades and positions; each visible state change is pushed as an order update.
//! From 15:20 IST Kite squares intraday (MIS) positions off itself, and so does this broker.
//!
//! Over 500 lines: Kite's order lifecycle (place, modify, cancel, fill, margins) under one
//! state lock; the matching itself is the core's, the positions in `positions.rs`.

mod positions;

use std::sync::{Arc, Mutex};

use osp_core::model::{Instrument, InstrumentToken, MarketSnapshot, OrderKind, OrderSide, Price};
use osp_core::ports::Clock;
use osp_core::services::matching::{FillRules, RestingLimit, Slippage, Working, on_price};
use tokio::sync::broadcast;

use super::clock_text::kite_time;
use super::universe::Universe;
use kite_connect::common::enums::{OrderType, Product, TransactionType};
use kite_connect::http::models::{
    AvailableMargin, Holding, ModifyParams, Order, OrderParams, OrderUpdate, Position, Positions,
    SegmentMargin, Trade, UtilisedMargin,
};
pub use positions::{Fill, PositionBook};

#[derive(Clone, Debug)]
pub struct BrokerConfig {
    pub user_id: String,
    pub opening_cash: Price,
    /// Ticks a MARKET order pays beyond the last price.
    pub slippage_ticks: i64,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            user_id: "OS0001".into(),
            opening_cash: Price::from_rupees(1_000_000).unwrap_or(Price::ZERO),
            slippage_ticks: 0,
        }
    }
}

/// Kite's refusals, by the error type Kite would give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerError {
    Input(String),
    Order(String),
    Margin(String),
}

struct SimOrder {
    current: Order,
    history: Vec<Order>,
    token: u32,
    tick: Price,
}

#[derive(Default)]
struct State {
    orders: Vec<SimOrder>,
    trades: Vec<Trade>,
    positions: PositionBook,
    next_order: u64,
    next_trade: u64,
    /// The IST day (days since the epoch) whose MIS square-off was done.
    squared_off_day: Option<i64>,
    /// Delivery shares held from earlier days, by (exchange, symbol).
    holdings: std::collections::BTreeMap<(String, String), Held>,
    /// What the settled delivery books moved the cash by (they left the positions, not the
    /// cash).
    settled_flow: Price,
}

/// Shares held: settled, and bought the trading day before (settling).
#[derive(Clone, Debug)]
struct Held {
    token: u32,
    quantity: i64,
    t1_quantity: i64,
    average: Price,
}

/// Kite squares intraday (MIS) positions off from this IST time, in minutes after midnight.
pub const MIS_SQUARE_OFF_MINUTE: i64 = 15 * 60 + 20;
const IST_OFFSET_MS: i64 = (5 * 60 + 30) * 60_000;
const DAY_MS: i64 = 86_400_000;

pub struct SimBroker {
    universe: Arc<Universe>,
    config: BrokerConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    updates: broadcast::Sender<OrderUpdate>,
}

fn ltp_of(market: &MarketSnapshot, token: u32) -> Option<Price> {
    market
        .quote(InstrumentToken(token))
        .map(|q| q.tick.last_price)
}

impl SimBroker {
    pub fn new(universe: Arc<Universe>, config: BrokerConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            universe,
            config,
            clock,
            state: Mutex::new(State::default()),
            updates: broadcast::channel(1024).0,
        }
    }

    pub fn user_id(&self) -> &str {
        &self.config.user_id
    }

    /// Order updates as they happen (the ticker pushes them as text frames).
    pub fn subscribe_updates(&self) -> broadcast::Receiver<OrderUpdate> {
        self.updates.subscribe()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn instrument(&self, exchange: &str, symbol: &str) -> Result<&Instrument, BrokerError> {
        self.universe.by_symbol(exchange, symbol).ok_or_else(|| {
            BrokerError::Input(format!(
                "Invalid `tradingsymbol`: {exchange}:{symbol} is not an instrument (check exchange and tradingsymbol)."
            ))
        })
    }

    pub fn place(&self, req: OrderParams, market: &MarketSnapshot) -> Result<String, BrokerError> {
        let instrument = self.instrument(&req.exchange, &req.tradingsymbol)?.clone();
        validate_place(&req, &instrument)?;
        let ltp = ltp_of(market, instrument.token.0).ok_or_else(|| {
            BrokerError::Order(format!("{} has no market price yet.", req.tradingsymbol))
        })?;
        let now = kite_time(self.clock.now_ms());
        let mut state = self.state();
        if req.transaction_type == TransactionType::Buy {
            let reference = req.price.unwrap_or(ltp);
            let mut required = reference
                .checked_mul_int(i64::from(req.quantity))
                .unwrap_or(Price::from_raw(i64::MAX));
            if req.product == Product::Mis {
                required = Price::from_raw(required.raw() / 5);
            }
            let available = self.available_cash(&state);
            if required > available {
                return Err(BrokerError::Margin(format!(
                    "Insufficient funds. Required margin is {required} but available margin is {available}."
                )));
            }
        }
        state.next_order += 1;
        let order_id = format!("2{:014}", state.next_order);
        let order = Order {
            order_id: order_id.clone(),
            exchange_order_id: None,
            parent_order_id: None,
            placed_by: self.config.user_id.clone(),
            status: "PUT ORDER REQ RECEIVED".into(),
            status_message: None,
            status_message_raw: None,
            order_timestamp: Some(now.clone()),
            exchange_update_timestamp: None,
            exchange_timestamp: None,
            variety: req.variety.to_string(),
            modified: false,
            exchange: req.exchange.clone(),
            tradingsymbol: req.tradingsymbol.clone(),
            instrument_token: instrument.token.0,
            order_type: req.order_type.to_string(),
            transaction_type: req.transaction_type.to_string(),
            validity: req.validity.to_string(),
            validity_ttl: None,
            product: req.product.to_string(),
            quantity: i64::from(req.quantity),
            disclosed_quantity: i64::from(req.disclosed_quantity.unwrap_or(0)),
            price: req.price.unwrap_or(Price::ZERO),
            trigger_price: req.trigger_price.unwrap_or(Price::ZERO),
            average_price: Price::ZERO,
            filled_quantity: 0,
            pending_quantity: i64::from(req.quantity),
            cancelled_quantity: 0,
            market_protection: Price::ZERO,
            tag: req.tag.clone(),
            tags: req.tag.clone().map(|t| vec![t]),
            guid: None,
        };
        let mut sim = SimOrder {
            history: vec![order.clone()],
            current: order,
            token: instrument.token.0,
            tick: instrument.tick_size,
        };
        for status in ["VALIDATION PENDING", "OPEN PENDING"] {
            transition(&mut sim, status, &now);
        }
        sim.current.exchange_order_id = Some(format!("13{:014}", state.next_order));
        sim.current.exchange_timestamp = Some(now.clone());
        let mut updates = vec![self.rest(&mut sim, &now)];
        self.try_fill(&mut state, &mut sim, ltp, true, &now, &mut updates);
        state.orders.push(sim);
        drop(state);
        self.publish(updates);
        Ok(order_id)
    }

    pub fn modify(
        &self,
        order_id: &str,
        variety: &str,
        change: ModifyParams,
        market: &MarketSnapshot,
    ) -> Result<String, BrokerError> {
        let now = kite_time(self.clock.now_ms());
        let mut state = self.state();
        let index = find(&state, order_id, variety)?;
        // The whole change is checked before anything is written: a refused modification
        // leaves the order exactly as it was.
        let updated = modified(&state.orders[index], &change)?;
        let mut sim = state.orders.remove(index);
        sim.current = updated;
        sim.current.modified = true;
        transition(&mut sim, "MODIFY VALIDATION PENDING", &now);
        transition(&mut sim, "MODIFY PENDING", &now);
        transition(&mut sim, "MODIFIED", &now);
        let mut updates = vec![self.rest(&mut sim, &now)];
        if let Some(ltp) = ltp_of(market, sim.token) {
            self.try_fill(&mut state, &mut sim, ltp, true, &now, &mut updates);
        }
        state.orders.insert(index, sim);
        drop(state);
        self.publish(updates);
        Ok(order_id.to_owned())
    }

    pub fn cancel(&self, order_id: &str, variety: &str) -> Result<String, BrokerError> {
        let now = kite_time(self.clock.now_ms());
        let mut state = self.state();
        let index = find(&state, order_id, variety)?;
        let sim = &mut state.orders[index];
        if !sim.current.is_open() {
            return Err(BrokerError::Order(format!(
                "Order cannot be cancelled as it is {}.",
                sim.current.status.to_lowercase()
            )));
        }
        sim.current.cancelled_quantity = sim.current.pending_quantity;
        sim.current.pending_quantity = 0;
        transition(sim, "CANCEL PENDING", &now);
        transition(sim, "CANCELLED", &now);
        let update = self.update(&sim.current);
        drop(state);
        self.publish(vec![update]);
        Ok(order_id.to_owned())
    }

    /// Runs resting orders against a new market state.
    pub fn on_market(&self, market: &MarketSnapshot) {
        let now = kite_time(self.clock.now_ms());
        let mut updates = Vec::new();
        let mut state = self.state();
        let mut orders = std::mem::take(&mut state.orders);
        for sim in orders.iter_mut().filter(|o| o.current.is_open()) {
            if let Some(ltp) = ltp_of(market, sim.token) {
                self.try_fill(&mut state, sim, ltp, false, &now, &mut updates);
            }
        }
        state.orders = orders;
        drop(state);
        self.publish(updates);
        self.square_off_mis(market);
    }

    /// Kite's auto square-off, at the first market state from 15:20 IST each day: every open
    /// MIS order cancelled, then every MIS position closed by a MARKET order of Kite's own (no
    /// tag: not the app's). A position opened after it (the demo's market trades round the
    /// clock) waits for the next day's.
    fn square_off_mis(&self, market: &MarketSnapshot) {
        let ist = self.clock.now_ms() + IST_OFFSET_MS;
        let (day, minute) = (ist.div_euclid(DAY_MS), ist.rem_euclid(DAY_MS) / 60_000);
        let open: Vec<(String, String)> = {
            let mut state = self.state();
            if minute < MIS_SQUARE_OFF_MINUTE || state.squared_off_day == Some(day) {
                return;
            }
            state.squared_off_day = Some(day);
            state
                .orders
                .iter()
                .filter(|o| o.current.is_open() && o.current.product == "MIS")
                .map(|o| (o.current.order_id.clone(), o.current.variety.clone()))
                .collect()
        };
        for (id, variety) in open {
            let _ = self.cancel(&id, &variety);
        }
        let held: Vec<(String, String, i64)> = self
            .state()
            .positions
            .positions(|_| None)
            .into_iter()
            .filter(|p| p.product == "MIS" && p.quantity != 0)
            .map(|p| (p.exchange, p.tradingsymbol, p.quantity))
            .collect();
        for (exchange, symbol, quantity) in held {
            let side = if quantity > 0 {
                TransactionType::Sell
            } else {
                TransactionType::Buy
            };
            let Ok(units) = u32::try_from(quantity.unsigned_abs()) else {
                continue;
            };
            let order = OrderParams::new(
                &exchange,
                &symbol,
                side,
                OrderType::Market,
                Product::Mis,
                units,
            );
            if let Err(e) = self.place(order, market) {
                tracing::warn!(%symbol, error = ?e, "the simulator's MIS square-off was refused");
            }
        }
    }

    /// Puts an accepted order on the book — `TRIGGER PENDING` for a stop, else `OPEN` — and
    /// returns the update that announces it.
    fn rest(&self, sim: &mut SimOrder, now: &str) -> OrderUpdate {
        let status = if is_stop(&sim.current) {
            "TRIGGER PENDING"
        } else {
            "OPEN"
        };
        transition(sim, status, now);
        self.update(&sim.current)
    }

    /// Triggers a stop whose trigger is touched, then fills what is marketable (the core's
    /// matching engine decides, with the simulator's rules: slippage in ticks, a resting limit
    /// at its limit). `entering`: the order just arrived (a marketable LIMIT fills at the
    /// touch, not at its limit).
    fn try_fill(
        &self,
        state: &mut State,
        sim: &mut SimOrder,
        ltp: Price,
        entering: bool,
        now: &str,
        updates: &mut Vec<OrderUpdate>,
    ) {
        let buy = sim.current.transaction_type == "BUY";
        let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
        let Some(kind) = engine_kind(&sim.current) else {
            return;
        };
        let working = if sim.current.status == "TRIGGER PENDING" {
            Working::TriggerPending
        } else {
            Working::Open
        };
        let rules = FillRules {
            slippage: Slippage::Ticks(self.config.slippage_ticks),
            resting_limit: RestingLimit::AtLimit,
        };
        let step = on_price(side, kind, sim.tick, working, ltp, entering, &rules);
        if step.triggered {
            transition(sim, "OPEN", now);
            updates.push(self.update(&sim.current));
        }
        let Some(fill_price) = step.fill_at else {
            return;
        };
        let quantity = sim.current.pending_quantity;
        state.next_trade += 1;
        let trade = Trade {
            trade_id: format!("{:08}", state.next_trade),
            order_id: sim.current.order_id.clone(),
            exchange_order_id: sim.current.exchange_order_id.clone(),
            exchange: sim.current.exchange.clone(),
            tradingsymbol: sim.current.tradingsymbol.clone(),
            instrument_token: sim.token,
            product: sim.current.product.clone(),
            average_price: fill_price,
            quantity,
            transaction_type: sim.current.transaction_type.clone(),
            fill_timestamp: Some(now.to_owned()),
            order_timestamp: now.get(11..).map(str::to_owned),
            exchange_timestamp: Some(now.to_owned()),
        };
        state.positions.record_fill(Fill {
            exchange: &sim.current.exchange,
            tradingsymbol: &sim.current.tradingsymbol,
            product: &sim.current.product,
            token: sim.token,
            buy,
            quantity,
            price: fill_price,
        });
        state.trades.push(trade);
        sim.current.filled_quantity += quantity;
        sim.current.pending_quantity = 0;
        sim.current.average_price = fill_price;
        transition(sim, "COMPLETE", now);
        updates.push(self.update(&sim.current));
    }

    fn update(&self, order: &Order) -> OrderUpdate {
        OrderUpdate {
            order: order.clone(),
            user_id: Some(self.config.user_id.clone()),
            unfilled_quantity: order.pending_quantity,
            app_id: None,
            checksum: None,
        }
    }

    fn publish(&self, updates: Vec<OrderUpdate>) {
        for update in updates {
            // No listener is fine: nobody is connected to the ticker.
            let _ = self.updates.send(update);
        }
    }

    fn available_cash(&self, state: &State) -> Price {
        let flow = state
            .positions
            .positions(|_| None)
            .iter()
            .fold(Price::ZERO, |acc, p| {
                acc.checked_add(p.value).unwrap_or(acc)
            });
        self.config
            .opening_cash
            .checked_add(flow)
            .and_then(|c| c.checked_add(state.settled_flow))
            .unwrap_or(Price::ZERO)
    }

    pub fn orders(&self) -> Vec<Order> {
        self.state()
            .orders
            .iter()
            .map(|o| o.current.clone())
            .collect()
    }

    pub fn order_history(&self, order_id: &str) -> Option<Vec<Order>> {
        self.state()
            .orders
            .iter()
            .find(|o| o.current.order_id == order_id)
            .map(|o| o.history.clone())
    }

    pub fn trades(&self, order_id: Option<&str>) -> Vec<Trade> {
        self.state()
            .trades
            .iter()
            .filter(|t| order_id.is_none_or(|id| t.order_id == id))
            .cloned()
            .collect()
    }

    pub fn positions(&self, market: &MarketSnapshot) -> Positions {
        let net: Vec<Position> = self
            .state()
            .positions
            .positions(|token| ltp_of(market, token));
        Positions {
            day: net.clone(),
            net,
        }
    }

    /// The night passes for delivery: yesterday's settling shares settle, and today's
    /// delivery (CNC) buys leave the positions for the holdings, settling (T1), as Kite shows
    /// them the next trading day.
    pub fn settle_delivery(&self) {
        let mut state = self.state();
        for held in state.holdings.values_mut() {
            held.quantity += held.t1_quantity;
            held.t1_quantity = 0;
        }
        for (exchange, symbol, token, quantity, average, value) in state.positions.take_longs("CNC")
        {
            state.settled_flow = state.settled_flow.checked_add(value).unwrap_or(value);
            let held = state.holdings.entry((exchange, symbol)).or_insert(Held {
                token,
                quantity: 0,
                t1_quantity: 0,
                average,
            });
            let before = held.quantity + held.t1_quantity;
            let total = before + quantity;
            // The average over everything held, in i128 (no overflow on a large holding).
            let raw = (i128::from(held.average.raw()) * i128::from(before)
                + i128::from(average.raw()) * i128::from(quantity))
                / i128::from(total.max(1));
            held.average = Price::from_raw(i64::try_from(raw).unwrap_or(i64::MAX));
            held.t1_quantity += quantity;
        }
    }

    /// The delivery holdings, marked to the market.
    pub fn holdings(&self, market: &MarketSnapshot) -> Vec<Holding> {
        self.state()
            .holdings
            .iter()
            .map(|((exchange, symbol), h)| {
                let last = ltp_of(market, h.token).unwrap_or(h.average);
                let units = h.quantity + h.t1_quantity;
                let pnl = last
                    .checked_sub(h.average)
                    .and_then(|d| d.checked_mul_int(units))
                    .unwrap_or(Price::ZERO);
                Holding {
                    tradingsymbol: symbol.clone(),
                    exchange: exchange.clone(),
                    instrument_token: h.token,
                    isin: String::new(),
                    product: "CNC".into(),
                    price: Price::ZERO,
                    quantity: h.quantity,
                    used_quantity: 0,
                    t1_quantity: h.t1_quantity,
                    realised_quantity: h.quantity,
                    authorised_quantity: 0,
                    opening_quantity: h.quantity,
                    collateral_quantity: 0,
                    collateral_type: String::new(),
                    discrepancy: false,
                    average_price: h.average,
                    last_price: last,
                    close_price: h.average,
                    pnl,
                    day_change: Price::ZERO,
                }
            })
            .collect()
    }

    pub fn convert_position(
        &self,
        exchange: &str,
        tradingsymbol: &str,
        from: Product,
        to: Product,
        buy: bool,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        self.state()
            .positions
            .convert(
                exchange,
                tradingsymbol,
                from.as_str(),
                to.as_str(),
                buy,
                i64::from(quantity),
            )
            .map_err(BrokerError::Input)
    }

    pub fn equity_margin(&self) -> SegmentMargin {
        let state = self.state();
        let available = self.available_cash(&state);
        let debits = self
            .config
            .opening_cash
            .checked_sub(available)
            .unwrap_or(Price::ZERO);
        SegmentMargin {
            enabled: true,
            net: available,
            available: AvailableMargin {
                adhoc_margin: Price::ZERO,
                cash: self.config.opening_cash,
                opening_balance: self.config.opening_cash,
                live_balance: available,
                collateral: Price::ZERO,
                intraday_payin: Price::ZERO,
            },
            utilised: UtilisedMargin {
                debits,
                exposure: Price::ZERO,
                m2m_realised: Price::ZERO,
                m2m_unrealised: Price::ZERO,
                option_premium: Price::ZERO,
                payout: Price::ZERO,
                span: Price::ZERO,
                holding_sales: Price::ZERO,
                turnover: Price::ZERO,
                liquid_collateral: Price::ZERO,
                stock_collateral: Price::ZERO,
                delivery: debits,
            },
        }
    }
}

/// The order as `change` would leave it, or why Kite would refuse the change.
fn modified(sim: &SimOrder, change: &ModifyParams) -> Result<Order, BrokerError> {
    let mut o = sim.current.clone();
    if !o.is_open() {
        return Err(BrokerError::Order(format!(
            "Order cannot be modified as it is {}.",
            o.status.to_lowercase()
        )));
    }
    if let Some(t) = change.order_type {
        o.order_type = t.to_string();
    }
    if let Some(q) = change.quantity {
        if i64::from(q) <= o.filled_quantity {
            return Err(BrokerError::Input(format!(
                "Invalid `quantity`: {q} is not more than the {} already filled.",
                o.filled_quantity
            )));
        }
        o.quantity = i64::from(q);
        o.pending_quantity = o.quantity - o.filled_quantity;
    }
    if let Some(p) = change.price {
        check_tick("price", p, sim.tick)?;
        o.price = p;
    }
    if let Some(p) = change.trigger_price {
        check_tick("trigger_price", p, sim.tick)?;
        o.trigger_price = p;
    }
    if let Some(v) = change.validity {
        o.validity = v.to_string();
    }
    Ok(o)
}

fn find(state: &State, order_id: &str, variety: &str) -> Result<usize, BrokerError> {
    state
        .orders
        .iter()
        .position(|o| o.current.order_id == order_id && o.current.variety == variety)
        .ok_or_else(|| {
            BrokerError::Order(format!(
                "Couldn't find that order: no {variety} order {order_id}."
            ))
        })
}

/// Kite's order type and prices as the matching engine's order kind.
fn engine_kind(order: &Order) -> Option<OrderKind> {
    match order.order_type.as_str() {
        "MARKET" => Some(OrderKind::Market),
        "LIMIT" => Some(OrderKind::Limit { price: order.price }),
        "SL" => Some(OrderKind::StopLoss {
            trigger: order.trigger_price,
            price: order.price,
        }),
        "SL-M" => Some(OrderKind::StopLossMarket {
            trigger: order.trigger_price,
        }),
        _ => None,
    }
}

fn is_stop(order: &Order) -> bool {
    matches!(order.order_type.as_str(), "SL" | "SL-M")
}

fn transition(sim: &mut SimOrder, status: &str, now: &str) {
    sim.current.status = status.to_owned();
    sim.current.exchange_update_timestamp = Some(now.to_owned());
    sim.history.push(sim.current.clone());
}

fn check_tick(field: &str, price: Price, tick: Price) -> Result<(), BrokerError> {
    if price.raw() <= 0 {
        return Err(BrokerError::Input(format!(
            "Invalid `{field}`: it must be more than zero."
        )));
    }
    if !tick.is_zero() && !price.is_multiple_of(tick) {
        return Err(BrokerError::Input(format!(
            "Invalid `{field}`: the tick size for this instrument is {tick}; enter {field} in multiples of the tick size."
        )));
    }
    Ok(())
}

fn validate_place(req: &OrderParams, instrument: &Instrument) -> Result<(), BrokerError> {
    if !instrument.is_tradable() {
        return Err(BrokerError::Input(format!(
            "{} is an index and cannot be traded.",
            instrument.tradingsymbol
        )));
    }
    if req.quantity == 0 {
        return Err(BrokerError::Input(
            "Invalid `quantity`: it must be at least 1.".into(),
        ));
    }
    let lot = instrument.lot_size.max(1);
    if !req.quantity.is_multiple_of(lot) {
        return Err(BrokerError::Input(format!(
            "Invalid `quantity`: it must be a multiple of the lot size {lot}."
        )));
    }
    match req.order_type {
        OrderType::Limit | OrderType::Sl if req.price.is_none() => {
            return Err(BrokerError::Input(format!(
                "Invalid `price`: a {} order needs a price.",
                req.order_type
            )));
        }
        OrderType::Sl | OrderType::SlM if req.trigger_price.is_none() => {
            return Err(BrokerError::Input(format!(
                "Invalid `trigger_price`: a {} order needs a trigger price.",
                req.order_type
            )));
        }
        _ => {}
    }
    // As at Kite since SEBI's 2021 rule: options take no SL-M (an SL with a limit instead).
    if req.order_type == OrderType::SlM
        && matches!(instrument.instrument_type.as_str(), "CE" | "PE")
    {
        return Err(BrokerError::Input(
            "SL-M orders are blocked for options; place an SL order with a limit price instead."
                .into(),
        ));
    }
    if let Some(p) = req.price.filter(|_| req.order_type != OrderType::Market) {
        check_tick("price", p, instrument.tick_size)?;
    }
    if let Some(p) = req.trigger_price {
        check_tick("trigger_price", p, instrument.tick_size)?;
    }
    if req.disclosed_quantity.unwrap_or(0) > req.quantity {
        return Err(BrokerError::Input(
            "Invalid `disclosed_quantity`: it cannot exceed the quantity.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
