//! Form and query parameters as Kite reads them: `key=value` pairs, keys may repeat (`i=…&i=…`).
//! A missing or malformed field is an InputException naming the field.

use std::str::FromStr;

use osp_core::model::Price;

use super::reply::SimError;
use kite_connect::common::decimal::price_from_decimal;

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Self {
        Params(
            form_urlencoded::parse(encoded)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn required(&self, key: &str) -> Result<&str, SimError> {
        self.get(key)
            .ok_or_else(|| SimError::input(format!("Missing `{key}`.")))
    }

    pub fn parse_enum<T: FromStr>(&self, key: &str) -> Result<T, SimError>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.required(key)?;
        value
            .parse()
            .map_err(|e| SimError::input(format!("Invalid `{key}`: {e}")))
    }

    pub fn optional_enum<T: FromStr>(&self, key: &str) -> Result<Option<T>, SimError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key).map(|_| self.parse_enum(key)).transpose()
    }

    pub fn price(&self, key: &str) -> Result<Option<Price>, SimError> {
        self.get(key)
            .map(|v| {
                price_from_decimal(v).map_err(|e| SimError::input(format!("Invalid `{key}`: {e}")))
            })
            .transpose()
    }

    pub fn number<T: FromStr>(&self, key: &str) -> Result<Option<T>, SimError> {
        self.get(key)
            .map(|v| {
                v.parse().map_err(|_| {
                    SimError::input(format!("Invalid `{key}`: '{v}' is not a whole number."))
                })
            })
            .transpose()
    }
}
