//! `LevelDraft`: a level as a person types it in the form (text for every number), and its
//! parse into a `Level`. Every field that does not parse gets its own message; a draft that
//! parses is then checked against the instrument by `level_problems`. Compiled for the browser
//! too, so the form and the server speak one shape.

use crate::model::FieldProblem;
use serde::{Deserialize, Serialize};

use crate::model::{
    ActiveWindow, Confirmation, Distance, Instrument, Level, LevelId, LevelOrderType, LevelTrigger,
    OrderSide, Price, ProductKind, Rearm,
};

use super::level_rules::level_problems;

/// How the crossing is confirmed; the number it needs is `confirmation_value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationChoice {
    Cross,
    Ticks,
    Seconds,
    Buffer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RearmChoice {
    Once,
    AfterMove,
    Daily,
}

/// Most ticks or seconds a confirmation may wait.
pub const MAX_CONFIRMATION_TICKS: u32 = 100;
pub const MAX_CONFIRMATION_SECONDS: u32 = 3_600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelDraft {
    pub token: u32,
    pub price: String,
    pub trigger: LevelTrigger,
    pub on_up: Option<OrderSide>,
    pub on_down: Option<OrderSide>,
    pub quantity: String,
    pub product: ProductKind,
    /// Empty: a market order; otherwise a limit this many points beyond the level.
    pub limit_offset: String,
    /// Each empty (none), points (`5`, `2.50`) or a percentage (`1.5%`).
    pub target: String,
    pub stop_loss: String,
    pub trailing_stop: String,
    pub confirmation: ConfirmationChoice,
    pub confirmation_value: String,
    pub rearm: RearmChoice,
    pub rearm_distance: String,
    /// `HH:MM` in IST; both empty: all day.
    pub window_from: String,
    pub window_to: String,
    pub enabled: bool,
    pub note: String,
}

impl LevelDraft {
    /// A new level's form for `instrument` at `price`: buy on an upward crossing, market, once.
    pub fn new(instrument: &Instrument, price: Price) -> LevelDraft {
        LevelDraft {
            token: instrument.token.0,
            price: price.format_indian(),
            trigger: LevelTrigger::Up,
            on_up: Some(OrderSide::Buy),
            on_down: None,
            quantity: instrument.lot_size.max(1).to_string(),
            product: ProductKind::Intraday,
            limit_offset: String::new(),
            target: String::new(),
            stop_loss: String::new(),
            trailing_stop: String::new(),
            confirmation: ConfirmationChoice::Cross,
            confirmation_value: String::new(),
            rearm: RearmChoice::Once,
            rearm_distance: String::new(),
            window_from: String::new(),
            window_to: String::new(),
            enabled: true,
            note: String::new(),
        }
    }

    /// The form showing `level` (for editing).
    pub fn from_level(level: &Level) -> LevelDraft {
        let (confirmation, confirmation_value) = match level.confirmation {
            Confirmation::Cross => (ConfirmationChoice::Cross, String::new()),
            Confirmation::Ticks { count } => (ConfirmationChoice::Ticks, count.to_string()),
            Confirmation::Seconds { seconds } => (ConfirmationChoice::Seconds, seconds.to_string()),
            Confirmation::Buffer { distance } => {
                (ConfirmationChoice::Buffer, distance.format_indian())
            }
        };
        let (rearm, rearm_distance) = match level.rearm {
            Rearm::Once => (RearmChoice::Once, String::new()),
            Rearm::AfterMove { distance } => (RearmChoice::AfterMove, distance_text(distance)),
            Rearm::Daily => (RearmChoice::Daily, String::new()),
        };
        let (window_from, window_to) = match level.window {
            Some(w) => (clock_text(w.from_minute), clock_text(w.to_minute)),
            None => (String::new(), String::new()),
        };
        LevelDraft {
            token: level.token.0,
            price: level.price.format_indian(),
            trigger: level.trigger,
            on_up: level.on_up,
            on_down: level.on_down,
            quantity: level.quantity.to_string(),
            product: level.product,
            limit_offset: match level.order {
                LevelOrderType::Market => String::new(),
                LevelOrderType::Limit { offset } => offset.format_indian(),
            },
            target: level.target.map(distance_text).unwrap_or_default(),
            stop_loss: level.stop_loss.map(distance_text).unwrap_or_default(),
            trailing_stop: level.trailing_stop.map(distance_text).unwrap_or_default(),
            confirmation,
            confirmation_value,
            rearm,
            rearm_distance,
            window_from,
            window_to,
            enabled: level.enabled,
            note: level.note.clone(),
        }
    }

