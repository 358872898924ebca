//! `KiteBroker`: the core's `Broker` port over `KiteClient`. The trading engine sees domain
//! types only; Kite's spellings and error classes stop here. GTTs (a delivery or carry-forward
//! trade's protection) are orders to the engine too: `gtt.rs`.

mod gtt;
mod statement;

use std::sync::Arc;

use async_trait::async_trait;
use osp_core::model::{
    BrokerOrder, BrokerPosition, Exchange, MarginNeed, OrderKind, OrderRequest, OrderSide,
    OrderStatus, OrderTag, Price, ProductKind,
};
use osp_core::ports::{Broker, BrokerError, BrokerErrorKind};

use super::common::enums::{OrderType, Product, TransactionType, Variety};
use super::http::models::{MarginOrder, ModifyParams, Order, OrderParams, Position};
use super::http::{KiteClient, KiteError, Retry, newest_tagged};

pub struct KiteBroker {
    client: Arc<KiteClient>,
}

impl KiteBroker {
    pub fn new(client: Arc<KiteClient>) -> Self {
        Self { client }
    }
}

/// Kite's order type and the price and trigger it carries, for `kind` (a GTT's, as the order
/// its stop leg places).
fn pricing(kind: OrderKind) -> (OrderType, Option<Price>, Option<Price>) {
    match kind {
        OrderKind::Market => (OrderType::Market, None, None),
        OrderKind::Limit { price } => (OrderType::Limit, Some(price), None),
        OrderKind::StopLoss { trigger, price } => (OrderType::Sl, Some(price), Some(trigger)),
        OrderKind::StopLossMarket { trigger } => (OrderType::SlM, None, Some(trigger)),
        OrderKind::Gtt { stop, .. } => (OrderType::Limit, Some(stop.price), None),
    }
}

/// The pricing of a Kite order in domain terms; `None` for an order type the platform does not
/// place.
fn kind_of(order: &Order) -> Option<OrderKind> {
    Some(match order.order_type.as_str() {
        "MARKET" => OrderKind::Market,
        "LIMIT" => OrderKind::Limit { price: order.price },
        "SL" => OrderKind::StopLoss {
            trigger: order.trigger_price,
            price: order.price,
        },
        "SL-M" => OrderKind::StopLossMarket {
            trigger: order.trigger_price,
        },
        _ => return None,
    })
}

/// Kite's spelling of a side.
pub(crate) fn kite_side(side: OrderSide) -> TransactionType {
    match side {
        OrderSide::Buy => TransactionType::Buy,
        OrderSide::Sell => TransactionType::Sell,
    }
}

pub(crate) fn domain_side(side: TransactionType) -> OrderSide {
    match side {
        TransactionType::Buy => OrderSide::Buy,
        TransactionType::Sell => OrderSide::Sell,
    }
}

/// Kite's product for a domain one.
pub(crate) fn kite_product(product: ProductKind) -> Product {
    match product {
        ProductKind::Intraday => Product::Mis,
        ProductKind::Delivery => Product::Cnc,
        ProductKind::CarryForward => Product::Nrml,
    }
}

/// The domain's product for Kite's; `None` for one the platform does not trade (MTF, CO, BO).
pub(crate) fn domain_product(product: Product) -> Option<ProductKind> {
    match product {
        Product::Mis => Some(ProductKind::Intraday),
        Product::Cnc => Some(ProductKind::Delivery),
        Product::Nrml => Some(ProductKind::CarryForward),
        Product::Mtf | Product::Co | Product::Bo => None,
    }
}

fn params(order: &OrderRequest) -> OrderParams {
    let (order_type, price, trigger) = pricing(order.kind);
    let mut params = OrderParams::new(
        order.exchange.code(),
        &order.tradingsymbol,
        kite_side(order.side),
        order_type,
        kite_product(order.product),
        order.quantity,
    );
    params.price = price;
    params.trigger_price = trigger;
    params.tag = Some(order.tag.as_str().to_owned());
    params
}

/// A sum of money that cannot overflow into a smaller one (it saturates).
fn add(a: Price, b: Price) -> Price {
    a.checked_add(b).unwrap_or(Price::from_raw(i64::MAX))
}

