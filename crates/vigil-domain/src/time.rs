//! Time in review terms: the start of a day in the rules' zone, the
//! `30s`/`12h`/`3d` durations the configuration writes, and the cadence a
//! source's activity must be reviewed at.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::SafeText;

/// When a calendar day starts, in the rules' zone (UTC without one).
pub fn day_start(zone: Option<Tz>, d: chrono::NaiveDate) -> DateTime<Utc> {
    wall_clock(zone, d.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// The zone a listing's times are in, for its header: `America/New_York`,
/// or `UTC`.
pub fn zone_name(zone: Option<Tz>) -> &'static str {
    zone.map_or("UTC", |z| z.name())
}

/// An instant as a listing shows it, in the rules' zone to the second:
/// `2026-11-30 14:02:11`.
pub fn local_stamp(zone: Option<Tz>, t: DateTime<Utc>) -> String {
    local_format(zone, t, "%Y-%m-%d %H:%M:%S")
}

/// An instant formatted in a zone (UTC without one).
pub fn local_format(zone: Option<Tz>, t: DateTime<Utc>, fmt: &str) -> String {
    match zone {
        Some(z) => t.with_timezone(&z).format(fmt).to_string(),
        None => t.format(fmt).to_string(),
    }
}

/// A wall-clock time in a zone (UTC without one) as an instant: the
/// earlier of an ambiguous hour, and as UTC in a gap.
pub fn wall_clock(zone: Option<Tz>, naive: chrono::NaiveDateTime) -> DateTime<Utc> {
    use chrono::TimeZone;
    match zone {
        Some(z) => z
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc()),
        None => naive.and_utc(),
    }
}

/// How often a source's activity must be reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Every(Duration),
}

impl Cadence {
    /// How often the source is to be reviewed.
    pub fn every(&self) -> Duration {
        match self {
            Cadence::Hourly => Duration::from_secs(3600),
            Cadence::Daily => Duration::from_secs(86_400),
            Cadence::Weekly => Duration::from_secs(7 * 86_400),
            Cadence::Monthly => Duration::from_secs(30 * 86_400),
            Cadence::Every(d) => *d,
        }
    }
}

impl FromStr for Cadence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "hourly" => Cadence::Hourly,
            "daily" => Cadence::Daily,
            "weekly" => Cadence::Weekly,
            "monthly" => Cadence::Monthly,
            other => Cadence::Every(parse_duration(other).map_err(|_| {
                format!(
                    "cadence {:?} is not understood; write hourly, daily, weekly, monthly, or a period such as \"12h\" or \"3d\"",
                    SafeText::new(other).as_str()
                )
            })?),
        })
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Hourly => f.write_str("hourly"),
            Cadence::Daily => f.write_str("daily"),
            Cadence::Weekly => f.write_str("weekly"),
            Cadence::Monthly => f.write_str("monthly"),
            Cadence::Every(d) => write!(f, "every {}s", d.as_secs()),
        }
    }
}

/// `30s`, `5m`, `12h`, `3d`, `2w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{s:?} needs a unit: s, m, h, d or w"))?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} does not start with a number"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("{s:?} has an unknown unit; use s, m, h, d or w")),
    };
    if n == 0 {
        return Err(format!("{s:?} must be longer than zero"));
    }
    Ok(Duration::from_secs(n * secs))
}
