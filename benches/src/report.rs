//! Results: one row per (workload, implementation), ratios, and the three outputs: a table on
//! stdout, JSON and an SVG chart.

use std::fmt::Write as _;

/// Who a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// This project.
    Ours,
    /// Another implementation of the same job.
    Peer,
    /// The hardware limit: the least work that could do the job.
    Limit,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::Peer => "peer",
            Kind::Limit => "limit",
        }
    }
}

/// One measured result.
#[derive(Clone, Debug)]
pub struct Row {
    /// The workload, e.g. `lines/64`.
    pub workload: String,
    /// The implementation, e.g. `tokio BufReader::read_until`.
    pub implementation: String,
    /// The measured figure.
    pub value: f64,
    /// Its unit, e.g. `MiB/s`.
    pub unit: &'static str,
    /// Who the row measures.
    pub kind: Kind,
    /// Whether a bigger value is better (throughput) or worse (bytes held, allocations).
    pub higher_is_better: bool,
    /// `value` against the best peer of the workload, as "times better" (ours rows only).
    pub ratio_best_peer: Option<f64>,
    /// `value` against the limit row of the workload, as a fraction of it (ours rows only).
    pub ratio_limit: Option<f64>,
}

/// The rows of a run, in the order they were measured.
#[derive(Default, Debug)]
pub struct Report {
    /// Every row.
    pub rows: Vec<Row>,
}

impl Report {
    /// Adds a row whose bigger values are better.
    pub fn throughput(&mut self, workload: &str, implementation: &str, kind: Kind, value: f64) {
        self.push(workload, implementation, kind, value, "MiB/s", true);
    }

    /// Adds a row.
    pub fn push(
        &mut self,
        workload: &str,
        implementation: &str,
        kind: Kind,
        value: f64,
        unit: &'static str,
        higher_is_better: bool,
    ) {
        self.rows.push(Row {
            workload: workload.into(),
            implementation: implementation.into(),
            value,
            unit,
            kind,
            higher_is_better,
            ratio_best_peer: None,
            ratio_limit: None,
        });
    }

