//! The report document as Markdown: a contents list, then each section
//! (charts as the table of their values).

use std::fmt::Write as _;

use super::document::{Block, Document};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let align: Vec<&str> = (0..head.len())
        .map(|i| {
            let numeric = !rows.is_empty()
                && rows
                    .iter()
                    .all(|r| r.get(i).is_some_and(|c| c.parse::<f64>().is_ok()));
            if numeric { "---:" } else { "---" }
        })
        .collect();
    let _ = writeln!(o, "|{}|", align.join("|"));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
}

pub fn markdown(d: &Document) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", d.title);
    let _ = writeln!(o, "{}\n", d.running_head);
    let _ = writeln!(o, "Contents:\n");
    for (i, s) in d.sections.iter().enumerate() {
        let _ = writeln!(o, "{}. [{}](#{})", i + 1, s.title, s.id);
    }
    for s in &d.sections {
        let _ = writeln!(o, "\n<a id=\"{}\"></a>\n## {}\n", s.id, s.title);
        for b in &s.blocks {
            match b {
                Block::Para(p) => {
                    let _ = writeln!(o, "{p}\n");
                }
                Block::Facts(f) => {
                    for (k, v) in f {
                        let _ = writeln!(o, "- **{k}:** {v}");
                    }
                    o.push('\n');
                }
                Block::List(l) => {
                    for x in l {
                        let _ = writeln!(o, "- {x}");
                    }
                    o.push('\n');
                }
                Block::Table { head, rows, none } => {
                    if rows.is_empty() {
                        let _ = writeln!(o, "{none}\n");
                    } else {
                        table(&mut o, head, rows);
                        o.push('\n');
                    }
                }
                Block::Chart(c) => {
                    let _ = writeln!(o, "Chart: {} ({} by {}).\n", c.title, c.y, c.x);
                    if c.labels.is_empty() {
                        let _ = writeln!(o, "No data.\n");
                        continue;
                    }
                    let mut head: Vec<&str> = vec![c.x.as_str()];
                    head.extend(c.series.iter().map(|s| s.name.as_str()));
                    let rows: Vec<Vec<String>> = c
                        .labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let mut r = vec![l.clone()];
                            r.extend(c.series.iter().map(|s| s.values[i].to_string()));
                            r
                        })
                        .collect();
                    table(&mut o, &head, &rows);
                    o.push('\n');
                }
                Block::Sign(name, role) => {
                    let _ = writeln!(
                        o,
                        "{name}, {role}. Signature: ____________________ Date: ____________\n"
                    );
                }
            }
        }
    }
    o
}
