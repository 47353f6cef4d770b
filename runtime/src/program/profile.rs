//! The per-node profiler behind `tsc exec --profile` and `--trace`.
//!
//! [`Plan::run_profiled`](super::Plan::run_profiled) hands a [`Profiler`]
//! to the executor, which brackets every node it executes with
//! [`Profiler::enter`] / [`Profiler::exit`]. Nesting follows the program:
//! an `If`, `Loop` or `Fused` node (when its kernel cannot run) contains the
//! nodes of the block it runs, and a node inside a loop body is one
//! execution per iteration. From these records the profiler keeps
//!
//! - a summary per distinct node (block id + index in the block): calls,
//!   total time, *self* time (total minus the time of the nodes nested in
//!   it) and share of the run time ([`Profiler::summary`], rendered by
//!   [`Profiler::table`]), counting every execution;
//! - one event per execution, for a Chrome Trace Event file
//!   ([`Profiler::chrome_trace`], loadable in chrome://tracing and
//!   ui.perfetto.dev), capped at [`Profiler::with_max_events`] events
//!   (1,000,000 by default): past the cap executions are counted in the
//!   summary but their events are dropped, and the trace and the table say
//!   how many.
//!
//! When no profiler is given the executor's loop is the plain one: the
//! only cost is one `Option` check per block.

use serde::{Serialize, Serializer};
use std::time::Instant;

/// The default cap on kept trace events (24 bytes each).
pub const DEFAULT_MAX_EVENTS: usize = 1_000_000;

/// What a node is, for labels: its op and, when it has one, its source
/// location `"file:line:col: source line"` (the program's `locs` entry).
pub struct NodeInfo<'a> {
    pub op: String,
    pub loc: Option<&'a str>,
}

/// One distinct node's profile, summed over all its executions.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSummary {
    /// The block the node is in and its index there.
    pub block: u32,
    pub index: u32,
    /// The op name (`linear`, `Loop`, `Fused[mul, add, tanh]`, ...).
    pub op: String,
    /// `file:line:col`, and the source line, when the node has a location.
    pub loc: Option<String>,
    pub source: Option<String>,
    pub calls: u64,
    pub total_ns: u64,
    /// Total minus the time of the nodes nested inside it.
    pub self_ns: u64,
    /// `self_ns` over the total run time (0 when nothing ran).
    pub share: f64,
}

impl NodeSummary {
    /// `op  file:line:col  source`, as the table and the trace show it.
    pub fn label(&self) -> String {
        let mut s = self.op.clone();
        for part in [&self.loc, &self.source].into_iter().flatten() {
            s.push_str("  ");
            s.push_str(part);
        }
        s
    }
}

struct Stats {
    block: u32,
    index: u32,
    op: String,
    loc: Option<String>,
    source: Option<String>,
    calls: u64,
    total_ns: u64,
    self_ns: u64,
}

/// A node being executed: when it started, and the summed time of the
/// nodes nested in it so far.
struct Open {
    start: Instant,
    children_ns: u64,
}

/// One execution: a node id, or `RUN` for a whole run.
struct Event {
    node: u32,
    ts_ns: u64,
    dur_ns: u64,
}

const RUN: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// Per-node timings of one plan's runs (feed it one plan only: nodes are
/// identified by block id and index).
pub struct Profiler {
    origin: Instant,
    max_events: usize,
    nodes: Vec<Stats>,
    /// `ids[block][index]`: the node's index in `nodes`, or `NONE`.
    ids: Vec<Vec<u32>>,
    open: Vec<Open>,
    events: Vec<Event>,
    dropped: u64,
    runs: u64,
    run_ns: u64,
}

impl Default for Profiler {
    fn default() -> Profiler {
        Profiler::new()
    }
}

