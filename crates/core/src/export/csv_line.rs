//! RFC 4180 records written straight into the chunk being filled.
//!
//! The csv crate checks every byte of every field for characters that need quoting and
//! copies fields through a buffer of its own; in an export most cells are ids, times and
//! numbers that never need quoting. Writing those as they are and only scanning text
//! took a tenth off the export's CPU time (BENCHMARKS.md, issue 25). The output is what
//! the csv crate writes with `QuoteStyle::Necessary` and CRLF line ends (the export tests
//! read it back with the csv crate, field by field).

use chrono::{DateTime, Datelike, Offset, Timelike, Utc};
use chrono_tz::Tz;

/// One chunk of CSV being written, a record at a time.
pub struct CsvLine {
    out: Vec<u8>,
    /// Whether the next field starts a record (no comma before it).
    at_start: bool,
}

impl CsvLine {
    pub fn new(out: Vec<u8>) -> Self {
        CsvLine { out, at_start: true }
    }

    /// A field of any text: quoted (with quotes doubled) when it holds a comma, a quote or a
    /// line break.
    pub fn text(&mut self, field: &[u8]) {
        self.separate();
        if needs_quotes(field) {
            self.out.push(b'"');
            for part in field.split_inclusive(|&b| b == b'"') {
                self.out.extend_from_slice(part);
                if part.ends_with(b"\"") {
                    self.out.push(b'"');
                }
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(field);
        }
    }

    /// A field that cannot need quoting (an id, a number, a time, a fixed word).
    pub fn plain(&mut self, field: &[u8]) {
        debug_assert!(!needs_quotes(field));
        self.separate();
        self.out.extend_from_slice(field);
    }

    /// An integer field.
    pub fn integer(&mut self, n: i64) {
        self.separate();
        if n < 0 {
            self.out.push(b'-');
        }
        let digits = n.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1;
        push_digits(&mut self.out, n.unsigned_abs(), digits);
    }

    /// `t` in `tz` as RFC 3339, to the microsecond when it has a fraction (what chrono's
    /// `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes, without its formatter).
    pub fn time(&mut self, t: DateTime<Utc>, tz: Tz) {
        self.separate();
        write_time(&mut self.out, t, tz);
    }

    /// Ends the record.
    pub fn end(&mut self) {
        self.out.extend_from_slice(b"\r\n");
        self.at_start = true;
    }

    /// How many bytes are written.
    pub fn buffered(&self) -> usize {
        self.out.len()
    }

    /// The bytes written so far, leaving `fresh` to write into.
    pub fn take(&mut self, fresh: Vec<u8>) -> Vec<u8> {
        std::mem::replace(&mut self.out, fresh)
    }

    fn separate(&mut self) {
        if !self.at_start {
            self.out.push(b',');
        }
        self.at_start = false;
    }
}

/// Whether a field must be quoted: it holds a comma, a quote or a line break.
fn needs_quotes(field: &[u8]) -> bool {
    field.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Appends `t` in `tz` as RFC 3339 (`Z` for a zero offset, a fraction of 3, 6 or 9 digits
/// only when needed).
fn write_time(out: &mut Vec<u8>, t: DateTime<Utc>, tz: Tz) {
    let local = t.with_timezone(&tz);
    let offset = local.offset().fix().local_minus_utc();
    // Years outside four digits and offsets with seconds (local mean time before 1900) are
    // chrono's to write.
    if !(0..=9999).contains(&local.year()) || offset % 60 != 0 {
        out.extend_from_slice(local.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true).as_bytes());
        return;
    }
    let two =
        |out: &mut Vec<u8>, n: u32| out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
    let year = local.year() as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, local.month());
    out.push(b'-');
    two(out, local.day());
    out.push(b'T');
    two(out, local.hour());
    out.push(b':');
    two(out, local.minute());
    out.push(b':');
    // A leap second is nanoseconds past 1e9 (chrono writes it as second 60).
    let (second, nanos) = match local.nanosecond() {
        n if n >= 1_000_000_000 => (local.second() + 1, n - 1_000_000_000),
        n => (local.second(), n),
    };
    two(out, second);
    let (digits, fraction) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (3, n / 1_000_000),
        n if n % 1_000 == 0 => (6, n / 1_000),
        n => (9, n),
    };
    if digits > 0 {
        out.push(b'.');
        push_digits(out, u64::from(fraction), digits);
    }
    if offset == 0 {
        out.push(b'Z');
    } else {
        out.push(if offset < 0 { b'-' } else { b'+' });
        let minutes = offset.unsigned_abs() / 60;
        two(out, minutes / 60);
        out.push(b':');
        two(out, minutes % 60);
    }
}

