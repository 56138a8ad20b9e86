//! PostgreSQL: The roster, demographics and first-seen pairs the rules read.

use super::*;

impl PgStore {
    pub(super) fn do_replace_people(&mut self, people: &[vigil_domain::Person]) -> Result<()> {
        self.write(|c| {
            let mut tx = c.transaction()?;
            tx.batch_execute("DELETE FROM person_accounts; DELETE FROM people;")?;
            let p = tx.prepare(
                "INSERT INTO people (id, name, department, status, terminated_on, address, supervisor, shift, relatives, location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department, status = EXCLUDED.status, terminated_on = EXCLUDED.terminated_on, address = EXCLUDED.address, supervisor = EXCLUDED.supervisor, shift = EXCLUDED.shift, relatives = EXCLUDED.relatives, location = EXCLUDED.location",
            )?;
            let a = tx.prepare(
                "INSERT INTO person_accounts (account, person_id) VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET person_id = EXCLUDED.person_id",
            )?;
            for x in people {
                tx.execute(
                    &p,
                    &[
                        &x.id,
                        &x.name,
                        &x.department,
                        &x.status,
                        &x.terminated_on.map(|d| d.to_string()),
                        &x.address,
                        &x.supervisor,
                        &x.shift,
                        &serde_json::to_string(&x.relatives)?,
                        &x.location,
                    ],
                )?;
                for acct in &x.accounts {
                    tx.execute(&a, &[acct, &x.id])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    pub(super) fn do_replace_patients(&mut self, patients: &[vigil_domain::Patient]) -> Result<()> {
        self.write(|c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM patients", &[])?;
            let sink = tx.copy_in(
                "COPY patients (mrn, name, address, date_of_death, vip, employee_id, location) FROM STDIN (FORMAT binary)",
            )?;
            let mut w = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::BOOL,
                    Type::TEXT,
                    Type::TEXT,
                ],
            );
            // Later rows win for a repeated MRN, as INSERT OR REPLACE does.
            let mut last: HashMap<&str, usize> = HashMap::new();
            for (i, p) in patients.iter().enumerate() {
                last.insert(p.mrn.as_str(), i);
            }
            for (i, p) in patients.iter().enumerate() {
                if last.get(p.mrn.as_str()) != Some(&i) {
                    continue;
                }
                w.write(&[
                    &p.mrn,
                    &p.name,
                    &p.address,
                    &p.date_of_death.map(|d| d.to_string()),
                    &p.vip,
                    &p.employee_id,
                    &p.location,
                ])?;
            }
            w.finish()?;
            tx.commit()?;
            Ok(())
        })
    }

    pub(super) fn do_people(&self) -> Result<Vec<vigil_domain::Person>> {
        self.read(|c| {
            let mut accounts: HashMap<String, Vec<String>> = HashMap::new();
            for r in c.query(
                "SELECT account, person_id FROM person_accounts ORDER BY account",
                &[],
            )? {
                accounts.entry(r.get(1)).or_default().push(r.get(0));
            }
            Ok(c.query(
                "SELECT id, name, department, status, terminated_on, address, supervisor, shift, relatives, location FROM people ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                let id: String = r.get(0);
                let relatives: String = r.get(8);
                vigil_domain::Person {
                    accounts: accounts.get(&id).cloned().unwrap_or_default(),
                    id,
                    name: r.get(1),
                    department: r.get(2),
                    status: r.get(3),
                    terminated_on: r.get::<_, Option<String>>(4).and_then(|d| d.parse().ok()),
                    address: r.get(5),
                    supervisor: r.get(6),
                    shift: r.get(7),
                    relatives: serde_json::from_str(&relatives).unwrap_or_default(),
                    location: r.get(9),
                }
            })
            .collect())
        })
    }

    pub(super) fn do_patients(&self) -> Result<Vec<vigil_domain::Patient>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT mrn, name, address, date_of_death, vip, employee_id, location FROM patients",
                &[],
            )?
            .iter()
            .map(|r| vigil_domain::Patient {
                mrn: r.get(0),
                name: r.get(1),
                address: r.get(2),
                date_of_death: r.get::<_, Option<String>>(3).and_then(|d| d.parse().ok()),
                vip: r.get(4),
                employee_id: r.get(5),
                location: r.get(6),
            })
            .collect())
        })
    }

    pub(super) fn do_seen(&self) -> Result<Vec<Seen>> {
        self.read(|c| {
            Ok(
                c.query("SELECT actor, what, value, first_at FROM seen", &[])?
                    .iter()
                    .map(|r| Seen {
                        actor: r.get(0),
                        what: r.get(1),
                        value: r.get(2),
                        first_at: from_micros(r.get(3)),
                    })
                    .collect(),
            )
        })
    }

    pub(super) fn do_add_seen(&mut self, rows: &[Seen]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let actors: Vec<&str> = rows.iter().map(|s| s.actor.as_str()).collect();
        let whats: Vec<&str> = rows.iter().map(|s| s.what.as_str()).collect();
        let values: Vec<&str> = rows.iter().map(|s| s.value.as_str()).collect();
        let firsts: Vec<i64> = rows.iter().map(|s| micros(s.first_at)).collect();
        self.write(|c| {
            c.execute(
                "INSERT INTO seen (actor, what, value, first_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING",
                &[&actors, &whats, &values, &firsts],
            )?;
            Ok(())
        })
    }
}
