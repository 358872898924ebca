//! The simulator's instruments, generated from the seed and the day: the NIFTY 50 and NIFTY
//! BANK indices (exchange NSE, segment INDICES, tokens whose low byte is 9, as in Kite's dump),
//! the fifty NIFTY 50 constituents with realistic prices, and on NFO the two indices' futures
//! for the next three monthly expiries and an options chain around spot for the nearest one.
//! Every token carries its segment in the low byte as Kite's do (NSE 1, NFO 2, indices 9), so
//! the ticker's per-segment rules hold. Served as Kite's CSV dump.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use osp_core::model::{Exchange, Instrument, InstrumentToken, Price};
use osp_core::services::prices::{DemoInstrument, demo_instruments};

use super::clock_text::ist;
use kite_connect::instruments::HEADER;
use kite_connect::ticker::Segment;

/// The NIFTY 50 constituents with a plausible price in rupees. The five in the demo's market
/// watch keep their real tokens and the demo's prices; the rest get generated tokens.
const NIFTY_50: [(&str, &str, i64); 50] = [
    ("ADANIENT", "ADANI ENTERPRISES", 2_400),
    ("ADANIPORTS", "ADANI PORT & SEZ", 1_400),
    ("APOLLOHOSP", "APOLLO HOSPITALS", 7_000),
    ("ASIANPAINT", "ASIAN PAINTS", 2_300),
    ("AXISBANK", "AXIS BANK", 1_150),
    ("BAJAJ-AUTO", "BAJAJ AUTO", 8_500),
    ("BAJFINANCE", "BAJAJ FINANCE", 900),
    ("BAJAJFINSV", "BAJAJ FINSERV", 2_000),
    ("BEL", "BHARAT ELECTRONICS", 400),
    ("BHARTIARTL", "BHARTI AIRTEL", 2_000),
    ("CIPLA", "CIPLA", 1_500),
    ("COALINDIA", "COAL INDIA", 380),
    ("DRREDDY", "DR. REDDY'S LABORATORIES", 1_250),
    ("EICHERMOT", "EICHER MOTORS", 6_500),
    ("ETERNAL", "ETERNAL", 300),
    ("GRASIM", "GRASIM INDUSTRIES", 2_700),
    ("HCLTECH", "HCL TECHNOLOGIES", 1_500),
    ("HDFCBANK", "HDFC BANK", 0),
    ("HDFCLIFE", "HDFC LIFE INS CO", 750),
    ("HEROMOTOCO", "HERO MOTOCORP", 5_000),
    ("HINDALCO", "HINDALCO INDUSTRIES", 750),
    ("HINDUNILVR", "HINDUSTAN UNILEVER", 2_400),
    ("ICICIBANK", "ICICI BANK", 1_400),
    ("INDUSINDBK", "INDUSIND BANK", 800),
    ("INFY", "INFOSYS", 0),
    ("ITC", "ITC", 410),
    ("JIOFIN", "JIO FIN SERVICES", 300),
    ("JSWSTEEL", "JSW STEEL", 1_100),
    ("KOTAKBANK", "KOTAK MAHINDRA BANK", 2_100),
    ("LT", "LARSEN & TOUBRO", 3_900),
    ("M&M", "MAHINDRA & MAHINDRA", 3_500),
    ("MARUTI", "MARUTI SUZUKI INDIA", 15_000),
    ("NESTLEIND", "NESTLE INDIA", 1_200),
    ("NTPC", "NTPC", 340),
    ("ONGC", "OIL AND NATURAL GAS CORP", 240),
    ("POWERGRID", "POWER GRID CORP", 290),
    ("RELIANCE", "RELIANCE INDUSTRIES", 0),
    ("SBILIFE", "SBI LIFE INSURANCE", 1_900),
    ("SBIN", "STATE BANK OF INDIA", 0),
    ("SHRIRAMFIN", "SHRIRAM FINANCE", 650),
    ("SUNPHARMA", "SUN PHARMACEUTICAL IND", 1_700),
    ("TATACONSUM", "TATA CONSUMER PRODUCTS", 1_150),
    ("TATAMOTORS", "TATA MOTORS", 700),
    ("TATASTEEL", "TATA STEEL", 170),
    ("TCS", "TATA CONSULTANCY SERV", 0),
    ("TECHM", "TECH MAHINDRA", 1_500),
    ("TITAN", "TITAN COMPANY", 3_600),
    ("TRENT", "TRENT", 4_800),
    ("ULTRACEMCO", "ULTRATECH CEMENT", 12_000),
    ("WIPRO", "WIPRO", 250),
];

