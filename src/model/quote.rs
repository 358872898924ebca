//! `Quote`: the latest tick of an instrument together with the names a screen shows.

use serde::{Deserialize, Serialize};

use super::{Exchange, Tick};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub tradingsymbol: String,
    pub exchange: Exchange,
    pub tick: Tick,
}

impl Quote {
    /// `+1.23%` from the previous close, or `—` without one.
    pub fn change_percent_text(&self) -> String {
        self.tick.change_percent_text()
    }
}
