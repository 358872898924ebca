//! What a triggered level orders: arithmetic on fixed-point prices, rounded to the
//! instrument's tick on the cautious side — a limit never allows a fill worse than the offset
//! asked. (Where its trade exits is the portfolio's `trade_rules::exit_prices`.)

use crate::model::{
    Direction, Level, LevelOrderType, OrderKind, OrderRequest, OrderSide, OrderTag, Price,
};

/// The order a level places for a crossing in `direction`, or `None` when it has no order that
/// way. The tag is a placeholder: the executor gives every order its own.
pub fn order_for(level: &Level, direction: Direction, tick: Price) -> Option<OrderRequest> {
    let side = match direction {
        Direction::Up => level.on_up?,
        Direction::Down => level.on_down?,
    };
    let kind = match level.order {
        LevelOrderType::Market => OrderKind::Market,
        LevelOrderType::Limit { offset } => {
            // A buy may pay up to `offset` above the level, a sell accept `offset` below it.
            let raw = match side {
                OrderSide::Buy => level.price.checked_add(offset)?,
                OrderSide::Sell => level.price.checked_sub(offset)?,
            };
            OrderKind::Limit {
                price: raw.snap_to_tick(tick, side == OrderSide::Sell),
            }
        }
    };
    Some(OrderRequest {
        exchange: level.exchange,
        tradingsymbol: level.tradingsymbol.clone(),
        side,
        quantity: level.quantity,
        kind,
        product: level.product,
        tag: OrderTag::parse("pending").ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Confirmation, Exchange, InstrumentToken, LevelId, LevelTrigger, ProductKind, Rearm,
    };

    fn p(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    fn level(order: LevelOrderType) -> Level {
        Level {
            id: LevelId(1),
            token: InstrumentToken(1),
            exchange: Exchange::Nse,
            tradingsymbol: "SBIN".to_owned(),
            price: p("812.40"),
            trigger: LevelTrigger::Either,
            on_up: Some(OrderSide::Buy),
            on_down: None,
            quantity: 5,
            product: ProductKind::Intraday,
            order,
            target: None,
            stop_loss: None,
            trailing_stop: None,
            confirmation: Confirmation::Cross,
            rearm: Rearm::Once,
            window: None,
            enabled: true,
            note: String::new(),
        }
    }

    #[test]
    fn a_level_orders_its_side_per_direction() {
        let l = level(LevelOrderType::Market);
        let order = order_for(&l, Direction::Up, p("0.05")).unwrap();
        assert_eq!(
            (order.side, order.quantity, order.kind),
            (OrderSide::Buy, 5, OrderKind::Market)
        );
        assert!(
            order_for(&l, Direction::Down, p("0.05")).is_none(),
            "no order downward"
        );
    }

    #[test]
    fn a_limit_sits_the_offset_beyond_the_level_on_the_tick_grid() {
        let mut l = level(LevelOrderType::Limit { offset: p("0.12") });
        let buy = order_for(&l, Direction::Up, p("0.05")).unwrap();
        assert_eq!(
            buy.kind,
            OrderKind::Limit { price: p("812.50") },
            "812.52 rounds down"
        );
        l.on_down = Some(OrderSide::Sell);
        let sell = order_for(&l, Direction::Down, p("0.05")).unwrap();
        assert_eq!(
            sell.kind,
            OrderKind::Limit { price: p("812.30") },
            "812.28 rounds up"
        );
    }
}
