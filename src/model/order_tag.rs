//! `OrderTag`: the label an order carries to the broker (Kite: 1–20 letters and digits). Every
//! order the platform places has one, so an order whose placement answer was lost can be found
//! again in the broker's book instead of being placed twice.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderTag(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an order tag is 1 to 20 letters or digits; '{0}' is not")]
pub struct OrderTagError(pub String);

impl OrderTag {
    pub const MAX_LEN: usize = 20;

    pub fn parse(text: &str) -> Result<OrderTag, OrderTagError> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(OrderTag(text.to_owned()))
        } else {
            Err(OrderTagError(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrderTag {
    type Error = OrderTagError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        OrderTag::parse(&value)
    }
}

impl From<OrderTag> for String {
    fn from(tag: OrderTag) -> String {
        tag.0
    }
}

impl fmt::Display for OrderTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_kites_rule() {
        assert_eq!(OrderTag::parse("lvl42x").unwrap().as_str(), "lvl42x");
        assert!(OrderTag::parse("").is_err());
        assert!(OrderTag::parse("has space").is_err());
        assert!(OrderTag::parse(&"a".repeat(21)).is_err());
        assert!(serde_json::from_str::<OrderTag>("\"bad-tag\"").is_err());
    }
}