    /// Fills in the ratios of our rows: against the best peer ("times better": above 1 is
    /// ahead, whichever direction is better) and against the limit row (a fraction of it).
    /// Ratios are left empty where a figure is 0.
    pub fn compute_ratios(&mut self) {
        let snapshot = self.rows.clone();
        for row in self.rows.iter_mut().filter(|r| r.kind == Kind::Ours) {
            let same = snapshot.iter().filter(|r| r.workload == row.workload);
            let peers = same
                .clone()
                .filter(|r| r.kind == Kind::Peer)
                .map(|r| r.value);
            let best = if row.higher_is_better {
                peers.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
            } else {
                peers.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))))
            };
            let better = |ours: f64, other: f64| {
                if ours == 0.0 || other == 0.0 {
                    return None;
                }
                let r = if row.higher_is_better {
                    ours / other
                } else {
                    other / ours
                };
                r.is_finite().then_some(r)
            };
            row.ratio_best_peer = best.and_then(|b| better(row.value, b));
            row.ratio_limit = same
                .clone()
                .find(|r| r.kind == Kind::Limit)
                .and_then(|l| better(row.value, l.value));
        }
    }

    /// Puts the rows of each workload together, workloads in the order they first appeared.
    pub fn group(&mut self) {
        let mut order: Vec<String> = Vec::new();
        for r in &self.rows {
            if !order.contains(&r.workload) {
                order.push(r.workload.clone());
            }
        }
        self.rows
            .sort_by_key(|r| order.iter().position(|w| *w == r.workload));
    }

    /// The table printed on stdout.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let w_work = self
            .rows
            .iter()
            .map(|r| r.workload.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let w_impl = self
            .rows
            .iter()
            .map(|r| r.implementation.len())
            .max()
            .unwrap_or(14)
            .max(14);
        let _ = writeln!(
            out,
            "{:w_work$}  {:w_impl$}  {:>16}  {:>10}  {:>8}",
            "workload", "implementation", "result", "vs best peer", "vs limit"
        );
        let mut last = "";
        for r in &self.rows {
            if r.workload != last && !last.is_empty() {
                out.push('\n');
            }
            last = &r.workload;
            let ratio = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}x"));
            let marker = match r.kind {
                Kind::Ours => "*",
                Kind::Peer => " ",
                Kind::Limit => "=",
            };
            let _ = writeln!(
                out,
                "{:w_work$}  {:w_impl$}  {:>10} {:<5}  {:>12}  {:>8}",
                r.workload,
                format!("{marker}{}", r.implementation),
                format_value(r.value),
                r.unit,
                ratio(r.ratio_best_peer),
                ratio(r.ratio_limit),
            );
        }
        out.push_str("\n* ours   = limit (one memchr pass and one copy)   others: peers\n");
        out.push_str("vs best peer: times better than the best peer (above 1.00x: ahead)\n");
        out
    }

    /// The rows as a JSON array of objects with the fields `workload`, `impl`, `throughput`,
    /// `unit`, `ratio_best_peer`, `ratio_limit` (null where not meaningful) and `kind`.
    pub fn json(&self) -> String {
        let mut out = String::from("[\n");
        for (i, r) in self.rows.iter().enumerate() {
            let num = |x: Option<f64>| x.map_or("null".to_string(), |x| format!("{x:.4}"));
            let _ = write!(
                out,
                "  {{\"workload\": {}, \"impl\": {}, \"throughput\": {:.4}, \"unit\": {}, \
                 \"ratio_best_peer\": {}, \"ratio_limit\": {}, \"kind\": {}}}",
                json_str(&r.workload),
                json_str(&r.implementation),
                r.value,
                json_str(r.unit),
                num(r.ratio_best_peer),
                num(r.ratio_limit),
                json_str(r.kind.as_str()),
            );
            out.push_str(if i + 1 < self.rows.len() { ",\n" } else { "\n" });
        }
        out.push_str("]\n");
        out
    }

    /// An SVG line chart of throughput by line length (the `lines/<len>` workloads), one
    /// series per implementation.
    pub fn svg(&self) -> String {
        let lens = [16usize, 64, 256, 4096];
        let mut series: Vec<(&str, Kind, Vec<Option<f64>>)> = Vec::new();
        for r in &self.rows {
            let Some(len) = r.workload.strip_prefix("lines/") else {
                continue;
            };
            let Some(x) = lens.iter().position(|l| l.to_string() == len) else {
                continue;
            };
            let entry = match series.iter().position(|s| s.0 == r.implementation) {
                Some(i) => &mut series[i],
                None => {
                    series.push((&r.implementation, r.kind, vec![None; lens.len()]));
                    series.last_mut().expect("just pushed")
                }
            };
            entry.2[x] = Some(r.value);
        }
        let (w, h, left, right, top, bottom) = (900.0, 520.0, 80.0, 330.0, 40.0, 60.0);
        let max = series
            .iter()
            .flat_map(|s| s.2.iter().flatten())
            .fold(1.0f64, |m, &v| m.max(v));
        let y_top = nice_ceiling(max);
        let px = |i: usize| left + (w - left - right) * i as f64 / (lens.len() - 1) as f64;
        let py = |v: f64| top + (h - top - bottom) * (1.0 - v / y_top);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             font-family=\"sans-serif\" font-size=\"12\">"
        );
        let _ = writeln!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>");
        let _ = writeln!(
            out,
            "<text x=\"{left}\" y=\"24\" font-size=\"15\">Lines fed in 16 KiB writes: \
             throughput (MiB/s) by line length</text>"
        );
        for k in 0..=5 {
            let v = y_top * k as f64 / 5.0;
            let y = py(v);
            let _ = writeln!(
                out,
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}</text>",
                w - right,
                left - 6.0,
                y + 4.0,
                v
            );
        }
        for (i, len) in lens.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{len} B</text>",
                px(i),
                h - bottom + 20.0
            );
        }
        let palette = [
            "#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#17becf", "#bcbd22",
        ];
        for (n, (name, kind, points)) in series.iter().enumerate() {
            let color = palette[n % palette.len()];
            let dash = match kind {
                Kind::Limit => " stroke-dasharray=\"6 4\"",
                _ => "",
            };
            let width = if *kind == Kind::Ours { 3 } else { 2 };
            let path: Vec<String> = points
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", px(i), py(v))))
                .collect();
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"{dash} \
                 points=\"{}\"/>",
                path.join(" ")
            );
            let ly = top + 18.0 * n as f64 + 10.0;
            let lx = w - right + 20.0;
            let _ = writeln!(
                out,
                "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{:.1}\" y2=\"{ly}\" stroke=\"{color}\" \
                 stroke-width=\"{width}\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                lx + 24.0,
                lx + 30.0,
                ly + 4.0,
                xml_escape(&format!(
                    "{}{name}",
                    if *kind == Kind::Ours { "* " } else { "" }
                ))
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

fn format_value(v: f64) -> String {
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn nice_ceiling(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= v {
            return step * mag;
        }
    }
    10.0 * mag
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_compare_ours_with_the_best_peer_and_the_limit() {
        let mut r = Report::default();
        r.throughput("w", "limit", Kind::Limit, 1000.0);
        r.throughput("w", "slow peer", Kind::Peer, 100.0);
        r.throughput("w", "fast peer", Kind::Peer, 400.0);
        r.throughput("w", "ours", Kind::Ours, 800.0);
        r.push("mem", "peer", Kind::Peer, 8192.0, "B/conn", false);
        r.push("mem", "ours", Kind::Ours, 0.0, "B/conn", false);
        r.throughput("w", "late ours", Kind::Ours, 500.0);
        r.group();
        r.compute_ratios();
        assert_eq!(
            r.rows[4].implementation, "late ours",
            "grouped with its workload"
        );
        let ours = &r.rows[3];
        assert_eq!(ours.implementation, "ours");
        assert_eq!(ours.ratio_best_peer, Some(2.0));
        assert_eq!(ours.ratio_limit, Some(0.8));
        assert_eq!(
            r.rows[5].ratio_best_peer, None,
            "infinitely better is not a ratio"
        );
        let json = r.json();
        assert!(json.contains("\"impl\": \"ours\", \"throughput\": 800.0000"));
        assert!(json.contains("\"ratio_limit\": null"));
        assert!(r.table().contains("2.00x"));
        assert!(r.svg().starts_with("<svg"));
    }
}
