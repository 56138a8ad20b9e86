//! The roles of a shared PostgreSQL store, as SQL an administrator runs once
//! (`vigil store grants`): an application role that is neither owner nor
//! superuser, one login role per reviewer, and a role whose members may see
//! and record sanctions (row-level security). The ledger and decisions are
//! INSERT-only for everyone; nothing is ever deleted through these roles.

use color_eyre::eyre::{Result, bail};

/// Who gets which role.
#[derive(Debug, Clone)]
pub struct Roles {
    /// The schema the store's tables are in (`public` unless set).
    pub schema: String,
    /// Pulls, ingests and runs the rules.
    pub app: String,
    /// One login role per reviewer, members of `<app>_reviewers`.
    pub reviewers: Vec<String>,
    /// Members may see and record sanctions.
    pub sanctions: String,
    /// Reviewers who are also members of the sanctions role.
    pub sanction_viewers: Vec<String>,
}

fn ident(s: &str) -> Result<String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("{s:?} is not a plain role or schema name: use lower-case letters, digits and _");
    }
    Ok(format!("\"{s}\""))
}

/// Tables the rules and ingest write (and reviewers only read).
const INGEST_TABLES: &str = "sources, streams, gaps, actors, events, actor_runs, quarantine, items, item_rules, item_events, seen, meta, context, explanations, patient_events, event_days";
/// Tables replaced whole when the roster or demographics are loaded.
const PEOPLE_TABLES: &str = "people, person_accounts, patients";
/// Review records: written by INSERT only.
const APPEND_ONLY: &str = "ledger, decisions, incident_notes, incident_items, incident_events";

/// The SQL, to be run as the store's owner after `vigil store migrate`.
pub fn grants_sql(r: &Roles) -> Result<String> {
    let schema = ident(&r.schema)?;
    let app = ident(&r.app)?;
    let reviewers_group = ident(&format!("{}_reviewers", r.app))?;
    let sanctions = ident(&r.sanctions)?;
    let mut sql = String::new();
    let mut line = |s: String| {
        sql.push_str(&s);
        sql.push('\n');
    };
    line(format!(
        "-- vigil store roles for schema {schema}: run as the owner of the store's tables"
    ));
    line("-- (the role that ran `vigil store migrate`). Passwords are set apart,".into());
    line("-- e.g. \\password in psql, never in this file.".into());
    for (role, login) in [(&app, true), (&reviewers_group, false), (&sanctions, false)] {
        let raw = role.trim_matches('"');
        line(format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{raw}') THEN CREATE ROLE {role} {}; END IF; END $$;",
            if login { "LOGIN" } else { "NOLOGIN" }
        ));
    }
    for rv in &r.reviewers {
        let role = ident(rv)?;
        line(format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{rv}') THEN CREATE ROLE {role} LOGIN; END IF; END $$;"
        ));
        line(format!("GRANT {reviewers_group} TO {role};"));
    }
    for rv in &r.sanction_viewers {
        line(format!("GRANT {sanctions} TO {};", ident(rv)?));
    }
    line(format!(
        "GRANT USAGE ON SCHEMA {schema} TO {app}, {reviewers_group};"
    ));
    line(format!("SET search_path TO {schema};"));
    // Everyone reads the store; nobody but the owner deletes from it.
    line(format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {app}, {reviewers_group};"
    ));
    line(format!(
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {app}, {reviewers_group};"
    ));
    line(format!("GRANT INSERT, UPDATE ON {INGEST_TABLES} TO {app};"));
    line(format!(
        "GRANT INSERT, UPDATE, DELETE ON {PEOPLE_TABLES} TO {app};"
    ));
    // Ingest makes the day partitions it needs through a function that
    // runs as the owner; nobody else may call it.
    line("REVOKE EXECUTE ON FUNCTION vigil_add_day(bigint) FROM PUBLIC;".into());
    line(format!(
        "GRANT EXECUTE ON FUNCTION vigil_add_day(bigint) TO {app};"
    ));
    line(format!(
        "GRANT INSERT ON {APPEND_ONLY}, suppressions TO {app}, {reviewers_group};"
    ));
    // Review acts change an item's state and an incident's; claims are
    // updates too. The history of each is in the append-only tables.
    line(format!(
        "GRANT UPDATE ON items, incidents TO {reviewers_group};"
    ));
    line(format!(
        "GRANT INSERT ON incidents, sanctions TO {reviewers_group};"
    ));
    line(format!(
        "REVOKE UPDATE, DELETE, TRUNCATE ON {APPEND_ONLY}, sanctions FROM {app}, {reviewers_group};"
    ));
    // Sanctions are personnel records: only the sanctions role sees them.
    line("ALTER TABLE sanctions ENABLE ROW LEVEL SECURITY;".into());
    line("DROP POLICY IF EXISTS sanctions_read ON sanctions;".into());
    line("DROP POLICY IF EXISTS sanctions_record ON sanctions;".into());
    line(format!(
        "CREATE POLICY sanctions_read ON sanctions FOR SELECT USING (pg_has_role(current_user, '{}', 'MEMBER'));",
        r.sanctions
    ));
    line(format!(
        "CREATE POLICY sanctions_record ON sanctions FOR INSERT WITH CHECK (pg_has_role(current_user, '{}', 'MEMBER'));",
        r.sanctions
    ));
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_they_reach_sql() {
        let mut r = Roles {
            schema: "public".into(),
            app: "vigil_app".into(),
            reviewers: vec!["alice".into()],
            sanctions: "vigil_hr".into(),
            sanction_viewers: vec![],
        };
        let sql = grants_sql(&r).unwrap();
        assert!(sql.contains("GRANT \"vigil_app_reviewers\" TO \"alice\";"));
        assert!(sql.contains("ENABLE ROW LEVEL SECURITY"));
        r.reviewers.push("bob\"; DROP TABLE ledger; --".into());
        assert!(grants_sql(&r).is_err());
    }
}
