//! The layering as a checked fact: `cargo metadata` lists what each crate
//! depends on, and the crates below the screen and the database stay free
//! of what they must not reach. Also: no source file grows past 1,000 lines.

use std::collections::BTreeMap;
use std::path::Path;

/// Each workspace crate's direct dependencies (every kind: a test-only
/// dependency on a database crate would still blur the boundary).
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|d| d["name"].as_str().expect("name").to_owned())
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

#[test]
fn each_crate_depends_only_on_what_its_layer_may() {
    let deps = dependencies();
    let io = [
        "rusqlite",
        "postgres",
        "reqwest",
        "ratatui",
        "crossterm",
        "tokio",
    ];
    let forbidden: [(&str, &[&str]); 8] = [
        ("vigil-domain", &io),
        (
            "vigil-store",
            &[
                "ratatui",
                "crossterm",
                "reqwest",
                "vigil-sources",
                "vigil-rules",
                "vigil-review",
                "vigil-app",
                "vigil-tui",
            ],
        ),
        (
            "vigil-sources",
            &[
                "rusqlite",
                "postgres",
                "ratatui",
                "crossterm",
                "vigil-store",
                "vigil-rules",
                "vigil-review",
                "vigil-app",
                "vigil-tui",
            ],
        ),
        (
            "vigil-rules",
            &[
                "reqwest",
                "ratatui",
                "crossterm",
                "vigil-sources",
                "vigil-review",
                "vigil-app",
                "vigil-tui",
            ],
        ),
        (
            "vigil-review",
            &[
                "reqwest",
                "ratatui",
                "crossterm",
                "vigil-sources",
                "vigil-rules",
                "vigil-app",
                "vigil-tui",
            ],
        ),
        ("vigil-app", &["ratatui", "crossterm", "vigil-tui"]),
        (
            "vigil-tui",
            &[
                "rusqlite",
                "postgres",
                "reqwest",
                "vigil-store",
                "vigil-sources",
                "vigil-rules",
                "vigil-review",
            ],
        ),
        ("vigil", &[]),
    ];
    for (krate, banned) in forbidden {
        let have = deps
            .get(krate)
            .unwrap_or_else(|| panic!("{krate} is a workspace crate"));
        let bad: Vec<&String> = have
            .iter()
            .filter(|d| banned.contains(&d.as_str()))
            .collect();
        assert!(
            bad.is_empty(),
            "{krate} depends on {bad:?}, which its layer must not reach"
        );
    }
    assert_eq!(
        deps.len(),
        8,
        "a new crate needs its boundaries written here: {:?}",
        deps.keys()
    );
}

#[test]
fn no_source_file_is_over_a_thousand_lines() {
    fn walk(dir: &Path, out: &mut Vec<(String, usize)>) {
        for e in std::fs::read_dir(dir).expect("readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let n = std::fs::read_to_string(&p).expect("text").lines().count();
                if n > 1000 {
                    out.push((p.display().to_string(), n));
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    walk(&root.join("src"), &mut long);
    walk(&root.join("crates"), &mut long);
    walk(&root.join("examples"), &mut long);
    assert!(long.is_empty(), "split these: {long:?}");
}
