//! The account as Kite reports it besides positions (`Broker::statement`): funds and margins
//! per segment, holdings, the order book and the trade book, read together.

use osp_core::model::{
    BookFill, BookOrder, BrokerStatement, Exchange, HeldStock, OrderSide, SegmentFunds,
};
use osp_core::ports::BrokerError;

use super::domain_error;
use crate::http::KiteClient;
use crate::http::models::{Holding, Margins, Order, SegmentMargin, Trade};

fn side(text: &str) -> OrderSide {
    if text.eq_ignore_ascii_case("SELL") {
        OrderSide::Sell
    } else {
        OrderSide::Buy
    }
}

fn funds(segment: &str, m: &SegmentMargin) -> SegmentFunds {
    let used = &m.utilised;
    SegmentFunds {
        segment: segment.to_owned(),
        available: m.net,
        opening_balance: m.available.opening_balance,
        used: used.debits,
        span: used.span,
        exposure: used.exposure,
        option_premium: used.option_premium,
    }
}

fn segments(margins: &Margins) -> Vec<SegmentFunds> {
    let mut out = Vec::new();
    if let Some(m) = margins.equity.as_ref().filter(|m| m.enabled) {
        out.push(funds("equity", m));
    }
    if let Some(m) = margins.commodity.as_ref().filter(|m| m.enabled) {
        out.push(funds("commodity", m));
    }
    out
}

/// A holding, an order or a fill on an exchange the platform does not trade is left out.
pub(super) fn holding(h: &Holding) -> Option<HeldStock> {
    Some(HeldStock {
        exchange: h.exchange.parse::<Exchange>().ok()?,
        tradingsymbol: h.tradingsymbol.clone(),
        quantity: h.quantity,
        t1_quantity: h.t1_quantity,
        average_price: h.average_price,
        last_price: h.last_price,
        pnl: h.pnl,
    })
}

fn order(o: &Order) -> Option<BookOrder> {
    Some(BookOrder {
        order_id: o.order_id.clone(),
        placed_at: o.order_timestamp.clone().unwrap_or_default(),
        exchange: o.exchange.parse::<Exchange>().ok()?,
        tradingsymbol: o.tradingsymbol.clone(),
        side: side(&o.transaction_type),
        order_type: o.order_type.clone(),
        product: o.product.clone(),
        quantity: u32::try_from(o.quantity).ok()?,
        filled_quantity: u32::try_from(o.filled_quantity).unwrap_or(0),
        price: o.price,
        trigger_price: o.trigger_price,
        average_price: o.average_price,
        status: o.status.clone(),
        status_message: o.status_message.clone(),
        tag: o.tag.clone(),
    })
}

fn fill(t: &Trade) -> Option<BookFill> {
    Some(BookFill {
        trade_id: t.trade_id.clone(),
        order_id: t.order_id.clone(),
        filled_at: t
            .fill_timestamp
            .clone()
            .or_else(|| t.exchange_timestamp.clone())
            .unwrap_or_default(),
        exchange: t.exchange.parse::<Exchange>().ok()?,
        tradingsymbol: t.tradingsymbol.clone(),
        side: side(&t.transaction_type),
        product: t.product.clone(),
        quantity: u32::try_from(t.quantity).ok()?,
        price: t.average_price,
    })
}

pub(super) async fn read(client: &KiteClient) -> Result<BrokerStatement, BrokerError> {
    let (margins, holdings, orders, trades) = tokio::join!(
        client.margins(),
        client.holdings(),
        client.orders(),
        client.trades()
    );
    Ok(BrokerStatement {
        funds: segments(&margins.map_err(domain_error)?),
        holdings: holdings
            .map_err(domain_error)?
            .iter()
            .filter_map(holding)
            .collect(),
        orders: orders
            .map_err(domain_error)?
            .iter()
            .filter_map(order)
            .collect(),
        trades: trades
            .map_err(domain_error)?
            .iter()
            .filter_map(fill)
            .collect(),
    })
}
