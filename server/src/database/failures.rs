//! What a failed statement means, for the store ports: sqlx's errors mapped onto `StoreError`,
//! and a disk's errors (full, read-only, failing — on either backend) told with what to do.

use osp_core::ports::StoreError;

/// The one mapping from sqlx's errors to the store ports' `StoreError`: a missing row is
/// not found, a unique key taken or a serialization failure is a conflict, a value that does
/// not decode is unreadable, anything else (the pool, the connection, the statement) is
/// unavailable with sqlx's error as its source. `what` names the thing ("the level").
pub fn failed(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::RowNotFound => StoreError::not_found(what),
        sqlx::Error::Database(db)
            if db.is_unique_violation()
                || matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
        {
            StoreError::conflict(what)
        }
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            StoreError::unreadable(what, e.to_string())
        }
        sqlx::Error::Database(db) => match disk_hint(db.code().as_deref()) {
            Some(hint) => StoreError::unavailable_with_hint(what, e, hint),
            None => StoreError::unavailable(what, e),
        },
        sqlx::Error::Io(io) => match io.raw_os_error() {
            Some(28) => StoreError::unavailable_with_hint(what, e, DISK_FULL),
            Some(30) => StoreError::unavailable_with_hint(what, e, DISK_READ_ONLY),
            _ => StoreError::unavailable(what, e),
        },
        _ => StoreError::unavailable(what, e),
    }
}

pub(super) const DISK_FULL: &str = "the disk holding the database is full — free space on it, then try \
                             again";
pub(super) const DISK_READ_ONLY: &str = "the database's disk or file is read-only — make it writable \
                                  (remount the disk read-write; check the file's owner and \
                                  permissions), then try again";
pub(super) const DISK_FAILED: &str = "the disk holding the database failed a write — check the disk \
                               (its free space, its errors in the system log), then try again";

/// What an operator can do about a database error that comes from the disk: SQLite's result
/// codes (the extended code's low byte: FULL, READONLY, IOERR) and PostgreSQL's SQLSTATEs
/// (disk_full, read_only_sql_transaction, io_error).
fn disk_hint(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    if let Ok(sqlite) = code.parse::<u32>()
        && code.len() < 5
    {
        return match sqlite & 0xff {
            13 => Some(DISK_FULL),
            8 => Some(DISK_READ_ONLY),
            10 => Some(DISK_FAILED),
            _ => None,
        };
    }
    match code {
        "53100" => Some(DISK_FULL),
        "25006" => Some(DISK_READ_ONLY),
        "58030" => Some(DISK_FAILED),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_errors_from_either_backend_are_told_with_what_to_do() {
        // SQLite's extended codes: FULL, READONLY_DBMOVED (8 | 4 << 8), IOERR_WRITE (10 | 3 << 8).
        assert_eq!(disk_hint(Some("13")), Some(DISK_FULL));
        assert_eq!(disk_hint(Some("1032")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("8")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("778")), Some(DISK_FAILED));
        // PostgreSQL's SQLSTATEs: disk_full, read_only_sql_transaction, io_error.
        assert_eq!(disk_hint(Some("53100")), Some(DISK_FULL));
        assert_eq!(disk_hint(Some("25006")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("58030")), Some(DISK_FAILED));
        // Anything else keeps its cause for the log only: a constraint, a lock, a serialization
        // failure (40001 is a conflict elsewhere), SQLite's BUSY (5) and CONSTRAINT (19).
        for other in ["5", "19", "2067", "23505", "40001", "57P01"] {
            assert_eq!(disk_hint(Some(other)), None, "{other}");
        }
        assert_eq!(disk_hint(None), None);

        // And an operating-system error on the way (ENOSPC, EROFS).
        let full = failed("the level")(sqlx::Error::Io(std::io::Error::from_raw_os_error(28)));
        let read_only = failed("the level")(sqlx::Error::Io(std::io::Error::from_raw_os_error(30)));
        assert!(matches!(
            full,
            StoreError::Unavailable {
                hint: Some(DISK_FULL),
                ..
            }
        ));
        assert!(matches!(
            read_only,
            StoreError::Unavailable {
                hint: Some(DISK_READ_ONLY),
                ..
            }
        ));
    }
}
