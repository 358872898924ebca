//! What the account holds of a delivery trade: the broker's net CNC position today (buys less
//! sells; a sale of held shares shows as a negative one) plus its holdings, settled and
//! settling (bought shares leave the positions for the holdings overnight).

use crate::model::{BrokerPosition, HeldStock, ProductKind};

/// `positions` with `holdings` added to their delivery (CNC) positions: a holding with no CNC
/// position today becomes one (at the holding's average). Kite's net CNC position is today's
/// buys less today's sells (a sale of held shares shows as a negative one), so the sum is what
/// the account holds.
pub fn with_holdings(
    mut positions: Vec<BrokerPosition>,
    holdings: &[HeldStock],
) -> Vec<BrokerPosition> {
    for h in holdings {
        let units = h.quantity + h.t1_quantity;
        if units == 0 {
            continue;
        }
        match positions.iter_mut().find(|p| {
            p.exchange == h.exchange
                && p.tradingsymbol == h.tradingsymbol
                && p.product == Some(ProductKind::Delivery)
        }) {
            Some(p) => {
                if p.quantity == 0 {
                    p.average_price = h.average_price;
                }
                p.quantity += units;
            }
            None => positions.push(BrokerPosition {
                exchange: h.exchange,
                tradingsymbol: h.tradingsymbol.clone(),
                product: Some(ProductKind::Delivery),
                quantity: units,
                average_price: h.average_price,
                sold_average: None,
                bought_average: None,
            }),
        }
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exchange, Price};

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    fn held(symbol: &str, quantity: i64, t1: i64) -> HeldStock {
        HeldStock {
            exchange: Exchange::Nse,
            tradingsymbol: symbol.to_owned(),
            quantity,
            t1_quantity: t1,
            average_price: p("100"),
            last_price: p("110"),
            pnl: p("10"),
        }
    }

    fn position(symbol: &str, product: ProductKind, quantity: i64) -> BrokerPosition {
        BrokerPosition {
            exchange: Exchange::Nse,
            tradingsymbol: symbol.to_owned(),
            product: Some(product),
            quantity,
            average_price: p("105"),
            sold_average: (quantity < 0).then(|| p("112")),
            bought_average: None,
        }
    }

    #[test]
    fn holdings_add_to_the_delivery_position_and_only_to_it() {
        let positions = vec![
            // 4 of 10 held TCS sold today; 5 INFY bought intraday.
            position("TCS", ProductKind::Delivery, -4),
            position("INFY", ProductKind::Intraday, 5),
        ];
        let holdings = [held("TCS", 10, 0), held("INFY", 0, 3), held("SBIN", 0, 0)];
        let all = with_holdings(positions, &holdings);
        let find = |s: &str, product: ProductKind| {
            all.iter()
                .find(|p| p.tradingsymbol == s && p.product == Some(product))
                .cloned()
        };
        let tcs = find("TCS", ProductKind::Delivery).unwrap();
        assert_eq!(tcs.quantity, 6);
        assert_eq!(tcs.sold_average, Some(p("112")), "today's sale price kept");
        // INFY bought yesterday for delivery, settling: a delivery position of its own.
        let infy = find("INFY", ProductKind::Delivery).unwrap();
        assert_eq!((infy.quantity, infy.average_price), (3, p("100")));
        assert_eq!(find("INFY", ProductKind::Intraday).unwrap().quantity, 5);
        assert!(
            find("SBIN", ProductKind::Delivery).is_none(),
            "nothing held"
        );
    }
}
