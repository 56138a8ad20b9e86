//! The `cloudtrail` kind: AWS CloudTrail events in each delivery shape
//! (ARCHITECTURE.md, "Formats"): S3 log files `{"Records":[…]}` (gzip read whole), one
//! event per document or per line (CloudWatch Logs, Lake exports), an
//! EventBridge wrapper (`detail`), and `LookupEvents` pages whose events are
//! JSON strings. Actor from `userIdentity`, action from `eventName`, outcome
//! from `errorCode` (and `ConsoleLogin`'s own result), client from
//! `sourceIPAddress`. A console sign-in becomes a `login` so the login rules
//! see it; its event name stays in the detail.

use chrono::{DateTime, Utc};
use serde_json::Value;
use serde_json::value::RawValue;

use super::Reject;
use super::json_frame::JsonKind;
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis};

/// `requestParameters` keys that name what an API call acted on.
const TARGET_KEYS: &[&str] = &[
    "userName",
    "roleName",
    "groupName",
    "policyArn",
    "policyName",
    "bucketName",
    "keyId",
    "name",
    "trailName",
    "instanceId",
    "dBInstanceIdentifier",
];

/// The `cloudtrail` kind's handling of each framed document.
pub struct Cloudtrail<'r> {
    rejects: &'r mut Vec<Reject>,
}

/// `JsonKind` for CloudTrail documents.
pub struct CloudtrailKind;

impl JsonKind for CloudtrailKind {
    fn document(
        &mut self,
        doc: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) {
        Cloudtrail { rejects }.document(doc, offset, out);
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.is_empty())
}

/// Who did it, by identity type (ARCHITECTURE.md, "Formats").
fn actor(ui: &Value) -> Option<String> {
    let kind = s(ui, &["type"]).unwrap_or("");
    let session = || {
        s(ui, &["arn"])
            .and_then(|a| a.rsplit('/').next())
            .map(str::trim)
    };
    match kind {
        "Root" => Some("root".into()),
        "AssumedRole" | "FederatedUser" => {
            let issuer = s(ui, &["sessionContext", "sessionIssuer", "userName"]);
            match (issuer, session()) {
                (Some(i), Some(s)) => Some(format!("{}/{s}", i.trim())),
                (Some(i), None) => Some(i.to_owned()),
                (None, _) => s(ui, &["principalId"]).map(str::to_owned),
            }
        }
        "AWSService" => s(ui, &["invokedBy"]).map(str::to_owned),
        "AWSAccount" => s(ui, &["accountId"]).map(|a| format!("account:{a}")),
        _ => s(ui, &["userName"])
            .or_else(|| s(ui, &["onBehalfOf", "userId"]))
            .or_else(|| s(ui, &["arn"]))
            .or_else(|| s(ui, &["principalId"]))
            .map(str::to_owned),
    }
}

