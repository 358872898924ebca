//! Test-only fuzzing tools: damage a published input the ways a network or a misbehaving
//! server damages it, with a fixed seed so the test command's short run is the same each
//! time. `PROPTEST_CASES=20000` runs longer. Also the properties for the inputs outside the
//! REST client: the instruments dump, the ticker's text frames, postbacks (the REST answers'
//! are `http/fuzz_tests.rs`, next to the envelope they go through).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Cases per property in the test command: seconds, not minutes.
const FUZZ_CASES: u32 = 256;

pub fn config() -> Config {
    Config {
        cases: FUZZ_CASES,
        rng_seed: RngSeed::Fixed(0x05B5_2026),
        failure_persistence: None,
        ..Config::default()
    }
    .with_env_cases()
}

trait WithEnvCases {
    fn with_env_cases(self) -> Self;
}

impl WithEnvCases for Config {
    /// `PROPTEST_CASES` (a longer run) wins over the short default.
    fn with_env_cases(mut self) -> Self {
        if let Some(cases) = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
        {
            self.cases = cases;
        }
        self
    }
}

/// One way to damage a body.
#[derive(Clone, Debug)]
pub enum Damage {
    /// The byte at (a fraction of) the length becomes this one.
    Flip(f64, u8),
    /// The body ends here.
    Cut(f64),
    /// These bytes go in here.
    Insert(f64, Vec<u8>),
    /// A span is repeated (a proxy's retransmission spliced in).
    Repeat(f64, f64),
    /// The next number becomes one no field can hold.
    Huge(f64),
}

pub fn damage() -> impl Strategy<Value = Damage> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Damage::Flip(a, b)),
        at.clone().prop_map(Damage::Cut),
        (
            at.clone(),
            proptest::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    Just(b'"'),
                    Just(b'{'),
                    Just(b'['),
                    Just(b'\\'),
                    Just(b'-')
                ],
                1..12
            )
        )
            .prop_map(|(a, b)| Damage::Insert(a, b)),
        (at.clone(), at.clone()).prop_map(|(a, b)| Damage::Repeat(a, b)),
        at.prop_map(Damage::Huge),
    ]
}

pub fn apply(body: &mut Vec<u8>, damage: &Damage) {
    let at = |f: f64| ((body.len() as f64) * f) as usize;
    match damage {
        Damage::Flip(f, b) => {
            let i = at(*f).min(body.len().saturating_sub(1));
            if let Some(byte) = body.get_mut(i) {
                *byte = *b;
            }
        }
        Damage::Cut(f) => body.truncate(at(*f)),
        Damage::Insert(f, bytes) => {
            let i = at(*f);
            body.splice(i..i, bytes.iter().copied());
        }
        Damage::Repeat(f, g) => {
            let (a, b) = (at(f.min(*g)), at(f.max(*g)));
            let span = body[a..b].to_vec();
            body.splice(b..b, span);
        }
        Damage::Huge(f) => {
            let start = at(*f);
            if let Some(offset) = body[start..].iter().position(u8::is_ascii_digit) {
                let i = start + offset;
                body.splice(i..i, b"9999999999999999999999999".iter().copied());
            }
        }
    }
}

/// `body` with `damages` done to it, in order.
pub fn damaged(mut body: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        apply(&mut body, d);
    }
    body
}

use crate::fixtures;
use crate::http::models::OrderUpdate;
use crate::instruments::parse_dump;
use crate::ticker::ServerText;

proptest! {
    #![proptest_config(config())]

    /// Kite's instruments dump, damaged: read whole, with the bad rows counted and said, or
    /// refused with the line — never a panic, never more instruments than lines.
    #[test]
    fn a_damaged_instruments_dump_is_read_or_refused_with_the_line(
        damages in proptest::collection::vec(damage(), 1..6),
    ) {
        let body = damaged(fixtures::bytes("instruments_nse.csv"), &damages);
        match parse_dump(&body[..]) {
            Ok(dump) => {
                let lines = body.split(|b| *b == b'\n').count();
                prop_assert!(dump.instruments.len() < lines);
                for error in &dump.row_errors {
                    prop_assert!(!error.message.is_empty());
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// The ticker's text frames (order updates, errors, messages), damaged: read or refused
    /// with a reason.
    #[test]
    fn a_damaged_ticker_text_frame_is_read_or_refused(
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let postback = fixtures::text("postback.json");
        let frame = format!("{{\"type\":\"order\",\"data\":{postback}}}");
        let body = damaged(frame.into_bytes(), &damages);
        let text = String::from_utf8_lossy(&body);
        if let Err(reason) = ServerText::parse(&text) {
            prop_assert!(!reason.is_empty());
        }
        if let Err(e) = serde_json::from_slice::<OrderUpdate>(&body) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

/// What the properties above damage reads whole when undamaged: the failures they look for
/// come from the damage.
#[test]
fn the_undamaged_inputs_read_whole() {
    let dump = parse_dump(&fixtures::bytes("instruments_nse.csv")[..]).unwrap();
    assert!(!dump.instruments.is_empty());
    assert_eq!(dump.skipped_rows, 0, "{:?}", dump.row_errors);
    let postback = fixtures::text("postback.json");
    let frame = format!("{{\"type\":\"order\",\"data\":{postback}}}");
    assert!(matches!(
        ServerText::parse(&frame),
        Ok(ServerText::Order(_))
    ));
}
