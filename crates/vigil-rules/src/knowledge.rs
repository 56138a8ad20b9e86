//! What the rules know about people: the workforce roster (accounts across
//! systems, shift, status, address, relatives) and patient demographics
//! (name, address, date of death, VIP, employee id), plus watch lists.
//! Loaded from CSV into the store (they are ePHI: never logged) and from
//! there into memory for the rules.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveTime};
use color_eyre::eyre::{Result, WrapErr, eyre};
use serde::Deserialize;

pub use vigil_domain::{Patient, Person};

/// Lowercases, strips accents and punctuation, folds whitespace: "José
/// García-López" and "jose garcia lopez" compare equal.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = fold_accent(c);
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// The common Latin accents, folded to their base letter.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' => 'A',
        'ç' | 'č' | 'ć' => 'c',
        'Ç' | 'Č' | 'Ć' => 'C',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ě' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' => 'I',
        'ñ' | 'ń' | 'ň' => 'n',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        'š' | 'ś' => 's',
        'Š' | 'Ś' => 'S',
        'ž' | 'ź' | 'ż' => 'z',
        'Ž' | 'Ź' | 'Ż' => 'Z',
        'ł' => 'l',
        'Ł' => 'L',
        c => c,
    }
}

/// The street of a normalized address: "44 oak ave apt 2 springfield" is
/// "oak ave springfield" (house number, unit and its number taken off).
/// None when nothing but numbers is left.
pub fn street_of(address: &str) -> Option<String> {
    let mut words: Vec<&str> = Vec::new();
    let mut skip_next = false;
    for w in address.split(' ') {
        if skip_next {
            skip_next = false;
            continue;
        }
        if matches!(w, "apt" | "unit" | "suite" | "ste" | "flat" | "no") {
            skip_next = true;
            continue;
        }
        if w.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        words.push(w);
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// Surname parts of a name: "Lopez, Maria" or "Maria Garcia-Lopez". A
/// hyphenated surname counts each part.
pub fn surnames(name: &str) -> Vec<String> {
    let surname = match name.split_once(',') {
        Some((last, _)) => last.to_owned(),
        None => name.split_whitespace().last().unwrap_or("").to_owned(),
    };
    surname
        .split(['-', ' '])
        .map(normalize)
        .filter(|s| s.len() > 1)
        .collect()
}

/// `07:00-19:00` (a night shift may wrap midnight: `19:00-07:00`).
pub fn parse_shift(s: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (a, b) = s.trim().split_once('-')?;
    Some((
        NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?,
        NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?,
    ))
}

/// Whether `t` falls inside a shift (start inclusive, end exclusive).
pub fn in_shift(t: NaiveTime, (start, end): (NaiveTime, NaiveTime)) -> bool {
    if start <= end {
        t >= start && t < end
    } else {
        t >= start || t < end
    }
}

/// A fast, non-cryptographic hash for the rules' lookup tables (FxHash, as
/// rustc uses): keys are account names and MRNs, looked up per event.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        // Multiplication only carries entropy upwards, and the table indexes
        // by the low bits: rotate the well-mixed high bits down.
        self.0.rotate_left(26)
    }
}

pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
pub type FastSet<K> = HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

/// A lookup key held in the table's own slot when it is short, as MRNs and
/// account names are: a lookup per event then compares it without
/// following a pointer to another cache line (among 100,000 patients, that
/// line is rarely cached).
#[derive(Clone)]
pub(crate) enum Key {
    Short { len: u8, bytes: [u8; 22] },
    Long(Box<str>),
}

