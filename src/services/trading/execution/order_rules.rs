//! What any order must be to be sent, whoever makes it — a level, a ticket, a modify: on the
//! instrument's tick grid, whole lots of a derivative, a product that suits the instrument.
//! Each rule gives the words the form shows beside its field.

use crate::model::{Exchange, Instrument, MarginNeed, Price, ProductKind};

pub(in crate::services::trading) fn is_derivative(exchange: Exchange) -> bool {
    !matches!(exchange, Exchange::Nse | Exchange::Bse)
}

/// Why `price` is off the tick grid, with the two nearest prices on it.
pub(in crate::services::trading) fn tick_hint(price: Price, tick: Price) -> String {
    let below = Price::from_raw(price.raw() - price.raw().rem_euclid(tick.raw().max(1)));
    match below.checked_add(tick) {
        Some(above) => format!(
            "{} is not a multiple of the tick size {}; use {} or {}",
            price.format_indian(),
            tick.format_indian(),
            below.format_indian(),
            above.format_indian()
        ),
        None => format!(
            "{} is not a multiple of the tick size {}",
            price.format_indian(),
            tick.format_indian()
        ),
    }
}

/// Why `quantity` cannot be ordered on `instrument` (zero, or not whole lots of a derivative).
pub(in crate::services::trading) fn quantity_problem(
    quantity: u32,
    instrument: &Instrument,
) -> Option<String> {
    if quantity == 0 {
        return Some("the quantity must be at least 1".to_owned());
    }
    if is_derivative(instrument.exchange)
        && instrument.lot_size > 1
        && !quantity.is_multiple_of(instrument.lot_size)
    {
        let lots = quantity / instrument.lot_size;
        return Some(format!(
            "{} trades in lots of {}; use {} or {}",
            instrument.tradingsymbol,
            instrument.lot_size,
            lots.max(1) * instrument.lot_size,
            (lots + 1) * instrument.lot_size
        ));
    }
    None
}

/// Why `product` does not suit `instrument` (delivery for equity, carry-forward for derivatives).
pub(in crate::services::trading) fn product_problem(
    product: ProductKind,
    instrument: &Instrument,
) -> Option<String> {
    match (product, is_derivative(instrument.exchange)) {
        (ProductKind::Delivery, true) => Some(
            "CNC (delivery) is for equity; use NRML to carry a derivative overnight, or MIS"
                .to_owned(),
        ),
        (ProductKind::CarryForward, false) => {
            Some("NRML is for derivatives; use CNC to hold equity overnight, or MIS".to_owned())
        }
        _ => None,
    }
}

/// Why an entry the broker reckons at `need` may not be sent: the account cannot afford it,
/// said with the shortfall. `None` when it can.
pub(in crate::services::trading) fn margin_problem(need: &MarginNeed) -> Option<String> {
    need.shortfall().map(|short| {
        format!(
            "not enough margin: the order needs {} and the account has {} available at the \
             broker, {} short; add funds or lower the quantity",
            need.required.format_inr(),
            need.available.format_inr(),
            short.format_inr()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortfall_is_named_and_an_affordable_order_passes() {
        let need = |required: i64, available: i64| MarginNeed {
            required: Price::from_rupees(required).unwrap(),
            available: Price::from_rupees(available).unwrap(),
        };
        let problem = margin_problem(&need(1_500, 1_000)).unwrap();
        assert!(problem.contains("₹1,500.00"), "{problem}");
        assert!(problem.contains("₹500.00 short"), "{problem}");
        assert_eq!(margin_problem(&need(1_000, 1_000)), None);
        assert_eq!(margin_problem(&need(10, 1_000)), None);
    }
}