/// Appends the last `digits` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut Vec<u8>, mut n: u64, digits: usize) {
    let start = out.len();
    out.resize(start + digits, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let zones: Vec<Tz> =
            ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Berlin", "Asia/Kathmandu", "Pacific/Chatham"]
                .iter()
                .map(|z| z.parse().unwrap())
                .chain([chrono_tz::America::New_York, chrono_tz::Europe::London])
                .collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut instants: Vec<DateTime<Utc>> = vec![
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1883, 11, 18, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap(),
        ];
        for _ in 0..20_000 {
            let secs = (next() % 6_000_000_000) as i64 - 2_000_000_000;
            let nanos = match next() % 4 {
                0 => 0,
                1 => (next() % 1000) as u32 * 1_000_000,
                2 => (next() % 1_000_000) as u32 * 1_000,
                _ => (next() % 1_000_000_000) as u32,
            };
            instants.push(DateTime::from_timestamp(secs, nanos).unwrap());
        }
        for t in instants {
            for &tz in &zones {
                let mut out = Vec::new();
                write_time(&mut out, t, tz);
                let want = t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                assert_eq!(String::from_utf8(out).unwrap(), want, "{t:?} in {tz}");
            }
        }
    }

    #[test]
    fn times_carry_the_zone_offset() {
        let time = |t: &str, tz: Tz| {
            let mut line = CsvLine::new(Vec::new());
            line.time(t.parse().unwrap(), tz);
            String::from_utf8(line.take(Vec::new())).unwrap()
        };
        assert_eq!(time("2026-03-29T01:30:00Z", Tz::UTC), "2026-03-29T01:30:00Z");
        assert_eq!(time("2026-03-29T01:30:00Z", chrono_tz::Europe::Berlin), "2026-03-29T03:30:00+02:00");
        assert_eq!(time("2026-03-29T01:30:00.000123Z", Tz::UTC), "2026-03-29T01:30:00.000123Z");
    }

    #[test]
    fn integers_are_written_in_full() {
        let mut line = CsvLine::new(Vec::new());
        for n in [0, 7, 10, -3, 99, 100, i64::from(i16::MIN), i64::MIN, i64::MAX] {
            line.integer(n);
        }
        let want =
            [0, 7, 10, -3, 99, 100, i64::from(i16::MIN), i64::MIN, i64::MAX].map(|n| n.to_string()).join(",");
        assert_eq!(String::from_utf8(line.take(Vec::new())).unwrap(), want);
    }

    #[test]
    fn records_match_the_csv_crate() {
        let fields: [&[u8]; 9] = [
            b"plain",
            b"",
            b"a,b",
            b"say \"hi\"",
            b"\"",
            b"line\nbreak",
            b"cr\r",
            b" spaced ",
            "ß😀".as_bytes(),
        ];
        let mut ours = CsvLine::new(Vec::new());
        let mut theirs = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        for record in [&fields[..], &fields[2..5]] {
            for field in record {
                ours.text(field);
                theirs.write_field(field).unwrap();
            }
            ours.end();
            theirs.write_record(None::<&[u8]>).unwrap();
        }
        // (A record of one empty field, which the csv crate quotes, never occurs: an export's
        // records have 18 fields and more.)
        let theirs = String::from_utf8(theirs.into_inner().unwrap()).unwrap();
        assert_eq!(String::from_utf8(ours.take(Vec::new())).unwrap(), theirs);
    }
}
