//! The level form's parse: every wrong field named at once, and the round trip.

use super::*;

fn infy() -> Instrument {
    crate::testing::infy()
}

fn fields(problems: &[FieldProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn a_filled_form_parses_and_round_trips() {
    let i = infy();
    let mut d = LevelDraft::new(&i, Price::parse("1500").unwrap());
    d.trigger = LevelTrigger::Either;
    d.on_down = Some(OrderSide::Sell);
    d.limit_offset = "0.50".into();
    d.target = "1.5%".into();
    d.stop_loss = "7.25".into();
    d.confirmation = ConfirmationChoice::Ticks;
    d.confirmation_value = "3".into();
    d.rearm = RearmChoice::AfterMove;
    d.rearm_distance = "0.25%".into();
    d.window_from = "09:20".into();
    d.window_to = "15:00".into();
    d.note = "  breakout  ".into();
    let level = d.parse(LevelId(4), Some(&i)).unwrap();
    assert_eq!(level.target, Some(Distance::BasisPoints(150)));
    assert_eq!(
        level.stop_loss,
        Some(Distance::Points(Price::parse("7.25").unwrap()))
    );
    assert_eq!(level.confirmation, Confirmation::Ticks { count: 3 });
    assert_eq!(
        level.rearm,
        Rearm::AfterMove {
            distance: Distance::BasisPoints(25)
        }
    );
    assert_eq!(
        level.window,
        Some(ActiveWindow {
            from_minute: 560,
            to_minute: 900
        })
    );
    assert_eq!(level.note, "breakout");
    let again = LevelDraft::from_level(&level).parse(LevelId(4), Some(&i));
    assert_eq!(again, Ok(level));
}

#[test]
fn every_wrong_field_is_named_at_once() {
    let i = infy();
    let mut d = LevelDraft::new(&i, Price::parse("1500").unwrap());
    d.price = "15OO".into();
    d.quantity = "0".into();
    d.target = "2.5.1".into();
    d.stop_loss = "1.005%".into();
    d.confirmation = ConfirmationChoice::Seconds;
    d.confirmation_value = "0".into();
    d.window_from = "9.20".into();
    let problems = d.parse(LevelId(0), Some(&i)).unwrap_err();
    assert_eq!(
        fields(&problems),
        [
            "price",
            "quantity",
            "target",
            "stop_loss",
            "confirmation",
            "window"
        ]
    );
}

#[test]
fn a_parsed_level_is_still_checked_against_the_instrument() {
    let i = infy();
    let d = LevelDraft::new(&i, Price::parse("1500.02").unwrap());
    let problems = d.parse(LevelId(0), Some(&i)).unwrap_err();
    assert_eq!(fields(&problems), ["price"]);
    assert!(
        problems[0].message.contains("1,500.00 or 1,500.05"),
        "{problems:?}"
    );
    assert_eq!(
        fields(&d.parse(LevelId(0), None).unwrap_err()),
        ["instrument"]
    );
}

#[test]
fn clocks_and_distances() {
    assert_eq!(parse_clock("09:15"), Some(555));
    assert_eq!(parse_clock("24:00"), Some(1440));
    assert_eq!(parse_clock("24:01"), None);
    assert_eq!(parse_clock("9:5"), None);
    assert_eq!(clock_text(555), "09:15");
    assert_eq!(parse_distance(" "), Ok(None));
    assert_eq!(parse_distance("0.5%"), Ok(Some(Distance::BasisPoints(50))));
    assert!(parse_distance("-1%").is_err());
    assert_eq!(distance_text(Distance::BasisPoints(150)), "1.5%");
    assert_eq!(distance_text(Distance::BasisPoints(200)), "2%");
}
