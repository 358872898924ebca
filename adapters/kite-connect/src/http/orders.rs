//! Orders: place, modify, cancel, the order book, an order's history and trades, the trade
//! book, and order margins. A placement is never retried blindly: when its outcome is unknown
//! (timeout, broken connection, 5xx, an unreadable answer) it is reported at once as
//! `PlacementUncertain` with its tag, and the caller looks it up by that tag
//! (`find_order_by_tag`) when the book can be expected to show it.

use super::client::{Call, KiteClient};
use super::error::{KiteError, Retry};
use super::limits::LimitClass;
use super::models::{
    BasketMargins, MarginOrder, ModifyParams, Order, OrderId, OrderMargin, OrderParams, Trade,
    validate_tag,
};
use crate::common::enums::Variety;
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

impl KiteClient {
    /// Places an order. Without a tag one is made up, so an uncertain outcome can be resolved
    /// in the order book; the tag used is in the returned order's book entry and in
    /// `PlacementUncertain`.
    pub async fn place_order(&self, params: &OrderParams) -> Result<OrderId, KiteError> {
        let mut params = params.clone();
        let tag = params.tag.get_or_insert_with(new_tag).clone();
        params.validate().map_err(KiteError::InvalidRequest)?;
        let call = Call::post(format!("/orders/{}", params.variety))
            .form(params.to_form())
            .class(LimitClass::OrderPlacement)
            .idempotent(false);
        match self.send::<OrderId>(call).await {
            Ok(id) => Ok(id),
            // The request may have reached Kite: a lost or unreadable answer (the API changed
            // shape, say) must not read as "not placed". Said at once; no waiting here.
            Err(e) if e.retry() == Retry::OnlyIfIdempotent || matches!(e, KiteError::Decode(_)) => {
                tracing::warn!(%tag, error = %e, "order placement outcome unknown");
                Err(KiteError::PlacementUncertain {
                    tag,
                    reason: e.to_string(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The newest order in today's book carrying `tag`.
    pub async fn find_order_by_tag(&self, tag: &str) -> Result<Option<Order>, KiteError> {
        let mut orders = self.orders_tagged(&[tag]).await?;
        Ok(orders.pop())
    }

    /// Today's orders carrying one of `tags` (in `tag` or among `tags`), oldest first: the
    /// book read as it arrives, each other order dropped once read, so a read late in a busy
    /// day (~2,000 orders) never holds the whole book decoded to keep a few.
    pub async fn orders_tagged(&self, tags: &[&str]) -> Result<Vec<Order>, KiteError> {
        self.send_seeded(Call::get("/orders"), Tagged(tags)).await
    }

    pub async fn modify_order(
        &self,
        variety: Variety,
        order_id: &str,
        params: &ModifyParams,
    ) -> Result<OrderId, KiteError> {
        let form = params.to_form();
        if form.is_empty() {
            return Err(KiteError::InvalidRequest(
                "a modification must change at least one field".into(),
            ));
        }
        let call = Call::put(format!("/orders/{variety}/{}", path_segment(order_id)?))
            .form(form)
            .class(LimitClass::OrderChange)
            .idempotent(false);
        self.send(call).await
    }

    /// Cancels an order (repeating a cancel is harmless, so it may be retried).
    pub async fn cancel_order(
        &self,
        variety: Variety,
        order_id: &str,
    ) -> Result<OrderId, KiteError> {
        let call = Call::delete(format!("/orders/{variety}/{}", path_segment(order_id)?))
            .class(LimitClass::OrderChange)
            .idempotent(true);
        self.send(call).await
    }

    pub async fn orders(&self) -> Result<Vec<Order>, KiteError> {
        self.send(Call::get("/orders")).await
    }

    /// Every state the order went through, oldest first.
    pub async fn order_history(&self, order_id: &str) -> Result<Vec<Order>, KiteError> {
        self.send(Call::get(format!("/orders/{}", path_segment(order_id)?)))
            .await
    }

    pub async fn order_trades(&self, order_id: &str) -> Result<Vec<Trade>, KiteError> {
        self.send(Call::get(format!(
            "/orders/{}/trades",
            path_segment(order_id)?
        )))
        .await
    }

    pub async fn trades(&self) -> Result<Vec<Trade>, KiteError> {
        self.send(Call::get("/trades")).await
    }

    /// The margin each order would need, with charges (a read, though it is a POST).
    pub async fn order_margins(
        &self,
        orders: &[MarginOrder],
    ) -> Result<Vec<OrderMargin>, KiteError> {
        let body =
            serde_json::to_value(orders).map_err(|e| KiteError::InvalidRequest(e.to_string()))?;
        self.send(Call::post("/margins/orders").json(body).idempotent(true))
            .await
    }

    pub async fn basket_margins(&self, orders: &[MarginOrder]) -> Result<BasketMargins, KiteError> {
        let body =
            serde_json::to_value(orders).map_err(|e| KiteError::InvalidRequest(e.to_string()))?;
        self.send(
            Call::post("/margins/basket")
                .query("consider_positions", "true")
                .json(body)
                .idempotent(true),
        )
        .await
    }
}

/// A tag unique enough to find one placement again: `osp` and 12 random letters and digits.
pub fn new_tag() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    let suffix: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    let tag = format!("osp{suffix}");
    debug_assert!(validate_tag(&tag).is_ok());
    tag
}

/// An id used in a path must not smuggle in another path.
pub(super) fn path_segment(id: &str) -> Result<&str, KiteError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(KiteError::InvalidRequest(format!(
            "'{id}' is not a valid Kite id (letters, digits and '-' only)"
        )));
    }
    Ok(id)
}

/// The newest order in `orders` (Kite's book, oldest first) carrying `tag`, in `tag` or among
/// `tags`.
pub fn newest_tagged<'a>(orders: &'a [Order], tag: &str) -> Option<&'a Order> {
    orders.iter().rev().find(|o| o.carries_tag(tag))
}

/// A list of orders read keeping only those carrying one of the tags.
#[derive(Clone, Copy)]
struct Tagged<'a>(&'a [&'a str]);

impl<'de> DeserializeSeed<'de> for Tagged<'_> {
    type Value = Vec<Order>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Tagged<'_> {
    type Value = Vec<Order>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of orders")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        while let Some(order) = seq.next_element::<Order>()? {
            if self.0.iter().any(|tag| order.carries_tag(tag)) {
                kept.push(order);
            }
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::http::client::decode_envelope_seed;

    fn ids(orders: &[Order]) -> Vec<&str> {
        orders.iter().map(|o| o.order_id.as_str()).collect()
    }

    #[test]
    fn the_book_read_for_tags_keeps_only_the_orders_carrying_them_in_book_order() {
        let book = fixtures::bytes("orders.json");
        let kept = decode_envelope_seed(&book, 200, Tagged(&["XXXXX", "icebergord", "mktp"]))
            .expect("Zerodha's published order book");
        // `icebergord` in `tag`, `XXXXX` only among `tags`, `mktp` with no `tag` at all.
        assert_eq!(
            ids(&kept),
            ["220524001859672", "9000000000000000", "1953341975595868160"]
        );
        let none = decode_envelope_seed(&book, 200, Tagged(&["nobody"])).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn an_unwanted_order_that_does_not_decode_still_fails_the_read() {
        // A damaged book is an error, not a shorter book: an order skipped for its tag is
        // still read whole.
        let damaged = r#"{"status":"success","data":[{"order_id":"1","tag":"other"},
                        {"order_id":7}]}"#;
        let error = decode_envelope_seed(damaged.as_bytes(), 200, Tagged(&["mine"])).unwrap_err();
        assert!(matches!(error, KiteError::Decode(_)), "{error:?}");
        let refused = r#"{"status":"error","message":"Token is invalid","error_type":"TokenException","data":null}"#;
        match decode_envelope_seed(refused.as_bytes(), 403, Tagged(&["mine"])).unwrap_err() {
            KiteError::Api {
                error_type,
                message,
                ..
            } => {
                assert_eq!(error_type, crate::http::error::ErrorType::TokenException);
                assert_eq!(message, "Token is invalid");
            }
            other => panic!("expected Kite's error, got {other:?}"),
        }
    }
}
