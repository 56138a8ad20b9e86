//! The people review is about: workforce members (with their accounts in
//! every system) and patients. Both are ePHI-adjacent: kept in the store,
//! never logged.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A workforce member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// User names in every system (ssh, EHR, database, cloud).
    pub accounts: Vec<String>,
    pub department: Option<String>,
    /// `active`, `terminated` or `suspended`.
    pub status: String,
    pub terminated_on: Option<NaiveDate>,
    pub address: Option<String>,
    pub supervisor: Option<String>,
    /// Working hours, e.g. `07:00-19:00`; none means the default.
    pub shift: Option<String>,
    /// MRNs of family members who are patients.
    pub relatives: Vec<String>,
    /// Where they live, "lat,lon" in decimal degrees (see `location`).
    pub location: Option<String>,
}

/// A patient's record number as a screen or a listing that need not name
/// the patient shows it: `100234` -> `••••34`.
pub fn mask(id: &str) -> String {
    let n = id.chars().count();
    let keep: String = id.chars().skip(n.saturating_sub(2)).collect();
    format!("{}{keep}", "•".repeat(n.saturating_sub(2).max(2)))
}

/// A patient, as far as the relationship rules need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Patient {
    pub mrn: String,
    pub name: String,
    pub address: Option<String>,
    pub date_of_death: Option<NaiveDate>,
    pub vip: bool,
    /// Set when the patient is also on the workforce roster.
    pub employee_id: Option<String>,
    /// Where they live, "lat,lon" in decimal degrees (see `location`).
    pub location: Option<String>,
}

/// A "lat,lon" location in decimal degrees, if it is one.
pub fn location(s: &str) -> Option<(f64, f64)> {
    let (lat, lon) = s.split_once(',')?;
    let (lat, lon): (f64, f64) = (lat.trim().parse().ok()?, lon.trim().parse().ok()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// The distance in metres between two locations (haversine, on a sphere of
/// the Earth's mean radius: within a few metres at a street's scale).
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let (dla, dlo) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}
