//! Fuzzing the REST answers: Zerodha's published responses, damaged the ways a network or a
//! misbehaving server damages them (bytes flipped, cut short, spliced, a value swapped for a
//! huge number or a deep nest), decoded through the client's own envelope path into the types
//! it reads. None may panic; each ends in a value or a `KiteError` that says what was wrong.
//!
//! The damage and the fixed seed are `crate::fuzz`'s.

use proptest::prelude::*;
use serde::de::DeserializeOwned;

use super::client::decode_envelope;
use super::error::KiteError;
use super::models::*;
use crate::fixtures;
use crate::fuzz::{config, damage, damaged};

/// Decodes `body` as `T` the client's way: a value (`true`), or an error that says something.
fn decodes<T: DeserializeOwned>(body: &[u8]) -> Result<bool, TestCaseError> {
    match decode_envelope::<T>(body, 200) {
        Ok(_) => Ok(true),
        Err(e) => {
            let said = e.to_string();
            prop_assert!(!said.trim().is_empty(), "an error without words: {e:?}");
            prop_assert!(
                matches!(e, KiteError::Decode(_) | KiteError::Api { .. }),
                "a damaged body is a decode or API error, not {e:?}"
            );
            Ok(false)
        }
    }
}

/// Every fixture the client decodes, with the type it decodes it into.
fn decode_as(name: &str, body: &[u8]) -> Result<bool, TestCaseError> {
    match name {
        "generate_session.json" => decodes::<Session>(body),
        "profile.json" | "full_profile.json" => decodes::<Profile>(body),
        "margins.json" => decodes::<Margins>(body),
        "order_margins.json" => decodes::<Vec<OrderMargin>>(body),
        "basket_margins.json" => decodes::<BasketMargins>(body),
        "order_response.json" => decodes::<OrderId>(body),
        "orders.json" | "order_info.json" => decodes::<Vec<Order>>(body),
        "trades.json" => decodes::<Vec<Trade>>(body),
        "positions.json" => decodes::<Positions>(body),
        "holdings.json" => decodes::<Vec<Holding>>(body),
        "ltp.json" => decodes::<QuoteMap<LtpQuote>>(body),
        "quote.json" => decodes::<QuoteMap<FullQuote>>(body),
        "historical_minute.json" => decodes::<Candles>(body),
        "gtt_get_orders.json" => decodes::<Vec<Gtt>>(body),
        "alerts_get.json" => decodes::<Vec<Alert>>(body),
        other => unreachable!("no decode type for {other}"),
    }
}

const FIXTURES: &[&str] = &[
    "generate_session.json",
    "profile.json",
    "full_profile.json",
    "margins.json",
    "order_margins.json",
    "basket_margins.json",
    "order_response.json",
    "orders.json",
    "order_info.json",
    "trades.json",
    "positions.json",
    "holdings.json",
    "ltp.json",
    "quote.json",
    "historical_minute.json",
    "gtt_get_orders.json",
    "alerts_get.json",
];

/// The damage is what fails below, not the pairing of fixture and type.
#[test]
fn every_fixture_decodes_undamaged() {
    for name in FIXTURES {
        assert!(
            decode_as(name, &fixtures::bytes(name)).unwrap(),
            "{name} did not decode as its type"
        );
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn damaged_answers_decode_or_say_why(
        which in 0..FIXTURES.len(),
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let name = FIXTURES[which];
        let body = damaged(fixtures::bytes(name), &damages);
        decode_as(name, &body)?;
    }

    #[test]
    fn arbitrary_bytes_are_never_a_value(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(!decodes::<Vec<Order>>(&bytes)?);
        prop_assert!(!decodes::<Positions>(&bytes)?);
    }
}

/// Oversized input a server could send: nesting deeper than any answer has (an error, never a
/// stack overflow) and a megabyte string where an id goes.
#[test]
fn a_deep_nest_or_a_huge_field_is_an_error_not_a_crash() {
    let deep = format!(
        "{{\"status\":\"success\",\"data\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Read straight into orders, the nest is refused at its second bracket; read as any JSON,
    // at serde_json's recursion limit.
    let error = decode_envelope::<Vec<Order>>(deep.as_bytes(), 200).unwrap_err();
    assert!(matches!(error, KiteError::Decode(_)), "{error:?}");
    let error = decode_envelope::<serde_json::Value>(deep.as_bytes(), 200).unwrap_err();
    assert!(error.to_string().contains("recursion"), "{error}");

    let huge = format!(
        "{{\"status\":\"success\",\"data\":{{\"order_id\":\"{}\"}}}}",
        "9".repeat(1 << 20)
    );
    let id: OrderId = decode_envelope(huge.as_bytes(), 200).unwrap();
    assert_eq!(
        id.order_id.len(),
        1 << 20,
        "a long id is kept whole, not cut"
    );

    let price = "{\"status\":\"success\",\"data\":{\"NSE:INFY\":{\"instrument_token\":408065,\
                 \"last_price\":1e308}}}";
    let error = decode_envelope::<QuoteMap<LtpQuote>>(price.as_bytes(), 200).unwrap_err();
    assert!(matches!(error, KiteError::Decode(_)), "{error:?}");
}

/// An error answer is Kite's error whatever its `data` holds, and a success whose `data` is not
/// what was asked for says what did not fit.
#[test]
fn an_error_with_any_data_is_kites_error_and_a_wrong_shape_says_where() {
    let refused = "{\"status\":\"error\",\"message\":\"Insufficient funds\",\
                   \"error_type\":\"MarginException\",\"data\":{\"needed\":[1,2]}}";
    match decode_envelope::<Vec<Order>>(refused.as_bytes(), 200).unwrap_err() {
        KiteError::Api { message, .. } => assert_eq!(message, "Insufficient funds"),
        other => panic!("expected Kite's error, got {other:?}"),
    }
    let wrong = "{\"status\":\"success\",\"data\":[{\"order_id\":7}]}";
    let error = decode_envelope::<Vec<Order>>(wrong.as_bytes(), 200).unwrap_err();
    assert!(
        matches!(&error, KiteError::Decode(m) if m.contains("column")),
        "{error:?}"
    );
    let none: Option<OrderId> = decode_envelope(b"{\"status\":\"success\"}", 200).unwrap();
    assert_eq!(none, None);
}