fn ns(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

impl Profiler {
    /// An empty profiler keeping up to [`DEFAULT_MAX_EVENTS`] trace events.
    pub fn new() -> Profiler {
        Profiler::with_max_events(DEFAULT_MAX_EVENTS)
    }

    /// An empty profiler keeping up to `max_events` trace events (0: a
    /// profiler for the table only, which keeps no trace).
    pub fn with_max_events(max_events: usize) -> Profiler {
        let origin = Instant::now();
        Profiler { origin, max_events, nodes: Vec::new(), ids: Vec::new(), open: Vec::new(), events: Vec::new(), dropped: 0, runs: 0, run_ns: 0 }
    }

    /// A node starts (the executor calls this right before running it).
    #[inline]
    pub fn enter(&mut self) {
        self.push(Instant::now());
    }

    /// The node entered last ends. `info` is asked for only the first
    /// time this node is seen.
    #[inline]
    pub fn exit<'a>(&mut self, block: u32, index: u32, info: impl FnOnce() -> NodeInfo<'a>) {
        self.pop(Instant::now(), block, index, info);
    }

    /// A whole run took `[start, end]` (`Plan::run_profiled` records it).
    pub fn add_run(&mut self, start: Instant, end: Instant) {
        let dur_ns = ns(start, end);
        self.runs += 1;
        self.run_ns = self.run_ns.saturating_add(dur_ns);
        self.event(RUN, ns(self.origin, start), dur_ns);
    }

    fn push(&mut self, start: Instant) {
        self.open.push(Open { start, children_ns: 0 });
    }

    fn pop<'a>(&mut self, end: Instant, block: u32, index: u32, info: impl FnOnce() -> NodeInfo<'a>) {
        let Some(open) = self.open.pop() else { return };
        let dur_ns = ns(open.start, end);
        if let Some(parent) = self.open.last_mut() {
            parent.children_ns = parent.children_ns.saturating_add(dur_ns);
        }
        let id = self.id(block, index, info);
        let s = &mut self.nodes[id as usize];
        s.calls += 1;
        s.total_ns = s.total_ns.saturating_add(dur_ns);
        s.self_ns = s.self_ns.saturating_add(dur_ns.saturating_sub(open.children_ns));
        self.event(id, ns(self.origin, open.start), dur_ns);
    }

    fn event(&mut self, node: u32, ts_ns: u64, dur_ns: u64) {
        if self.events.len() < self.max_events {
            self.events.push(Event { node, ts_ns, dur_ns });
        } else {
            self.dropped += 1;
        }
    }

    /// Registers a node before any run (`run_profiled` registers every
    /// node of the plan, so a first execution costs no more than later ones).
    #[inline]
    pub fn register<'a>(&mut self, block: u32, index: u32, info: impl FnOnce() -> NodeInfo<'a>) {
        self.id(block, index, info);
    }

    /// The node's id, registering it on first sight.
    fn id<'a>(&mut self, block: u32, index: u32, info: impl FnOnce() -> NodeInfo<'a>) -> u32 {
        let (b, i) = (block as usize, index as usize);
        if self.ids.len() <= b {
            self.ids.resize_with(b + 1, Vec::new);
        }
        let row = &mut self.ids[b];
        if row.len() <= i {
            row.resize(i + 1, NONE);
        }
        if row[i] == NONE {
            row[i] = self.nodes.len() as u32;
            let NodeInfo { op, loc } = info();
            let (loc, source) = match loc.map(|l| l.split_once(": ").unwrap_or((l, ""))) {
                Some((place, src)) => (Some(place.to_string()), Some(src.trim()).filter(|s| !s.is_empty()).map(str::to_string)),
                None => (None, None),
            };
            self.nodes.push(Stats { block, index, op, loc, source, calls: 0, total_ns: 0, self_ns: 0 });
        }
        row[i]
    }

    /// How many runs were profiled, and their summed wall time.
    pub fn runs(&self) -> (u64, u64) {
        (self.runs, self.run_ns)
    }

    /// Executions whose trace events were dropped (over the cap).
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }

    /// Every distinct node that ran, by self time, slowest first.
    pub fn summary(&self) -> Vec<NodeSummary> {
        let share = |self_ns: u64| if self.run_ns == 0 { 0.0 } else { self_ns as f64 / self.run_ns as f64 };
        let mut v: Vec<NodeSummary> = self
            .nodes
            .iter()
            .filter(|s| s.calls > 0)
            .map(|s| NodeSummary { block: s.block, index: s.index, op: s.op.clone(), loc: s.loc.clone(), source: s.source.clone(), calls: s.calls, total_ns: s.total_ns, self_ns: s.self_ns, share: share(s.self_ns) })
            .collect();
        v.sort_by(|a, b| b.self_ns.cmp(&a.self_ns).then((a.block, a.index).cmp(&(b.block, b.index))));
        v
    }

    /// The summary as a fixed-width text table, with a total line (the
    /// self times summed, the run time, all executions) and, when the
    /// trace dropped events, a line saying how many.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let rows = self.summary();
        let mut t = format!("{:>10} {:>10} {:>9} {:>6}  node\n", "self ms", "total ms", "calls", "share");
        for r in &rows {
            let _ = writeln!(t, "{:>10.3} {:>10.3} {:>9} {:>5.1}%  {}", ms(r.self_ns), ms(r.total_ns), r.calls, r.share * 100.0, r.label());
        }
        let self_ns: u64 = rows.iter().map(|r| r.self_ns).sum();
        let calls: u64 = rows.iter().map(|r| r.calls).sum();
        let share = if self.run_ns == 0 { 0.0 } else { self_ns as f64 / self.run_ns as f64 };
        let runs = if self.runs == 1 { "1 run".to_string() } else { format!("{} runs", self.runs) };
        let outside = ms(self.run_ns.saturating_sub(self_ns));
        let _ = writeln!(t, "{:>10.3} {:>10.3} {:>9} {:>5.1}%  total: {runs}, {} distinct nodes ({outside:.3} ms outside nodes)", ms(self_ns), ms(self.run_ns), calls, share * 100.0, rows.len());
        if self.dropped > 0 && self.max_events > 0 {
            let _ = writeln!(t, "trace: {} events dropped over the cap of {} (the table counts every call)", self.dropped, self.max_events);
        }
        t
    }

    /// The runs as Chrome Trace Event JSON: one complete (`"ph":"X"`) event
    /// per node execution and one per run (`"cat":"run"`), times in µs
    /// from the profiler's creation, nested events within their parent's
    /// interval. `otherData` says how many events were dropped.
    pub fn chrome_trace(&self) -> String {
        serde_json::to_string(&self.trace()).unwrap_or_default()
    }

    /// [`chrome_trace`](Self::chrome_trace) written to `w` (no string of
    /// the whole trace in memory).
    pub fn write_chrome_trace(&self, w: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(w, &self.trace()).map_err(std::io::Error::other)
    }

    fn trace(&self) -> Trace<'_> {
        let other = OtherData { runs: self.runs, events: self.events.len() as u64, dropped_events: self.dropped, max_events: self.max_events as u64 };
        Trace { trace_events: Events(self), display_time_unit: "ms", other_data: other }
    }

    fn trace_event(&self, e: &Event) -> TraceEvent<'_> {
        let us = |n: u64| n as f64 / 1e3;
        let (name, cat, args) = match self.nodes.get(e.node as usize) {
            Some(s) => (s.op.as_str(), "op", TraceArgs { loc: s.loc.as_deref(), source: s.source.as_deref(), block: Some(s.block), node: Some(s.index) }),
            None => ("run", "run", TraceArgs { loc: None, source: None, block: None, node: None }),
        };
        TraceEvent { name, cat, ph: "X", ts: us(e.ts_ns), dur: us(e.dur_ns), pid: 1, tid: 1, args }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Trace<'a> {
    trace_events: Events<'a>,
    display_time_unit: &'static str,
    other_data: OtherData,
}

