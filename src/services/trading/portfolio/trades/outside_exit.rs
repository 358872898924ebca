//! Exiting what the broker holds outside the app: the Account page's (and the kill switch's)
//! one-click Exit on an outside position. One market order for exactly the units the app's
//! trades do not explain, read from the broker just before it is sent — never the app's own
//! trades' units, never more than the broker holds (that would open an opposite position). It
//! goes through the executor like every order (recorded first, tagged, reconciled) and passes
//! the risk gate as an exit: the kill switch and the limits never hold back a reduction.

use crate::model::{OrderIntent, OrderKind, OrderRequest, OrderSide, OrderTag, PositionKey};

use super::account::AccountPosition;
use super::{TradeError, TradeService, lock};

/// A position's Exit being sent, released however the call ends.
struct Claim<'a> {
    set: &'a std::sync::Mutex<std::collections::HashSet<PositionKey>>,
    key: &'a PositionKey,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(self.key);
    }
}

/// The order that exits `row`'s outside units at market, or why there are none to exit.
pub fn outside_exit_order(row: &AccountPosition) -> Result<OrderRequest, String> {
    let p = &row.position;
    let long = row.outside > 0;
    // Only units the broker holds beyond the app's trades, on the side it holds them.
    if row.outside == 0
        || p.quantity == 0
        || (p.quantity > 0) != long
        || row.outside.abs() > p.quantity.abs()
    {
        return Err(format!(
            "nothing of {} is held outside the app to exit (the broker holds {}, the app's \
             trades {}); a trade of the app's exits from the Trades page",
            p.tradingsymbol, p.quantity, row.managed
        ));
    }
    let quantity = u32::try_from(row.outside.unsigned_abs()).map_err(|_| {
        format!(
            "{} units of {} are more than one order can carry; exit them in Kite",
            row.outside.unsigned_abs(),
            p.tradingsymbol
        )
    })?;
    Ok(OrderRequest {
        exchange: p.exchange,
        tradingsymbol: p.tradingsymbol.clone(),
        side: if long {
            OrderSide::Sell
        } else {
            OrderSide::Buy
        },
        quantity,
        kind: OrderKind::Market,
        // A venue with one position per instrument (the paper broker) takes any product.
        product: p.product.unwrap_or(crate::model::ProductKind::Intraday),
        tag: OrderTag::parse("pending").map_err(|e| e.to_string())?,
    })
}

impl TradeService {
    /// The broker's positions with units outside the app's trades that one Exit would close
    /// (what the kill switch lists beside the trades it squares off).
    pub async fn outside_positions(&self) -> Result<Vec<AccountPosition>, String> {
        let view = self.account().await;
        if let Some(problem) = view.problem {
            return Err(problem);
        }
        Ok(view
            .positions
            .into_iter()
            .filter(|r| outside_exit_order(r).is_ok())
            .collect())
    }

    /// Sends the exit of `key`'s outside units (see the module). Returns the order as it
    /// stands after sending (placed, or refused with the broker's words).
    pub async fn exit_outside(&self, key: &PositionKey) -> Result<OrderIntent, TradeError> {
        let busy = || {
            TradeError::Busy(format!(
                "an exit of the units held outside the app on {} is already on its way; \
                 nothing more was sent",
                key.tradingsymbol
            ))
        };
        // One at a time per position here; and none while an earlier one has not ended (its
        // fill may not show in the broker's positions yet: a second would sell them twice).
        if !lock(&self.exiting_outside).insert(key.clone()) {
            return Err(busy());
        }
        let _claim = Claim {
            set: &self.exiting_outside,
            key,
        };
        let unfinished = self
            .executor
            .unfinished()
            .await
            .map_err(|e| TradeError::Failed(e.to_string()))?;
        if let Some(earlier) = unfinished.iter().find(|i| {
            i.outside_exit
                && i.request.exchange == key.exchange
                && i.request.tradingsymbol == key.tradingsymbol
                && key.product.is_none_or(|p| p == i.request.product)
        }) {
            return Err(TradeError::Busy(format!(
                "{} (order #{})",
                busy(),
                earlier.id
            )));
        }
        let view = self.account().await;
        if let Some(problem) = view.problem {
            return Err(TradeError::Busy(format!(
                "nothing was sent: the broker's positions could not be read ({problem}); try \
                 again"
            )));
        }
        let Some(row) = view.positions.iter().find(|r| {
            r.position.exchange == key.exchange
                && r.position.tradingsymbol == key.tradingsymbol
                && r.position.product == key.product
        }) else {
            return Err(TradeError::NotHeld(format!(
                "the broker holds no {}:{} position today",
                key.exchange.code(),
                key.tradingsymbol
            )));
        };
        let request = outside_exit_order(row).map_err(TradeError::NotHeld)?;
        self.executor
            .submit_outside_exit(request)
            .await
            .map_err(|e| TradeError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BrokerPosition, Exchange, InstrumentToken, Price, ProductKind};

    fn row(quantity: i64, managed: i64) -> AccountPosition {
        AccountPosition {
            position: BrokerPosition {
                exchange: Exchange::Nse,
                tradingsymbol: "SBIN".to_owned(),
                product: Some(ProductKind::Intraday),
                quantity,
                average_price: Price::parse("800").unwrap(),
                sold_average: None,
                bought_average: None,
            },
            token: Some(InstrumentToken(779_521)),
            ltp: None,
            trades: Vec::new(),
            managed,
            outside: quantity - managed,
        }
    }

    #[test]
    fn only_the_units_outside_the_apps_trades_are_exited_on_the_side_they_are_held() {
        let long = outside_exit_order(&row(5, 2)).unwrap();
        assert_eq!((long.side, long.quantity), (OrderSide::Sell, 3));
        assert_eq!(long.kind, OrderKind::Market);
        assert_eq!(long.product, ProductKind::Intraday);
        let short = outside_exit_order(&row(-4, 0)).unwrap();
        assert_eq!((short.side, short.quantity), (OrderSide::Buy, 4));
        // All the app's, the broker holding less than the trades, or nothing at all: no order
        // (each of these would sell units the app's trades hold, or open a short).
        for (quantity, managed) in [(3, 3), (2, 3), (0, 3), (0, 0), (-2, 1), (2, -1)] {
            let refused = outside_exit_order(&row(quantity, managed)).unwrap_err();
            assert!(refused.contains("nothing of SBIN"), "{refused}");
        }
    }
}
