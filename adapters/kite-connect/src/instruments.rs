//! Kite's instruments dump (`GET /instruments`, CSV, ~100k rows): parsed streaming, one reused
//! record buffer, into `Instrument` values with exact prices. A wrong header is fatal; a wrong
//! row is skipped and reported with its line number, so one odd row (say, an exchange this
//! build does not know) cannot block the daily load.

use std::io::Read;

use osp_core::model::{Exchange, Instrument, InstrumentToken, Price};

/// The dump's columns, in Kite's order (the simulator writes the same).
pub const HEADER: [&str; 12] = [
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
];

/// Row errors kept in full; beyond this only the count grows.
const MAX_KEPT_ROW_ERRORS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("the instruments dump has no header line")]
    Empty,
    #[error("the instruments dump's header is {found:?}; expected {expected:?}")]
    Header {
        found: Vec<String>,
        expected: Vec<&'static str>,
    },
    #[error("reading the instruments dump failed at line {line}: {source}")]
    Read { line: u64, source: csv::Error },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct InstrumentDump {
    pub instruments: Vec<Instrument>,
    /// The first rows that could not be used, with the reason.
    pub row_errors: Vec<RowError>,
    pub skipped_rows: u64,
}

/// A dump of `rows` rows shaped like Kite's daily one — a third equities, the rest an options
/// chain with expiries and strikes — for the benchmarks (`benches/instruments_parse.rs` and the
/// side-by-side comparison with the official client).
pub fn synthetic_dump(rows: usize) -> String {
    use std::fmt::Write;
    let mut csv = String::from(
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
    );
    for i in 0..rows {
        let token = (i as u32 + 1) << 8;
        if i % 3 == 0 {
            let _ = writeln!(
                csv,
                "{},{},EQUITY{i},EQUITY COMPANY {i} LIMITED,0.0,,0.0,0.05,1,EQ,NSE,NSE",
                token | 1,
                i
            );
        } else {
            let strike = 20_000 + (i % 200) * 50;
            let kind = if i % 2 == 0 { "CE" } else { "PE" };
            let _ = writeln!(
                csv,
                "{},{},NIFTY26DEC{strike}{kind},,{}.{:02},2026-12-31,{strike}.0,0.05,75,{kind},NFO-OPT,NFO",
                token | 2,
                i,
                i % 900,
                i % 100
            );
        }
    }
    csv
}

/// Reads a whole dump.
pub fn parse_dump(input: impl Read) -> Result<InstrumentDump, DumpError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::StringRecord::new();
    let read = |reader: &mut csv::Reader<_>, record: &mut csv::StringRecord| {
        reader
            .read_record(record)
            .map_err(|source| DumpError::Read {
                line: source.position().map_or(0, |p| p.line()),
                source,
            })
    };
    if !read(&mut reader, &mut record)? {
        return Err(DumpError::Empty);
    }
    if record.iter().map(str::trim).ne(HEADER) {
        return Err(DumpError::Header {
            found: record.iter().map(str::to_owned).collect(),
            expected: HEADER.to_vec(),
        });
    }
    let mut dump = InstrumentDump::default();
    while read(&mut reader, &mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        match instrument(&record) {
            Ok(instrument) => dump.instruments.push(instrument),
            Err(message) => {
                dump.skipped_rows += 1;
                if dump.row_errors.len() < MAX_KEPT_ROW_ERRORS {
                    dump.row_errors.push(RowError { line, message });
                }
            }
        }
    }
    Ok(dump)
}