#[derive(Serialize)]
struct OtherData {
    runs: u64,
    events: u64,
    dropped_events: u64,
    max_events: u64,
}

/// The events, serialized lazily in start order (a parent before its
/// children).
struct Events<'a>(&'a Profiler);

impl Serialize for Events<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let p = self.0;
        let mut order: Vec<u32> = (0..p.events.len() as u32).collect();
        order.sort_by_key(|&i| {
            let e = &p.events[i as usize];
            (e.ts_ns, std::cmp::Reverse(e.dur_ns))
        });
        s.collect_seq(order.iter().map(|&i| p.trace_event(&p.events[i as usize])))
    }
}

#[derive(Serialize)]
struct TraceEvent<'a> {
    name: &'a str,
    cat: &'static str,
    ph: &'static str,
    ts: f64,
    dur: f64,
    pid: u32,
    tid: u32,
    args: TraceArgs<'a>,
}

#[derive(Serialize)]
struct TraceArgs<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    loc: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::super::schema::{BlockDef, ConstDef, IoDef, IoKind, NodeDef, OpCode, ProgramDef};
    use super::super::Plan;
    use super::*;
    use crate::Value;
    use std::time::Duration;

    fn info(op: &str) -> impl FnOnce() -> NodeInfo<'static> + '_ {
        move || NodeInfo { op: op.to_string(), loc: None }
    }

    fn at(p: &Profiler, ns: u64) -> Instant {
        p.origin + Duration::from_nanos(ns)
    }

    fn row<'a>(rows: &'a [NodeSummary], op: &str) -> &'a NodeSummary {
        rows.iter().find(|r| r.op == op).unwrap_or_else(|| panic!("no row {op}"))
    }

    /// Loop [0, 100] holding A [10, 30], B [40, 70] holding C [45, 55];
    /// then A again [100, 105] at the top level; the run is [0, 120].
    #[test]
    fn self_time_is_total_minus_nested_nodes() {
        let mut p = Profiler::new();
        p.register(3, 0, info("never")); // an untaken branch: not in the summary
        p.push(at(&p, 0)); // Loop (block 0, node 2)
        p.push(at(&p, 10)); // A (block 1, node 0)
        p.pop(at(&p, 30), 1, 0, info("A"));
        p.push(at(&p, 40)); // B (block 1, node 1)
        p.push(at(&p, 45)); // C (block 2, node 0)
        p.pop(at(&p, 55), 2, 0, info("C"));
        p.pop(at(&p, 70), 1, 1, info("B"));
        p.pop(at(&p, 100), 0, 2, info("Loop"));
        p.push(at(&p, 100));
        p.pop(at(&p, 105), 1, 0, || panic!("a known node's info is not asked for again"));
        p.add_run(at(&p, 0), at(&p, 120));
        let rows = p.summary();
        let got: Vec<(&str, u64, u64, u64)> = rows.iter().map(|r| (r.op.as_str(), r.calls, r.total_ns, r.self_ns)).collect();
        // By self time: Loop 100 - (20 + 30), A 20 + 5, B 30 - 10, C 10.
        assert_eq!(got, [("Loop", 1, 100, 50), ("A", 2, 25, 25), ("B", 1, 30, 20), ("C", 1, 10, 10)]);
        assert!((row(&rows, "Loop").share - 50.0 / 120.0).abs() < 1e-12);
        assert_eq!((row(&rows, "C").block, row(&rows, "C").index), (2, 0));
        assert_eq!(p.runs(), (1, 120));
        let table = p.table();
        let total = table.lines().find(|l| l.contains("total:")).expect("a total line");
        // Self times sum to 105 of the 120 ns run: 15 ns outside nodes.
        assert!(total.contains(" 5 ") && total.contains("87.5%") && total.contains("1 run, 4 distinct nodes"), "{table}");
        assert!(table.starts_with("   self ms   total ms     calls  share  node\n"), "{table}");
    }

    #[test]
    fn trace_events_nest_and_escape() {
        let mut p = Profiler::new();
        p.push(at(&p, 1_000));
        p.push(at(&p, 2_000));
        p.pop(at(&p, 3_500), 1, 0, || NodeInfo { op: "say \"hi\"\n".into(), loc: Some("m.py:3:5: print(\"hi\")") });
        p.pop(at(&p, 9_000), 0, 0, info("If"));
        p.add_run(at(&p, 500), at(&p, 9_500));
        let v: serde_json::Value = serde_json::from_str(&p.chrome_trace()).expect("valid JSON");
        assert_eq!(v["displayTimeUnit"], "ms");
        let ev = v["traceEvents"].as_array().expect("events");
        let names: Vec<&str> = ev.iter().map(|e| e["name"].as_str().unwrap_or("?")).collect();
        assert_eq!(names, ["run", "If", "say \"hi\"\n"], "start order");
        assert!(ev.iter().all(|e| e["ph"] == "X" && e["pid"] == 1 && e["tid"] == 1));
        assert_eq!((ev[2]["ts"].as_f64(), ev[2]["dur"].as_f64()), (Some(2.0), Some(1.5)));
        assert_eq!(ev[2]["args"]["loc"], "m.py:3:5");
        assert_eq!(ev[2]["args"]["source"], "print(\"hi\")");
        assert_eq!((ev[1]["ts"].as_f64(), ev[1]["dur"].as_f64(), ev[0]["cat"].as_str()), (Some(1.0), Some(8.0), Some("run")));
        assert_eq!(p.summary()[1].label(), "say \"hi\"\n  m.py:3:5  print(\"hi\")");
    }

    #[test]
    fn trace_events_are_capped_but_every_call_counts() {
        let mut p = Profiler::with_max_events(3);
        for i in 0..5u64 {
            p.push(at(&p, 10 * i));
            p.pop(at(&p, 10 * i + 4), 0, 0, info("mul"));
        }
        p.add_run(at(&p, 0), at(&p, 60));
        assert_eq!((p.events.len(), p.dropped_events()), (3, 3));
        assert_eq!((p.summary()[0].calls, p.summary()[0].total_ns), (5, 20));
        let v: serde_json::Value = serde_json::from_str(&p.chrome_trace()).expect("valid JSON");
        assert_eq!(v["traceEvents"].as_array().map(Vec::len), Some(3));
        assert_eq!((v["otherData"]["dropped_events"].as_u64(), v["otherData"]["max_events"].as_u64()), (Some(3), Some(3)));
        assert!(p.table().contains("trace: 3 events dropped over the cap of 3"), "{}", p.table());
        let mut none = Profiler::with_max_events(0);
        none.push(at(&none, 0));
        none.pop(at(&none, 1), 0, 0, info("mul"));
        assert_eq!((none.events.len(), none.dropped_events(), none.summary()[0].calls), (0, 1, 1));
        assert!(!none.table().contains("trace:"), "a table-only profiler says nothing of a trace");
    }

    /// `for i in range(n): s = s + i * i` through the executor: the body's
    /// nodes run `n` times, nested in the loop; results are `run`'s.
    #[test]
    fn executor_records_every_node_execution() {
        let node = |op: OpCode, inputs: &[u32], outputs: &[u32]| NodeDef { op, inputs: inputs.to_vec(), outputs: outputs.to_vec(), blocks: vec![], loc: None };
        let call = |name: &str, inputs: &[u32], outputs: &[u32]| node(OpCode::Call { name: name.into() }, inputs, outputs);
        let mut mul = call("mul", &[3, 3], &[5]);
        mul.loc = Some(0);
        let body = BlockDef { params: vec![3, 4], nodes: vec![mul, call("add", &[4, 5], &[6])], results: vec![2, 6] };
        let mut lp = node(OpCode::Loop, &[0, 2, 1], &[7]);
        lp.blocks = vec![1];
        let entry = BlockDef { params: vec![0], nodes: vec![node(OpCode::Const(0), &[], &[1]), node(OpCode::Const(1), &[], &[2]), lp], results: vec![7] };
        let inputs = vec![IoDef { name: "n".into(), kind: IoKind::Int, slot: 0 }];
        let consts = vec![ConstDef::Int(0), ConstDef::Bool(true)];
        let def = ProgramDef { blocks: vec![entry, body], inputs, outputs: vec![7], consts, locs: vec!["m.py:3:5: s = s + i * i".into()], num_slots: 8, kernels: vec![] };
        let plan = Plan::new(&def).expect("valid program");
        let args = vec![("n".to_string(), Value::Int(6))];
        let mut p = Profiler::new();
        assert_eq!(plan.run_profiled(&args, &mut p).expect("runs"), plan.run(&args).expect("runs"));
        assert_eq!(plan.run_profiled(&args, &mut p).expect("runs"), vec![Value::Int(55)]);
        let rows = p.summary();
        assert_eq!((row(&rows, "mul").calls, row(&rows, "add").calls, row(&rows, "Loop").calls, row(&rows, "Const").calls), (12, 12, 2, 2));
        assert_eq!(row(&rows, "mul").label(), "mul  m.py:3:5  s = s + i * i");
        let lp = row(&rows, "Loop");
        assert!(lp.total_ns >= row(&rows, "mul").total_ns + row(&rows, "add").total_ns && lp.self_ns <= lp.total_ns);
        assert_eq!(p.runs().0, 2);
        let v: serde_json::Value = serde_json::from_str(&p.chrome_trace()).expect("valid JSON");
        let ev = v["traceEvents"].as_array().expect("events");
        assert_eq!(ev.len(), 2 + 2 * (2 + 1 + 12));
        let span = |e: &serde_json::Value| (e["ts"].as_f64().unwrap_or(-1.0), e["ts"].as_f64().unwrap_or(-1.0) + e["dur"].as_f64().unwrap_or(-1.0));
        let loops: Vec<_> = ev.iter().filter(|e| e["name"] == "Loop").map(span).collect();
        for (s, e) in ev.iter().filter(|e| e["name"] == "mul").map(span) {
            assert!(loops.iter().any(|&(ls, le)| ls <= s && e <= le + 1e-6), "mul [{s}, {e}] outside every loop {loops:?}");
        }
    }
}