impl Key {
    pub(crate) fn new(s: &str) -> Key {
        let mut bytes = [0u8; 22];
        match bytes.get_mut(..s.len()) {
            Some(b) => {
                b.copy_from_slice(s.as_bytes());
                Key::Short {
                    len: s.len() as u8,
                    bytes,
                }
            }
            None => Key::Long(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // SAFETY: `new` copied exactly `len` bytes of a `str` here, and
            // nothing writes them after: they are whole UTF-8. (Checking
            // again would run on every comparison of every lookup.)
            Key::Short { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(&bytes[..usize::from(*len)])
            },
            Key::Long(s) => s,
        }
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    // As `str` hashes, which `Borrow<str>` requires.
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Interns strings to small numbers, so per-event comparisons are integer
/// comparisons.
#[derive(Debug, Default, Clone)]
struct Interner(FastMap<String, u32>);

impl Interner {
    fn id(&mut self, s: String) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(s).or_insert(n)
    }
}

/// A patient as the rules compare them with the workforce: what the
/// relationship rules need is worked out once at load, so the one lookup
/// by MRN (memoized per event in `Ctx`) serves every rule.
#[derive(Debug, Clone)]
pub struct Known {
    pub patient: Patient,
    surnames: Ids,
    address: Option<u32>,
    /// The street of `address`, looked up at load.
    street: Option<u32>,
    location: Option<(f64, f64)>,
}

/// A name's surname ids, in place: most names have one or two, and reading
/// them from the heap would be another cache miss per access.
type Ids = smallvec::SmallVec<[u32; 3]>;

impl std::ops::Deref for Known {
    type Target = Patient;
    fn deref(&self) -> &Patient {
        &self.patient
    }
}

/// Everything the rules consult, indexed for per-event lookups.
#[derive(Debug, Default, Clone)]
pub struct Knowledge {
    people: Vec<Person>,
    by_account: FastMap<Key, usize>,
    /// Normalized names, for care teams that name people rather than accounts.
    by_name: FastMap<String, usize>,
    patients: FastMap<Key, Known>,
    person_surnames: Vec<Ids>,
    person_address: Vec<Option<u32>>,
    /// The street of each person's address (house number and unit taken off).
    person_street: Vec<Option<u32>>,
    street_text: Vec<String>,
    person_shift: Vec<Option<(NaiveTime, NaiveTime)>>,
    person_location: Vec<Option<(f64, f64)>>,
    /// Surname ids back to text, for reasons.
    surname_text: Vec<String>,
    /// MRNs on the watch list (besides patients flagged VIP).
    pub watch: HashSet<String>,
}

impl Knowledge {
    pub fn new(people: Vec<Person>, patients: Vec<Patient>, watch: HashSet<String>) -> Self {
        let mut k = Knowledge {
            watch,
            ..Knowledge::default()
        };
        let mut names = Interner::default();
        let mut places = Interner::default();
        let address = |a: &Option<String>, places: &mut Interner| {
            a.as_deref()
                .map(normalize)
                .filter(|a| !a.is_empty())
                .map(|a| places.id(a))
        };
        for (i, p) in people.iter().enumerate() {
            for a in &p.accounts {
                k.by_account.insert(Key::new(a), i);
            }
            k.by_account.entry(Key::new(&p.id)).or_insert(i);
            k.by_name.entry(normalize(&p.name)).or_insert(i);
            k.person_surnames
                .push(surnames(&p.name).into_iter().map(|s| names.id(s)).collect());
            k.person_address.push(address(&p.address, &mut places));
            k.person_shift
                .push(p.shift.as_deref().and_then(parse_shift));
            k.person_location.push(
                p.location
                    .as_deref()
                    .and_then(vigil_domain::people::location),
            );
        }
        for p in patients {
            let known = Known {
                location: p
                    .location
                    .as_deref()
                    .and_then(vigil_domain::people::location),
                surnames: surnames(&p.name).into_iter().map(|s| names.id(s)).collect(),
                address: address(&p.address, &mut places),
                street: None,
                patient: p,
            };
            k.patients.insert(Key::new(&known.mrn), known);
        }
        // Streets, for the neighbour rule: an id per address id.
        let mut street_ids = Interner::default();
        let mut by_place: Vec<(u32, String)> =
            places.0.iter().map(|(a, id)| (*id, a.clone())).collect();
        by_place.sort_unstable();
        let streets: Vec<Option<u32>> = by_place
            .iter()
            .map(|(_, a)| street_of(a).map(|s| street_ids.id(s)))
            .collect();
        let street = |a: Option<u32>| a.and_then(|a| streets[a as usize]);
        for known in k.patients.values_mut() {
            known.street = street(known.address);
        }
        k.person_street = k.person_address.iter().map(|a| street(*a)).collect();
        k.street_text = vec![String::new(); street_ids.0.len()];
        for (text, id) in street_ids.0 {
            k.street_text[id as usize] = text;
        }
        k.surname_text = vec![String::new(); names.0.len()];
        for (text, id) in names.0 {
            k.surname_text[id as usize] = text;
        }
        k.people = people;
        k
    }

    pub fn has_roster(&self) -> bool {
        !self.people.is_empty()
    }

    /// The roster entry an account belongs to.
    pub fn person(&self, account: &str) -> Option<(usize, &Person)> {
        self.by_account.get(account).map(|&i| (i, &self.people[i]))
    }

    /// The roster entry a care-team member names: an account, a roster id
    /// or a name.
    pub fn person_for(&self, member: &str) -> Option<usize> {
        self.by_account
            .get(member)
            .or_else(|| self.by_name.get(&normalize(member)))
            .copied()
    }

    pub fn patient(&self, mrn: &str) -> Option<&Known> {
        self.patients.get(mrn)
    }

    /// A surname the person and the patient share, if any.
    pub fn shared_surname(&self, person: usize, patient: &Known) -> Option<&str> {
        self.person_surnames[person]
            .iter()
            .find(|s| patient.surnames.contains(s))
            .map(|id| self.surname_text[*id as usize].as_str())
    }

    /// The person's shift from the roster, parsed once.
    pub fn shift(&self, person: usize) -> Option<(NaiveTime, NaiveTime)> {
        self.person_shift[person]
    }

    /// The street the person and the patient share, if they do.
    pub fn same_street(&self, person: usize, patient: &Known) -> Option<&str> {
        match (self.person_street[person], patient.street) {
            (Some(x), Some(y)) if x == y => Some(self.street_text[x as usize].as_str()),
            _ => None,
        }
    }

    /// Whether the actor works in the department of the employee the
    /// patient is (or may: a department either side does not know counts
    /// as the same, so nothing is waved through on a gap in the roster).
    pub fn works_with(&self, actor: &str, mrn: &str) -> bool {
        let dept = |p: Option<&Person>| p.and_then(|p| p.department.as_deref()).map(normalize);
        let theirs = self
            .patient(mrn)
            .and_then(|p| p.employee_id.as_deref())
            .and_then(|e| self.person(e))
            .map(|(_, p)| p);
        match (dept(self.person(actor).map(|(_, p)| p)), dept(theirs)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// How far apart the person and the patient live, in metres, when
    /// both locations are known.
    pub fn metres_apart(&self, person: usize, patient: &Known) -> Option<f64> {
        let a = self.person_location[person]?;
        let b = patient.location?;
        Some(vigil_domain::people::metres_between(a, b))
    }

    pub fn same_address(&self, person: usize, patient: &Known) -> bool {
        match (self.person_address[person], patient.address) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// Column names of the roster CSV (config `[roster.columns]` may rename).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RosterColumns {
    pub id: String,
    pub accounts: String,
    pub name: String,
    pub department: String,
    pub status: String,
    pub terminated_on: String,
    pub address: String,
    pub supervisor: String,
    pub shift: String,
    pub relatives: String,
    pub latitude: String,
    pub longitude: String,
}

impl Default for RosterColumns {
    fn default() -> Self {
        RosterColumns {
            id: "id".into(),
            accounts: "accounts".into(),
            name: "name".into(),
            department: "department".into(),
            status: "status".into(),
            terminated_on: "terminated_on".into(),
            address: "address".into(),
            supervisor: "supervisor".into(),
            shift: "shift".into(),
            relatives: "relatives".into(),
            latitude: "latitude".into(),
            longitude: "longitude".into(),
        }
    }
}

/// Column names of the patient demographics CSV.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PatientColumns {
    pub mrn: String,
    pub name: String,
    pub address: String,
    pub date_of_death: String,
    pub vip: String,
    pub employee_id: String,
    pub latitude: String,
    pub longitude: String,
}

impl Default for PatientColumns {
    fn default() -> Self {
        PatientColumns {
            mrn: "mrn".into(),
            name: "name".into(),
            address: "address".into(),
            date_of_death: "date_of_death".into(),
            vip: "vip".into(),
            employee_id: "employee_id".into(),
            latitude: "latitude".into(),
            longitude: "longitude".into(),
        }
    }
}

/// A CSV file's header row, to find columns by name once.
struct Header(Vec<String>);

impl Header {
    /// The column's index, found once for all rows.
    fn at(&self, name: &str) -> Col {
        Col(self.0.iter().position(|h| h == name))
    }
}

/// A column of a CSV file, if it has it.
#[derive(Clone, Copy)]
struct Col(Option<usize>);

impl Col {
    /// This column's trimmed value in `row`, unless empty.
    fn of(self, row: &csv::StringRecord) -> Option<&str> {
        row.get(self.0?).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// Reads a CSV file with a header row, row by row into one reused record,
/// handing `f` each row with the `columns` found by name once: a roster or
/// a demographics file of a million rows is never held as text, and every
/// vigil command checks them when the config loads. The `required`
/// columns must be there; the error lists the columns found, so a mapping
/// can be fixed.
fn each_row<const N: usize>(
    path: &Path,
    required: &[&str],
    columns: [&str; N],
    mut f: impl FnMut([Col; N], &csv::StringRecord) -> Result<()>,
) -> Result<()> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let headers = Header(
        r.headers()?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_owned())
            .collect(),
    );
    for need in required {
        if headers.at(need).0.is_none() {
            return Err(eyre!(
                "{} has no column {need:?}; columns found: {}",
                path.display(),
                headers.0.join(", ")
            ));
        }
    }
    let cols = columns.map(|n| headers.at(n));
    let mut row = csv::StringRecord::new();
    while r.read_record(&mut row)? {
        f(cols, &row)?;
    }
    Ok(())
}

fn list(v: Option<&str>) -> Vec<String> {
    v.map(|v| {
        v.split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    })
    .unwrap_or_default()
}

fn date(
    v: Option<&str>,
    what: &str,
    path: &Path,
    row: &csv::StringRecord,
) -> Result<Option<NaiveDate>> {
    match v {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                eyre!(
                    "{}, line {}: {what} {d:?} is not a date like 2026-11-26",
                    path.display(),
                    row.position().map_or(0, |p| p.line())
                )
            }),
    }
}

/// A row's latitude and longitude as one "lat,lon" location; a row with
/// neither has none, and half or a bad number names the line.
fn coordinates(
    lat: Option<&str>,
    lon: Option<&str>,
    path: &Path,
    row: &csv::StringRecord,
) -> Result<Option<String>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(a), Some(b)) if vigil_domain::people::location(&format!("{a},{b}")).is_some() => {
            Ok(Some(format!("{a},{b}")))
        }
        (a, b) => Err(eyre!(
            "{}, line {}: latitude {:?} and longitude {:?} are not a location like 42.2808 and -83.7430 (decimal degrees; both or neither)",
            path.display(),
            row.position().map_or(0, |p| p.line()),
            a.unwrap_or(""),
            b.unwrap_or("")
        )),
    }
}

