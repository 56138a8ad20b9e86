//! The report document as one self-contained HTML page (no scripts, no
//! outside resources): a contents list, the sections, and inline SVG bar
//! charts with titles, axes and units; printed, each page carries the
//! organization, the period and its page number.

use std::fmt::Write as _;

use super::document::{Block, Chart, Document};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A CSS string literal.
fn css_str(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { ' ' } else { c })
        .collect();
    format!("\"{clean}\"")
}

/// A bar chart as inline SVG: a group of bars per label, the y axis
/// scaled to the largest value, both axes named.
fn chart(c: &Chart) -> String {
    let max = c.max().max(1);
    let (h, bw, left, bottom) = (140.0, 9.0, 44.0, 46.0);
    let gw = bw * c.series.len().max(1) as f64 + 6.0;
    let w = (gw * c.labels.len().max(1) as f64 + left + 10.0).max(320.0);
    let mut o = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">",
        esc(&c.title),
        h + bottom + 10.0,
        h + bottom + 10.0
    );
    let y0 = 10.0;
    // axes and the y scale: 0, half, max
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{y0}\" x2=\"{left}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/>",
        y0 + h,
        y0 + h,
        w - 4.0,
        y0 + h
    );
    for (v, frac) in [(0, 0.0), (max / 2, 0.5), (max, 1.0)] {
        let y = y0 + h - frac * h;
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\">{v}</text>",
            left - 4.0,
            y + 3.0
        );
    }
    for (i, label) in c.labels.iter().enumerate() {
        for (k, s) in c.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            let bh = v as f64 / max as f64 * h;
            let x = left + 4.0 + i as f64 * gw + k as f64 * bw;
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {}: {v}</title></rect>",
                y0 + h - bh,
                bw - 1.0,
                s.color,
                esc(label),
                esc(&s.name)
            );
        }
        if c.labels.len() <= 40 {
            let x = left + 4.0 + i as f64 * gw;
            let _ = write!(
                o,
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"8\" transform=\"rotate(40 {x:.1} {:.1})\">{}</text>",
                y0 + h + 10.0,
                y0 + h + 10.0,
                esc(&label.chars().take(18).collect::<String>())
            );
        }
    }
    let _ = write!(
        o,
        "<text x=\"12\" y=\"{:.1}\" font-size=\"9\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
        y0 + h / 2.0,
        y0 + h / 2.0,
        esc(&c.y)
    );
    let _ = write!(
        o,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}</text></svg><figcaption><b>{}</b> ({} by {}): ",
        left + (w - left) / 2.0,
        h + bottom + 6.0,
        esc(&c.x),
        esc(&c.title),
        esc(&c.y),
        esc(&c.x)
    );
    for s in &c.series {
        let _ = write!(
            o,
            "<span style=\"color:{}\">■</span> {} ",
            s.color,
            esc(&s.name)
        );
    }
    o.push_str("</figcaption></figure>");
    o
}

pub fn html(d: &Document) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
th,td{{border:1px solid #999;padding:.2em .5em;font-size:.9em;vertical-align:top}}td.n{{text-align:right}}\
h2{{border-bottom:1px solid #ccc;page-break-after:avoid}}figure{{margin:.5em 0 1.5em}}dl{{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}}dt{{font-weight:bold}}\
.sign{{margin:2.5em 0 1em}}.sign span{{display:inline-block;border-top:1px solid #111;min-width:18em;margin-right:3em;padding-top:.2em}}\
.fail{{color:#a00;font-weight:bold}}\
@page{{margin:18mm 14mm;@top-center{{content:{};font-size:9pt}}@bottom-right{{content:\"page \" counter(page) \" of \" counter(pages);font-size:9pt}}}}\
@media print{{body{{margin:0}}section.page{{break-before:page}}nav{{break-after:page}}}}</style></head><body>",
        esc(&d.title),
        css_str(&d.running_head)
    );
    let _ = write!(
        o,
        "<header><h1>{}</h1><p>{}</p></header><nav><h2>Contents</h2><ol>",
        esc(&d.title),
        esc(&d.running_head)
    );
    for s in &d.sections {
        let _ = write!(o, "<li><a href=\"#{}\">{}</a></li>", s.id, esc(&s.title));
    }
    o.push_str("</ol></nav>");
    for s in &d.sections {
        let _ = write!(
            o,
            "<section id=\"{}\"{}><h2>{}</h2>",
            s.id,
            if s.new_page { " class=\"page\"" } else { "" },
            esc(&s.title)
        );
        for b in &s.blocks {
            match b {
                Block::Para(p) => {
                    let _ = write!(o, "<p>{}</p>", esc(p));
                }
                Block::Facts(f) => {
                    o.push_str("<dl>");
                    for (k, v) in f {
                        let class = if v.contains("FAILED") {
                            " class=\"fail\""
                        } else {
                            ""
                        };
                        let _ = write!(o, "<dt>{}</dt><dd{class}>{}</dd>", esc(k), esc(v));
                    }
                    o.push_str("</dl>");
                }
                Block::List(l) => {
                    o.push_str("<ul>");
                    for x in l {
                        let _ = write!(o, "<li>{}</li>", esc(x));
                    }
                    o.push_str("</ul>");
                }
                Block::Table { head, rows, none } => {
                    if rows.is_empty() {
                        let _ = write!(o, "<p>{}</p>", esc(none));
                        continue;
                    }
                    o.push_str("<table><thead><tr>");
                    for h in head {
                        let _ = write!(o, "<th>{}</th>", esc(h));
                    }
                    o.push_str("</tr></thead><tbody>");
                    for row in rows {
                        o.push_str("<tr>");
                        for c in row {
                            let class = if c.parse::<f64>().is_ok() {
                                " class=\"n\""
                            } else {
                                ""
                            };
                            let _ = write!(o, "<td{class}>{}</td>", esc(c));
                        }
                        o.push_str("</tr>");
                    }
                    o.push_str("</tbody></table>");
                }
                Block::Chart(c) => {
                    if c.labels.is_empty() {
                        let _ = write!(o, "<p>{}: no data.</p>", esc(&c.title));
                    } else {
                        o.push_str(&chart(c));
                    }
                }
                Block::Sign(name, role) => {
                    let _ = write!(
                        o,
                        "<div class=\"sign\"><span>{}, {}</span><span>Signature</span><span>Date</span></div>",
                        esc(name),
                        esc(role)
                    );
                }
            }
        }
        o.push_str("</section>");
    }
    o.push_str("</body></html>\n");
    o
}
