//! The `fhir` source's client against a local server, for the benchmark:
//! `cargo run --release --example fhir-pull-bench -- NDJSON [PAGES] [PER_PAGE]`
//! serves the first PAGES x PER_PAGE AuditEvents of NDJSON (as `gen-access`
//! writes them) as search Bundles linked by `next`, pulls them into a fresh
//! SQLite store, then ingests the same records from an NDJSON file into
//! another, and prints both rates and the ratio.

use std::io::{BufRead, Write};
use std::time::Instant;

use vigil_app::ingest::{FileSource, read_file};
use vigil_sources::SourceKind;
use vigil_sources::http::{Auth, HttpClient, Retry};
use vigil_store::{SqliteStore, Store};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Pages(Vec<String>);

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        match self.0.get(page) {
            Some(body) => ResponseTemplate::new(200)
                .insert_header("content-type", "application/fhir+json")
                .set_body_string(body.clone()),
            None => ResponseTemplate::new(404),
        }
    }
}

fn source(store: &mut SqliteStore, kind: SourceKind) -> FileSource {
    let id = store.ensure_source(kind.as_str(), kind.as_str()).unwrap();
    FileSource {
        id,
        name: kind.as_str().into(),
        kind,
        zone: None,
        options: Default::default(),
    }
}

fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fhir-pull-bench NDJSON [PAGES] [PER_PAGE]";
    let ndjson = args.next().expect(usage);
    let pages: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let per: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&ndjson)?)
        .lines()
        .take(pages * per)
        .collect::<Result<_, _>>()?;
    let n = lines.len();
    let work = tempfile::tempdir()?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let server = rt.block_on(MockServer::start());
    let base = format!("{}/baseR4", server.uri());
    let bodies: Vec<String> = lines
        .chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let entries: Vec<String> = chunk
                .iter()
                .map(|r| format!("{{\"resource\":{r},\"search\":{{\"mode\":\"match\"}}}}"))
                .collect();
            let next = if (i + 1) * per < n {
                format!(",{{\"relation\":\"next\",\"url\":\"{base}/AuditEvent?page={}\"}}", i + 1)
            } else {
                String::new()
            };
            format!(
                "{{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"link\":[{{\"relation\":\"self\",\"url\":\"x\"}}{next}],\"entry\":[{}]}}",
                entries.join(",")
            )
        })
        .collect();
    rt.block_on(
        Mock::given(method("GET"))
            .respond_with(Pages(bodies))
            .mount(&server),
    );

    let mut s = SqliteStore::open(&work.path().join("pull.db"))?;
    s.migrate()?;
    let src = source(&mut s, SourceKind::Fhir);
    let mut client = HttpClient::new(Auth::None, Retry::default())?;
    let t = Instant::now();
    let r = vigil_app::fhir_server::pull(&mut s, &src, &base, "AuditEvent", &mut client, None)?;
    let pull_secs = t.elapsed().as_secs_f64();
    assert_eq!(r.events as usize, n, "every record once");

    let file = work.path().join("same.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    f.flush()?;
    drop(f);
    let mut s2 = SqliteStore::open(&work.path().join("file.db"))?;
    s2.migrate()?;
    let src2 = source(&mut s2, SourceKind::FhirAuditEvent);
    let t = Instant::now();
    let r2 = read_file(&mut s2, &src2, &file, true, None)?;
    let file_secs = t.elapsed().as_secs_f64();
    assert_eq!(r2.events as usize, n);

    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer for getrusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    println!(
        "{n} AuditEvents over {} pages: pulled over HTTP in {pull_secs:.2} s ({:.0}/s); from an NDJSON file in {file_secs:.2} s ({:.0}/s); ratio {:.2}x; peak RSS of both runs {} MiB",
        n.div_ceil(per),
        n as f64 / pull_secs,
        n as f64 / file_secs,
        pull_secs / file_secs,
        ru.ru_maxrss / 1024
    );
    Ok(())
}
