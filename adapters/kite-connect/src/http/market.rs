//! Market data over REST: quote / ohlc / ltp for up to 500 (quote) or 1000 instruments, the
//! instruments dump (CSV, parsed by `kite::instruments`), and historical candles.

use super::client::{Call, KiteClient};
use super::error::KiteError;
use super::limits::LimitClass;
use super::models::{Candles, FullQuote, LtpQuote, OhlcQuote, QuoteMap};
use crate::common::enums::Interval;
use crate::instruments::{InstrumentDump, parse_dump};

/// Kite's caps on instruments per request.
pub const MAX_QUOTE_INSTRUMENTS: usize = 500;
pub const MAX_LTP_INSTRUMENTS: usize = 1000;

/// A historical-data request. Dates are `yyyy-mm-dd hh:mm:ss` (IST) or `yyyy-mm-dd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoricalRequest {
    pub instrument_token: u32,
    pub interval: Interval,
    pub from: String,
    pub to: String,
    pub continuous: bool,
    pub oi: bool,
}

impl KiteClient {
    /// Full quotes keyed by `EXCHANGE:TRADINGSYMBOL`.
    pub async fn quote(&self, instruments: &[&str]) -> Result<QuoteMap<FullQuote>, KiteError> {
        self.send(instrument_call(
            "/quote",
            instruments,
            MAX_QUOTE_INSTRUMENTS,
        )?)
        .await
    }

    pub async fn ohlc(&self, instruments: &[&str]) -> Result<QuoteMap<OhlcQuote>, KiteError> {
        self.send(instrument_call(
            "/quote/ohlc",
            instruments,
            MAX_LTP_INSTRUMENTS,
        )?)
        .await
    }

    pub async fn ltp(&self, instruments: &[&str]) -> Result<QuoteMap<LtpQuote>, KiteError> {
        self.send(instrument_call(
            "/quote/ltp",
            instruments,
            MAX_LTP_INSTRUMENTS,
        )?)
        .await
    }

    /// The instruments dump, all exchanges or one (`NSE`, `NFO`, …), parsed.
    pub async fn instruments(&self, exchange: Option<&str>) -> Result<InstrumentDump, KiteError> {
        let path = match exchange {
            Some(e) if e.bytes().all(|b| b.is_ascii_uppercase()) && !e.is_empty() => {
                format!("/instruments/{e}")
            }
            Some(e) => {
                return Err(KiteError::InvalidRequest(format!(
                    "'{e}' is not an exchange code (NSE, BSE, NFO, …)"
                )));
            }
            None => "/instruments".to_owned(),
        };
        let (_, body) = self.send_raw(&Call::get(path)).await?;
        parse_dump(body.as_slice()).map_err(|e| KiteError::Decode(e.to_string()))
    }

    pub async fn historical(&self, request: &HistoricalRequest) -> Result<Candles, KiteError> {
        if request.from.trim().is_empty() || request.to.trim().is_empty() {
            return Err(KiteError::InvalidRequest(
                "historical data needs from and to dates".into(),
            ));
        }
        let call = Call::get(format!(
            "/instruments/historical/{}/{}",
            request.instrument_token, request.interval
        ))
        .query("from", request.from.clone())
        .query("to", request.to.clone())
        .query("continuous", u8::from(request.continuous).to_string())
        .query("oi", u8::from(request.oi).to_string())
        .class(LimitClass::Historical);
        self.send(call).await
    }
}

fn instrument_call(path: &str, instruments: &[&str], max: usize) -> Result<Call, KiteError> {
    if instruments.is_empty() {
        return Err(KiteError::InvalidRequest(
            "name at least one instrument as EXCHANGE:TRADINGSYMBOL".into(),
        ));
    }
    if instruments.len() > max {
        return Err(KiteError::InvalidRequest(format!(
            "{} instruments asked for; Kite answers at most {max} per request",
            instruments.len()
        )));
    }
    let mut call = Call::get(path).class(LimitClass::Quote);
    for i in instruments {
        if !i.contains(':') && !i.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KiteError::InvalidRequest(format!(
                "'{i}' should be EXCHANGE:TRADINGSYMBOL (say NSE:INFY) or an instrument token"
            )));
        }
        call = call.query("i", (*i).to_owned());
    }
    Ok(call)
}
