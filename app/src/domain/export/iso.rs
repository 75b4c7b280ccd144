//! Unix seconds to `2026-02-07T12:00:00Z` without chrono's format parser:
//! exports write three timestamps per post, and the generic formatter cost
//! about 0.2 µs each (0.6 s per million posts).

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes the 20-byte ISO 8601 form of `secs` into `out` and returns it.
/// Years outside 0..=9999 are clamped (they cannot come from our data).
pub fn format(secs: i64, out: &mut [u8; 20]) -> &str {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    let y = y.clamp(0, 9999) as u32;
    let two = |v: u32, at: &mut [u8]| {
        at[0] = b'0' + (v / 10) as u8;
        at[1] = b'0' + (v % 10) as u8;
    };
    two(y / 100, &mut out[0..2]);
    two(y % 100, &mut out[2..4]);
    out[4] = b'-';
    two(mo, &mut out[5..7]);
    out[7] = b'-';
    two(d, &mut out[8..10]);
    out[10] = b'T';
    two(h, &mut out[11..13]);
    out[13] = b':';
    two(mi, &mut out[14..16]);
    out[16] = b':';
    two(s, &mut out[17..19]);
    out[19] = b'Z';
    // Only ASCII digits and separators were written.
    std::str::from_utf8(out).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn matches_chrono_across_centuries_and_leap_days() {
        let mut buf = [0u8; 20];
        for secs in [
            0,
            -1,
            951_782_400,   // 2000-02-29
            1_770_465_600, // 2026-02-07 12:00
            4_107_542_399, // 2100-02-28 23:59:59
            -2_208_988_800,
            253_402_300_799, // 9999-12-31 23:59:59
        ] {
            let want = DateTime::<Utc>::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(format(secs, &mut buf), want, "{secs}");
        }
        // Every day of four years, at an odd time of day.
        for day in 0..1461 {
            let secs = 1_600_000_000 + day * 86_400 + 3_723;
            let want = DateTime::<Utc>::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(format(secs, &mut buf), want);
        }
    }
}
