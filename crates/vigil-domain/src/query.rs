//! The filter language shared by the TUI's `/` and every `--filter`:
//! text -> terms -> parameterized SQL over an allow-list of columns.
//!
//! `actor:jsmith -outcome:success severity>=high after:2026-11-01 "sudo su"`:
//! space-separated terms that must all hold. A value with `*` matches as a
//! wildcard; bare words and quoted text match anywhere in the record. No user
//! text is ever spliced into SQL: every value becomes a bound parameter.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::{Disposition, ItemKind, Outcome, SafeText, Severity, Status};

/// The filter language in a few lines, for `--help` and the screen's help:
/// an example of each form, then what it means.
pub const SYNTAX: &str = "\
Filter: space-separated terms that must all hold
  actor:jsmith         a field is a value; value* matches as a wildcard
  -outcome:success     a field is not a value
  severity>=high       items at or above a severity (low medium high critical)
  after:2026-11-01     on or after a day or instant; before: the same
  sudo \"sudo su\"       words or quoted text anywhere in the raw record
  event fields         actor subject source host action outcome kind client
                       program rule
  item fields          actor subject source rule status disposition kind
                       claimed severity
  rule: and source: must name a rule or source there is (or use a *)";

/// What a query runs over: the columns it may name differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Events,
    Items,
}

/// Placeholder and case-folding style of the store's SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// SQL for now in microseconds since the epoch (claims lapse by it).
    pub fn now_us(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST(unixepoch('subsec') * 1000000 AS INTEGER)",
            Dialect::Postgres => "CAST(extract(epoch from clock_timestamp()) * 1000000 AS BIGINT)",
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// A compiled filter: a boolean SQL expression and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SqlFilter {
    pub clause: String,
    pub params: Vec<Param>,
}

/// A query that could not be understood, with what to type instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

#[derive(Debug, Clone, PartialEq)]
enum TermKind {
    Field {
        field: String,
        cmp: Cmp,
        value: String,
    },
    After(DateTime<Utc>),
    Before(DateTime<Utc>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    negated: bool,
    kind: TermKind,
}

/// The most terms a filter may have.
pub const MAX_TERMS: usize = 200;
/// The longest a filter term may be.
pub const MAX_TERM_CHARS: usize = 1000;

/// A parsed query, ready to compile for a target and dialect.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    terms: Vec<Term>,
    /// Items: also show open items a suppression in force hides.
    pub show_suppressed: bool,
}

pub const EVENT_FIELDS: &[&str] = &[
    "actor", "subject", "source", "host", "action", "outcome", "kind", "client", "program", "rule",
];
pub const ITEM_FIELDS: &[&str] = &[
    "actor",
    "subject",
    "source",
    "rule",
    "status",
    "disposition",
    "kind",
    "severity",
    "claimed",
];

