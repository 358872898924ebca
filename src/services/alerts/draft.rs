//! `AlertDraft`: an alert as the form sends it — every number as text — and its parse into an
//! `AlertCondition` and the rest, or every problem with it, field by field.

use crate::model::FieldProblem;
use serde::{Deserialize, Serialize};

use crate::model::{
    ActiveWindow, Alert, AlertCondition, AlertMetric, AlertOperator, AlertRepeat, AlertTarget,
    Instrument, Price,
};
use crate::services::trading::{clock_text, parse_clock};

/// The longest cooldown: a day.
const MAX_COOLDOWN_SECS: u32 = 86_400;
/// A note is for a line or two, not a document.
const MAX_NOTE_CHARS: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDraft {
    pub token: u32,
    /// `last_price`, `change_percent` or `volume`.
    pub metric: String,
    /// `>=`, `<=`, `crosses_above`, `crosses_below`.
    pub operator: String,
    /// The value to compare with: a price (`1,520.50`), a percentage (`1.5` or `-2%`), or a
    /// volume (`1,20,000`). Ignored when `against` names an instrument.
    pub value: String,
    /// Another instrument to compare with (its same measure), or 0 for `value`.
    pub against: u32,
    /// `once` or `every`.
    pub repeat: String,
    /// With `every`: the quiet time after firing — `90`, `90s`, `5m`, `1h`.
    pub cooldown: String,
    /// `HH:MM` in IST; both empty: all day.
    pub window_from: String,
    pub window_to: String,
    pub note: String,
    pub enabled: bool,
}

/// What a draft describes, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAlert {
    pub condition: AlertCondition,
    pub repeat: AlertRepeat,
    pub window: Option<ActiveWindow>,
    pub note: String,
    pub enabled: bool,
}

impl AlertDraft {
    /// A new alert's form for `instrument` at its price `ltp`: crosses above it, once.
    pub fn new(instrument: &Instrument, ltp: Option<Price>) -> AlertDraft {
        AlertDraft {
            token: instrument.token.0,
            metric: AlertMetric::LastPrice.code().to_owned(),
            operator: AlertOperator::CrossesAbove.code().to_owned(),
            value: ltp.map(Price::format_indian).unwrap_or_default(),
            against: 0,
            repeat: "once".to_owned(),
            cooldown: String::new(),
            window_from: String::new(),
            window_to: String::new(),
            note: String::new(),
            enabled: true,
        }
    }

    /// The form for editing `alert`.
    pub fn from_alert(alert: &Alert) -> AlertDraft {
        let c = &alert.condition;
        let (value, against) = match &c.target {
            AlertTarget::Constant { value } => (value_text(c.metric, *value), 0),
            AlertTarget::Instrument { token, .. } => (String::new(), token.0),
        };
        let (repeat, cooldown) = match alert.repeat {
            AlertRepeat::Once => ("once", String::new()),
            AlertRepeat::Every { cooldown_secs } => ("every", cooldown_text(cooldown_secs)),
        };
        let (window_from, window_to) = match alert.window {
            Some(w) => (clock_text(w.from_minute), clock_text(w.to_minute)),
            None => (String::new(), String::new()),
        };
        AlertDraft {
            token: c.token.0,
            metric: c.metric.code().to_owned(),
            operator: c.operator.code().to_owned(),
            value,
            against,
            repeat: repeat.to_owned(),
            cooldown,
            window_from,
            window_to,
            note: alert.note.clone(),
            enabled: alert.enabled,
        }
    }

