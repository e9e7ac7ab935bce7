//! Named time intervals (`time_intervals:`): times of day, weekdays, days of
//! the month, months and years, in a location, as Alertmanager's
//! `timeinterval` package defines them.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::config::types::{TimeIntervalSpec, TimeRangeSpec};

/// An inclusive range of integers (`monday:friday` is `1..=5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InclusiveRange {
    /// First value.
    pub start: i32,
    /// Last value.
    pub end: i32,
}

/// One interval; a time is inside when every given part contains it.
#[derive(Debug, Clone)]
pub struct TimeInterval {
    /// Minutes of the day, `[start, end)`.
    pub times: Vec<(u32, u32)>,
    /// Weekdays, 0 = Sunday.
    pub weekdays: Vec<InclusiveRange>,
    /// Days of the month, negative counts from the end (-1 is the last day).
    pub days_of_month: Vec<InclusiveRange>,
    /// Months, 1 = January.
    pub months: Vec<InclusiveRange>,
    /// Years.
    pub years: Vec<InclusiveRange>,
    /// The zone the parts are read in (UTC when not given).
    pub location: TimeZone,
}

const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn parse_minutes(s: &str) -> Result<u32, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("couldn't parse timestamp {s}, invalid format"))?;
    let h: u32 = h
        .parse()
        .map_err(|_| format!("couldn't parse timestamp {s}, invalid format"))?;
    let m: u32 = m
        .parse()
        .map_err(|_| format!("couldn't parse timestamp {s}, invalid format"))?;
    if h > 24 || m > 59 || (h == 24 && m != 0) || s.len() != 5 {
        return Err(format!("couldn't parse timestamp {s}, invalid format"));
    }
    Ok(h * 60 + m)
}

fn parse_times(t: &TimeRangeSpec) -> Result<(u32, u32), String> {
    if t.start_time.is_empty() || t.end_time.is_empty() {
        return Err("both start and end times must be provided".into());
    }
    let s = parse_minutes(&t.start_time)?;
    let e = parse_minutes(&t.end_time)?;
    if s >= e {
        return Err("start time cannot be equal or greater than end time".into());
    }
    Ok((s, e))
}

fn parse_ranges(
    items: &[String],
    what: &str,
    word: impl Fn(&str) -> Option<i32>,
    check: impl Fn(i32, i32) -> Result<(), String>,
) -> Result<Vec<InclusiveRange>, String> {
    let mut out = Vec::new();
    for item in items {
        let item_l = item.to_lowercase();
        let (a, b) = match item_l.split_once(':') {
            Some((a, b)) if !a.is_empty() || !b.is_empty() => (a.to_string(), b.to_string()),
            _ => (item_l.clone(), item_l.clone()),
        };
        let conv = |s: &str| {
            word(s)
                .or_else(|| s.trim().parse::<i32>().ok())
                .ok_or_else(|| format!("{s:?} is not a valid {what}"))
        };
        let (start, end) = (conv(&a)?, conv(&b)?);
        check(start, end)?;
        out.push(InclusiveRange { start, end });
    }
    Ok(out)
}

impl TimeInterval {
    /// Validates and converts one interval as written.
    ///
    /// # Errors
    ///
    /// Alertmanager's message for the first invalid part.
    pub fn from_spec(spec: &TimeIntervalSpec) -> Result<Self, String> {
        let times = spec
            .times
            .iter()
            .flatten()
            .map(parse_times)
            .collect::<Result<Vec<_>, _>>()?;
        let weekdays = parse_ranges(
            spec.weekdays.as_deref().unwrap_or(&[]),
            "weekday",
            |s| WEEKDAYS.iter().position(|w| *w == s).map(|i| i as i32),
            |a, b| {
                if a > b {
                    return Err("start day cannot be before end day".into());
                }
                Ok(())
            },
        )?;
        let days_of_month = parse_ranges(
            spec.days_of_month.as_deref().unwrap_or(&[]),
            "day of month",
            |_| None,
            |a, b| {
                for d in [a, b] {
                    if d == 0 || !(-31..=31).contains(&d) {
                        return Err(format!("{d} is not a valid day of the month: out of range"));
                    }
                }
                if (a > 0 && b > 0 || a < 0 && b < 0) && a > b {
                    return Err("end day must be greater than or equal to start day".into());
                }
                if a < 0 && b > 0 {
                    return Err("end day must be negative if start day is negative".into());
                }
                Ok(())
            },
        )?;
        let months = parse_ranges(
            spec.months.as_deref().unwrap_or(&[]),
            "month",
            |s| MONTHS.iter().position(|m| *m == s).map(|i| i as i32 + 1),
            |a, b| {
                if !(1..=12).contains(&a) || !(1..=12).contains(&b) {
                    return Err(format!("{a}:{b} is not a valid month: out of range"));
                }
                if a > b {
                    return Err("end month must be greater than or equal to start month".into());
                }
                Ok(())
            },
        )?;
        let years = parse_ranges(
            spec.years.as_deref().unwrap_or(&[]),
            "year",
            |_| None,
            |a, b| {
                if a > b {
                    return Err("end year must be greater than or equal to start year".into());
                }
                Ok(())
            },
        )?;
        let location = match spec.location.as_deref() {
            None | Some("") | Some("UTC") => TimeZone::UTC,
            Some("Local") => TimeZone::system(),
            Some(name) => {
                TimeZone::get(name).map_err(|e| format!("unknown time zone {name}: {e}"))?
            }
        };
        Ok(TimeInterval {
            times,
            weekdays,
            days_of_month,
            months,
            years,
            location,
        })
    }