impl Query {
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let tokens = tokenize(text)?;
        // The databases' own limits (expression depth, LIKE pattern length)
        // would otherwise answer in their words, at run time.
        if tokens.len() > MAX_TERMS {
            return Err(QueryError(format!(
                "the filter has {} terms; at most {MAX_TERMS} are allowed: narrow it (a time range, a source) instead of listing values",
                tokens.len()
            )));
        }
        if let Some(t) = tokens.iter().find(|t| t.chars().count() > MAX_TERM_CHARS) {
            return Err(QueryError(format!(
                "a filter term is {} characters long; at most {MAX_TERM_CHARS} are allowed",
                t.chars().count()
            )));
        }
        let mut terms = Vec::new();
        for token in tokens {
            terms.push(parse_term(&token)?);
        }
        Ok(Query {
            terms,
            show_suppressed: false,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The values a filter gives a field (`rule:x`, `-rule:y`…), to check
    /// them against the names that exist.
    /// The first value of `field` that names none of `known` (a pattern
    /// with `*` always passes), said as a user can act on it: a typo in a
    /// name would otherwise match nothing, silently.
    pub fn unknown_name(&self, field: &str, known: &[String]) -> Option<String> {
        self.values_of(field)
            .into_iter()
            .find(|v| !v.contains('*') && !known.iter().any(|k| k == v))
            .map(|v| {
                format!(
                    "no {field} {:?}; known: {}",
                    crate::SafeText::new(v).as_str(),
                    known.join(", ")
                )
            })
    }

    pub fn values_of(&self, field: &str) -> Vec<&str> {
        self.terms
            .iter()
            .filter_map(|t| match &t.kind {
                TermKind::Field {
                    field: f, value, ..
                } if f == field => Some(value.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Adds `field:value` (built in code: no quoting, no parsing).
    pub fn field(mut self, field: &str, value: &str) -> Query {
        self.terms.push(Term {
            negated: false,
            kind: TermKind::Field {
                field: field.to_owned(),
                cmp: Cmp::Eq,
                value: value.to_owned(),
            },
        });
        self
    }

    /// Adds `after:t` (inclusive).
    pub fn after(mut self, t: DateTime<Utc>) -> Query {
        self.terms.push(Term {
            negated: false,
            kind: TermKind::After(t),
        });
        self
    }

    /// Adds `before:t` (exclusive).
    pub fn before(mut self, t: DateTime<Utc>) -> Query {
        self.terms.push(Term {
            negated: false,
            kind: TermKind::Before(t),
        });
        self
    }

    /// Compiles to SQL; placeholders are numbered from `first_param` on.
    pub fn to_sql(
        &self,
        target: Target,
        dialect: Dialect,
        first_param: usize,
    ) -> Result<SqlFilter, QueryError> {
        let mut c = Compiler {
            dialect,
            out: SqlFilter::default(),
            next: first_param,
        };
        let mut parts = Vec::new();
        for t in &self.terms {
            let expr = c.term(target, &t.kind)?;
            parts.push(if t.negated {
                format!("NOT COALESCE(({expr}), FALSE)")
            } else {
                format!("({expr})")
            });
        }
        if target == Target::Items && !self.show_suppressed {
            parts.push(format!(
                "NOT (i.status IN ('new', 'reopened') AND EXISTS (SELECT 1 FROM suppressions su WHERE su.until > {now} AND su.actor = i.actor AND (su.subject IS NULL OR su.subject = i.subject) AND (su.rule IS NULL OR EXISTS (SELECT 1 FROM item_rules sr WHERE sr.item_id = i.id AND sr.rule = su.rule))))",
                now = c.now_sql()
            ));
        }
        c.out.clause = if parts.is_empty() {
            "TRUE".to_owned()
        } else {
            parts.join(" AND ")
        };
        Ok(c.out)
    }
}

/// Splits on spaces, keeping `"quoted text"` (also as `field:"a value"`) whole.
fn tokenize(text: &str) -> Result<Vec<String>, QueryError> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                quoted = true;
            }
            c if c.is_whitespace() && !in_quote => {
                if !cur.is_empty() || quoted {
                    tokens.push(std::mem::take(&mut cur));
                }
                quoted = false;
            }
            c => cur.push(c),
        }
    }
    if in_quote {
        return Err(QueryError(
            "a quote is not closed: add the closing \"".to_owned(),
        ));
    }
    if !cur.is_empty() || quoted {
        tokens.push(cur);
    }
    Ok(tokens)
}

fn parse_term(token: &str) -> Result<Term, QueryError> {
    let (negated, body) = match token.strip_prefix('-') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, token),
    };
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
    ] {
        if let Some((field, value)) = body.split_once(op)
            && is_field_name(field)
        {
            return Ok(Term {
                negated,
                kind: TermKind::Field {
                    field: field.to_owned(),
                    cmp,
                    value: value.to_owned(),
                },
            });
        }
    }
    if let Some((field, value)) = body.split_once(':')
        && is_field_name(field)
    {
        let kind = match field {
            "after" => TermKind::After(parse_date(value)?),
            "before" => TermKind::Before(parse_date(value)?),
            _ => TermKind::Field {
                field: field.to_owned(),
                cmp: Cmp::Eq,
                value: value.to_owned(),
            },
        };
        return Ok(Term { negated, kind });
    }
    Ok(Term {
        negated,
        kind: TermKind::Text(body.to_owned()),
    })
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// `2026-11-01` (midnight UTC) or a full RFC 3339 instant.
fn parse_date(value: &str) -> Result<DateTime<Utc>, QueryError> {
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            QueryError(format!(
                "{:?} is not a date: write 2026-11-01 or 2026-11-01T13:00:00Z",
                SafeText::new(value).as_str()
            ))
        })
}