fn instrument(r: &csv::StringRecord) -> Result<Instrument, String> {
    if r.len() != HEADER.len() {
        return Err(format!("{} fields; expected {}", r.len(), HEADER.len()));
    }
    let field = |i: usize| r.get(i).unwrap_or("").trim();
    let int = |i: usize| -> Result<u32, String> {
        field(i)
            .parse()
            .map_err(|_| format!("{} {:?} is not a whole number", HEADER[i], field(i)))
    };
    let price = |i: usize| -> Result<Price, String> {
        Price::parse(field(i)).map_err(|e| format!("{} {:?}: {e}", HEADER[i], field(i)))
    };
    // Kite lists indices (segment INDICES) with tick and lot size 0: they are not tradable.
    let index = field(10) == "INDICES";
    let tick_size = price(7)?;
    if tick_size.raw() < 0 || (tick_size.is_zero() && !index) {
        return Err(format!("tick_size {:?} must be positive", field(7)));
    }
    let lot_size = int(8)?;
    if lot_size == 0 && !index {
        return Err("lot_size must be at least 1".to_owned());
    }
    let expiry = match field(5) {
        "" => None,
        date if is_iso_date(date) => Some(date.to_owned()),
        other => return Err(format!("expiry {other:?} is not a YYYY-MM-DD date")),
    };
    let exchange: Exchange = field(11).parse().map_err(|e| format!("{e}"))?;
    let tradingsymbol = field(2);
    if tradingsymbol.is_empty() {
        return Err("tradingsymbol is empty".to_owned());
    }
    Ok(Instrument {
        token: InstrumentToken(int(0)?),
        exchange_token: int(1)?,
        tradingsymbol: tradingsymbol.to_owned(),
        name: field(3).to_owned(),
        exchange,
        segment: field(10).to_owned(),
        instrument_type: field(9).to_owned(),
        tick_size,
        lot_size,
        expiry,
        strike: price(6)?,
    })
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        crate::fixtures::bytes(name)
    }

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn zerodhas_dumps_parse_completely_with_exact_values() {
        for name in ["instruments_all.csv", "instruments_nse.csv"] {
            let dump = parse_dump(&fixture(name)[..]).unwrap();
            assert_eq!(dump.instruments.len(), 99, "{name}");
            assert_eq!(dump.skipped_rows, 0, "{name}: {:?}", dump.row_errors);
        }
        let dump = parse_dump(&fixture("instruments_all.csv")[..]).unwrap();
        let count = |e: Exchange| dump.instruments.iter().filter(|i| i.exchange == e).count();
        assert_eq!(
            (
                count(Exchange::Nse),
                count(Exchange::Nfo),
                count(Exchange::Bse)
            ),
            (55, 25, 19)
        );

        let option = dump
            .instruments
            .iter()
            .find(|i| i.tradingsymbol == "BANKNIFTY18JAN23500CE")
            .unwrap();
        assert_eq!(option.token, InstrumentToken(12_073_986));
        assert_eq!(option.exchange_token, 47_164);
        assert_eq!(option.expiry.as_deref(), Some("2018-01-25"));
        assert_eq!(option.strike, p("23500"));
        assert_eq!(option.tick_size, p("0.05"));
        assert_eq!(option.lot_size, 40);
        assert_eq!(option.instrument_type, "CE");
        assert_eq!(option.segment, "NFO-OPT");
        assert_eq!(option.key(), "NFO:BANKNIFTY18JAN23500CE");

        let equity = &dump.instruments[0];
        assert_eq!(equity.tradingsymbol, "CENTRALBK-BE");
        assert_eq!(equity.name, "CENTRAL BANK OF INDIA");
        assert_eq!(equity.expiry, None);
        assert_eq!(equity.strike, Price::ZERO);
        assert!(equity.is_tradable());
        let ticks: std::collections::BTreeSet<_> = dump
            .instruments
            .iter()
            .map(|i| i.tick_size.to_string())
            .collect();
        assert_eq!(
            ticks.into_iter().collect::<Vec<_>>(),
            ["0.01", "0.05", "0.25"]
        );
    }

    #[test]
    fn a_wrong_header_or_empty_input_is_refused() {
        assert!(matches!(parse_dump(&b""[..]), Err(DumpError::Empty)));
        let err = parse_dump(&b"token,symbol\n1,X\n"[..]).unwrap_err();
        assert!(
            err.to_string().contains("expected [\"instrument_token\""),
            "{err}"
        );
    }

    #[test]
    fn bad_rows_are_skipped_with_their_line_and_reason() {
        let csv = format!(
            "{}\n\
             1,1,GOOD,Good Co,0.0,,0.0,0.05,1,EQ,NSE,NSE\n\
             2,2,ZEROTICK,,0.0,,0.0,0,1,EQ,NSE,NSE\n\
             3,3,NCOTHING,,0.0,,0.0,0.05,1,FUT,NCO,NCO\n\
             4,4,BADEXP,,0.0,2024-13-01,0.0,0.05,1,FUT,NFO-FUT,NFO\n\
             x,5,BADTOKEN,,0.0,,0.0,0.05,1,EQ,NSE,NSE\n\
             6,6,SHORT\n\
             7,7,\"QUOTED, NAME\",\"A, B\",0.0,,0.0,0.05,1,EQ,BSE,BSE\n\
             256265,1001,NIFTY 50,,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n",
            HEADER.join(",")
        );
        let dump = parse_dump(csv.as_bytes()).unwrap();
        let symbols: Vec<_> = dump
            .instruments
            .iter()
            .map(|i| i.tradingsymbol.as_str())
            .collect();
        // An index row as Kite writes it: tick and lot size 0.
        assert_eq!(symbols, ["GOOD", "QUOTED, NAME", "NIFTY 50"]);
        assert_eq!(dump.instruments[2].segment, "INDICES");
        assert_eq!(dump.instruments[1].name, "A, B");
        assert_eq!(dump.skipped_rows, 5);
        let lines: Vec<_> = dump.row_errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        let text: Vec<_> = dump.row_errors.iter().map(ToString::to_string).collect();
        assert!(
            text[0].contains("tick_size \"0\" must be positive"),
            "{text:?}"
        );
        assert!(text[1].contains("unknown exchange 'NCO'"), "{text:?}");
        assert!(text[2].contains("expiry \"2024-13-01\""), "{text:?}");
        assert!(
            text[3].contains("instrument_token \"x\" is not a whole number"),
            "{text:?}"
        );
        assert!(text[4].contains("3 fields; expected 12"), "{text:?}");
    }
}
