//! Positions that follow from fills: per (exchange, symbol, product) the day's buys and sells
//! (the core's `DayBook`, which derives quantity, average price, value and P&L as Kite reports
//! them), shaped as Kite's `Position`.

use std::collections::BTreeMap;

use osp_core::model::{OrderSide, Price};
use osp_core::services::matching::DayBook;

use kite_connect::http::models::Position;

#[derive(Clone, Debug, Default)]
struct Book {
    token: u32,
    day: DayBook,
}

/// One fill, as a position sees it.
pub struct Fill<'a> {
    pub exchange: &'a str,
    pub tradingsymbol: &'a str,
    pub product: &'a str,
    pub token: u32,
    pub buy: bool,
    pub quantity: i64,
    pub price: Price,
}

#[derive(Debug, Default)]
pub struct PositionBook {
    books: BTreeMap<(String, String, String), Book>,
}

impl PositionBook {
    pub fn record_fill(&mut self, fill: Fill<'_>) {
        let Fill {
            exchange,
            tradingsymbol,
            product,
            token,
            buy,
            quantity,
            price,
        } = fill;
        let book = self
            .books
            .entry((exchange.into(), tradingsymbol.into(), product.into()))
            .or_default();
        book.token = token;
        let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
        book.day.record(side, quantity, price);
    }

    /// Takes every long position of `product` off the book (the day ends and delivery buys
    /// settle into holdings): each one's exchange, symbol, token, quantity, average price and
    /// value (sells less buys: what it moved the cash by).
    pub fn take_longs(&mut self, product: &str) -> Vec<(String, String, u32, i64, Price, Price)> {
        let keys: Vec<_> = self
            .books
            .iter()
            .filter(|((_, _, p), b)| p == product && b.day.net_quantity() > 0)
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|key| {
                let book = self.books.remove(&key)?;
                Some((
                    key.0,
                    key.1,
                    book.token,
                    book.day.net_quantity(),
                    book.day.average_price(),
                    book.day.value(),
                ))
            })
            .collect()
    }

    /// Net quantity held (negative when short).
    #[cfg(test)]
    pub fn net_quantity(&self, exchange: &str, tradingsymbol: &str, product: &str) -> i64 {
        self.books
            .get(&(exchange.into(), tradingsymbol.into(), product.into()))
            .map_or(0, |b| b.day.net_quantity())
    }

    /// Moves `quantity` of a position from one product to another.
    pub fn convert(
        &mut self,
        exchange: &str,
        tradingsymbol: &str,
        from: &str,
        to: &str,
        buy: bool,
        quantity: i64,
    ) -> Result<(), String> {
        let key = (
            exchange.to_owned(),
            tradingsymbol.to_owned(),
            from.to_owned(),
        );
        let Some(book) = self.books.get(&key).cloned() else {
            return Err(format!("no {from} position in {exchange}:{tradingsymbol}"));
        };
        let held = book.day.net_quantity();
        if (buy && held < quantity) || (!buy && -held < quantity) {
            return Err(format!(
                "the {from} position in {tradingsymbol} is {held}; cannot convert {quantity}"
            ));
        }
        let average = if buy {
            book.day.buy_price()
        } else {
            book.day.sell_price()
        };
        // Take the quantity off the old product at its average, put it on the new one.
        for (product, side) in [(from, !buy), (to, buy)] {
            self.record_fill(Fill {
                exchange,
                tradingsymbol,
                product,
                token: book.token,
                buy: side,
                quantity,
                price: average,
            });
        }
        Ok(())
    }

    /// Every position marked to `last_price(token)`.
    pub fn positions(&self, last_price: impl Fn(u32) -> Option<Price>) -> Vec<Position> {
        self.books
            .iter()
            .map(|((exchange, symbol, product), b)| {
                let d = &b.day;
                let ltp = last_price(b.token).unwrap_or(Price::ZERO);
                let (buy_price, sell_price) = (d.buy_price(), d.sell_price());
                let pnl = d.pnl(ltp);
                Position {
                    tradingsymbol: symbol.clone(),
                    exchange: exchange.clone(),
                    instrument_token: b.token,
                    product: product.clone(),
                    quantity: d.net_quantity(),
                    overnight_quantity: 0,
                    multiplier: 1,
                    average_price: d.average_price(),
                    close_price: Price::ZERO,
                    last_price: ltp,
                    value: d.value(),
                    pnl,
                    m2m: pnl,
                    unrealised: d.unrealised(ltp),
                    realised: d.realised(ltp),
                    buy_quantity: d.buy_quantity,
                    buy_price,
                    buy_value: d.buy_value,
                    buy_m2m: d.buy_value,
                    sell_quantity: d.sell_quantity,
                    sell_price,
                    sell_value: d.sell_value,
                    sell_m2m: d.sell_value,
                    day_buy_quantity: d.buy_quantity,
                    day_buy_price: buy_price,
                    day_buy_value: d.buy_value,
                    day_sell_quantity: d.sell_quantity,
                    day_sell_price: sell_price,
                    day_sell_value: d.sell_value,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn a_round_trip_realises_and_an_open_position_is_marked() {
        let mut book = PositionBook::default();
        let fill = |buy, quantity, price| Fill {
            exchange: "NSE",
            tradingsymbol: "INFY",
            product: "MIS",
            token: 408065,
            buy,
            quantity,
            price: p(price),
        };
        book.record_fill(fill(true, 10, "1500"));
        book.record_fill(fill(false, 4, "1510"));
        let pos = &book.positions(|_| Some(p("1505")))[0];
        assert_eq!(pos.quantity, 6);
        assert_eq!(pos.average_price, p("1500"));
        assert_eq!(pos.value, p("-8960"));
        // 4 × 10 realised + 6 × 5 unrealised.
        assert_eq!(pos.pnl, p("70"));
        assert_eq!(pos.unrealised, p("30"));
        assert_eq!(pos.realised, p("40"));
        book.convert("NSE", "INFY", "MIS", "CNC", true, 6).unwrap();
        assert_eq!(book.net_quantity("NSE", "INFY", "MIS"), 0);
        assert_eq!(book.net_quantity("NSE", "INFY", "CNC"), 6);
        assert!(book.convert("NSE", "INFY", "MIS", "CNC", true, 1).is_err());
    }
}