struct Compiler {
    dialect: Dialect,
    out: SqlFilter,
    next: usize,
}

impl Compiler {
    fn bind(&mut self, p: Param) -> String {
        self.out.params.push(p);
        let n = self.next;
        self.next += 1;
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    fn like(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// `col = ?`, or a LIKE when the value holds a `*` wildcard.
    fn text_match(&mut self, col: &str, value: &str) -> String {
        if value.contains('*') {
            let pattern = escape_like(value).replace('*', "%");
            let like = self.like();
            let p = self.bind(Param::Text(pattern));
            format!("{col} {like} {p} ESCAPE '\\'")
        } else {
            let p = self.bind(Param::Text(value.to_owned()));
            format!("{col} = {p}")
        }
    }

    fn contains(&mut self, col: &str, value: &str) -> String {
        let like = self.like();
        let p = self.bind(Param::Text(format!("%{}%", escape_like(value))));
        format!("{col} {like} {p} ESCAPE '\\'")
    }

    /// Now, in microseconds, as the store's SQL computes it.
    fn now_sql(&self) -> &'static str {
        self.dialect.now_us()
    }

    /// `claimed` is not stored: it is an open item whose lease still runs.
    fn status(&mut self, value: &str) -> String {
        let claim = format!(
            "(i.claimed_by IS NOT NULL AND i.claim_expires > {})",
            self.now_sql()
        );
        match value {
            "claimed" => format!("i.status IN ('new', 'reopened') AND {claim}"),
            "new" | "reopened" => {
                let p = self.bind(Param::Text(value.to_owned()));
                format!("i.status = {p} AND NOT COALESCE({claim}, FALSE)")
            }
            _ => self.text_match("i.status", value),
        }
    }

    fn time_col(target: Target) -> &'static str {
        match target {
            Target::Events => "e.occurred_at",
            Target::Items => "i.occurred_at",
        }
    }

    fn term(&mut self, target: Target, kind: &TermKind) -> Result<String, QueryError> {
        match kind {
            TermKind::After(t) => {
                let p = self.bind(Param::Int(t.timestamp_micros()));
                Ok(format!("{} >= {p}", Self::time_col(target)))
            }
            TermKind::Before(t) => {
                let p = self.bind(Param::Int(t.timestamp_micros()));
                Ok(format!("{} < {p}", Self::time_col(target)))
            }
            TermKind::Text(text) => Ok(match target {
                Target::Events => match self.dialect {
                    Dialect::Sqlite => self.contains("CAST(e.raw AS TEXT)", text),
                    // Raw bytes may hold NUL or invalid UTF-8, which no
                    // PostgreSQL text can: both sides are compared in
                    // bytea's escape form, ASCII case-insensitively, as
                    // SQLite's LIKE does.
                    Dialect::Postgres => {
                        let p = self.bind(Param::Text(text.to_owned()));
                        format!(
                            "encode(e.raw, 'escape') ILIKE '%' || replace(replace(replace(encode(convert_to({p}, 'UTF8'), 'escape'), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
                        )
                    }
                },
                Target::Items => {
                    let a = self.contains("i.title", text);
                    let b = self.contains("i.actor", text);
                    let c = self.contains("i.subject", text);
                    let d = self.contains("r.reason", text);
                    format!(
                        "{a} OR {b} OR {c} OR EXISTS (SELECT 1 FROM item_rules r WHERE r.item_id = i.id AND {d})"
                    )
                }
            }),
            TermKind::Field { field, cmp, value } => self.field(target, field, *cmp, value),
        }
    }