/// One CloudTrail event to a normalized event.
pub fn normalize(ev: &Value, raw: &[u8], offset: u64, seq: u32) -> Result<NewEvent, String> {
    if !ev.is_object() {
        return Err("a CloudTrail event must be a JSON object".into());
    }
    let time = s(ev, &["eventTime"]).ok_or("no eventTime")?;
    let at = DateTime::parse_from_rfc3339(time)
        .map_err(|_| format!("eventTime {time:?} is not an ISO 8601 time"))?
        .with_timezone(&Utc);
    let mut detail = Vec::new();
    let event_type = s(ev, &["eventType"]);
    if event_type == Some("AwsCloudTrailInsight") {
        let name = s(ev, &["insightDetails", "eventName"]).unwrap_or("?");
        let state = s(ev, &["insightDetails", "state"]).unwrap_or("?");
        let kind = s(ev, &["insightDetails", "insightType"]).unwrap_or("?");
        return Ok(NewEvent {
            occurred_at: at,
            time_basis: TimeBasis::default(),
            host: host(ev).as_deref().map(SafeText::new),
            program: s(ev, &["insightDetails", "eventSource"]).map(SafeText::new),
            actor: None,
            subject: Some(SafeText::new(name)),
            action: SafeText::from_static("cloudtrail-insight"),
            outcome: Outcome::Unknown,
            client: None,
            detail: Some(SafeText::new(&format!(
                "Insights {kind} {state} for {name}"
            ))),
            raw: raw.to_vec(),
            offset,
            seq,
        });
    }
    let name = s(ev, &["eventName"]).ok_or("no eventName")?;
    let ui = ev.get("userIdentity").unwrap_or(&Value::Null);
    let mut outcome = if s(ev, &["errorCode"]).is_some() {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let action = if name == "ConsoleLogin" {
        match s(ev, &["responseElements", "ConsoleLogin"]) {
            Some("Failure") => outcome = Outcome::Failure,
            Some("Success") => {}
            _ => {}
        }
        "login".to_owned()
    } else {
        name.to_owned()
    };
    detail.push(format!(
        "{name} on {}",
        s(ev, &["eventSource"]).unwrap_or("?")
    ));
    if let Some(t) = event_type {
        detail.push(t.to_owned());
    }
    if let Some(c) = s(ev, &["errorCode"]) {
        detail.push(format!(
            "error {c}: {}",
            s(ev, &["errorMessage"]).unwrap_or("")
        ));
    } else if let Some(m) = s(ev, &["errorMessage"]) {
        detail.push(format!("error: {m}"));
    }
    if let Some(mfa) = s(ev, &["additionalEventData", "MFAUsed"]) {
        detail.push(format!("MFA used: {}", mfa.to_ascii_lowercase()));
    }
    if let Some(t) = s(ui, &["type"]) {
        detail.push(format!("identity {t}"));
    }
    let subject = ev
        .get("requestParameters")
        .and_then(|rp| TARGET_KEYS.iter().find_map(|k| s(rp, &[k])))
        .map(str::to_owned);
    Ok(NewEvent {
        occurred_at: at,
        time_basis: TimeBasis::default(),
        host: host(ev).as_deref().map(SafeText::new),
        program: s(ev, &["eventSource"]).map(SafeText::new),
        actor: actor(ui).as_deref().map(SafeText::new),
        subject: subject.as_deref().map(SafeText::new),
        action: SafeText::new(&action),
        outcome,
        client: s(ev, &["sourceIPAddress"]).map(SafeText::new),
        detail: Some(SafeText::new(&detail.join("; "))),
        raw: raw.to_vec(),
        offset,
        seq,
    })
}

/// The account and region, standing in for a host.
fn host(ev: &Value) -> Option<String> {
    match (s(ev, &["recipientAccountId"]), s(ev, &["awsRegion"])) {
        (Some(a), Some(r)) => Some(format!("{a}/{r}")),
        (Some(a), None) => Some(a.to_owned()),
        (None, Some(r)) => Some(r.to_owned()),
        (None, None) => None,
    }
}

impl Cloudtrail<'_> {
    fn reject(&mut self, offset: u64, reason: String, raw: &[u8]) {
        self.rejects
            .push(Reject::record(offset, reason, raw.to_vec()));
    }

    fn one(&mut self, raw: &[u8], offset: u64, seq: u32, out: &mut Vec<NewEvent>) {
        let parsed: Result<Value, _> = serde_json::from_slice(raw);
        match parsed {
            Ok(v) => match normalize(&v, raw, offset, seq) {
                Ok(e) => out.push(e),
                Err(r) => self.reject(offset, format!("record {seq}: {r}"), raw),
            },
            Err(e) => self.reject(offset, format!("record {seq}: not valid JSON: {e}"), raw),
        }
    }

    fn document(&mut self, doc: &[u8], offset: u64, out: &mut Vec<NewEvent>) {
        #[derive(serde::Deserialize)]
        struct Shape<'a> {
            #[serde(borrow, rename = "Records")]
            records: Option<Vec<&'a RawValue>>,
            #[serde(borrow, rename = "Events")]
            events: Option<Vec<&'a RawValue>>,
            #[serde(borrow)]
            detail: Option<&'a RawValue>,
            #[serde(rename = "digestPublicKeyFingerprint")]
            digest: Option<serde::de::IgnoredAny>,
        }
        let shape: Shape<'_> = match std::str::from_utf8(doc)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => {
                self.reject(
                    offset,
                    format!("not valid JSON (whole document unread): {e}"),
                    doc,
                );
                return;
            }
        };
        if shape.digest.is_some() {
            return; // a CloudTrail-Digest file: signatures, not events
        }
        if let Some(records) = shape.records {
            for (i, r) in records.iter().enumerate() {
                self.one(r.get().as_bytes(), offset, i as u32, out);
            }
        } else if let Some(events) = shape.events {
            // LookupEvents: each event's JSON is a string inside.
            for (i, r) in events.iter().enumerate() {
                let v: Value = serde_json::from_str(r.get()).unwrap_or(Value::Null);
                match v.get("CloudTrailEvent").and_then(Value::as_str) {
                    Some(inner) => self.one(inner.as_bytes(), offset, i as u32, out),
                    None => self.reject(
                        offset,
                        format!("record {i}: LookupEvents entry without CloudTrailEvent"),
                        r.get().as_bytes(),
                    ),
                }
            }
        } else if let Some(d) = shape.detail {
            self.one(d.get().as_bytes(), offset, 0, out);
        } else {
            self.one(doc, offset, 0, out);
        }
    }
}
