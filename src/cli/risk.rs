//! `vigil risk add|list|update|accept|history`: the risk register. Every
//! change is a ledger entry; `list --as-of DATE` shows the register as it
//! stood then.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::ledger::Entity;
use vigil_review::Reviewer;
use vigil_review::risk::{self, RiskChange, RiskRow};

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Add a risk
    Add(ChangeArgs),
    /// The register, now or as it stood on a date
    List(ListArgs),
    /// Change a risk (only what is given changes)
    Update {
        id: i64,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Accept a risk's residual risk (recorded with your name and the date)
    Accept {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Every change to a risk, from the ledger
    History {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The register as it stood at the end of this day (UTC)
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// The asset or system at risk, e.g. "EHR database"
    #[arg(long)]
    pub asset: Option<String>,
    /// A configured source that holds its access records (repeatable)
    #[arg(long = "source")]
    pub sources: Vec<String>,
    #[arg(long)]
    pub threat: Option<String>,
    #[arg(long)]
    pub vulnerability: Option<String>,
    /// A name or number on the [risk] likelihood scale
    #[arg(long)]
    pub likelihood: Option<String>,
    /// A name or number on the [risk] impact scale
    #[arg(long)]
    pub impact: Option<String>,
    /// Likelihood after the safeguards
    #[arg(long)]
    pub residual_likelihood: Option<String>,
    /// Impact after the safeguards
    #[arg(long)]
    pub residual_impact: Option<String>,
    /// A safeguard in place (repeatable)
    #[arg(long = "safeguard")]
    pub safeguards: Vec<String>,
    /// A planned safeguard as "TEXT;OWNER;YYYY-MM-DD" (repeatable)
    #[arg(long = "planned")]
    pub planned: Vec<String>,
    /// mitigate, accept, transfer or avoid
    #[arg(long)]
    pub treatment: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// When it is to be assessed again
    #[arg(long)]
    pub next_review: Option<String>,
    /// You accept the residual risk
    #[arg(long)]
    pub accept: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

impl ChangeArgs {
    fn change(&self) -> Result<RiskChange, UsageError> {
        let planned = self
            .planned
            .iter()
            .map(|p| {
                let mut parts = p.splitn(3, ';').map(str::trim);
                let text_part = parts.next().unwrap_or_default().to_owned();
                let owner = parts.next().filter(|s| !s.is_empty()).map(String::from);
                let due = parts
                    .next()
                    .map(|d| super::parse_day("--planned due date", d))
                    .transpose()?;
                Ok((text_part, owner, due))
            })
            .collect::<Result<Vec<_>, UsageError>>()?;
        Ok(RiskChange {
            asset: self.asset.clone(),
            sources: (!self.sources.is_empty()).then(|| self.sources.clone()),
            threat: self.threat.clone(),
            vulnerability: self.vulnerability.clone(),
            likelihood: self.likelihood.clone(),
            impact: self.impact.clone(),
            residual_likelihood: self.residual_likelihood.clone(),
            residual_impact: self.residual_impact.clone(),
            safeguards: self.safeguards.clone(),
            planned,
            treatment: self.treatment.clone(),
            owner: self.owner.clone(),
            next_review: self
                .next_review
                .as_deref()
                .map(|d| super::parse_day("--next-review", d))
                .transpose()?,
            accept: self.accept,
        })
    }
}

const COLUMNS: &[&str] = &[
    "id",
    "asset",
    "sources",
    "threat",
    "likelihood",
    "impact",
    "inherent",
    "residual",
    "treatment",
    "accepted",
    "safeguards",
    "owner",
    "next_review",
];

/// Risks as a table (ratings worked out and named) or, in JSON and CSV's
/// object form, the record itself (sources and safeguards as arrays) with
/// each rating as its number, level and scale names.
fn print(format: super::Format, risks: &[vigil_store::Risk], scales: &risk::Scales) -> Result<()> {
    let mut l = Listing::stdout(format, COLUMNS);
    for r in risks {
        let row: RiskRow = risk::row(r, scales);
        let mut json = serde_json::to_value(r)?;
        json["likelihood_name"] = scales.name("likelihood", r.likelihood).into();
        json["impact_name"] = scales.name("impact", r.impact).into();
        json["inherent"] = serde_json::json!({
            "rating": r.inherent(),
            "level": scales.level(r.inherent()),
        });
        json["residual"] = match r.residual() {
            Some(v) => serde_json::json!({ "rating": v, "level": scales.level(v) }),
            None => serde_json::Value::Null,
        };
        l.row(
            &json,
            vec![
                text(row.id.to_string()),
                row.asset.clone(),
                row.sources.clone(),
                row.threat.clone(),
                text(&row.likelihood),
                text(&row.impact),
                text(&row.inherent),
                text(&row.residual),
                text(&row.treatment),
                text(&row.accepted),
                text(&row.safeguards),
                row.owner.clone(),
                text(&row.next_review),
            ],
        )?;
    }
    l.finish()?;
    Ok(())
}

pub fn run(ctx: &Context, c: &RiskCommand) -> Result<ExitCode> {
    let who = Reviewer::current();
    let scales = &ctx.config.risk_scales;
    let now = Utc::now();
    match c {
        RiskCommand::Add(a) => {
            let mut store = ctx.open_store()?;
            let r = risk::add(store.as_mut(), scales, &who, now, &a.change()?)?;
            print(a.format.format, &[r], scales)?;
        }
        RiskCommand::Update { id, change } => {
            let mut store = ctx.open_store()?;
            let r = risk::update(store.as_mut(), scales, &who, now, *id, &change.change()?)?;
            print(change.format.format, &[r], scales)?;
        }
        RiskCommand::Accept { id, format } => {
            let mut store = ctx.open_store()?;
            let change = RiskChange {
                accept: true,
                ..RiskChange::default()
            };
            let r = risk::update(store.as_mut(), scales, &who, now, *id, &change)?;
            print(format.format, &[r], scales)?;
        }
        RiskCommand::List(a) => {
            let store = ctx.open_store()?;
            let list = match &a.as_of {
                Some(d) => risk::as_of(store.as_ref(), super::parse_day("--as-of", d)?)?,
                None => store.risks()?,
            };
            print(a.format.format, &list, scales)?;
        }
        RiskCommand::History { id, format } => {
            let store = ctx.open_store()?;
            let mut l = Listing::stdout(format.format, &["seq", "at", "actor", "action", "entry"]);
            for e in store.ledger_for(&Entity::Risk(*id).to_string())? {
                l.row(
                    &super::output::entry_json(&e),
                    vec![
                        text(e.seq.to_string()),
                        text(&e.at),
                        text(&e.actor),
                        text(&e.action),
                        text(&e.payload),
                    ],
                )?;
            }
            l.finish()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
