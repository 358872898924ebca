//! The ticker's JSON text messages. Client → server: `{"a":"subscribe","v":[tokens]}`,
//! `{"a":"unsubscribe","v":[tokens]}`, `{"a":"mode","v":["full",[tokens]]}`. Server → client:
//! `{"type":"order","data":{…}}`, `{"type":"error","data":"…"}`, `{"type":"message","data":"…"}`.

use serde_json::{Value, json};

use super::TickerMode;
use crate::http::models::OrderUpdate;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMessage {
    Subscribe(Vec<u32>),
    Unsubscribe(Vec<u32>),
    Mode(TickerMode, Vec<u32>),
}

impl ClientMessage {
    pub fn to_json(&self) -> String {
        match self {
            ClientMessage::Subscribe(tokens) => json!({"a": "subscribe", "v": tokens}),
            ClientMessage::Unsubscribe(tokens) => json!({"a": "unsubscribe", "v": tokens}),
            ClientMessage::Mode(mode, tokens) => json!({"a": "mode", "v": [mode.as_str(), tokens]}),
        }
        .to_string()
    }

    /// What the simulator accepts; the error says what is wrong, as Kite's error messages do.
    pub fn parse(text: &str) -> Result<ClientMessage, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON message: {e}"))?;
        let action = value["a"].as_str().ok_or("missing action \"a\"")?;
        let tokens = |v: &Value| -> Result<Vec<u32>, String> {
            v.as_array()
                .ok_or("\"v\" must be a list of instrument tokens")?
                .iter()
                .map(|t| {
                    t.as_u64()
                        .and_then(|t| u32::try_from(t).ok())
                        .ok_or_else(|| format!("invalid instrument token {t}"))
                })
                .collect()
        };
        match action {
            "subscribe" => Ok(ClientMessage::Subscribe(tokens(&value["v"])?)),
            "unsubscribe" => Ok(ClientMessage::Unsubscribe(tokens(&value["v"])?)),
            "mode" => {
                let mode = match value["v"][0].as_str() {
                    Some("ltp") => TickerMode::Ltp,
                    Some("quote") => TickerMode::Quote,
                    Some("full") => TickerMode::Full,
                    _ => return Err("mode must be one of ltp, quote, full".to_owned()),
                };
                Ok(ClientMessage::Mode(mode, tokens(&value["v"][1])?))
            }
            other => Err(format!("unknown action \"{other}\"")),
        }
    }
}

/// A text frame from the ticker.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerText {
    /// An order update: the order's fields as the REST API returns them, typed.
    Order(Box<OrderUpdate>),
    Error(String),
    Message(String),
    /// A well-formed message of a type this client does not know.
    Other(String),
}

impl ServerText {
    pub fn parse(text: &str) -> Result<ServerText, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON text frame: {e}"))?;
        let data = &value["data"];
        let as_text = || {
            data.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| data.to_string())
        };
        Ok(match value["type"].as_str() {
            Some("order") => ServerText::Order(Box::new(
                serde_json::from_value(data.clone())
                    .map_err(|e| format!("unreadable order update: {e}"))?,
            )),
            Some("error") => ServerText::Error(as_text()),
            Some("message") => ServerText::Message(as_text()),
            Some(other) => ServerText::Other(other.to_owned()),
            None => return Err("text frame without a \"type\"".to_owned()),
        })
    }

    /// The text frame Kite sends for an order update.
    pub fn order(update: &OrderUpdate) -> String {
        json!({"type": "order", "data": update}).to_string()
    }

    pub fn error(text: &str) -> String {
        json!({"type": "error", "data": text}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip_in_kites_shape() {
        let sub = ClientMessage::Subscribe(vec![408_065, 884_737]);
        assert_eq!(sub.to_json(), r#"{"a":"subscribe","v":[408065,884737]}"#);
        let mode = ClientMessage::Mode(TickerMode::Full, vec![408_065]);
        assert_eq!(mode.to_json(), r#"{"a":"mode","v":["full",[408065]]}"#);
        for m in [sub, mode, ClientMessage::Unsubscribe(vec![1])] {
            assert_eq!(ClientMessage::parse(&m.to_json()), Ok(m));
        }
    }

    #[test]
    fn bad_client_messages_say_what_is_wrong() {
        assert!(
            ClientMessage::parse("{")
                .unwrap_err()
                .contains("invalid JSON")
        );
        assert_eq!(
            ClientMessage::parse(r#"{"v":[1]}"#).unwrap_err(),
            "missing action \"a\""
        );
        assert!(
            ClientMessage::parse(r#"{"a":"subscribe","v":[-1]}"#)
                .unwrap_err()
                .contains("invalid instrument token -1")
        );
        assert!(
            ClientMessage::parse(r#"{"a":"mode","v":["deep",[1]]}"#)
                .unwrap_err()
                .contains("ltp, quote, full")
        );
        assert!(
            ClientMessage::parse(r#"{"a":"dance","v":[]}"#)
                .unwrap_err()
                .contains("dance")
        );
    }

    #[test]
    fn server_texts_are_classified() {
        assert_eq!(
            ServerText::parse(r#"{"type":"error","data":"bad token"}"#),
            Ok(ServerText::Error("bad token".into()))
        );
        // Zerodha's postback fixture is the same shape as a ticker order update.
        let postback: Value =
            serde_json::from_str(&crate::fixtures::text("postback.json")).unwrap();
        let frame = json!({"type": "order", "data": postback}).to_string();
        let Ok(ServerText::Order(update)) = ServerText::parse(&frame) else {
            panic!("not an order update")
        };
        assert_eq!(update.order.status, "COMPLETE");
        assert_eq!(update.order.order_id, "220303000308932");
        assert_eq!(
            ServerText::parse(&ServerText::order(&update)),
            Ok(ServerText::Order(update))
        );
        assert!(ServerText::parse(r#"{"type":"order","data":{"order_id":"1"}}"#).is_err());
        assert_eq!(
            ServerText::parse(r#"{"type":"x"}"#),
            Ok(ServerText::Other("x".into()))
        );
        assert!(ServerText::parse("[]").is_err());
    }
}
