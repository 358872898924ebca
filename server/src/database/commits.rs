//! A write is reported done only once SQLite has committed it: `INSERT/UPDATE … RETURNING`
//! read to its end, and a connection a refused COMMIT left behind closed, not reused.

/// The first row of a statement run to its end. `INSERT/UPDATE … RETURNING` outside a
/// transaction is read with `fetch_all` and this, never `fetch_one`/`fetch_optional`: those stop
/// SQLite's statement after its first row, and a commit that then fails (a full disk, a lock
/// held elsewhere) is dropped unseen — the caller would be told a row was stored that was not
/// (sqlx issues 2099 and 3430; the disk test in `tests/integration/disk.rs` found it).
pub(crate) fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// As `first_row`, for a statement that must give one row.
pub(crate) fn only_row<T>(rows: Vec<T>) -> Result<T, sqlx::Error> {
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}

/// Whether a SQLite connection going back to the pool is fit to be used again. A COMMIT that
/// fails on a full disk or a disk error rolls SQLite's transaction back by itself; sqlx's own
/// ROLLBACK then fails too, and sqlx still counts the connection inside a transaction — every
/// later write on it would be refused ("invalid savepoint"), long after the disk has room.
/// Such a connection is closed here (the pool opens a fresh one). The ping first lets the
/// rollback a dropped transaction queued run.
pub(super) async fn left_whole(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "a database connection was left inside a transaction SQLite had already rolled back \
             (a write the disk refused); it is closed and a fresh one opened"
        );
        return Ok(false);
    }
    Ok(true)
}
