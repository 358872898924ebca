//! A price alert: a condition on one instrument's live ticks — its last price, its change from
//! the previous close, or its volume today — compared with a constant or with the same measure
//! of another instrument; once or repeating with a cooldown; only inside an active window if
//! one is set; with a note. Every time it fires is kept (`AlertEvent`).

use serde::{Deserialize, Serialize};

use super::{ActiveWindow, Exchange, InstrumentToken, Price};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertId(pub i64);

/// What of a tick an alert watches. Each is an exact integer in its own unit (`value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// The last traded price (in raw price units, ₹0.0001).
    LastPrice,
    /// The change from the previous close, in basis points (1.25 % = 125).
    ChangePercent,
    /// Shares or units traded today.
    Volume,
}

impl AlertMetric {
    pub fn label(self) -> &'static str {
        match self {
            AlertMetric::LastPrice => "LTP",
            AlertMetric::ChangePercent => "% change",
            AlertMetric::Volume => "volume",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AlertMetric::LastPrice => "last_price",
            AlertMetric::ChangePercent => "change_percent",
            AlertMetric::Volume => "volume",
        }
    }

    pub fn parse(code: &str) -> Option<AlertMetric> {
        [
            AlertMetric::LastPrice,
            AlertMetric::ChangePercent,
            AlertMetric::Volume,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }

    /// The measure in a tick, as an exact integer; `None` when the tick lacks it (a change
    /// without a previous close).
    pub fn value(self, tick: &super::Tick) -> Option<i64> {
        match self {
            AlertMetric::LastPrice => Some(tick.last_price.raw()),
            AlertMetric::ChangePercent => tick.change_basis_points(),
            AlertMetric::Volume => i64::try_from(tick.volume).ok(),
        }
    }

    /// A value of this measure as a person reads it: `₹1,234.50`, `+1.25%`, `1,20,000`.
    pub fn format(self, value: i64) -> String {
        match self {
            AlertMetric::LastPrice => Price::from_raw(value).format_inr(),
            AlertMetric::ChangePercent => crate::format::percent_from_basis_points(value),
            AlertMetric::Volume => crate::format::indian_integer(value.unsigned_abs()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertOperator {
    /// `>=`: whenever the value is at or above the target.
    AtLeast,
    /// `<=`: whenever the value is at or below the target.
    AtMost,
    /// From below the target to at or above it.
    CrossesAbove,
    /// From above the target to at or below it.
    CrossesBelow,
}

impl AlertOperator {
    pub fn code(self) -> &'static str {
        match self {
            AlertOperator::AtLeast => ">=",
            AlertOperator::AtMost => "<=",
            AlertOperator::CrossesAbove => "crosses_above",
            AlertOperator::CrossesBelow => "crosses_below",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertOperator::AtLeast => "≥",
            AlertOperator::AtMost => "≤",
            AlertOperator::CrossesAbove => "crosses above",
            AlertOperator::CrossesBelow => "crosses below",
        }
    }

    pub fn parse(code: &str) -> Option<AlertOperator> {
        [
            AlertOperator::AtLeast,
            AlertOperator::AtMost,
            AlertOperator::CrossesAbove,
            AlertOperator::CrossesBelow,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }
}

/// What the value is compared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlertTarget {
    /// A fixed value in the metric's unit.
    Constant { value: i64 },
    /// The same measure of another instrument, as it ticks.
    Instrument {
        token: InstrumentToken,
        exchange: Exchange,
        tradingsymbol: String,
    },
}

/// Once, or again after a quiet time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlertRepeat {
    /// Fires once, then is done (edit or re-enable it to watch again).
    Once,
    /// Fires again when the condition holds (or crosses) anew, at most once per `cooldown_secs`.
    Every { cooldown_secs: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCondition {
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub metric: AlertMetric,
    pub operator: AlertOperator,
    pub target: AlertTarget,
}

impl AlertCondition {
    /// `INFY LTP crosses above ₹1,500.00`, `TCS % change ≥ INFY`.
    pub fn describe(&self) -> String {
        let target = match &self.target {
            AlertTarget::Constant { value } => self.metric.format(*value),
            AlertTarget::Instrument { tradingsymbol, .. } => tradingsymbol.clone(),
        };
        format!(
            "{} {} {} {}",
            self.tradingsymbol,
            self.metric.label(),
            self.operator.label(),
            target
        )
    }

    /// The instruments whose ticks this condition reads.
    pub fn tokens(&self) -> Vec<InstrumentToken> {
        match &self.target {
            AlertTarget::Instrument { token, .. } if *token != self.token => {
                vec![self.token, *token]
            }
            _ => vec![self.token],
        }
    }
}

/// Where an alert stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Watching.
    Armed,
    /// A one-shot alert that fired: done until edited or armed again.
    Fired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub condition: AlertCondition,
    pub repeat: AlertRepeat,
    /// IST minutes of the day in which it may fire; `None`: all day.
    pub window: Option<ActiveWindow>,
    pub note: String,
    pub enabled: bool,
    pub state: AlertState,
    /// When it last fired (Unix ms).
    pub last_fired_ms: Option<i64>,
    pub fired_count: u32,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Who made it.
    pub created_by: String,
}

impl Alert {
    /// Whether the monitor watches it now.
    pub fn is_watched(&self) -> bool {
        self.enabled && self.state == AlertState::Armed
    }
}

/// One time an alert fired: what it saw, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub id: i64,
    pub alert: AlertId,
    pub at_ms: i64,
    /// The watched value, in the metric's unit.
    pub value: i64,
    /// What it was compared with at that moment.
    pub target_value: i64,
    /// The instrument's last price then.
    pub last_price: Price,
    /// For the history and the notification: the condition and what happened.
    pub text: String,
}
