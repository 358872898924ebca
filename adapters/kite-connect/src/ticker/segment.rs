//! The exchange segment encoded in the low byte of every instrument token, and the price
//! scale that follows from it on the wire.

use osp_core::model::{InstrumentToken, Price};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    Nse,
    Nfo,
    /// NSE currency derivatives: prices are sent in units of 10⁻⁷ rupee.
    Cds,
    Bse,
    Bfo,
    /// BSE currency derivatives: prices are sent in units of 10⁻⁴ rupee.
    Bcd,
    Mcx,
    McxSx,
    /// Indices stream prices but cannot be traded.
    Indices,
    Unknown(u8),
}

impl Segment {
    pub fn of(token: InstrumentToken) -> Segment {
        match token.0 & 0xff {
            1 => Segment::Nse,
            2 => Segment::Nfo,
            3 => Segment::Cds,
            4 => Segment::Bse,
            5 => Segment::Bfo,
            6 => Segment::Bcd,
            7 => Segment::Mcx,
            8 => Segment::McxSx,
            9 => Segment::Indices,
            other => Segment::Unknown(other as u8),
        }
    }

    /// Wire units per rupee.
    fn divisor(self) -> i64 {
        match self {
            Segment::Cds => 10_000_000,
            Segment::Bcd => 10_000,
            _ => 100,
        }
    }

    /// A wire price as a `Price` (4 decimals). CDS sends 7 decimals; the rare fourth-and-beyond
    /// digits of an average price are rounded half away from zero.
    pub fn price_from_wire(self, wire: u32) -> Price {
        let wire = i64::from(wire);
        let raw = match self.divisor() {
            d if d <= Price::SCALE => wire * (Price::SCALE / d),
            d => {
                let factor = d / Price::SCALE;
                (wire + factor / 2) / factor
            }
        };
        Price::from_raw(raw)
    }

    /// A `Price` in wire units; `None` when it cannot be sent (negative, too large, or finer
    /// than the segment's wire precision).
    pub fn price_to_wire(self, price: Price) -> Option<u32> {
        let raw = price.raw();
        let wire = match self.divisor() {
            d if d <= Price::SCALE => {
                let factor = Price::SCALE / d;
                if raw % factor != 0 {
                    return None;
                }
                raw / factor
            }
            d => raw.checked_mul(d / Price::SCALE)?,
        };
        u32::try_from(wire).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn segments_come_from_the_low_byte() {
        assert_eq!(Segment::of(InstrumentToken(408_065)), Segment::Nse); // INFY
        assert_eq!(Segment::of(InstrumentToken(256_265)), Segment::Indices); // NIFTY 50
        assert_eq!(
            Segment::of(InstrumentToken((0x1234 << 8) | 3)),
            Segment::Cds
        );
        assert_eq!(
            Segment::of(InstrumentToken((0x1234 << 8) | 0xff)),
            Segment::Unknown(0xff)
        );
    }

    #[test]
    fn prices_scale_by_segment_both_ways() {
        assert_eq!(Segment::Nse.price_from_wire(157_315), p("1573.15"));
        assert_eq!(Segment::Bcd.price_from_wire(742_525), p("74.2525"));
        assert_eq!(Segment::Cds.price_from_wire(742_525_000), p("74.2525"));
        assert_eq!(Segment::Cds.price_from_wire(742_525_600), p("74.2526"));
        assert_eq!(Segment::Nse.price_to_wire(p("1573.15")), Some(157_315));
        assert_eq!(Segment::Cds.price_to_wire(p("74.2525")), Some(742_525_000));
        assert_eq!(Segment::Bcd.price_to_wire(p("74.2525")), Some(742_525));
        assert_eq!(
            Segment::Nse.price_to_wire(p("1.001")),
            None,
            "finer than paise"
        );
        assert_eq!(Segment::Nse.price_to_wire(p("-1")), None);
        assert_eq!(
            Segment::Cds.price_to_wire(p("500")),
            None,
            "beyond u32 at 10^-7"
        );
    }
}