pub fn load_roster(path: &Path, c: &RosterColumns) -> Result<Vec<Person>> {
    let columns = [
        &c.id,
        &c.name,
        &c.accounts,
        &c.department,
        &c.status,
        &c.terminated_on,
        &c.address,
        &c.supervisor,
        &c.shift,
        &c.relatives,
        &c.latitude,
        &c.longitude,
    ]
    .map(String::as_str);
    let mut out = Vec::new();
    each_row(path, &[&c.id, &c.name], columns, |cols, r| {
        let [
            id,
            name,
            accounts,
            department,
            status,
            terminated,
            address,
            supervisor,
            shift,
            relatives,
            lat,
            lon,
        ] = cols;
        out.push(Person {
            id: id.of(r).unwrap_or_default().to_owned(),
            name: name.of(r).unwrap_or_default().to_owned(),
            accounts: list(accounts.of(r)),
            department: department.of(r).map(String::from),
            status: status.of(r).unwrap_or("active").to_ascii_lowercase(),
            terminated_on: date(terminated.of(r), "termination date", path, r)?,
            address: address.of(r).map(String::from),
            supervisor: supervisor.of(r).map(String::from),
            shift: shift.of(r).map(String::from),
            relatives: list(relatives.of(r)),
            location: coordinates(lat.of(r), lon.of(r), path, r)?,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Checks a roster file as `load_roster` reads it (the columns it needs,
/// every date and location), keeping none of it.
pub fn check_roster(path: &Path, c: &RosterColumns) -> Result<()> {
    check_rows(
        path,
        &[&c.id, &c.name],
        (&c.terminated_on, "termination date"),
        (&c.latitude, &c.longitude),
    )
}

/// Checks a demographics file as `load_patients` reads it, keeping none
/// of it.
pub fn check_patients(path: &Path, c: &PatientColumns) -> Result<()> {
    check_rows(
        path,
        &[&c.mrn, &c.name],
        (&c.date_of_death, "date of death"),
        (&c.latitude, &c.longitude),
    )
}

/// A file's required columns, and the date and the location of each row
/// as the loads read them.
fn check_rows(
    path: &Path,
    required: &[&str],
    (date_col, what): (&str, &str),
    (lat, lon): (&str, &str),
) -> Result<()> {
    each_row(path, required, [date_col, lat, lon], |[d, a, o], r| {
        date(d.of(r), what, path, r)?;
        coordinates(a.of(r), o.of(r), path, r)?;
        Ok(())
    })
}

pub fn load_patients(path: &Path, c: &PatientColumns) -> Result<Vec<Patient>> {
    let columns = [
        &c.mrn,
        &c.name,
        &c.address,
        &c.date_of_death,
        &c.vip,
        &c.employee_id,
        &c.latitude,
        &c.longitude,
    ]
    .map(String::as_str);
    let mut out = Vec::new();
    each_row(path, &[&c.mrn, &c.name], columns, |cols, r| {
        let [mrn, name, address, death, vip, employee, lat, lon] = cols;
        out.push(Patient {
            mrn: mrn.of(r).unwrap_or_default().to_owned(),
            name: name.of(r).unwrap_or_default().to_owned(),
            address: address.of(r).map(String::from),
            date_of_death: date(death.of(r), "date of death", path, r)?,
            vip: matches!(
                vip.of(r).map(str::to_ascii_lowercase).as_deref(),
                Some("1" | "y" | "yes" | "true" | "vip")
            ),
            employee_id: employee.of(r).map(String::from),
            location: coordinates(lat.of(r), lon.of(r), path, r)?,
        });
        Ok(())
    })?;
    Ok(out)
}

/// A watch list: one MRN (or account) per line, `#` comments.
pub fn load_watchlist(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check the config makes and the load the rules make agree on
    /// what a file holds: the same rows pass, the same line is named.
    #[test]
    fn a_roster_checks_as_it_loads() {
        let dir = std::env::temp_dir().join(format!("vigil-roster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("roster.csv");
        let c = RosterColumns::default();
        std::fs::write(
            &path,
            "id,name,accounts,terminated_on,latitude,longitude\nE1,Ann Lee,alee,,42.28,-83.74\nE2,Bo Park,bpark,2026-01-31,,\n",
        )
        .unwrap();
        check_roster(&path, &c).unwrap();
        let people = load_roster(&path, &c).unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].location.as_deref(), Some("42.28,-83.74"));
        // half a location, or a date that is not one, on line 3
        for (row, needle) in [
            ("E2,Bo Park,bpark,,42.1,", "line 3: latitude"),
            ("E2,Bo Park,bpark,soon,,", "line 3: termination date"),
        ] {
            std::fs::write(
                &path,
                format!(
                    "id,name,accounts,terminated_on,latitude,longitude\nE1,Ann Lee,alee,,,\n{row}\n"
                ),
            )
            .unwrap();
            let checked = check_roster(&path, &c).unwrap_err().to_string();
            let loaded = load_roster(&path, &c).unwrap_err().to_string();
            assert!(checked.contains(needle), "{checked}");
            assert_eq!(checked, loaded);
        }
        std::fs::write(&path, "name\nAnn Lee\n").unwrap();
        assert!(
            check_roster(&path, &c)
                .unwrap_err()
                .to_string()
                .contains("no column \"id\"")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_are_normalized_for_matching() {
        assert_eq!(normalize("  José  GARCÍA-López "), "jose garcia lopez");
        assert_eq!(surnames("Maria Garcia-Lopez"), ["garcia", "lopez"]);
        assert_eq!(surnames("LÓPEZ, Ana"), ["lopez"]);
        assert_eq!(surnames("Ng"), ["ng"]);
        assert_eq!(
            street_of(&normalize("44 Oak Ave, Apt 2, Springfield")).as_deref(),
            Some("oak ave springfield")
        );
        assert_eq!(street_of("12"), None);
    }

    #[test]
    fn patients_and_accounts_are_found_by_keys_of_any_length() {
        // Up to 22 bytes a key is kept in the table's slot, past that on
        // the heap: both sides of the line, and multi-byte text across it.
        let keys: Vec<String> = vec![
            String::new(),
            "7".into(),
            "MRN-000123".into(),
            "x".repeat(21),
            "x".repeat(22),
            "x".repeat(23),
            "urn:oid:2.16.840.1.113883.19.5|4711".into(),
            format!("{}é", "y".repeat(21)),
            "病人-4711-ümlaut".into(),
        ];
        let patients = keys
            .iter()
            .map(|k| Patient {
                mrn: k.clone(),
                name: format!("Pat {k}"),
                address: None,
                date_of_death: None,
                vip: false,
                employee_id: None,
                location: None,
            })
            .collect();
        let people = keys
            .iter()
            .map(|k| Person {
                accounts: vec![format!("acct{k}")],
                ..Person::default()
            })
            .collect();
        let k = Knowledge::new(people, patients, HashSet::new());
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(k.patient(key).map(|p| p.mrn.as_str()), Some(key.as_str()));
            assert_eq!(k.person(&format!("acct{key}")).map(|p| p.0), Some(i));
            // a key one character shorter or longer is another key
            let mut longer = key.clone();
            longer.push('0');
            assert!(k.patient(&longer).is_none(), "{longer}");
            if let Some((cut, _)) = key.char_indices().last() {
                assert!(k.patient(&key[..cut]).is_none() || keys.contains(&key[..cut].to_string()));
            }
        }
        assert_eq!(
            format!("{:?}", Key::new("x".repeat(30).as_str())),
            format!("{:?}", "x".repeat(30))
        );
    }

    #[test]
    fn shifts_wrap_midnight() {
        let day = parse_shift("07:00-19:00").unwrap();
        let night = parse_shift("19:00-07:00").unwrap();
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        assert!(in_shift(t("07:00"), day));
        assert!(!in_shift(t("19:00"), day));
        assert!(in_shift(t("18:59"), day));
        assert!(in_shift(t("23:00"), night));
        assert!(in_shift(t("06:59"), night));
        assert!(!in_shift(t("07:00"), night));
    }
}