    /// The alert on `instrument` (compared with `other` when `against` is set), or every
    /// problem with the draft. `None` instruments are not in today's list.
    pub fn parse(
        &self,
        instrument: Option<&Instrument>,
        other: Option<&Instrument>,
    ) -> Result<ParsedAlert, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut note = |field: &'static str, message: &str| {
            problems.push(FieldProblem {
                field: field.into(),
                message: message.to_owned(),
            });
        };
        let metric = AlertMetric::parse(self.metric.trim());
        if metric.is_none() {
            note("metric", "choose what to watch: LTP, % change or volume");
        }
        let operator = AlertOperator::parse(self.operator.trim());
        if operator.is_none() {
            note(
                "operator",
                "choose how to compare: ≥, ≤, crosses above or crosses below",
            );
        }
        if instrument.is_none() {
            note(
                "instrument",
                "choose an instrument from the search: this one is not in today's instruments list",
            );
        }
        let target = if self.against != 0 {
            match other {
                None => {
                    note(
                        "against",
                        "the instrument to compare with is not in today's instruments list",
                    );
                    None
                }
                Some(o) if o.token.0 == self.token => {
                    note(
                        "against",
                        "compare with another instrument, or with a value",
                    );
                    None
                }
                Some(o) => Some(AlertTarget::Instrument {
                    token: o.token,
                    exchange: o.exchange,
                    tradingsymbol: o.tradingsymbol.clone(),
                }),
            }
        } else {
            match metric.map(|m| parse_value(m, &self.value)) {
                Some(Ok(value)) => Some(AlertTarget::Constant { value }),
                Some(Err(message)) => {
                    note("value", &message);
                    None
                }
                None => None,
            }
        };
        let repeat = match self.repeat.trim() {
            "once" | "" => Some(AlertRepeat::Once),
            "every" => match parse_cooldown(&self.cooldown) {
                Ok(cooldown_secs) => Some(AlertRepeat::Every { cooldown_secs }),
                Err(message) => {
                    note("cooldown", &message);
                    None
                }
            },
            _ => {
                note("repeat", "choose once, or again after a cooldown");
                None
            }
        };
        let window = match (self.window_from.trim(), self.window_to.trim()) {
            ("", "") => Some(None),
            (from, to) => match (parse_clock(from), parse_clock(to)) {
                (Some(from_minute), Some(to_minute)) if from_minute < to_minute => {
                    Some(Some(ActiveWindow {
                        from_minute,
                        to_minute,
                    }))
                }
                (Some(_), Some(_)) => {
                    note(
                        "window_to",
                        "the window ends after it starts (IST, on one day), like 09:15 to 15:30",
                    );
                    None
                }
                (from, _) => {
                    let field = if from.is_none() {
                        "window_from"
                    } else {
                        "window_to"
                    };
                    note(
                        field,
                        "a time as HH:MM in IST, like 09:15 (leave both empty for all day)",
                    );
                    None
                }
            },
        };
        if self.note.chars().count() > MAX_NOTE_CHARS {
            note("note", "a note is at most 500 characters");
        }
        match (instrument, metric, operator, target, repeat, window) {
            (Some(i), Some(metric), Some(operator), Some(target), Some(repeat), Some(window))
                if problems.is_empty() =>
            {
                Ok(ParsedAlert {
                    condition: AlertCondition {
                        token: i.token,
                        exchange: i.exchange,
                        tradingsymbol: i.tradingsymbol.clone(),
                        metric,
                        operator,
                        target,
                    },
                    repeat,
                    window,
                    note: self.note.trim().to_owned(),
                    enabled: self.enabled,
                })
            }
            _ => Err(problems),
        }
    }
}

/// A constant in `metric`'s unit, as typed.
pub fn parse_value(metric: AlertMetric, text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("enter the {} to compare with", metric.label()));
    }
    match metric {
        AlertMetric::LastPrice => match Price::parse(text) {
            Ok(p) if p > Price::ZERO => Ok(p.raw()),
            Ok(_) => Err("a price above zero, like 1,520.50".to_owned()),
            Err(e) => Err(format!("the price: {e}")),
        },
        AlertMetric::ChangePercent => {
            let number = text.strip_suffix('%').unwrap_or(text).trim();
            let (negative, digits) = match number.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, number.strip_prefix('+').unwrap_or(number)),
            };
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
            let valid = !whole.is_empty()
                && whole.len() <= 4
                && fraction.len() <= 2
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit());
            if !valid {
                return Err("a percentage with at most two decimals, like 1.5 or -2.25%".to_owned());
            }
            let whole: i64 = whole.parse().map_err(|_| "a percentage".to_owned())?;
            let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
            let bp = whole * 100 + fraction;
            Ok(if negative { -bp } else { bp })
        }
        AlertMetric::Volume => {
            let digits: String = text.chars().filter(|c| *c != ',').collect();
            match digits.parse::<u64>() {
                Ok(v) => i64::try_from(v).map_err(|_| "a smaller volume".to_owned()),
                Err(_) => Err("a volume as a whole number, like 1,20,000".to_owned()),
            }
        }
    }
}

/// A constant as the form shows it.
pub fn value_text(metric: AlertMetric, value: i64) -> String {
    match metric {
        AlertMetric::LastPrice => Price::from_raw(value).format_indian(),
        AlertMetric::ChangePercent => crate::format::percent_from_basis_points(value)
            .trim_start_matches('+')
            .to_owned(),
        AlertMetric::Volume => crate::format::indian_integer(value.unsigned_abs()),
    }
}