/// One order as Kite's margin calculator takes it.
fn margin_order(order: &OrderRequest) -> MarginOrder {
    let (order_type, price, trigger) = pricing(order.kind);
    MarginOrder {
        exchange: order.exchange.code().to_owned(),
        tradingsymbol: order.tradingsymbol.clone(),
        transaction_type: kite_side(order.side).as_str().to_owned(),
        variety: Variety::Regular.as_str().to_owned(),
        product: kite_product(order.product).as_str().to_owned(),
        order_type: order_type.as_str().to_owned(),
        quantity: i64::from(order.quantity),
        price: price.unwrap_or(Price::ZERO),
        trigger_price: trigger.unwrap_or(Price::ZERO),
    }
}

/// Kite's statuses in domain terms; the transitional ones are `Pending`.
pub fn status_of(kite: &str) -> OrderStatus {
    match kite {
        "OPEN" => OrderStatus::Open,
        "TRIGGER PENDING" => OrderStatus::TriggerPending,
        "COMPLETE" => OrderStatus::Complete,
        "CANCELLED" => OrderStatus::Cancelled,
        "REJECTED" => OrderStatus::Rejected,
        _ => OrderStatus::Pending,
    }
}

/// Whether `order` (a state from its history) is the one tagged `tag`: Kite's history may leave
/// the tag out of a state, and the id already names the order.
fn carries_tag_or_none(order: &Order, tag: &str) -> bool {
    match (&order.tag, &order.tags) {
        (None, None) => true,
        _ => order.carries_tag(tag),
    }
}

/// A Kite order (from the book or a ticker update) as the domain sees it.
pub fn domain_order(order: Order) -> BrokerOrder {
    BrokerOrder {
        status: status_of(&order.status),
        tag: order.tag.as_deref().and_then(|t| OrderTag::parse(t).ok()),
        quantity: u32::try_from(order.quantity).unwrap_or(0),
        kind: kind_of(&order),
        filled_quantity: u32::try_from(order.filled_quantity).unwrap_or(0),
        average_price: (!order.average_price.is_zero()).then_some(order.average_price),
        status_message: order.status_message,
        order_id: order.order_id,
    }
}

/// A Kite net position in domain terms; `None` for an exchange or product the platform does
/// not trade.
pub fn domain_position(position: &Position) -> Option<BrokerPosition> {
    Some(BrokerPosition {
        exchange: position.exchange.parse::<Exchange>().ok()?,
        tradingsymbol: position.tradingsymbol.clone(),
        product: Some(domain_product(position.product.parse::<Product>().ok()?)?),
        quantity: position.quantity,
        average_price: position.average_price,
        sold_average: (position.sell_quantity > 0).then_some(position.sell_price),
        bought_average: (position.buy_quantity > 0).then_some(position.buy_price),
    })
}

pub(crate) fn domain_error(error: KiteError) -> BrokerError {
    let kind = match (&error, error.retry()) {
        (KiteError::PlacementUncertain { .. }, _) => BrokerErrorKind::Uncertain,
        (_, Retry::Reauthenticate) => BrokerErrorKind::Unauthorized,
        (_, Retry::Safe | Retry::OnlyIfIdempotent) => BrokerErrorKind::Unavailable,
        (KiteError::CircuitOpen { .. } | KiteError::LocalRateLimit { .. }, _) => {
            BrokerErrorKind::Unavailable
        }
        _ => BrokerErrorKind::Rejected,
    };
    BrokerError {
        kind,
        message: error.to_string(),
    }
}

#[async_trait]
impl Broker for KiteBroker {
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError> {
        if let OrderKind::Gtt { .. } = order.kind {
            return gtt::place(&self.client, order).await;
        }
        self.client
            .place_order(&params(order))
            .await
            .map(|id| id.order_id)
            .map_err(domain_error)
    }

    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError> {
        if let Some(trigger) = gtt::trigger_id(order_id) {
            return gtt::cancel(&self.client, trigger).await;
        }
        self.client
            .cancel_order(Variety::Regular, order_id)
            .await
            .map(|_| ())
            .map_err(domain_error)
    }

