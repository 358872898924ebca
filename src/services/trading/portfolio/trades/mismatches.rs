//! The broker's positions the app's trades do not explain (`Mismatch`): read after every
//! reconciliation, so what is left unexplained is what closing or reducing trades could not
//! account for — units bought or sold outside the app, or held under another product. An
//! instrument with an order of the app's still on its way is left as it was: its fill may be at
//! the broker before its update is here, and that is not a mismatch.

use std::collections::HashSet;

use crate::model::{Exchange, HeldStock, Mismatch, Trade, TradeState};

use super::account::{AccountPosition, account_positions};
use super::{TradeService, lock};

/// The mismatches in `rows` (the account as `account_positions` reads it) now, given the
/// app's `open` trades, the instruments with an order of the app's in flight (`busy`), and the
/// mismatches `known` from before: one whose unexplained units did not change keeps when it
/// was first seen and its acknowledgment; a changed one is new (and blocks again); one on a
/// busy instrument is kept as it was; the rest are gone.
pub fn mismatches_now(
    rows: &[AccountPosition],
    open: &[Trade],
    busy: &HashSet<(Exchange, String)>,
    known: &[Mismatch],
    now_ms: i64,
) -> Vec<Mismatch> {
    let mut out: Vec<Mismatch> = known
        .iter()
        .filter(|m| busy.contains(&(m.exchange, m.tradingsymbol.clone())))
        .cloned()
        .collect();
    for row in rows {
        let p = &row.position;
        if p.quantity == 0
            || row.outside == 0
            || busy.contains(&(p.exchange, p.tradingsymbol.clone()))
        {
            continue;
        }
        let app_product = open
            .iter()
            .filter(|t| {
                t.state != TradeState::Closed
                    && t.exchange == p.exchange
                    && t.tradingsymbol == p.tradingsymbol
                    && p.product.is_some_and(|product| product != t.product)
            })
            .map(|t| t.product)
            .next();
        let found = Mismatch {
            exchange: p.exchange,
            tradingsymbol: p.tradingsymbol.clone(),
            product: p.product,
            held: p.quantity,
            managed: row.managed,
            app_product,
            seen_ms: now_ms,
            acknowledged: None,
        };
        let carried = known
            .iter()
            .find(|m| m.same_position(&found) && m.outside() == found.outside());
        out.push(match carried {
            Some(before) => Mismatch {
                seen_ms: before.seen_ms,
                acknowledged: before.acknowledged.clone(),
                ..found
            },
            None => found,
        });
    }
    out
}

/// Shares held from earlier days that no trade of the app's explains are the trader's
/// portfolio, not a mismatch: only what is unexplained beyond them (bought outside the app
/// today) counts. `rows` are the positions with the holdings folded in.
pub fn discount_holdings(rows: &mut [AccountPosition], holdings: &[HeldStock]) {
    for row in rows.iter_mut().filter(|r| {
        r.outside > 0 && r.position.product == Some(crate::model::ProductKind::Delivery)
    }) {
        let carried: i64 = holdings
            .iter()
            .filter(|h| {
                h.exchange == row.position.exchange && h.tradingsymbol == row.position.tradingsymbol
            })
            .map(|h| h.quantity + h.t1_quantity)
            .sum();
        row.outside = (row.outside - carried).max(0);
    }
}

