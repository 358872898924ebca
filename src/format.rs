//! Number and time formatting for Indian traders: digit grouping `12,34,567`, signed
//! percentages from basis points, and clock times in IST. Pure functions, used by the models
//! and by the UI on both server and browser so both render the same text.

/// IST is UTC+05:30 all year (no daylight saving).
const IST_OFFSET_SECONDS: i64 = 5 * 3600 + 30 * 60;

/// `1234567` → `12,34,567`: the last three digits, then groups of two.
pub fn indian_grouping(digits: &str) -> String {
    if digits.len() <= 3 {
        return digits.to_owned();
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut out = String::with_capacity(digits.len() + digits.len() / 2);
    let lead = head.len() % 2;
    for (i, ch) in head.chars().enumerate() {
        if i > 0 && (i + 2 - lead) % 2 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out.push(',');
    out.push_str(last3);
    out
}

/// A whole number in Indian grouping: `1,23,45,678`.
pub fn indian_integer(value: u64) -> String {
    indian_grouping(&value.to_string())
}

/// Basis points as a signed percentage: `+1.23%`, `-0.05%`, `0.00%`.
pub fn percent_from_basis_points(basis_points: i64) -> String {
    let sign = match basis_points.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    let abs = basis_points.unsigned_abs();
    format!("{sign}{}.{:02}%", abs / 100, abs % 100)
}

/// Clock time in IST from Unix milliseconds: `14:03:27`.
pub fn ist_clock(unix_ms: i64) -> String {
    let secs = (unix_ms.div_euclid(1000) + IST_OFFSET_SECONDS).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_the_indian_way() {
        assert_eq!(indian_integer(0), "0");
        assert_eq!(indian_integer(999), "999");
        assert_eq!(indian_integer(1_000), "1,000");
        assert_eq!(indian_integer(12_345), "12,345");
        assert_eq!(indian_integer(123_456), "1,23,456");
        assert_eq!(indian_integer(12_345_678), "1,23,45,678");
        assert_eq!(indian_integer(123_456_789), "12,34,56,789");
    }

    #[test]
    fn percent_text() {
        assert_eq!(percent_from_basis_points(123), "+1.23%");
        assert_eq!(percent_from_basis_points(-5), "-0.05%");
        assert_eq!(percent_from_basis_points(0), "0.00%");
        assert_eq!(percent_from_basis_points(-12_345), "-123.45%");
    }

    #[test]
    fn ist_is_utc_plus_five_thirty() {
        // 2026-11-25T03:45:00Z is 09:15:00 IST, the NSE open.
        assert_eq!(ist_clock(1_795_578_300_000), "09:15:00");
        assert_eq!(ist_clock(0), "05:30:00");
        assert_eq!(ist_clock(-1_000), "05:29:59");
    }
}
