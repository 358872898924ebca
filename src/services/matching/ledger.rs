//! Positions from fills, in checked `Price` arithmetic.

use serde::{Deserialize, Serialize};

use crate::model::{OrderSide, Price};

/// A net position: positive units long, negative short, at an average price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetPosition {
    pub units: i64,
    pub average: Price,
}

impl NetPosition {
    /// Applies a fill; returns the profit it realised (on the units it closed).
    pub fn apply(&mut self, side: OrderSide, units: u32, price: Price) -> Price {
        let signed = match side {
            OrderSide::Buy => i64::from(units),
            OrderSide::Sell => -i64::from(units),
        };
        let same_way = self.units == 0 || (self.units > 0) == (signed > 0);
        if same_way {
            let total = self.units + signed;
            // In i128: the cost of a large position must not overflow.
            let cost = i128::from(self.average.raw()) * i128::from(self.units.abs())
                + i128::from(price.raw()) * i128::from(signed.abs());
            self.average = Price::from_raw(
                i64::try_from(cost / i128::from(total.abs().max(1))).unwrap_or(price.raw()),
            );
            self.units = total;
            return Price::ZERO;
        }
        let closing = signed.abs().min(self.units.abs());
        let per_unit = if self.units > 0 {
            price.checked_sub(self.average)
        } else {
            self.average.checked_sub(price)
        };
        let realised = per_unit
            .and_then(|p| p.checked_mul_int(closing))
            .unwrap_or(Price::ZERO);
        self.units += signed;
        if self.units == 0 {
            self.average = Price::ZERO;
        } else if (self.units > 0) == (signed > 0) {
            // Flipped: the rest opened the other way at this price.
            self.average = price;
        }
        realised
    }

    /// Funds the position ties up: its units at their average.
    pub fn used(&self) -> Price {
        self.average
            .checked_mul_int(self.units.abs())
            .unwrap_or(Price::from_raw(i64::MAX))
    }
}

/// The day's buys and sells of one instrument and product, from which Kite reports a
/// position: quantity, averages, value and P&L.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayBook {
    pub buy_quantity: i64,
    pub buy_value: Price,
    pub sell_quantity: i64,
    pub sell_value: Price,
}

impl DayBook {
    pub fn record(&mut self, side: OrderSide, quantity: i64, price: Price) {
        let value = price.checked_mul_int(quantity).unwrap_or(Price::ZERO);
        match side {
            OrderSide::Buy => {
                self.buy_quantity += quantity;
                self.buy_value = self.buy_value.checked_add(value).unwrap_or(self.buy_value);
            }
            OrderSide::Sell => {
                self.sell_quantity += quantity;
                self.sell_value = self
                    .sell_value
                    .checked_add(value)
                    .unwrap_or(self.sell_value);
            }
        }
    }

    /// Held now: negative when short.
    pub fn net_quantity(&self) -> i64 {
        self.buy_quantity - self.sell_quantity
    }

    pub fn buy_price(&self) -> Price {
        average(self.buy_value, self.buy_quantity)
    }

    pub fn sell_price(&self) -> Price {
        average(self.sell_value, self.sell_quantity)
    }

    /// The average of the side held: buys when long, sells when short.
    pub fn average_price(&self) -> Price {
        match self.net_quantity() {
            q if q > 0 => self.buy_price(),
            q if q < 0 => self.sell_price(),
            _ => Price::ZERO,
        }
    }

    /// Kite's value: money in minus money out.
    pub fn value(&self) -> Price {
        self.sell_value
            .checked_sub(self.buy_value)
            .unwrap_or(Price::ZERO)
    }

    /// Profit so far with what is held marked at `ltp`.
    pub fn pnl(&self, ltp: Price) -> Price {
        let marked = ltp
            .checked_mul_int(self.net_quantity())
            .unwrap_or(Price::ZERO);
        self.value().checked_add(marked).unwrap_or(Price::ZERO)
    }

    /// What is held, marked at `ltp` against its average.
    pub fn unrealised(&self, ltp: Price) -> Price {
        let quantity = self.net_quantity();
        if quantity == 0 {
            return Price::ZERO;
        }
        ltp.checked_sub(self.average_price())
            .and_then(|d| d.checked_mul_int(quantity))
            .unwrap_or(Price::ZERO)
    }

    pub fn realised(&self, ltp: Price) -> Price {
        self.pnl(ltp)
            .checked_sub(self.unrealised(ltp))
            .unwrap_or(Price::ZERO)
    }
}

fn average(value: Price, quantity: i64) -> Price {
    if quantity == 0 {
        Price::ZERO
    } else {
        Price::from_raw(value.raw() / quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn a_net_position_averages_realises_and_flips() {
        let mut position = NetPosition::default();
        assert_eq!(position.apply(OrderSide::Buy, 10, p("100")), Price::ZERO);
        assert_eq!(position.apply(OrderSide::Buy, 10, p("110")), Price::ZERO);
        assert_eq!(
            position,
            NetPosition {
                units: 20,
                average: p("105")
            }
        );
        assert_eq!(position.used(), p("2100"));
        assert_eq!(position.apply(OrderSide::Sell, 5, p("120")), p("75"));
        assert_eq!(position.units, 15);
        // Selling 20 closes 15 (a loss of 5 each) and opens 5 short at the fill.
        assert_eq!(position.apply(OrderSide::Sell, 20, p("100")), p("-75"));
        assert_eq!(
            position,
            NetPosition {
                units: -5,
                average: p("100")
            }
        );
        assert_eq!(position.apply(OrderSide::Buy, 5, p("90")), p("50"));
        assert_eq!(position, NetPosition::default());
    }

    #[test]
    fn a_day_book_reports_like_kite() {
        let mut book = DayBook::default();
        book.record(OrderSide::Buy, 10, p("1500"));
        book.record(OrderSide::Sell, 4, p("1510"));
        assert_eq!(book.net_quantity(), 6);
        assert_eq!(book.average_price(), p("1500"));
        assert_eq!(book.value(), p("-8960"));
        // 4 × 10 realised + 6 × 5 unrealised.
        assert_eq!(book.pnl(p("1505")), p("70"));
        assert_eq!(book.unrealised(p("1505")), p("30"));
        assert_eq!(book.realised(p("1505")), p("40"));
    }
}
