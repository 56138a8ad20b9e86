//! The report document as a paginated PDF (pdf-writer; no browser, no
//! outside program): a title page with the contents and each section's
//! page, the organization and period atop every page, "page N of M" at its
//! foot, and a bookmark per section. Text is set in the PDF's built-in
//! Courier and Helvetica, so nothing is embedded and every character is
//! one byte of WinAnsi: a monospaced body wraps and aligns exactly.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::document::{Block, Chart, Document};

const W: f32 = 595.0;
const H: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = W - 50.0;
const TOP: f32 = H - 62.0;
const BOTTOM: f32 = 56.0;
/// Courier's advance: 600/1000 of the size.
const ADVANCE: f32 = 0.6;

const BODY: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");
const HEAD: Name = Name(b"F3");
const SANS: Name = Name(b"F4");

/// A character as one WinAnsi byte; what it has no byte for becomes `?`.
fn winansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '■' => b'#',
        '→' => b'>',
        _ => b'?',
    }
}

fn bytes(s: &str) -> Vec<u8> {
    s.chars().filter(|c| !c.is_control()).map(winansi).collect()
}

/// Wraps `s` into lines of at most `width` characters, at spaces where it can.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let mut word = word.to_owned();
        loop {
            let have = line.chars().count();
            let need = word.chars().count();
            if have == 0 && need <= width {
                line = word;
                break;
            }
            if have > 0 && have + 1 + need <= width {
                line.push(' ');
                line.push_str(&word);
                break;
            }
            if have > 0 {
                out.push(std::mem::take(&mut line));
                continue;
            }
            // a word longer than the line: cut it
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            out.push(head);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

struct Page {
    content: Content,
}

/// Lays the document out page by page.
struct Layout {
    pages: Vec<Page>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: Vec::new(),
            y: 0.0,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Page {
            content: Content::new(),
        });
        self.y = TOP;
    }

    fn page(&mut self) -> &mut Content {
        &mut self.pages.last_mut().expect("a page").content
    }

    /// Room for `h` more points, or a new page.
    fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, font: Name, size: f32, x: f32, s: &str) {
        let y = self.y;
        let c = self.page();
        c.begin_text();
        c.set_font(font, size);
        c.next_line(x, y);
        c.show(Str(&bytes(s)));
        c.end_text();
    }

    /// Lines of monospaced text at `size`, starting at `x`.
    fn lines(&mut self, size: f32, x: f32, font: Name, lines: &[String]) {
        for l in lines {
            self.need(size * 1.3);
            self.y -= size * 1.3;
            self.text(font, size, x, l);
        }
    }

    fn chars(size: f32, width: f32) -> usize {
        (width / (size * ADVANCE)) as usize
    }

    fn para(&mut self, s: &str) {
        let lines = wrap(s, Self::chars(9.0, RIGHT - LEFT));
        self.lines(9.0, LEFT, BODY, &lines);
        self.y -= 5.0;
    }

    fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        let size = if head.len() > 6 { 6.5 } else { 7.5 };
        let avail = Self::chars(size, RIGHT - LEFT);
        let cols = head.len();
        let gap = 2;
        let mut want: Vec<usize> = (0..cols)
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([head[i].chars().count()])
                    .max()
                    .unwrap_or(1)
                    .clamp(3, 60)
            })
            .collect();
        // shrink the widest columns until the row fits the page
        while want.iter().sum::<usize>() + gap * (cols - 1) > avail {
            let (i, w) = want
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .map(|(i, w)| (i, *w))
                .expect("a column");
            if w <= 6 {
                break;
            }
            want[i] = w - 1;
        }
        let line_h = size * 1.3;
        let draw_row = |l: &mut Layout, cells: Vec<Vec<String>>, font: Name| {
            let n = cells.iter().map(Vec::len).max().unwrap_or(1);
            l.need(line_h * n as f32 + 2.0);
            for k in 0..n {
                l.y -= line_h;
                let mut x = LEFT;
                for (i, c) in cells.iter().enumerate() {
                    if let Some(t) = c.get(k) {
                        l.text(font, size, x, t);
                    }
                    x += (want[i] + gap) as f32 * size * ADVANCE;
                }
            }
            l.y -= 2.0;
        };
        let header: Vec<Vec<String>> = head
            .iter()
            .enumerate()
            .map(|(i, h)| wrap(h, want[i]))
            .collect();
        let rule = |l: &mut Layout| {
            let y = l.y + 1.0;
            let c = l.page();
            c.set_line_width(0.4);
            c.move_to(LEFT, y);
            c.line_to(RIGHT, y);
            c.stroke();
        };
        draw_row(self, header.clone(), BOLD);
        rule(self);
        let mut page = self.pages.len();
        for r in rows {
            let cells: Vec<Vec<String>> = (0..cols)
                .map(|i| wrap(r.get(i).map_or("", String::as_str), want[i]))
                .collect();
            let n = cells.iter().map(Vec::len).max().unwrap_or(1);
            self.need(line_h * n as f32 + 2.0);
            if self.pages.len() != page {
                // the header again atop a new page
                draw_row(self, header.clone(), BOLD);
                rule(self);
                page = self.pages.len();
            }
            draw_row(self, cells, BODY);
        }
        self.y -= 6.0;
    }

    fn chart(&mut self, ch: &Chart) {
        let plot_h = 110.0;
        self.need(plot_h + 70.0);
        self.y -= 12.0;
        self.text(
            SANS,
            9.5,
            LEFT,
            &format!("{} ({} by {})", ch.title, ch.y, ch.x),
        );
        let top = self.y - 8.0;
        let base = top - plot_h;
        let left = LEFT + 34.0;
        let max = ch.max().max(1);
        let groups = ch.labels.len().max(1) as f32;
        let per = ch.series.len().max(1) as f32;
        let gw = ((RIGHT - left - 10.0) / groups).min(40.0);
        let bw = (gw - 3.0) / per;
        {
            let c = self.page();
            c.set_line_width(0.6);
            c.set_stroke_rgb(0.25, 0.25, 0.25);
            c.move_to(left, top);
            c.line_to(left, base);
            c.line_to(RIGHT, base);
            c.stroke();
            for (i, _) in ch.labels.iter().enumerate() {
                for (k, s) in ch.series.iter().enumerate() {
                    let v = s.values.get(i).copied().unwrap_or(0);
                    let h = v as f32 / max as f32 * plot_h;
                    let (r, g, b) = rgb(s.color);
                    c.set_fill_rgb(r, g, b);
                    c.rect(
                        left + 2.0 + i as f32 * gw + k as f32 * bw,
                        base,
                        bw - 0.6,
                        h,
                    );
                    c.fill_nonzero();
                }
            }
            c.set_fill_rgb(0.0, 0.0, 0.0);
        }
        // the y scale, the axis names, labels as room allows
        for (v, frac) in [(0, 0.0), (max / 2, 0.5), (max, 1.0)] {
            self.y = base + frac * plot_h - 2.5;
            let s = v.to_string();
            self.text(BODY, 7.0, left - 4.0 - s.len() as f32 * 4.2, &s);
        }
        self.y = base + plot_h / 2.0 + 14.0;
        let ylab: String = ch.y.chars().take(9).collect();
        self.text(BODY, 6.5, LEFT - 6.0, &ylab);
        let every = ((ch.labels.len() as f32 * 6.0 * 4.2) / (RIGHT - left))
            .ceil()
            .max(1.0) as usize;
        self.y = base - 9.0;
        for (i, l) in ch.labels.iter().enumerate() {
            if i % every == 0 {
                let t: String = l
                    .chars()
                    .take(((gw * every as f32) / 3.6) as usize)
                    .collect();
                self.text(BODY, 6.0, left + 2.0 + i as f32 * gw, &t);
            }
        }
        self.y = base - 20.0;
        let mut legend = format!("x: {}   ", ch.x);
        for s in &ch.series {
            legend.push_str(&format!("# {}  ", s.name));
        }
        self.text(BODY, 7.0, left, &legend);
        // the legend's marks in the series' colours
        let mut x = left + (format!("x: {}   ", ch.x).chars().count() as f32) * 4.2;
        let y = self.y;
        for s in &ch.series {
            let (r, g, b) = rgb(s.color);
            let c = self.page();
            c.set_fill_rgb(r, g, b);
            c.rect(x, y, 4.0, 5.0);
            c.fill_nonzero();
            c.set_fill_rgb(0.0, 0.0, 0.0);
            x += (s.name.chars().count() + 4) as f32 * 4.2;
        }
        self.y -= 12.0;
    }
}