    /// The level this draft describes on `instrument` (the instrument its token names today,
    /// `None` if today's list has no such token), or every problem with it.
    pub fn parse(
        &self,
        id: LevelId,
        instrument: Option<&Instrument>,
    ) -> Result<Level, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let Some(instrument) = instrument else {
            return Err(vec![FieldProblem {
                field: "instrument".into(),
                message: "choose an instrument from the search: this one is not in today's \
                          instruments list"
                    .to_owned(),
            }]);
        };
        let mut note = |field: &'static str, message: String| {
            problems.push(FieldProblem {
                field: field.into(),
                message,
            });
        };
        let price = match Price::parse(&self.price) {
            Ok(p) => Some(p),
            Err(e) => {
                note("price", format!("the level's price: {e}"));
                None
            }
        };
        let quantity = match self.quantity.trim().parse::<u32>() {
            Ok(0) => {
                note("quantity", "the quantity must be at least 1".to_owned());
                None
            }
            Ok(q) => Some(q),
            Err(_) => {
                note(
                    "quantity",
                    "the quantity is a whole number of shares or units, like 10".to_owned(),
                );
                None
            }
        };
        let order = if self.limit_offset.trim().is_empty() {
            Some(LevelOrderType::Market)
        } else {
            match Price::parse(&self.limit_offset) {
                Ok(offset) if offset.is_negative() => {
                    note(
                        "limit_offset",
                        "the limit offset cannot be negative; 0 is a limit at the level".to_owned(),
                    );
                    None
                }
                Ok(offset) => Some(LevelOrderType::Limit { offset }),
                Err(e) => {
                    note(
                        "limit_offset",
                        format!("the limit offset (empty for a market order): {e}"),
                    );
                    None
                }
            }
        };
        let mut distance = |field: &'static str, what: &str, text: &str| match parse_distance(text)
        {
            Ok(d) => Some(d),
            Err(message) => {
                problems.push(FieldProblem {
                    field: field.into(),
                    message: format!("the {what}: {message}"),
                });
                None
            }
        };
        let target = distance("target", "target", &self.target);
        let stop_loss = distance("stop_loss", "stop-loss", &self.stop_loss);
        let trailing_stop = distance("trailing_stop", "trailing stop", &self.trailing_stop);
        let rearm = match self.rearm {
            RearmChoice::Once => Some(Rearm::Once),
            RearmChoice::Daily => Some(Rearm::Daily),
            RearmChoice::AfterMove => {
                match distance("rearm", "re-arm distance", &self.rearm_distance) {
                    Some(Some(distance)) => Some(Rearm::AfterMove { distance }),
                    Some(None) => {
                        problems.push(FieldProblem {
                            field: "rearm".into(),
                            message: "say how far the price must move away before the level \
                                      arms again, like 10 or 0.5%"
                                .to_owned(),
                        });
                        None
                    }
                    None => None,
                }
            }
        };
        let confirmation = self.confirmation(&mut problems);
        let window = self.window(&mut problems);
        let (
            Some(price),
            Some(quantity),
            Some(order),
            Some(target),
            Some(stop_loss),
            Some(trailing_stop),
            Some(rearm),
            Some(confirmation),
            Some(window),
        ) = (
            price,
            quantity,
            order,
            target,
            stop_loss,
            trailing_stop,
            rearm,
            confirmation,
            window,
        )
        else {
            return Err(problems);
        };
        let level = Level {
            id,
            token: instrument.token,
            exchange: instrument.exchange,
            tradingsymbol: instrument.tradingsymbol.clone(),
            price,
            trigger: self.trigger,
            on_up: self.on_up,
            on_down: self.on_down,
            quantity,
            product: self.product,
            order,
            target,
            stop_loss,
            trailing_stop,
            confirmation,
            rearm,
            window,
            enabled: self.enabled,
            note: self.note.trim().to_owned(),
        };
        let problems = level_problems(&level, instrument);
        if problems.is_empty() {
            Ok(level)
        } else {
            Err(problems)
        }
    }

    fn confirmation(&self, problems: &mut Vec<FieldProblem>) -> Option<Confirmation> {
        let value = self.confirmation_value.trim();
        let mut wrong = |message: &str| {
            problems.push(FieldProblem {
                field: "confirmation".into(),
                message: message.to_owned(),
            });
            None
        };
        match self.confirmation {
            ConfirmationChoice::Cross => Some(Confirmation::Cross),
            ConfirmationChoice::Ticks => match value.parse::<u32>() {
                Ok(count) if (1..=MAX_CONFIRMATION_TICKS).contains(&count) => {
                    Some(Confirmation::Ticks { count })
                }
                _ => wrong("how many ticks in a row beyond the level: a whole number 1 to 100"),
            },
            ConfirmationChoice::Seconds => match value.parse::<u32>() {
                Ok(seconds) if (1..=MAX_CONFIRMATION_SECONDS).contains(&seconds) => {
                    Some(Confirmation::Seconds { seconds })
                }
                _ => wrong("how many seconds beyond the level: a whole number 1 to 3600"),
            },
            ConfirmationChoice::Buffer => match Price::parse(value) {
                Ok(distance) if !distance.is_negative() && !distance.is_zero() => {
                    Some(Confirmation::Buffer { distance })
                }
                _ => wrong("how many points beyond the level confirm it: more than 0, like 2.50"),
            },
        }
    }

    fn window(&self, problems: &mut Vec<FieldProblem>) -> Option<Option<ActiveWindow>> {
        let (from, to) = (self.window_from.trim(), self.window_to.trim());
        if from.is_empty() && to.is_empty() {
            return Some(None);
        }
        match (parse_clock(from), parse_clock(to)) {
            (Some(from_minute), Some(to_minute)) => Some(Some(ActiveWindow {
                from_minute,
                to_minute,
            })),
            _ => {
                problems.push(FieldProblem {
                    field: "window".into(),
                    message: "the active window is two times of day in IST, like 09:20 and \
                              15:00 (leave both empty for all day)"
                        .to_owned(),
                });
                None
            }
        }
    }
}

