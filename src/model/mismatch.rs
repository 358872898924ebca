//! A position the broker holds that the app's trades do not explain: units bought or sold
//! outside the app on an instrument (in Kite's own app, by another tool), or held under another
//! product than the app's trade. Until the trader acknowledges it (or adopts the units as a
//! trade), no new entry goes out on that instrument: the app's sizing and exits assume it knows
//! what the account holds there.

use serde::{Deserialize, Serialize};

use super::{Exchange, ProductKind};

/// One net position at the broker: its instrument and product, as the Account page names it
/// (which mismatch a trader acknowledges, which outside position a trader exits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PositionKey {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    /// `None`: a venue with one position per instrument whatever the product.
    pub product: Option<ProductKind>,
}

/// Who acknowledged a mismatch, and when: the units stay outside, known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MismatchAck {
    pub by: String,
    pub at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    /// The broker's position's product (`None`: a venue with one position per instrument).
    pub product: Option<ProductKind>,
    /// What the broker holds, signed (positive long).
    pub held: i64,
    /// What the app's open trades on that position add up to, signed.
    pub managed: i64,
    /// The app's open trades on this instrument are under this other product.
    pub app_product: Option<ProductKind>,
    /// When these units were first seen unexplained.
    pub seen_ms: i64,
    pub acknowledged: Option<MismatchAck>,
}

impl Mismatch {
    /// The units nothing of the app's explains, signed.
    pub fn outside(&self) -> i64 {
        self.held - self.managed
    }

    /// Whether it holds back new entries on its instrument (not acknowledged yet).
    pub fn blocks(&self) -> bool {
        self.acknowledged.is_none()
    }

    /// The same broker position (instrument and product).
    pub fn same_position(&self, other: &Mismatch) -> bool {
        self.exchange == other.exchange
            && self.tradingsymbol == other.tradingsymbol
            && self.product == other.product
    }

    /// Whether an order on `exchange:tradingsymbol` would add to this instrument.
    pub fn on(&self, exchange: Exchange, tradingsymbol: &str) -> bool {
        self.exchange == exchange && self.tradingsymbol == tradingsymbol
    }

    /// Where it stands in words, for the banner, the refusal and the webhook.
    pub fn describe(&self) -> String {
        let product = self
            .product
            .map(|p| format!(" ({})", p.kite_name()))
            .unwrap_or_default();
        let mut text = format!(
            "the broker holds {} {}{product} and the app's trades add up to {}: {} {} the app \
             cannot explain",
            self.held,
            self.tradingsymbol,
            self.managed,
            self.outside().abs(),
            if self.outside().abs() == 1 {
                "unit"
            } else {
                "units"
            },
        );
        if let Some(app) = self.app_product {
            text.push_str(&format!(
                "; the product differs: the app's trades on it are {}",
                app.kite_name()
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mismatch(held: i64, managed: i64) -> Mismatch {
        Mismatch {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".into(),
            product: Some(ProductKind::Intraday),
            held,
            managed,
            app_product: None,
            seen_ms: 0,
            acknowledged: None,
        }
    }

    #[test]
    fn it_names_the_units_nothing_explains_and_a_product_that_differs() {
        let m = mismatch(5, 3);
        assert_eq!(m.outside(), 2);
        assert_eq!(
            m.describe(),
            "the broker holds 5 INFY (MIS) and the app's trades add up to 3: 2 units the app \
             cannot explain"
        );
        let mut other = mismatch(-1, 0);
        other.product = Some(ProductKind::CarryForward);
        other.app_product = Some(ProductKind::Intraday);
        assert_eq!(
            other.describe(),
            "the broker holds -1 INFY (NRML) and the app's trades add up to 0: 1 unit the app \
             cannot explain; the product differs: the app's trades on it are MIS"
        );
        assert!(other.blocks());
        other.acknowledged = Some(MismatchAck {
            by: "asha".into(),
            at_ms: 1,
        });
        assert!(!other.blocks());
    }
}
