//! The instruments master in the database: a cache of Kite's daily dump, so start-up has a
//! searchable list before (or without) a fresh download. `replace_all` swaps the whole table in
//! one transaction: readers see yesterday's list or today's, never half of one.

use super::{BeginWrite, failed};
use osp_core::model::{Exchange, Instrument, InstrumentToken, Price};

use super::Database;
use crate::on_pool;

/// Rows per INSERT: 11 parameters each stays far below SQLite's and PostgreSQL's limits.
const BATCH: usize = 500;

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
);

/// What this store's errors name.
const WHAT: &str = "the instruments list";

fn from_row(row: Row) -> Option<Instrument> {
    let (
        token,
        exchange_token,
        tradingsymbol,
        name,
        exchange,
        segment,
        kind,
        tick,
        lot,
        expiry,
        strike,
    ) = row;
    Some(Instrument {
        token: InstrumentToken(u32::try_from(token).ok()?),
        exchange_token: u32::try_from(exchange_token).ok()?,
        tradingsymbol,
        name,
        exchange: exchange.parse::<Exchange>().ok()?,
        segment,
        instrument_type: kind,
        tick_size: Price::from_raw(tick),
        lot_size: u32::try_from(lot).ok()?,
        expiry,
        strike: Price::from_raw(strike),
    })
}

impl Database {
    /// Every stored instrument (rows this build cannot read are skipped).
    pub async fn load_instruments(&self) -> Result<Vec<Instrument>, String> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT instrument_token, exchange_token, tradingsymbol, name, exchange, segment, \
                 instrument_type, tick_size_raw, lot_size, expiry, strike_raw FROM instruments",
            )
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        Ok(rows.into_iter().filter_map(from_row).collect())
    }

    /// Replaces the stored list with `instruments` atomically. `progress(done, total)` is called
    /// after each batch. Duplicates (same token, or same exchange and symbol) keep the first.
    pub async fn replace_instruments(
        &self,
        instruments: &[Instrument],
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<(), String> {
        let total = instruments.len();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            sqlx::query("DELETE FROM instruments")
                .execute(&mut *tx)
                .await
                .map_err(failed(WHAT))?;
            let mut done = 0;
            for chunk in instruments.chunks(BATCH) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO instruments (instrument_token, exchange_token, tradingsymbol, \
                     name, exchange, segment, instrument_type, tick_size_raw, lot_size, expiry, \
                     strike_raw) ",
                );
                insert.push_values(chunk, |mut row, i| {
                    row.push_bind(i64::from(i.token.0))
                        .push_bind(i64::from(i.exchange_token))
                        .push_bind(i.tradingsymbol.clone())
                        .push_bind(i.name.clone())
                        .push_bind(i.exchange.code())
                        .push_bind(i.segment.clone())
                        .push_bind(i.instrument_type.clone())
                        .push_bind(i.tick_size.raw())
                        .push_bind(i64::from(i.lot_size))
                        .push_bind(i.expiry.clone())
                        .push_bind(i.strike.raw());
                });
                insert.push(" ON CONFLICT DO NOTHING");
                insert.build().execute(&mut *tx).await.map_err(failed(WHAT))?;
                done += chunk.len();
                progress(done, total);
            }
            tx.commit().await.map_err(failed(WHAT))?;
            Ok::<(), String>(())
        })
    }
}