    fn field(
        &mut self,
        target: Target,
        field: &str,
        cmp: Cmp,
        value: &str,
    ) -> Result<String, QueryError> {
        if field == "severity" && target == Target::Items {
            let sev: Severity = value.parse().map_err(|e| QueryError(format!("{e}")))?;
            let op = match cmp {
                Cmp::Eq => "=",
                Cmp::Ge => ">=",
                Cmp::Gt => ">",
                Cmp::Le => "<=",
                Cmp::Lt => "<",
            };
            let p = self.bind(Param::Int(sev.rank()));
            return Ok(format!("i.severity {op} {p}"));
        }
        if cmp != Cmp::Eq {
            return Err(QueryError(format!(
                "only severity can be compared with < or >; write {field}:VALUE"
            )));
        }
        if value.is_empty() {
            return Err(QueryError(format!(
                "{field}: needs a value, as in {field}:something"
            )));
        }
        let unknown = |allowed: &[&str]| {
            QueryError(format!(
                "unknown field {:?}; use one of: {}, after, before",
                SafeText::new(field).as_str(),
                allowed.join(", ")
            ))
        };
        match target {
            Target::Events => {
                let col = match field {
                    "actor" => {
                        // through the by-actor index table, not a scan
                        let m = self.text_match("an.name", value);
                        return Ok(match self.dialect {
                            Dialect::Sqlite => format!(
                                "e.id IN (SELECT j.value FROM actor_runs ar JOIN actors an ON an.id = ar.actor_id, json_each(ar.ids) j WHERE {m})"
                            ),
                            // With the time as well, each event is looked
                            // up in its own day's partition, not in all.
                            Dialect::Postgres => format!(
                                "(e.id, e.occurred_at) IN (SELECT ae.event_id, ae.occurred_at FROM actor_events ae JOIN actors an ON an.id = ae.actor_id WHERE {m})"
                            ),
                        });
                    }
                    "subject" => "e.subject",
                    "host" => "e.host",
                    "action" => "e.action",
                    "client" => "e.client",
                    "program" => "e.program",
                    "source" => "s.name",
                    "kind" => "s.kind",
                    "outcome" => {
                        check_vocab::<Outcome>(value)?;
                        "e.outcome"
                    }
                    "rule" => {
                        let m = self.text_match("r.rule", value);
                        // From the rules' items to their events: no index
                        // from events back to items is kept (it would cost
                        // every ingest a second b-tree insert per link).
                        return Ok(format!(
                            "e.id IN (SELECT ie.event_id FROM item_rules r JOIN item_events ie ON ie.item_id = r.item_id WHERE {m})"
                        ));
                    }
                    _ => return Err(unknown(EVENT_FIELDS)),
                };
                Ok(self.text_match(col, value))
            }
            Target::Items => {
                let col = match field {
                    "actor" => "i.actor",
                    "subject" => "i.subject",
                    "source" => "s.name",
                    "claimed" => "i.claimed_by",
                    "status" => {
                        check_vocab::<Status>(value)?;
                        return Ok(self.status(value));
                    }
                    "disposition" => {
                        check_vocab::<Disposition>(value)?;
                        "i.disposition"
                    }
                    "kind" => {
                        check_vocab::<ItemKind>(value)?;
                        "i.kind"
                    }
                    "rule" => {
                        let m = self.text_match("r.rule", value);
                        return Ok(format!(
                            "EXISTS (SELECT 1 FROM item_rules r WHERE r.item_id = i.id AND {m})"
                        ));
                    }
                    _ => return Err(unknown(ITEM_FIELDS)),
                };
                Ok(self.text_match(col, value))
            }
        }
    }
}

