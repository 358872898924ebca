//! What any order must be to be sent, whoever makes it — a level, a ticket, a modify: on the
//! instrument's tick grid, whole lots of a derivative, a product that suits the instrument.
//! Each rule gives the words the form shows beside its field.

use crate::model::{Exchange, Instrument, Price, ProductKind};

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