impl TradeService {
    /// The account's mismatches now (see the module), from the broker's positions, the open
    /// trades and the app's unfinished orders; `known` are the ones recorded before.
    pub async fn mismatches(&self, known: &[Mismatch]) -> Result<Vec<Mismatch>, String> {
        let (positions, holdings) = self
            .executor
            .positions_and_holdings()
            .await
            .map_err(|e| format!("the broker's positions could not be read: {e}"))?;
        let unfinished = self
            .executor
            .unfinished()
            .await
            .map_err(|e| format!("the app's open orders could not be read: {e}"))?;
        let open: Vec<Trade> = lock(&self.active).values().cloned().collect();
        // A trade's stop order standing at the broker moves nothing until it triggers.
        let stops: HashSet<i64> = open.iter().filter_map(|t| t.protective).collect();
        let mut busy: HashSet<(Exchange, String)> = unfinished
            .iter()
            .filter(|i| !stops.contains(&i.id))
            .map(|i| (i.request.exchange, i.request.tradingsymbol.clone()))
            .collect();
        busy.extend(
            open.iter()
                .filter(|t| t.state != TradeState::Open)
                .map(|t| (t.exchange, t.tradingsymbol.clone())),
        );
        let mut rows = account_positions(&positions, &open);
        discount_holdings(&mut rows, &holdings);
        Ok(mismatches_now(
            &rows,
            &open,
            &busy,
            known,
            self.clock.now_ms(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BrokerPosition, MismatchAck, OrderSide, Price, ProductKind};

    fn position(symbol: &str, product: ProductKind, quantity: i64) -> BrokerPosition {
        BrokerPosition {
            exchange: Exchange::Nse,
            tradingsymbol: symbol.to_owned(),
            product: Some(product),
            quantity,
            average_price: Price::from_rupees(100).unwrap(),
            sold_average: None,
            bought_average: None,
        }
    }

    fn trade(id: i64, symbol: &str, quantity: u32) -> Trade {
        let json = serde_json::json!({
            "id": id, "version": 1, "level": null, "entry_intent": id, "token": 1,
            "exchange": "NSE", "tradingsymbol": symbol, "product": "intraday",
            "side": OrderSide::Buy, "quantity": quantity, "entry_filled": quantity,
            "entry_price": "100", "target_distance": null, "stop_distance": null,
            "target": null, "stop_loss": null, "trailing": null, "best_price": "100",
            "state": "open", "exit_reason": null, "exit_intent": null, "exit_price": null,
            "exited": 0, "realised": "0", "problem": null, "opened_ms": 0, "updated_ms": 0,
            "closed_ms": null,
        });
        serde_json::from_value(json).unwrap()
    }

    fn now(positions: &[BrokerPosition], open: &[Trade], known: &[Mismatch]) -> Vec<Mismatch> {
        let rows = account_positions(positions, open);
        mismatches_now(&rows, open, &HashSet::new(), known, 1_000)
    }

    #[test]
    fn units_beyond_the_trades_and_another_product_are_mismatches_the_explained_are_not() {
        let positions = [
            position("INFY", ProductKind::Intraday, 5),
            position("SBIN", ProductKind::Intraday, 2),
            position("TCS", ProductKind::CarryForward, -3),
            position("ITC", ProductKind::Intraday, 0),
        ];
        let open = [trade(1, "INFY", 3), trade(2, "SBIN", 2), trade(3, "TCS", 1)];
        let found = now(&positions, &open, &[]);
        let by = |s: &str| found.iter().find(|m| m.tradingsymbol == s);
        let infy = by("INFY").unwrap();
        assert_eq!((infy.held, infy.managed, infy.outside()), (5, 3, 2));
        assert!(infy.blocks() && infy.app_product.is_none());
        // All of SBIN is trade 2's; ITC is flat.
        assert!(by("SBIN").is_none() && by("ITC").is_none());
        // The broker's TCS is NRML; the app's trade is MIS (which the broker does not list).
        let tcs = by("TCS").unwrap();
        assert_eq!(tcs.app_product, Some(ProductKind::Intraday));
        assert_eq!(tcs.outside(), -3);
    }

    #[test]
    fn shares_held_from_earlier_days_are_the_traders_portfolio_not_a_mismatch() {
        let held = |quantity, t1| HeldStock {
            exchange: Exchange::Nse,
            tradingsymbol: "TCS".to_owned(),
            quantity,
            t1_quantity: t1,
            average_price: Price::from_rupees(100).unwrap(),
            last_price: Price::from_rupees(110).unwrap(),
            pnl: Price::ZERO,
        };
        let found = |today: i64, holdings: &[HeldStock]| {
            let positions = crate::services::trading::execution::holdings::with_holdings(
                vec![position("TCS", ProductKind::Delivery, today)],
                holdings,
            );
            let mut rows = account_positions(&positions, &[]);
            discount_holdings(&mut rows, holdings);
            mismatches_now(&rows, &[], &HashSet::new(), &[], 1_000)
        };
        // 100 held long-term, 4 of them sold today: the rest is the portfolio.
        assert!(found(-4, &[held(100, 0)]).is_empty());
        // 10 more bought outside the app today on top of 100 held (and 5 settling): those 10
        // are the mismatch.
        let m = found(10, &[held(100, 5)]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].held, 115);
        assert!(m[0].blocks());
    }

    #[test]
    fn an_acknowledgment_holds_while_the_units_stay_and_a_change_raises_it_again() {
        let open = [trade(1, "INFY", 3)];
        let first = now(&[position("INFY", ProductKind::Intraday, 5)], &open, &[]);
        let mut known = first.clone();
        known[0].acknowledged = Some(MismatchAck {
            by: "asha".into(),
            at_ms: 500,
        });
        known[0].seen_ms = 10;
        // The app's own trade grew (5 more held, 5 more managed): still the same 2 outside.
        let mut bigger = trade(1, "INFY", 8);
        bigger.entry_filled = 8;
        let again = now(
            &[position("INFY", ProductKind::Intraday, 10)],
            &[bigger],
            &known,
        );
        assert_eq!(again.len(), 1);
        assert!(!again[0].blocks());
        assert_eq!(again[0].seen_ms, 10);
        // Two more bought outside: 4 unexplained, a new mismatch that blocks.
        let more = now(&[position("INFY", ProductKind::Intraday, 7)], &open, &known);
        assert!(more[0].blocks());
        assert_eq!((more[0].outside(), more[0].seen_ms), (4, 1_000));
        // Sold outside back to the trade's 3: nothing left to explain.
        assert!(now(&[position("INFY", ProductKind::Intraday, 3)], &open, &known).is_empty());
    }

    #[test]
    fn an_instrument_with_an_order_in_flight_keeps_what_was_known() {
        let open = [trade(1, "INFY", 3)];
        let rows = account_positions(&[position("INFY", ProductKind::Intraday, 5)], &open);
        let busy: HashSet<_> = [(Exchange::Nse, "INFY".to_owned())].into();
        // The fill of the app's order may be at the broker before its update is here.
        assert!(mismatches_now(&rows, &open, &busy, &[], 0).is_empty());
        let known = now(&[position("INFY", ProductKind::Intraday, 4)], &open, &[]);
        assert_eq!(mismatches_now(&rows, &open, &busy, &known, 0), known);
    }
}
