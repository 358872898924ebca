//! How a tick reads on screen: Indian digit grouping, signed changes, and the direction class
//! (green up, red down) — shared by the market watch and the instrument page.

use osp_core::model::{Price, Tick};

/// `+1,234.50`, `-0.05`, `0.00`.
pub fn signed(price: Price) -> String {
    let text = price.format_indian();
    if price.is_negative() || price.is_zero() {
        text
    } else {
        format!("+{text}")
    }
}

/// The day's change against the previous close, or a dash before there is one.
pub fn change_text(tick: &Tick) -> String {
    tick.change().map(signed).unwrap_or_else(|| "—".to_owned())
}

pub fn change_percent_text(tick: &Tick) -> String {
    tick.change_percent_text()
}

/// `up`, `down` or `flat`: `now` against `before`.
pub fn direction(now: Price, before: Price) -> &'static str {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "down",
        std::cmp::Ordering::Equal => "flat",
    }
}

/// The day's direction of a tick (against the previous close).
pub fn day_direction(tick: &Tick) -> &'static str {
    if tick.ohlc.close.is_zero() {
        return "flat";
    }
    direction(tick.last_price, tick.ohlc.close)
}
