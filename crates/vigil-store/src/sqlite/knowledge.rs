//! SQLite: The roster, demographics and first-seen pairs the rules read.

use super::*;

impl SqliteStore {
    pub(super) fn do_risks(&self) -> Result<Vec<crate::Risk>> {
        let mut st = self
            .conn
            .prepare("SELECT id, data FROM risks ORDER BY id")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, data) = row?;
            let mut risk: crate::Risk = serde_json::from_str(&data)?;
            risk.id = id;
            out.push(risk);
        }
        Ok(out)
    }

    pub(super) fn do_suppressions(&self) -> Result<Vec<crate::Suppression>> {
        let mut st = self.conn.prepare(
            "SELECT id, actor, subject, rule, until, reason, owner FROM suppressions ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(crate::Suppression {
                id: r.get(0)?,
                actor: r.get(1)?,
                subject: r.get(2)?,
                rule: r.get(3)?,
                until: from_micros(r.get(4)?),
                reason: r.get(5)?,
                owner: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_replace_people(&mut self, people: &[vigil_domain::Person]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch("DELETE FROM person_accounts; DELETE FROM people;")?;
        {
            // Plain inserts of rows made unique here (a later line wins, as
            // it would replace the earlier): `INSERT OR REPLACE` under the
            // foreign keys writes a statement journal of whole pages for
            // every row, most of loading a roster.
            let mut p = tx.prepare(
                "INSERT INTO people (id, name, department, status, terminated_on, address, supervisor, shift, relatives, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for x in last_of(people, |x| x.id.as_str()) {
                p.execute(params![
                    x.id,
                    x.name,
                    x.department,
                    x.status,
                    x.terminated_on.map(|d| d.to_string()),
                    x.address,
                    x.supervisor,
                    x.shift,
                    serde_json::to_string(&x.relatives)?,
                    x.location
                ])?;
            }
            let mut a =
                tx.prepare("INSERT INTO person_accounts (account, person_id) VALUES (?1, ?2)")?;
            let accounts: Vec<(&str, &str)> = people
                .iter()
                .flat_map(|x| x.accounts.iter().map(|a| (a.as_str(), x.id.as_str())))
                .collect();
            for (acct, id) in last_of(&accounts, |a| a.0) {
                a.execute(params![acct, id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn do_replace_patients(&mut self, patients: &[vigil_domain::Patient]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM patients", [])?;
        {
            // (unique here, as for the roster)
            let mut st = tx.prepare(
                "INSERT INTO patients (mrn, name, address, date_of_death, vip, employee_id, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for p in last_of(patients, |p| p.mrn.as_str()) {
                st.execute(params![
                    p.mrn,
                    p.name,
                    p.address,
                    p.date_of_death.map(|d| d.to_string()),
                    p.vip,
                    p.employee_id,
                    p.location
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn do_people(&self) -> Result<Vec<vigil_domain::Person>> {
        let mut accounts: HashMap<String, Vec<String>> = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT account, person_id FROM person_accounts ORDER BY account")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            accounts
                .entry(r.get::<_, String>(1)?)
                .or_default()
                .push(r.get(0)?);
        }
        let mut st = self.conn.prepare(
            "SELECT id, name, department, status, terminated_on, address, supervisor, shift, relatives, location FROM people ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            let id: String = r.get(0)?;
            let relatives: String = r.get(8)?;
            Ok(vigil_domain::Person {
                accounts: accounts.get(&id).cloned().unwrap_or_default(),
                id,
                name: r.get(1)?,
                department: r.get(2)?,
                status: r.get(3)?,
                terminated_on: r.get::<_, Option<String>>(4)?.and_then(|d| d.parse().ok()),
                address: r.get(5)?,
                supervisor: r.get(6)?,
                shift: r.get(7)?,
                relatives: serde_json::from_str(&relatives).unwrap_or_default(),
                location: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_patients(&self) -> Result<Vec<vigil_domain::Patient>> {
        let mut st = self.conn.prepare(
            "SELECT mrn, name, address, date_of_death, vip, employee_id, location FROM patients",
        )?;
        let rows = st.query_map([], |r| {
            Ok(vigil_domain::Patient {
                mrn: r.get(0)?,
                name: r.get(1)?,
                address: r.get(2)?,
                date_of_death: r.get::<_, Option<String>>(3)?.and_then(|d| d.parse().ok()),
                vip: r.get::<_, i64>(4)? != 0,
                employee_id: r.get(5)?,
                location: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_seen(&self) -> Result<Vec<crate::Seen>> {
        let mut st = self
            .conn
            .prepare("SELECT actor, what, value, first_at FROM seen")?;
        let rows = st.query_map([], |r| {
            Ok(crate::Seen {
                actor: r.get(0)?,
                what: r.get(1)?,
                value: r.get(2)?,
                first_at: from_micros(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_add_seen(&mut self, rows: &[crate::Seen]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(
                "INSERT OR IGNORE INTO seen (actor, what, value, first_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for s in rows {
                st.execute(params![s.actor, s.what, s.value, micros(s.first_at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The rows with the last of each key, in the order those last ones come:
/// what replacing each earlier row by a later one leaves.
fn last_of<'a, T, K: Eq + std::hash::Hash>(rows: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<&'a T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&T> = rows.iter().rev().filter(|r| seen.insert(key(r))).collect();
    out.reverse();
    out
}
