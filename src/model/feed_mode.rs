//! `FeedMode`: how much the live feed sends for an instrument. Ordered: a wider mode serves
//! everyone who needs a narrower one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedMode {
    /// Last price only: enough for level and alert monitors.
    Ltp,
    /// Price, volume and day OHLC.
    Quote,
    /// Quote plus five levels of market depth: what a screen shows.
    Full,
}

impl FeedMode {
    pub const ALL: [FeedMode; 3] = [FeedMode::Ltp, FeedMode::Quote, FeedMode::Full];

    pub fn label(self) -> &'static str {
        match self {
            FeedMode::Ltp => "ltp",
            FeedMode::Quote => "quote",
            FeedMode::Full => "full",
        }
    }
}