/// `90`, `90s`, `5m`, `1h` → seconds (at least one, at most a day).
pub fn parse_cooldown(text: &str) -> Result<u32, String> {
    let text = text.trim().to_ascii_lowercase();
    let (number, unit) = match text.char_indices().last() {
        Some((i, 's')) => (&text[..i], 1),
        Some((i, 'm')) => (&text[..i], 60),
        Some((i, 'h')) => (&text[..i], 3600),
        _ => (text.as_str(), 1),
    };
    let secs = number
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|s| (1..=MAX_COOLDOWN_SECS).contains(s));
    secs.ok_or_else(|| {
        "the cooldown: how long to wait before firing again, like 90s, 5m or 1h (up to 24h)"
            .to_owned()
    })
}

pub fn cooldown_text(secs: u32) -> String {
    if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exchange, InstrumentToken};

    fn instrument(token: u32, symbol: &str) -> Instrument {
        Instrument {
            token: InstrumentToken(token),
            exchange_token: 1,
            tradingsymbol: symbol.to_owned(),
            name: symbol.to_owned(),
            exchange: Exchange::Nse,
            segment: "NSE".to_owned(),
            instrument_type: "EQ".to_owned(),
            tick_size: Price::parse("0.05").unwrap(),
            lot_size: 1,
            expiry: None,
            strike: Price::ZERO,
        }
    }

    #[test]
    fn a_good_draft_round_trips_through_the_form() {
        let infy = instrument(408_065, "INFY");
        let mut draft = AlertDraft::new(&infy, Price::parse("1520.5").ok());
        draft.repeat = "every".into();
        draft.cooldown = "5m".into();
        draft.window_from = "09:15".into();
        draft.window_to = "15:30".into();
        let parsed = draft.parse(Some(&infy), None).unwrap();
        assert_eq!(
            parsed.condition.target,
            AlertTarget::Constant {
                value: Price::parse("1520.50").unwrap().raw()
            }
        );
        assert_eq!(parsed.repeat, AlertRepeat::Every { cooldown_secs: 300 });
        assert_eq!(
            parsed.condition.describe(),
            "INFY LTP crosses above ₹1,520.50"
        );
        let alert = Alert {
            id: crate::model::AlertId(1),
            condition: parsed.condition,
            repeat: parsed.repeat,
            window: parsed.window,
            note: parsed.note,
            enabled: true,
            state: crate::model::AlertState::Armed,
            last_fired_ms: None,
            fired_count: 0,
            created_ms: 0,
            updated_ms: 0,
            created_by: "x".into(),
        };
        assert_eq!(AlertDraft::from_alert(&alert), draft);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let infy = instrument(408_065, "INFY");
        let draft = AlertDraft {
            token: infy.token.0,
            metric: "ltp?".into(),
            operator: "~".into(),
            value: "abc".into(),
            against: 0,
            repeat: "every".into(),
            cooldown: "forever".into(),
            window_from: "9".into(),
            window_to: "15:30".into(),
            note: "x".repeat(501),
            enabled: true,
        };
        let problems = draft.parse(None, None).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "metric",
                "operator",
                "instrument",
                "cooldown",
                "window_from",
                "note"
            ]
        );
        // Against itself, and a bad percentage.
        let mut draft = AlertDraft::new(&infy, None);
        draft.against = infy.token.0;
        let problems = draft.parse(Some(&infy), Some(&infy)).unwrap_err();
        assert_eq!(problems[0].field, "against");
        draft.against = 0;
        draft.metric = "change_percent".into();
        draft.value = "1.234".into();
        assert_eq!(
            draft.parse(Some(&infy), None).unwrap_err()[0].field,
            "value"
        );
    }

    #[test]
    fn values_parse_exactly_in_their_units() {
        assert_eq!(parse_value(AlertMetric::ChangePercent, "1.5"), Ok(150));
        assert_eq!(parse_value(AlertMetric::ChangePercent, "-2.25%"), Ok(-225));
        assert_eq!(parse_value(AlertMetric::ChangePercent, "+0.05 %"), Ok(5));
        assert_eq!(parse_value(AlertMetric::Volume, "1,20,000"), Ok(120_000));
        assert!(parse_value(AlertMetric::LastPrice, "0").is_err());
        assert!(parse_value(AlertMetric::Volume, "-5").is_err());
        assert_eq!(parse_cooldown("90"), Ok(90));
        assert_eq!(parse_cooldown("1h"), Ok(3600));
        assert!(parse_cooldown("0s").is_err());
        assert!(parse_cooldown("25h").is_err());
        assert_eq!(cooldown_text(300), "5m");
        assert_eq!(value_text(AlertMetric::ChangePercent, -225), "-2.25%");
    }
}