/// A closed vocabulary value must be spelled right; a wildcard is allowed.
fn check_vocab<T>(value: &str) -> Result<(), QueryError>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    if value.contains('*') {
        return Ok(());
    }
    value
        .parse::<T>()
        .map(|_| ())
        .map_err(|e| QueryError(e.to_string()))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    /// The help's field lists are the fields the language takes: a field
    /// the help names works, so the help cannot drift from the code.
    #[test]
    fn the_syntax_help_names_only_fields_there_are() {
        use super::*;
        let list = |head: &str| -> Vec<String> {
            let mut out = Vec::new();
            let mut on = false;
            for l in SYNTAX.lines() {
                let l = l.trim();
                if let Some(rest) = l.strip_prefix(head) {
                    on = true;
                    out.extend(rest.split_whitespace().map(str::to_owned));
                } else if on && !l.contains(':') && !l.contains("fields") {
                    out.extend(l.split_whitespace().map(str::to_owned));
                } else {
                    on = false;
                }
            }
            out
        };
        for (head, target) in [
            ("event fields", Target::Events),
            ("item fields", Target::Items),
        ] {
            let fields = list(head);
            assert!(fields.len() >= 8, "{head}: {fields:?}");
            for f in fields {
                let term = if f == "severity" {
                    "severity>=high".to_owned()
                } else {
                    format!("{f}:x")
                };
                let sql = Query::parse(&term).and_then(|q| q.to_sql(target, Dialect::Sqlite, 1));
                // (a field may refuse the value x; it must know the field)
                let known = sql
                    .as_ref()
                    .map_or_else(|e| !e.to_string().contains("unknown field"), |_| true);
                assert!(
                    known,
                    "{head} names {f}, which the language does not know: {sql:?}"
                );
            }
        }
    }

    use super::*;

    fn sql(q: &str, target: Target) -> SqlFilter {
        Query::parse(q)
            .unwrap()
            .to_sql(target, Dialect::Sqlite, 1)
            .unwrap()
    }

    #[test]
    fn fields_compile_to_bound_parameters() {
        let f = sql("actor:jsmith -outcome:success", Target::Events);
        assert_eq!(
            f.clause,
            "(e.id IN (SELECT j.value FROM actor_runs ar JOIN actors an ON an.id = ar.actor_id, json_each(ar.ids) j WHERE an.name = ?1)) AND NOT COALESCE((e.outcome = ?2), FALSE)"
        );
        assert_eq!(
            f.params,
            vec![Param::Text("jsmith".into()), Param::Text("success".into())]
        );
    }

    #[test]
    fn hostile_values_never_reach_the_sql_text() {
        let f = sql(
            r#"actor:"x' OR 1=1; DROP TABLE events; --" "50%_off""#,
            Target::Events,
        );
        assert!(!f.clause.contains("DROP"), "{}", f.clause);
        assert!(!f.clause.contains('\''.to_string().repeat(2).as_str()));
        assert_eq!(
            f.params[0],
            Param::Text("x' OR 1=1; DROP TABLE events; --".into())
        );
        assert_eq!(f.params[1], Param::Text("%50\\%\\_off%".into()));
    }

    #[test]
    fn severity_compares_ranks_and_dates_bound_instants() {
        let f = sql("severity>=high after:2026-11-01", Target::Items);
        assert!(
            f.clause
                .starts_with("(i.severity >= ?1) AND (i.occurred_at >= ?2) AND NOT (i.status IN"),
            "{}",
            f.clause
        );
        assert_eq!(f.params[0], Param::Int(Severity::High.rank()));
        assert_eq!(
            f.params[1],
            Param::Int(
                DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
                    .unwrap()
                    .timestamp_micros()
            )
        );
    }

    #[test]
    fn wildcards_and_postgres_placeholders() {
        let f = Query::parse("host:js* source:auth")
            .unwrap()
            .to_sql(Target::Events, Dialect::Postgres, 3)
            .unwrap();
        assert_eq!(f.clause, "(e.host ILIKE $3 ESCAPE '\\') AND (s.name = $4)");
        assert_eq!(f.params[0], Param::Text("js%".into()));
    }

    #[test]
    fn bad_queries_say_what_to_do() {
        let e = |q: &str, t| {
            Query::parse(q)
                .and_then(|q| q.to_sql(t, Dialect::Sqlite, 1))
                .unwrap_err()
                .0
        };
        assert!(e("colour:red", Target::Events).contains("use one of: actor"));
        assert!(e("severity>=urgent", Target::Items).contains("low, medium, high, critical"));
        assert!(e("status:open", Target::Items).contains("new, claimed"));
        assert!(e("after:yesterday", Target::Events).contains("2026-11-01"));
        assert!(e("\"unclosed", Target::Events).contains("quote"));
        assert!(e("actor>=x", Target::Events).contains("only severity"));
    }

    #[test]
    fn empty_query_matches_everything() {
        assert_eq!(sql("  ", Target::Events).clause, "TRUE");
    }
}