/// Exchange tokens handed out to generated instruments start here (above the real ones used).
const FIRST_GENERATED_EXCHANGE_TOKEN: u32 = 20_001;
/// Strikes each side of the at-the-money strike.
const STRIKES_EACH_SIDE: i64 = 10;

struct IndexDerivatives {
    index_token: u32,
    name: &'static str,
    lot_size: u32,
    strike_step: i64,
}

const INDEX_DERIVATIVES: [IndexDerivatives; 2] = [
    IndexDerivatives {
        index_token: 256_265,
        name: "NIFTY",
        lot_size: 75,
        strike_step: 50,
    },
    IndexDerivatives {
        index_token: 260_105,
        name: "BANKNIFTY",
        lot_size: 35,
        strike_step: 100,
    },
];

#[derive(Clone, Debug)]
pub struct Universe {
    pub instruments: Vec<Instrument>,
    /// The same instruments as the market steps them, with the price each starts from.
    market: Vec<DemoInstrument>,
}

/// A deterministic number from the seed and a salt (splitmix64).
fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The last Tuesday of a month: NSE's monthly index expiry.
fn last_tuesday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
    let mut day = first_next.pred_opt()?;
    while day.weekday() != Weekday::Tue {
        day = day.pred_opt()?;
    }
    Some(day)
}

