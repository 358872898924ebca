//! The account as the broker holds it: each net position the broker reports (however it was
//! placed: through this app, in Kite's own app, by Kite's square-off), said to be the app's —
//! the open trades that add up to it — or outside, by how many units. A trade of the app's whose
//! instrument the broker no longer holds shows too, with all of it outside (negative).

use serde::{Deserialize, Serialize};

use crate::model::{BrokerPosition, InstrumentToken, Price, Trade, TradeId, TradeState};

use super::super::trade_rules::signed_units;
use super::{TradeService, lock};

/// One net position at the broker, and what of it the app manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPosition {
    pub position: BrokerPosition,
    /// The instrument, when the catalog knows it (for its live price and chart).
    pub token: Option<InstrumentToken>,
    pub ltp: Option<Price>,
    /// The app's open trades on it.
    pub trades: Vec<TradeId>,
    /// What those trades add up to, signed.
    pub managed: i64,
    /// What the broker holds beyond them, signed (negative: it holds less than the trades).
    pub outside: i64,
}

/// The broker's positions as read now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub positions: Vec<AccountPosition>,
    /// When the broker was read.
    pub read_ms: i64,
    /// Why the broker could not be read, when it could not (the positions are then empty).
    pub problem: Option<String>,
    /// What the broker holds that the app's trades do not explain, as last found (the risk
    /// service keeps them).
    #[serde(default)]
    pub mismatches: Vec<crate::model::Mismatch>,
    /// The rest of the account as the broker reports it (funds, holdings, order and trade
    /// books), as HTML the server rendered from `TradeService::statement`.
    #[serde(default)]
    pub statement_html: String,
}

/// Each of the broker's `positions` with the app's `open` trades on it (same instrument, and
/// the same product unless the venue keeps one position whatever the product); then the trades
/// whose instrument the broker does not list at all.
pub fn account_positions(positions: &[BrokerPosition], open: &[Trade]) -> Vec<AccountPosition> {
    let live: Vec<&Trade> = open
        .iter()
        .filter(|t| t.state != TradeState::Closed)
        .collect();
    let mut claimed = vec![false; live.len()];
    let mut rows: Vec<AccountPosition> = positions
        .iter()
        .map(|p| {
            let mut trades = Vec::new();
            let mut managed = 0;
            for (i, t) in live.iter().enumerate() {
                if !claimed[i] && p.holds(t.exchange, &t.tradingsymbol, t.product) {
                    claimed[i] = true;
                    trades.push(t.id);
                    managed += signed_units(t);
                }
            }
            AccountPosition {
                position: p.clone(),
                token: None,
                ltp: None,
                trades,
                managed,
                outside: p.quantity - managed,
            }
        })
        .collect();
    for (i, t) in live.iter().enumerate() {
        if claimed[i] {
            continue;
        }
        let units = signed_units(t);
        match rows.iter_mut().find(|r| {
            r.position.quantity == 0
                && r.position.exchange == t.exchange
                && r.position.tradingsymbol == t.tradingsymbol
                && r.position.product == Some(t.product)
        }) {
            Some(row) => {
                row.trades.push(t.id);
                row.managed += units;
                row.outside -= units;
            }
            None => rows.push(AccountPosition {
                position: BrokerPosition {
                    exchange: t.exchange,
                    tradingsymbol: t.tradingsymbol.clone(),
                    product: Some(t.product),
                    quantity: 0,
                    average_price: Price::ZERO,
                    sold_average: None,
                    bought_average: None,
                },
                token: Some(t.token),
                ltp: None,
                trades: vec![t.id],
                managed: units,
                outside: -units,
            }),
        }
    }
    rows
}

