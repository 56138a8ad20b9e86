//! Failure recognition per message family: how many labelled failed
//! authentications vigil reads as failures with the right client address,
//! and how many lines it reads as failures that are not, in the syslog and
//! the journal form. Takes vigil's own labelled file
//! (tests/fixtures/auth-families.log) or fail2ban's test logs
//! (`# failJSON` labels), which this repository does not hold.
//!
//! `cargo run --release --example auth-families -- FILE…` (bench/auth.sh)

use vigil_sources::eval;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: auth-families FILE…");
        std::process::exit(2);
    }
    let mut cases = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| {
            eprintln!("{f}: {e}");
            std::process::exit(1)
        });
        cases.extend(eval::read(&text));
    }
    let verbose = std::env::var_os("VERBOSE").is_some();
    for (form, got) in [
        ("syslog", eval::as_syslog(&cases)),
        ("journal", eval::as_journal(&cases)),
    ] {
        let (families, total) = eval::score(&cases, &got);
        println!("\n{form} form: {} labelled lines", total.lines);
        println!(
            "{:<36} {:>5} {:>8} {:>10} {:>10} {:>6} {:>9}",
            "family", "lines", "failures", "recognized", "right addr", "false", "precision"
        );
        for (name, s) in families
            .iter()
            .chain(std::iter::once(&("TOTAL".to_owned(), total)))
        {
            println!(
                "{:<36} {:>5} {:>8} {:>9.0}% {:>9.0}% {:>6} {:>8.0}%",
                name,
                s.lines,
                s.failures,
                if s.failures == 0 {
                    100.0
                } else {
                    100.0 * s.recognized as f64 / s.failures as f64
                },
                s.recall(),
                s.false_failures,
                s.precision()
            );
        }
        if verbose {
            for (c, g) in cases.iter().zip(&got) {
                let m = eval::mismatches(c, g);
                if !m.is_empty() {
                    println!("  line {}: {}\n    {}", c.number, m.join("; "), c.line);
                }
            }
        }
    }
}