    async fn modify_order(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError> {
        if let Some(trigger) = gtt::trigger_id(order_id) {
            return gtt::modify(&self.client, trigger, order).await;
        }
        let (order_type, price, trigger_price) = pricing(order.kind);
        let change = ModifyParams {
            order_type: Some(order_type),
            quantity: Some(order.quantity),
            price,
            trigger_price,
            ..ModifyParams::default()
        };
        self.client
            .modify_order(Variety::Regular, order_id, &change)
            .await
            .map(|_| ())
            .map_err(domain_error)
    }

    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError> {
        self.client
            .find_order_by_tag(tag.as_str())
            .await
            .map(|o| o.map(domain_order))
            .map_err(domain_error)
    }

    async fn find_order(
        &self,
        request: &OrderRequest,
        order_id: Option<&str>,
    ) -> Result<Option<BrokerOrder>, BrokerError> {
        if let OrderKind::Gtt { .. } = request.kind {
            return gtt::find(&self.client, request, order_id).await;
        }
        // Known by its id: that order's own history, not the whole day's book (which an exit
        // read after cancelling the trade's stop order — every order of the day, each time).
        if let Some(id) = order_id {
            match self.client.order_history(id).await {
                Ok(states) => {
                    if let Some(order) = states
                        .into_iter()
                        .last()
                        .filter(|o| carries_tag_or_none(o, request.tag.as_str()))
                    {
                        return Ok(Some(domain_order(order)));
                    }
                }
                // No answer at all: the book would not give one either.
                Err(e) if e.retry() != Retry::Never => return Err(domain_error(e)),
                // Kite does not know the id (or refused the read): the book by tag says.
                Err(_) => {}
            }
        }
        self.order_by_tag(&request.tag).await
    }

    async fn find_orders(
        &self,
        wanted: &[(&OrderRequest, Option<&str>)],
    ) -> Vec<Result<Option<BrokerOrder>, BrokerError>> {
        // One read of the order book answers every tagged order (a GTT is looked up apart),
        // keeping only the orders carrying a wanted tag as it is read.
        let tags: Vec<&str> = wanted
            .iter()
            .filter(|(request, _)| !matches!(request.kind, OrderKind::Gtt { .. }))
            .map(|(request, _)| request.tag.as_str())
            .collect();
        let book = if tags.is_empty() {
            Ok(Vec::new())
        } else {
            self.client.orders_tagged(&tags).await.map_err(domain_error)
        };
        let mut found = Vec::with_capacity(wanted.len());
        for (request, order_id) in wanted {
            if let OrderKind::Gtt { .. } = request.kind {
                found.push(gtt::find(&self.client, request, *order_id).await);
                continue;
            }
            found.push(match &book {
                Ok(orders) => Ok(newest_tagged(orders, request.tag.as_str())
                    .cloned()
                    .map(domain_order)),
                Err(e) => Err(e.clone()),
            });
        }
        found
    }

    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.client
            .orders()
            .await
            .map(|orders| orders.into_iter().map(domain_order).collect())
            .map_err(domain_error)
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.client
            .positions()
            .await
            .map(|positions| positions.net.iter().filter_map(domain_position).collect())
            .map_err(domain_error)
    }

    async fn holdings(&self) -> Result<Vec<osp_core::model::HeldStock>, BrokerError> {
        self.client
            .holdings()
            .await
            .map(|held| held.iter().filter_map(statement::holding).collect())
            .map_err(domain_error)
    }

    async fn statement(&self) -> Result<Option<osp_core::model::BrokerStatement>, BrokerError> {
        statement::read(&self.client).await.map(Some)
    }

    /// Kite's order margins (one order) or basket margins (several, with the netting of the
    /// account's positions), and the funds of the segment they trade in, read together.
    async fn margin_needed(
        &self,
        orders: &[OrderRequest],
    ) -> Result<Option<MarginNeed>, BrokerError> {
        let Some(first) = orders.first() else {
            return Ok(None);
        };
        let segment = if first.exchange == Exchange::Mcx {
            "commodity"
        } else {
            "equity"
        };
        let wanted: Vec<MarginOrder> = orders.iter().map(margin_order).collect();
        let required = async {
            if wanted.len() == 1 {
                self.client.order_margins(&wanted).await.map(|each| {
                    each.iter().fold(Price::ZERO, |sum, m| {
                        add(add(sum, m.total), m.charges.total)
                    })
                })
            } else {
                self.client
                    .basket_margins(&wanted)
                    .await
                    .map(|basket| add(basket.final_.total, basket.final_.charges.total))
            }
        };
        let (required, funds) = tokio::join!(required, self.client.segment_margins(segment));
        Ok(Some(MarginNeed {
            required: required.map_err(domain_error)?,
            available: funds.map_err(domain_error)?.net,
        }))
    }
}
