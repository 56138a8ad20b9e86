//! SMART Backend Services authorization for the `fhir` source: a JWT
//! signed with the client's private key (RS384 or ES384, as SMART asks)
//! is exchanged at the server's token endpoint (configured, or found in
//! `.well-known/smart-configuration`) for a short-lived bearer token with
//! the `system/AuditEvent` scope. The key file must be private; the
//! assertion and the token are secrets and never logged.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::{Result, WrapErr, eyre};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::http::{HttpClient, Req, Secret};

/// `[source.smart]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmartOptions {
    pub client_id: String,
    /// The PEM private key registered with the server (mode 600).
    pub key_file: PathBuf,
    /// `RS384` (the default) or `ES384`.
    pub alg: Option<String>,
    /// The key id of the JWKS entry, when the server wants it.
    pub kid: Option<String>,
    /// Token endpoint; found in the server's SMART configuration if unset.
    pub token_url: Option<String>,
    /// `system/AuditEvent.rs` unless set.
    pub scope: Option<String>,
}

impl SmartOptions {
    /// What is wrong with the settings, with the fix.
    pub fn problem(&self) -> Option<String> {
        if self.client_id.trim().is_empty() {
            return Some(
                "[source.smart] client_id is empty: give the id the server registered".into(),
            );
        }
        match self.alg.as_deref() {
            None | Some("RS384") | Some("ES384") => None,
            Some(other) => Some(format!(
                "[source.smart] alg = {:?}: SMART backend services sign with \"RS384\" or \"ES384\"",
                vigil_domain::SafeText::new(other).as_str()
            )),
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

/// The signed client assertion for `token_url`.
pub fn assertion(o: &SmartOptions, token_url: &str, now: DateTime<Utc>) -> Result<Secret> {
    vigil_domain::perms::check_private(&o.key_file, "SMART private key file")
        .map_err(|m| eyre!(m))?;
    let pem = std::fs::read(&o.key_file)
        .wrap_err_with(|| format!("cannot read the SMART key file {}", o.key_file.display()))?;
    let (alg, key) = match o.alg.as_deref().unwrap_or("RS384") {
        "ES384" => (Algorithm::ES384, EncodingKey::from_ec_pem(&pem)),
        _ => (Algorithm::RS384, EncodingKey::from_rsa_pem(&pem)),
    };
    let key = key.map_err(|e| {
        eyre!(
            "the SMART key file {} is not a PEM {} private key: {e}",
            o.key_file.display(),
            if alg == Algorithm::ES384 {
                "EC P-384"
            } else {
                "RSA"
            }
        )
    })?;
    let mut header = Header::new(alg);
    header.kid = o.kid.clone();
    let claims = Claims {
        iss: &o.client_id,
        sub: &o.client_id,
        aud: token_url,
        exp: (now + Duration::minutes(5)).timestamp(),
        iat: now.timestamp(),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    Ok(Secret::new(
        jsonwebtoken::encode(&header, &claims, &key)
            .wrap_err("signing the SMART client assertion")?,
    ))
}

/// The token endpoint: configured, or from the server's SMART configuration.
fn token_url(o: &SmartOptions, base: &str, client: &mut HttpClient) -> Result<String> {
    if let Some(u) = &o.token_url {
        return Ok(u.clone());
    }
    let well_known = format!(
        "{}/.well-known/smart-configuration",
        base.trim_end_matches('/')
    );
    let v = client.get(&well_known)?.json()?;
    v["token_endpoint"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            eyre!("{well_known} names no token_endpoint: set token_url in [source.smart]")
        })
}

/// A bearer token for the server, and when it expires.
pub fn token(
    o: &SmartOptions,
    base: &str,
    client: &mut HttpClient,
    now: DateTime<Utc>,
) -> Result<(Secret, DateTime<Utc>)> {
    let url = token_url(o, base, client)?;
    let jwt = assertion(o, &url, now)?;
    let scope = o
        .scope
        .clone()
        .unwrap_or_else(|| "system/AuditEvent.rs".into());
    let req = Req::form(
        url.clone(),
        vec![
            ("grant_type".into(), "client_credentials".into()),
            ("scope".into(), scope),
            (
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ),
            ("client_assertion".into(), jwt.expose().to_owned()),
        ],
    );
    let resp = client
        .send(&req, &[400])
        .wrap_err("asking the SMART token endpoint for a token")?;
    let v = resp.json()?;
    if resp.status.as_u16() == 400 {
        // OAuth errors: invalid_client (key not registered), invalid_scope, …
        return Err(eyre!(
            "the SMART token endpoint refused: {} {}",
            vigil_domain::SafeText::new(v["error"].as_str().unwrap_or("")).as_str(),
            vigil_domain::SafeText::new(v["error_description"].as_str().unwrap_or("")).as_str()
        ));
    }
    let token = v["access_token"]
        .as_str()
        .ok_or_else(|| eyre!("the SMART token endpoint answered without an access_token"))?;
    let expires = now + Duration::seconds(v["expires_in"].as_i64().unwrap_or(300));
    Ok((Secret::new(token), expires))
}