/// The next `count` monthly expiries on or after `today`.
fn monthly_expiries(today: NaiveDate, count: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(count);
    let mut month = today.with_day(1).unwrap_or(today);
    while out.len() < count {
        if let Some(expiry) = last_tuesday(month.year(), month.month()).filter(|e| *e >= today) {
            out.push(expiry);
        }
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

fn rupees(r: i64) -> Price {
    Price::from_rupees(r).unwrap_or(Price::ZERO)
}

impl Universe {
    /// The universe for `seed` on the IST date of `now_ms`: the same inputs give the same
    /// instruments, tokens and starting prices.
    pub fn generate(seed: u64, now_ms: i64) -> Self {
        let today = chrono::DateTime::from_timestamp_millis(now_ms)
            .unwrap_or_default()
            .with_timezone(&ist())
            .date_naive();
        let demo = demo_instruments();
        let mut instruments = Vec::new();
        let mut next_exchange_token = FIRST_GENERATED_EXCHANGE_TOKEN;
        let mut token = |segment: u32| {
            let t = InstrumentToken(next_exchange_token << 8 | segment);
            next_exchange_token += 1;
            t
        };
        let five_paise = Price::from_raw(500);

        for index in demo
            .iter()
            .filter(|d| Segment::of(d.token) == Segment::Indices)
        {
            let instrument = Instrument {
                token: index.token,
                exchange_token: index.token.0 >> 8,
                tradingsymbol: index.tradingsymbol.clone(),
                name: index.tradingsymbol.clone(),
                exchange: Exchange::Nse,
                segment: "INDICES".into(),
                instrument_type: "EQ".into(),
                tick_size: Price::ZERO,
                lot_size: 0,
                expiry: None,
                strike: Price::ZERO,
            };
            instruments.push((instrument, index.previous_close));
        }
        for (i, (symbol, name, price)) in NIFTY_50.iter().enumerate() {
            let known = demo.iter().find(|d| d.tradingsymbol == *symbol);
            let (token, close) = match known {
                Some(d) => (d.token, d.previous_close),
                None => {
                    // ±3 % around the table's price, on the tick grid.
                    let bp = (mix(seed, i as u64) % 601) as i64 - 300;
                    let base = rupees(*price);
                    let close = Price::from_raw(base.raw() + base.raw() * bp / 10_000)
                        .round_to_tick(five_paise)
                        .unwrap_or(base);
                    (token(1), close)
                }
            };
            let instrument = Instrument {
                token,
                exchange_token: token.0 >> 8,
                tradingsymbol: (*symbol).into(),
                name: (*name).into(),
                exchange: Exchange::Nse,
                segment: "NSE".into(),
                instrument_type: "EQ".into(),
                tick_size: five_paise,
                lot_size: 1,
                expiry: None,
                strike: Price::ZERO,
            };
            instruments.push((instrument, close));
        }

        let expiries = monthly_expiries(today, 3);
        for index in &INDEX_DERIVATIVES {
            let Some(spot) = demo
                .iter()
                .find(|d| d.token.0 == index.index_token)
                .map(|d| d.previous_close)
            else {
                continue;
            };
            for (n, expiry) in expiries.iter().enumerate() {
                let code = expiry.format("%y%b").to_string().to_uppercase();
                // Futures trade at a small premium that grows with time to expiry.
                let carry_bp = 40 * (n as i64 + 1);
                let price = Price::from_raw(spot.raw() + spot.raw() * carry_bp / 10_000)
                    .round_to_tick(Price::from_raw(1_000))
                    .unwrap_or(spot);
                let t = token(2);
                let instrument = Instrument {
                    token: t,
                    exchange_token: t.0 >> 8,
                    tradingsymbol: format!("{}{code}FUT", index.name),
                    name: index.name.into(),
                    exchange: Exchange::Nfo,
                    segment: "NFO-FUT".into(),
                    instrument_type: "FUT".into(),
                    tick_size: Price::from_raw(1_000),
                    lot_size: index.lot_size,
                    expiry: Some(expiry.format("%Y-%m-%d").to_string()),
                    strike: Price::ZERO,
                };
                instruments.push((instrument, price));
            }
            let Some(expiry) = expiries.first() else {
                continue;
            };
            let days = (*expiry - today).num_days().max(1);
            let code = expiry.format("%y%b").to_string().to_uppercase();
            let step = rupees(index.strike_step);
            let atm = spot.round_to_tick(step).unwrap_or(spot);
            for k in -STRIKES_EACH_SIDE..=STRIKES_EACH_SIDE {
                let strike = Price::from_raw(atm.raw() + k * step.raw());
                for kind in ["CE", "PE"] {
                    let intrinsic = if kind == "CE" {
                        spot.raw() - strike.raw()
                    } else {
                        strike.raw() - spot.raw()
                    }
                    .max(0);
                    // Time value: about 0.4 % of spot for a month, less for fewer days and
                    // further from the money.
                    let distance = (spot.raw() - strike.raw()).abs();
                    let time_value =
                        (spot.raw() * 40 / 10_000 * days.min(30) / 30 - distance / 4).max(500);
                    let premium = Price::from_raw(intrinsic + time_value)
                        .round_to_tick(five_paise)
                        .unwrap_or(five_paise)
                        .max(five_paise);
                    let t = token(2);
                    let instrument = Instrument {
                        token: t,
                        exchange_token: t.0 >> 8,
                        tradingsymbol: format!(
                            "{}{code}{}{kind}",
                            index.name,
                            strike.raw() / Price::SCALE
                        ),
                        name: index.name.into(),
                        exchange: Exchange::Nfo,
                        segment: "NFO-OPT".into(),
                        instrument_type: kind.into(),
                        tick_size: five_paise,
                        lot_size: index.lot_size,
                        expiry: Some(expiry.format("%Y-%m-%d").to_string()),
                        strike,
                    };
                    instruments.push((instrument, premium));
                }
            }
        }
        let market = instruments
            .iter()
            .map(|(i, close)| DemoInstrument {
                token: i.token,
                tradingsymbol: i.tradingsymbol.clone(),
                exchange: i.exchange,
                // Indices have no tick size in the dump; their walk moves in 5 paise.
                tick_size: if i.tick_size.is_zero() {
                    five_paise
                } else {
                    i.tick_size
                },
                previous_close: *close,
            })
            .collect();
        Self {
            instruments: instruments.into_iter().map(|(i, _)| i).collect(),
            market,
        }
    }

    /// What the market steps: every instrument with its starting price.
    pub fn market_instruments(&self) -> Vec<DemoInstrument> {
        self.market.clone()
    }

    pub fn by_symbol(&self, exchange: &str, tradingsymbol: &str) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|i| i.exchange.code() == exchange && i.tradingsymbol == tradingsymbol)
    }

    pub fn by_token(&self, token: u32) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.token.0 == token)
    }

    /// Kite's instruments CSV, for all exchanges or one.
    pub fn dump_csv(&self, exchange: Option<&str>) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = writer.write_record(HEADER);
        for i in self
            .instruments
            .iter()
            .filter(|i| exchange.is_none_or(|e| e == i.exchange.code()))
        {
            let _ = writer.write_record([
                i.token.0.to_string(),
                i.exchange_token.to_string(),
                i.tradingsymbol.clone(),
                i.name.clone(),
                "0.0".into(),
                i.expiry.clone().unwrap_or_default(),
                i.strike.to_string(),
                i.tick_size.to_string(),
                i.lot_size.to_string(),
                i.instrument_type.clone(),
                i.segment.clone(),
                i.exchange.code().to_owned(),
            ]);
        }
        writer
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kite_connect::instruments::parse_dump;

    /// 2026-11-25 11:00 IST.
    const NOW_MS: i64 = 1_795_584_600_000;

    #[test]
    fn the_universe_is_kites_shape_and_reads_back_through_the_clients_parser() {
        let universe = Universe::generate(7, NOW_MS);
        let dump = parse_dump(universe.dump_csv(None).as_bytes()).unwrap();
        assert!(dump.row_errors.is_empty(), "{:?}", dump.row_errors);
        assert_eq!(dump.instruments.len(), universe.instruments.len());
        let count = |segment: &str| {
            universe
                .instruments
                .iter()
                .filter(|i| i.segment == segment)
                .count()
        };
        assert_eq!(count("INDICES"), 2);
        assert_eq!(count("NSE"), 50);
        assert_eq!(count("NFO-FUT"), 6);
        assert_eq!(count("NFO-OPT"), 2 * 21 * 2);
        for i in &universe.instruments {
            let segment_byte = match i.segment.as_str() {
                "INDICES" => 9,
                "NSE" => 1,
                _ => 2,
            };
            assert_eq!(i.token.0 & 0xff, segment_byte, "{}", i.tradingsymbol);
        }
        let market = universe.market_instruments();
        assert_eq!(market.len(), universe.instruments.len());
        assert!(market.iter().all(|m| m.previous_close.raw() > 0));
        let close = |symbol: &str| {
            market
                .iter()
                .find(|m| m.tradingsymbol == symbol)
                .map(|m| m.previous_close)
                .unwrap()
        };
        let nifty = universe.by_symbol("NSE", "NIFTY 50").unwrap();
        assert_eq!(nifty.token.0, 256_265);
        assert!(!nifty.is_tradable());
        assert_eq!(universe.by_token(408_065).unwrap().tradingsymbol, "INFY");
        // The nearest monthly expiry on 2026-11-25 is Tuesday 2026-12-29.
        let future = universe.by_symbol("NFO", "NIFTY26DECFUT").unwrap();
        assert_eq!(future.expiry.as_deref(), Some("2026-12-29"));
        assert_eq!(future.lot_size, 75);
        let atm_call = universe.by_symbol("NFO", "NIFTY26DEC24150CE").unwrap();
        assert_eq!(atm_call.strike, rupees(24_150));
        let deep_put = universe.by_symbol("NFO", "NIFTY26DEC24650PE").unwrap();
        assert!(
            close(&deep_put.tradingsymbol) > rupees(400),
            "mostly intrinsic"
        );
        let bank = universe.by_symbol("NFO", "BANKNIFTY26DEC52300CE").unwrap();
        assert_eq!(bank.lot_size, 35);
        let nse_only = parse_dump(universe.dump_csv(Some("BSE")).as_bytes()).unwrap();
        assert!(nse_only.instruments.is_empty());
        let mm = universe.by_symbol("NSE", "M&M").unwrap();
        assert_eq!(mm.name, "MAHINDRA & MAHINDRA");
    }

    #[test]
    fn the_same_seed_and_day_give_the_same_universe() {
        let a = Universe::generate(7, NOW_MS);
        let b = Universe::generate(7, NOW_MS);
        assert_eq!(a.instruments, b.instruments);
        let closes = |u: &Universe| -> Vec<Price> {
            u.market_instruments()
                .iter()
                .map(|m| m.previous_close)
                .collect()
        };
        assert_eq!(closes(&a), closes(&b));
        let c = Universe::generate(8, NOW_MS);
        assert_ne!(closes(&a), closes(&c), "prices follow the seed");
    }

    #[test]
    fn monthly_expiries_are_last_tuesdays() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let e = monthly_expiries(today, 3);
        let text: Vec<String> = e.iter().map(|d| d.to_string()).collect();
        // November's (the 24th) has passed.
        assert_eq!(text, ["2026-12-29", "2027-01-26", "2027-02-23"]);
    }
}