/// Empty → none; `5` or `2.50` → points; `1.5%` → basis points (at most two decimals).
pub fn parse_distance(text: &str) -> Result<Option<Distance>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(percent) = text.strip_suffix('%') {
        let value = Price::parse(percent.trim()).map_err(|e| format!("{e} (like 1.5%)"))?;
        // Price has four decimals: 1.5 % is raw 15000, i.e. 150 basis points.
        if value.raw() % 100 != 0 {
            return Err("a percentage has at most two decimals, like 0.25%".to_owned());
        }
        let bp = u32::try_from(value.raw() / 100)
            .map_err(|_| "a percentage must be positive and at most 50%".to_owned())?;
        return Ok(Some(Distance::BasisPoints(bp)));
    }
    Price::parse(text)
        .map(|p| Some(Distance::Points(p)))
        .map_err(|e| format!("{e} (points like 5 or 2.50, or a percentage like 1.5%)"))
}

fn distance_text(distance: Distance) -> String {
    match distance {
        Distance::Points(p) => p.format_indian(),
        Distance::BasisPoints(bp) if bp % 100 == 0 => format!("{}%", bp / 100),
        Distance::BasisPoints(bp) => {
            let text = format!("{}.{:02}", bp / 100, bp % 100);
            format!("{}%", text.trim_end_matches('0'))
        }
    }
}

/// `HH:MM` (24-hour) → minutes after midnight; `24:00` is the end of the day.
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

pub fn clock_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests;
