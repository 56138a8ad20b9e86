//! One `[[source]]` table: its checks, each naming the fix, and its paths
//! resolved against the config's folder.

use super::*;

/// One `[[source]]`, checked and resolved against `base`; `earlier` are the
/// sources before it. The error is the fix, for the source's line.
pub(super) fn source(
    s: &RawSource,
    base: &Path,
    line: Option<usize>,
    earlier: &[SourceConfig],
) -> Result<SourceConfig, String> {
    if !is_name(&s.name) {
        return Err(format!(
            "source name {:?} must be letters, digits, '-', '_' or '.', such as \"bastion-auth\"",
            SafeText::new(&s.name).as_str()
        ));
    }
    if earlier.iter().any(|o| o.name == s.name) {
        return Err(format!(
            "a second source is named {:?}; give each [[source]] its own name",
            s.name
        ));
    }
    if s.kind.is_file() {
        for (key, set) in [
            ("url", s.url.is_some()),
            ("query", s.query.is_some()),
            ("user_env", s.user_env.is_some()),
            ("token_env", s.token_env.is_some()),
            ("token_file", s.token_file.is_some()),
        ] {
            if set {
                return Err(format!(
                    "source {:?} is of kind {} which reads files: remove `{key}`",
                    s.name, s.kind
                ));
            }
        }
    }
    let url = s.url.clone().or_else(|| match s.kind {
        SourceKind::Github => Some("https://api.github.com".into()),
        SourceKind::PagerDuty => Some("https://api.pagerduty.com".into()),
        _ => None,
    });
    if let Some(o) = &s.smart {
        let problem = if s.kind != SourceKind::Fhir {
            Some(format!(
                "is of kind {}: remove [source.smart], which only the fhir kind uses",
                s.kind
            ))
        } else if s.token_env.is_some() || s.token_file.is_some() {
            Some("has both a static token and [source.smart]: keep one".into())
        } else {
            o.problem()
        };
        if let Some(p) = problem {
            return Err(format!("source {:?} {p}", s.name));
        }
    }
    if let Some(problem) = tracker_problem(s) {
        return Err(format!("source {:?}: {problem}", s.name));
    }
    if let Some(problem) = url
        .as_deref()
        .and_then(vigil_sources::http::cleartext_problem)
    {
        return Err(format!("source {:?}: {problem}", s.name));
    }
    if !s.kind.is_file() && url.as_deref().is_none_or(|u| !u.starts_with("http")) {
        return Err(format!(
            "source {:?} of kind {} reads an API: give its base, e.g. url = \"https://fhir.example.org/baseR4\"",
            s.name, s.kind
        ));
    }
    let command = match &s.command {
        Some(c) if s.kind != SourceKind::JournaldJson => {
            let _ = c;
            return Err(format!(
                "source {:?} is of kind {}: remove `command`, which only journald-json uses",
                s.name, s.kind
            ));
        }
        Some(c) if c.is_empty() || c[0].is_empty() => {
            return Err(format!(
                "source {:?}: command is empty; use e.g. command = [\"journalctl\", \"-o\", \"json\", \"-u\", \"ssh.service\"]",
                s.name
            ));
        }
        Some(c) if s.path.is_some() => {
            let _ = c;
            return Err(format!(
                "source {:?} has both path and command: keep one (a file to read, or journalctl to run)",
                s.name
            ));
        }
        other => other.clone(),
    };
    if s.kind != SourceKind::Pgaudit
        && (s.log_line_prefix.is_some() || s.zone_abbreviations.is_some())
    {
        return Err(format!(
            "source {:?} is of kind {}: remove log_line_prefix and zone_abbreviations, which only pgaudit uses",
            s.name, s.kind
        ));
    }
    let mut zone_abbreviations = std::collections::BTreeMap::new();
    for (abbr, off) in s.zone_abbreviations.iter().flatten() {
        let Some(secs) = parse_offset(off) else {
            return Err(format!(
                "source {:?}: zone abbreviation {abbr} = {off:?} is not an offset; write it as \"+01:00\" or \"-05:00\"",
                s.name
            ));
        };
        zone_abbreviations.insert(abbr.clone(), secs);
    }
    let path = match &s.path {
        Some(p) if !p.is_empty() => {
            let pb = Path::new(p);
            Some(if pb.is_absolute() {
                p.clone()
            } else {
                base.join(pb).to_string_lossy().into_owned()
            })
        }
        _ if s.kind.is_file() && command.is_none() => {
            return Err(format!(
                "source {:?} (kind {}) needs a path, such as path = \"/var/log/auth.log*\"",
                s.name, s.kind
            ));
        }
        _ => None,
    };
    let (columns, context_columns) = match (s.kind, &s.columns) {
        (SourceKind::AccessCsv, None) => {
            return Err(format!(
                "source {:?} (kind access-csv) needs a [source.columns] table naming its columns, e.g. actor = \"User ID\", subject = \"MRN\", occurred_at = \"Access Time\"",
                s.name
            ));
        }
        (SourceKind::AdtCsv, None) => {
            return Err(format!(
                "source {:?} (kind adt-csv) needs a [source.columns] table naming its columns, e.g. patient = \"MRN\", start = \"Admit Time\", end = \"Discharge Time\", department = \"Unit\", team = \"Care Team\"",
                s.name
            ));
        }
        (SourceKind::AccessCsv, Some(t)) => (
            Some(
                vigil_sources::access_csv::CsvColumns::deserialize(toml::Value::Table(t.clone()))
                    .map_err(|e| format!("source {:?}: [source.columns]: {}", s.name, e.message()))?,
            ),
            None,
        ),
        (SourceKind::AdtCsv, Some(t)) => (
            None,
            Some(
                vigil_sources::context::ContextColumns::deserialize(toml::Value::Table(t.clone()))
                    .map_err(|e| format!("source {:?}: [source.columns]: {} (adt-csv takes patient, start, end, department, team, encounter, type, time_format)", s.name, e.message()))?,
            ),
        ),
        (k, Some(_)) => {
            return Err(format!(
                "source {:?} is of kind {k}: remove [source.columns], which only access-csv and adt-csv use",
                s.name
            ));
        }
        _ => (None, None),
    };
    if let Some(p) = &path
        && let Err(e) = glob::Pattern::new(p)
    {
        return Err(format!("path {p:?} is not a valid glob: {e}"));
    }
    Ok(SourceConfig {
        name: s.name.clone(),
        kind: s.kind,
        path,
        timezone: s.timezone,
        cadence: s.cadence.unwrap_or(Cadence::Daily),
        cadence_reason: match (&s.cadence, &s.cadence_reason) {
            (None, Some(_)) => {
                return Err("cadence_reason explains a cadence override: add cadence = \"weekly\" (say), or remove cadence_reason".into(),
                        );
            }
            (_, Some(r)) if r.trim().is_empty() => {
                return Err(
                    "cadence_reason is empty: say why this source is reviewed on its own cadence"
                        .into(),
                );
            }
            (_, r) => r.clone(),
        },
        risk: s.risk,
        interval: s.interval.unwrap_or(Duration::from_secs(60)),
        columns,
        context_columns,
        log_line_prefix: s.log_line_prefix.clone(),
        zone_abbreviations,
        command,
        url,
        query: s.query.clone(),
        resources: match &s.resources {
            None => vec!["AuditEvent".into()],
            Some(_) if s.kind != SourceKind::Fhir => {
                return Err(format!(
                    "source {:?} is of kind {}: remove resources, which only the fhir kind uses",
                    s.name, s.kind
                ));
            }
            Some(list) => {
                if list.is_empty() {
                    return Err(format!(
                        "source {:?}: resources is empty; name at least one of {}",
                        s.name,
                        crate::fhir_server::RESOURCES.join(", ")
                    ));
                }
                for r in list {
                    if !crate::fhir_server::RESOURCES.contains(&r.as_str()) {
                        return Err(format!(
                            "source {:?}: resource {r:?} is not one vigil reads; use {}",
                            s.name,
                            crate::fhir_server::RESOURCES.join(", ")
                        ));
                    }
                }
                list.clone()
            }
        },
        user_env: s.user_env.clone(),
        token_env: s.token_env.clone(),
        token_file: s.token_file.as_ref().map(|f| base.join(f)),
        tracker: s.tracker.clone().unwrap_or_default(),
        smart: s.smart.clone().map(|mut o| {
            o.key_file = base.join(&o.key_file);
            o
        }),
        line,
    })
}