impl TradeService {
    /// The broker's positions now, each with the app's trades on it (the Account page).
    pub async fn account(&self) -> AccountView {
        let read_ms = self.clock.now_ms();
        let positions = match self.executor.positions().await {
            Ok(positions) => positions,
            Err(e) => {
                return AccountView {
                    positions: Vec::new(),
                    read_ms,
                    problem: Some(format!("the broker's positions could not be read: {e}")),
                    mismatches: Vec::new(),
                    statement_html: String::new(),
                };
            }
        };
        let open: Vec<Trade> = lock(&self.active).values().cloned().collect();
        let mut rows = account_positions(&positions, &open);
        for row in &mut rows {
            let p = &row.position;
            if row.token.is_none() {
                row.token = self
                    .catalog
                    .find(p.exchange, &p.tradingsymbol)
                    .map(|i| i.token);
            }
            row.ltp = row
                .token
                .and_then(|t| self.market.latest(&[t]).first().map(|t| t.last_price));
        }
        rows.sort_by(|a, b| {
            (b.outside != 0, &a.position.tradingsymbol)
                .cmp(&(a.outside != 0, &b.position.tradingsymbol))
        });
        AccountView {
            positions: rows,
            read_ms,
            problem: None,
            mismatches: Vec::new(),
            statement_html: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exchange, OrderSide, ProductKind};

    fn position(symbol: &str, product: Option<ProductKind>, quantity: i64) -> BrokerPosition {
        BrokerPosition {
            exchange: Exchange::Nse,
            tradingsymbol: symbol.to_owned(),
            product,
            quantity,
            average_price: Price::from_rupees(100).unwrap(),
            sold_average: None,
            bought_average: None,
        }
    }

    fn trade(id: i64, symbol: &str, side: OrderSide, quantity: u32) -> Trade {
        let json = serde_json::json!({
            "id": id, "version": 1, "level": null, "entry_intent": id, "token": 1,
            "exchange": "NSE", "tradingsymbol": symbol, "product": "intraday", "side": side,
            "quantity": quantity, "entry_filled": quantity, "entry_price": "100",
            "target_distance": null, "stop_distance": null, "target": null, "stop_loss": null,
            "trailing": null, "best_price": "100", "state": "open", "exit_reason": null,
            "exit_intent": null, "exit_price": null, "exited": 0, "realised": "0",
            "problem": null, "opened_ms": 0, "updated_ms": 0, "closed_ms": null,
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn each_position_says_what_the_app_manages_of_it_and_what_is_outside() {
        let positions = [
            position("INFY", Some(ProductKind::Intraday), 5),
            position("SBIN", Some(ProductKind::Intraday), -2),
            position("TCS", Some(ProductKind::Delivery), 10),
        ];
        let open = [
            trade(1, "INFY", OrderSide::Buy, 3),
            trade(2, "SBIN", OrderSide::Sell, 2),
            trade(3, "RELIANCE", OrderSide::Buy, 4),
        ];
        let rows = account_positions(&positions, &open);
        let row = |s: &str| rows.iter().find(|r| r.position.tradingsymbol == s).unwrap();
        // 3 of the 5 INFY are trade 1's; 2 were bought outside the app.
        assert_eq!((row("INFY").managed, row("INFY").outside), (3, 2));
        assert_eq!(row("INFY").trades, [TradeId(1)]);
        // The short of 2 SBIN is all trade 2's.
        assert_eq!((row("SBIN").managed, row("SBIN").outside), (-2, 0));
        // TCS in delivery is all outside: the app has no trade on it.
        assert_eq!((row("TCS").managed, row("TCS").outside), (0, 10));
        // RELIANCE: the app's trade holds 4, the broker lists none — 4 missing there.
        assert_eq!((row("RELIANCE").managed, row("RELIANCE").outside), (4, -4));
        assert_eq!(row("RELIANCE").position.quantity, 0);
    }

    #[test]
    fn a_venue_with_one_position_per_instrument_counts_every_product() {
        let positions = [position("INFY", None, 7)];
        let mut delivery = trade(2, "INFY", OrderSide::Buy, 4);
        delivery.product = ProductKind::Delivery;
        let open = [trade(1, "INFY", OrderSide::Buy, 3), delivery];
        let rows = account_positions(&positions, &open);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].managed, rows[0].outside), (7, 0));
    }
}
