//! The paper account as a broker statement (`Broker::statement`): its capital as the one
//! segment's funds, no holdings (the paper account keeps net units only), its order book, and
//! each filled order as one fill.

use crate::model::{
    BookFill, BookOrder, BrokerStatement, OrderKind, OrderStatus, Price, SegmentFunds,
};

use super::{PaperBroker, PaperOrder, lock};

fn kite_type(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Market => "MARKET",
        OrderKind::Limit { .. } => "LIMIT",
        OrderKind::StopLoss { .. } => "SL",
        OrderKind::StopLossMarket { .. } => "SL-M",
        OrderKind::Gtt { .. } => "GTT",
    }
}

fn status_text(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "PENDING",
        OrderStatus::Open => "OPEN",
        OrderStatus::TriggerPending => "TRIGGER PENDING",
        OrderStatus::Complete => "COMPLETE",
        OrderStatus::Cancelled => "CANCELLED",
        OrderStatus::Rejected => "REJECTED",
    }
}

fn book_order(o: &PaperOrder) -> BookOrder {
    let r = &o.request;
    let (price, trigger) = match r.kind {
        OrderKind::Market => (Price::ZERO, Price::ZERO),
        OrderKind::Limit { price } => (price, Price::ZERO),
        OrderKind::StopLoss { trigger, price } => (price, trigger),
        OrderKind::StopLossMarket { trigger } => (Price::ZERO, trigger),
        OrderKind::Gtt { stop, .. } => (stop.price, stop.trigger),
    };
    BookOrder {
        order_id: o.id.clone(),
        placed_at: String::new(),
        exchange: r.exchange,
        tradingsymbol: r.tradingsymbol.clone(),
        side: r.side,
        order_type: kite_type(r.kind).to_owned(),
        product: r.product.kite_name().to_owned(),
        quantity: r.quantity,
        filled_quantity: o.filled_quantity,
        price,
        trigger_price: trigger,
        average_price: o.average_price.unwrap_or(Price::ZERO),
        status: status_text(o.status).to_owned(),
        status_message: o.message.clone(),
        tag: Some(r.tag.as_str().to_owned()),
    }
}

impl PaperBroker {
    pub(super) fn statement_now(&self) -> BrokerStatement {
        let account = self.account();
        let book = lock(&self.book);
        let orders: Vec<BookOrder> = book.iter().map(book_order).collect();
        let trades = book
            .iter()
            .filter(|o| o.filled_quantity > 0)
            .filter_map(|o| {
                Some(BookFill {
                    trade_id: o.id.clone(),
                    order_id: o.id.clone(),
                    filled_at: String::new(),
                    exchange: o.request.exchange,
                    tradingsymbol: o.request.tradingsymbol.clone(),
                    side: o.request.side,
                    product: o.request.product.kite_name().to_owned(),
                    quantity: o.filled_quantity,
                    price: o.average_price?,
                })
            })
            .collect();
        BrokerStatement {
            funds: vec![SegmentFunds {
                segment: "paper".to_owned(),
                available: account.available,
                opening_balance: account.capital,
                used: account.used,
                span: Price::ZERO,
                exposure: Price::ZERO,
                option_premium: Price::ZERO,
            }],
            holdings: Vec::new(),
            orders,
            trades,
        }
    }
}