    /// Whether the instant falls inside this interval.
    pub fn contains(&self, t: Timestamp) -> bool {
        let z = t.to_zoned(self.location.clone());
        let minutes = z.hour() as u32 * 60 + z.minute() as u32;
        if !self.times.is_empty()
            && !self
                .times
                .iter()
                .any(|(s, e)| minutes >= *s && minutes < *e)
        {
            return false;
        }
        let wd = z.weekday().to_sunday_zero_offset() as i32;
        if !self.weekdays.is_empty() && !self.weekdays.iter().any(|r| wd >= r.start && wd <= r.end)
        {
            return false;
        }
        if !self.days_of_month.is_empty() {
            let days_in = z.days_in_month() as i32;
            let day = z.day() as i32;
            let norm = |d: i32| if d < 0 { days_in + d + 1 } else { d };
            let ok = self.days_of_month.iter().any(|r| {
                let (s, e) = (norm(r.start).max(1), norm(r.end).min(days_in));
                day >= s && day <= e
            });
            if !ok {
                return false;
            }
        }
        let month = z.month() as i32;
        if !self.months.is_empty()
            && !self
                .months
                .iter()
                .any(|r| month >= r.start && month <= r.end)
        {
            return false;
        }
        let year = z.year() as i32;
        if !self.years.is_empty() && !self.years.iter().any(|r| year >= r.start && year <= r.end) {
            return false;
        }
        true
    }
}

/// Whether any of the intervals contains the instant.
pub fn any_contains(intervals: &[TimeInterval], t: Timestamp) -> bool {
    intervals.iter().any(|i| i.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(y: &str) -> TimeIntervalSpec {
        serde_saphyr::from_str(y).unwrap()
    }

    #[test]
    fn business_hours_contain_weekday_mornings_only() {
        let ti = TimeInterval::from_spec(&spec(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']\nlocation: UTC\n",
        ))
        .unwrap();
        // 2024-01-01 is a Monday.
        assert!(ti.contains("2024-01-01T10:00:00Z".parse().unwrap()));
        assert!(!ti.contains("2024-01-01T17:00:00Z".parse().unwrap()));
        assert!(!ti.contains("2024-01-06T10:00:00Z".parse().unwrap()));
    }

    #[test]
    fn negative_days_and_months_and_years() {
        let ti = TimeInterval::from_spec(&spec(
            "days_of_month: ['-1']\nmonths: ['february']\nyears: ['2024:2025']\n",
        ))
        .unwrap();
        assert!(ti.contains("2024-02-29T10:00:00Z".parse().unwrap()));
        assert!(!ti.contains("2024-02-28T10:00:00Z".parse().unwrap()));
        assert!(!ti.contains("2026-02-28T10:00:00Z".parse().unwrap()));
    }

    #[test]
    fn rejects_bad_parts() {
        for y in [
            "times: [{start_time: '17:00', end_time: '09:00'}]",
            "times: [{start_time: '25:00', end_time: '26:00'}]",
            "weekdays: ['funday']",
            "days_of_month: ['0']",
            "months: ['13']",
            "years: ['2025:2020']",
            "location: 'Mars/Olympus'",
        ] {
            assert!(TimeInterval::from_spec(&spec(y)).is_err(), "{y}");
        }
    }

    #[test]
    fn location_shifts_the_clock() {
        let ti = TimeInterval::from_spec(&spec(
            "times: [{start_time: '09:00', end_time: '10:00'}]\nlocation: 'Asia/Tokyo'\n",
        ));
        let Ok(ti) = ti else {
            println!("skipping: no tz database");
            return;
        };
        assert!(ti.contains("2024-01-01T00:30:00Z".parse().unwrap()));
        assert!(!ti.contains("2024-01-01T09:30:00Z".parse().unwrap()));
    }
}