fn rgb(hex: &str) -> (f32, f32, f32) {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0x3465a4);
    let f = |s: u32| ((v >> s) & 0xff) as f32 / 255.0;
    (f(16), f(8), f(0))
}

/// The document as PDF bytes.
pub fn pdf(d: &Document) -> Vec<u8> {
    let mut l = Layout::new();
    // Page 1 is the title and the contents, written last, once the
    // sections' pages are known.
    l.new_page();
    let mut starts = Vec::with_capacity(d.sections.len());
    l.new_page();
    for (i, s) in d.sections.iter().enumerate() {
        if s.new_page && i > 0 && l.y < TOP {
            l.new_page();
        }
        l.need(60.0);
        starts.push(l.pages.len());
        l.y -= 18.0;
        l.text(HEAD, 13.0, LEFT, &format!("{}. {}", i + 1, s.title));
        l.y -= 6.0;
        for b in &s.blocks {
            match b {
                Block::Para(p) => l.para(p),
                Block::Facts(f) => {
                    let width = Layout::chars(9.0, RIGHT - LEFT);
                    for (k, v) in f {
                        let label = format!("{k}: ");
                        let indent = label.chars().count().min(20);
                        let mut lines = wrap(&format!("{label}{v}"), width);
                        if lines.len() > 1 {
                            let rest = lines[1..].join(" ");
                            lines.truncate(1);
                            lines.extend(
                                wrap(&rest, width - indent)
                                    .into_iter()
                                    .map(|x| format!("{}{x}", " ".repeat(indent))),
                            );
                        }
                        l.lines(9.0, LEFT, BODY, &lines);
                    }
                    l.y -= 6.0;
                }
                Block::List(items) => {
                    let width = Layout::chars(9.0, RIGHT - LEFT - 12.0);
                    for x in items {
                        let lines: Vec<String> = wrap(x, width)
                            .into_iter()
                            .enumerate()
                            .map(|(i, t)| {
                                if i == 0 {
                                    format!("- {t}")
                                } else {
                                    format!("  {t}")
                                }
                            })
                            .collect();
                        l.lines(9.0, LEFT + 6.0, BODY, &lines);
                    }
                    l.y -= 6.0;
                }
                Block::Table { head, rows, none } => {
                    if rows.is_empty() {
                        l.para(none);
                    } else {
                        l.table(head, rows);
                    }
                }
                Block::Chart(c) => {
                    if c.labels.is_empty() {
                        l.para(&format!("{}: no data.", c.title));
                    } else {
                        l.chart(c);
                    }
                }
                Block::Sign(name, role) => {
                    l.need(50.0);
                    l.y -= 34.0;
                    let y = l.y + 10.0;
                    {
                        let c = l.page();
                        c.set_line_width(0.6);
                        for (x0, x1) in [
                            (LEFT, LEFT + 190.0),
                            (LEFT + 215.0, LEFT + 370.0),
                            (LEFT + 395.0, RIGHT),
                        ] {
                            c.move_to(x0, y);
                            c.line_to(x1, y);
                        }
                        c.stroke();
                    }
                    l.text(BODY, 8.0, LEFT, &format!("{name}, {role}"));
                    l.text(BODY, 8.0, LEFT + 215.0, "Signature");
                    l.text(BODY, 8.0, LEFT + 395.0, "Date");
                    l.y -= 6.0;
                }
            }
        }
    }
    let total = l.pages.len();

    // the title page
    {
        let mut t = Layout {
            pages: vec![Page {
                content: Content::new(),
            }],
            y: TOP - 20.0,
        };
        for line in wrap(&d.title, 48) {
            t.text(HEAD, 17.0, LEFT, &line);
            t.y -= 22.0;
        }
        for line in wrap(&d.running_head, Layout::chars(10.0, RIGHT - LEFT)) {
            t.text(BODY, 10.0, LEFT, &line);
            t.y -= 13.0;
        }
        t.y -= 20.0;
        t.text(HEAD, 13.0, LEFT, "Contents");
        t.y -= 8.0;
        let width = Layout::chars(10.0, RIGHT - LEFT);
        for (i, s) in d.sections.iter().enumerate() {
            t.y -= 14.0;
            let name = format!("{}. {}", i + 1, s.title);
            let page = format!("page {}", starts[i]);
            let dots = width.saturating_sub(name.chars().count() + page.len() + 2);
            t.text(
                BODY,
                10.0,
                LEFT,
                &format!("{name} {} {page}", ".".repeat(dots)),
            );
        }
        l.pages[0].content = t.pages.pop().expect("the title page").content;
    }

    // the running head and foot of every page
    for (i, p) in l.pages.iter_mut().enumerate() {
        let c = &mut p.content;
        c.begin_text();
        c.set_font(SANS, 8.0);
        c.next_line(LEFT, H - 36.0);
        c.show(Str(&bytes(&d.running_head)));
        c.end_text();
        c.set_line_width(0.4);
        c.move_to(LEFT, H - 42.0);
        c.line_to(RIGHT, H - 42.0);
        c.stroke();
        let foot = format!("page {} of {total}", i + 1);
        c.begin_text();
        c.set_font(SANS, 8.0);
        c.next_line(RIGHT - foot.len() as f32 * 4.0, 32.0);
        c.show(Str(&bytes(&foot)));
        c.end_text();
    }

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = id();
    let tree = id();
    let info = id();
    let outline = id();
    let fonts = [id(), id(), id(), id()];
    let page_ids: Vec<(Ref, Ref)> = (0..total).map(|_| (id(), id())).collect();
    let items: Vec<Ref> = d.sections.iter().map(|_| id()).collect();
    pdf.catalog(catalog).pages(tree).outlines(outline);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(total as i32);
    pdf.document_info(info)
        .title(TextStr(&d.title))
        .creator(TextStr("vigil"));
    for (f, base) in fonts.iter().zip([
        &b"Courier"[..],
        b"Courier-Bold",
        b"Helvetica-Bold",
        b"Helvetica",
    ]) {
        pdf.type1_font(*f)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (p, (page_id, content_id)) in l.pages.into_iter().zip(&page_ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, W, H));
        page.parent(tree);
        page.contents(*content_id);
        let mut res = page.resources();
        let mut f = res.fonts();
        for (name, font) in [BODY, BOLD, HEAD, SANS].into_iter().zip(fonts) {
            f.pair(name, font);
        }
        f.finish();
        res.finish();
        page.finish();
        pdf.stream(*content_id, &p.content.finish());
    }
    if !items.is_empty() {
        pdf.outline(outline)
            .first(items[0])
            .last(items[items.len() - 1])
            .count(items.len() as i32);
        for (i, s) in d.sections.iter().enumerate() {
            let mut it = pdf.outline_item(items[i]);
            it.parent(outline).title(TextStr(&s.title));
            if i > 0 {
                it.prev(items[i - 1]);
            }
            if i + 1 < items.len() {
                it.next(items[i + 1]);
            }
            it.dest().page(page_ids[starts[i] - 1].0).fit();
        }
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_cuts_what_is_longer_than_a_line() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(bytes("MRN ••••34 · é"), b"MRN \x95\x95\x95\x9534 \xb7 \xe9");
    }
}
