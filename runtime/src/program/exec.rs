//! The executor: runs a `Plan` over a `Frame` of value slots. One
//! interpreter loop over a block's nodes; `If` and `Loop` recurse into
//! their blocks (depth bounded by validation). After each node the plan's
//! free list clears the slots whose last use it was, so intermediate
//! tensors die as early as in eager mode.
//!
//! An error raised by a node (an op's error, a bad unpack, `Raise`) is
//! reported with the node's source location:
//! `linear: shapes ... at model.py:12:16: return F.linear(x, w)`.
//!
//! `Plan::run_profiled` runs the same loop with a [`Profiler`] in the
//! frame: each block then runs through `exec_block_profiled`, which
//! brackets every node with `enter`/`exit`. Without one, the only cost is
//! one check per block.

use super::call::call;
use super::plan::{PBlock, PNode, POp, Plan};
use super::profile::{NodeInfo, Profiler};
use super::schema::IoKind;
use crate::ops::write_inplace;
use crate::{Category, Error, Result, Value};

/// The per-run state: one optional value per slot, and the profiler of a
/// profiled run.
pub struct Frame {
    pub slots: Vec<Option<Value>>,
    prof: Option<Profiler>,
}

impl Frame {
    /// An empty frame sized for `plan`.
    pub fn new(plan: &Plan) -> Frame {
        Frame { slots: vec![None; plan.num_slots], prof: None }
    }
}

fn clear(frame: &mut Frame, slots: &[u32]) {
    for &s in slots {
        if let Some(x) = frame.slots.get_mut(s as usize) {
            *x = None;
        }
    }
}

pub(super) fn internal(msg: impl std::fmt::Display) -> Error {
    Error::op("executor", format!("internal: {msg}"))
}

impl Plan {
    /// Runs the entry block with named inputs and returns its results.
    pub fn run(&self, inputs: &[(String, Value)]) -> Result<Vec<Value>> {
        self.run_in(&mut Frame::new(self), inputs)
    }

    /// `run` reusing a frame (its previous contents are dropped).
    pub fn run_in(&self, frame: &mut Frame, inputs: &[(String, Value)]) -> Result<Vec<Value>> {
        frame.slots.clear();
        frame.slots.resize(self.num_slots, None);
        let takes = || self.inputs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ");
        for (name, _) in inputs {
            if !self.inputs.iter().any(|d| &d.name == name) {
                return Err(Error::op("program", format!("unexpected input `{name}` (the program takes: {})", takes())));
            }
        }
        for d in &self.inputs {
            let v = inputs.iter().find(|(n, _)| n == &d.name).map(|(_, v)| v);
            let v = v.ok_or_else(|| Error::op("program", format!("missing input `{}` (the program takes: {})", d.name, takes())))?;
            let v = input_value(d.kind, v).ok_or_else(|| Error::op("program", format!("input `{}` must be {}, not {}", d.name, kind_text(d.kind), describe(v))))?;
            self.set(frame, d.slot, v)?;
        }
        let entry = self.block(0)?;
        self.exec_block(0, entry, frame)?;
        self.results(entry, frame)
    }

    /// `run`, timing every node it executes into `prof` (which may hold
    /// earlier runs of this plan; see `profile.rs`).
    pub fn run_profiled(&self, inputs: &[(String, Value)], prof: &mut Profiler) -> Result<Vec<Value>> {
        for (bi, b) in self.blocks.iter().enumerate() {
            for (k, node) in b.nodes.iter().enumerate() {
                prof.register(bi as u32, k as u32, || self.node_info(node));
            }
        }
        let mut frame = Frame::new(self);
        frame.prof = Some(std::mem::take(prof));
        let start = std::time::Instant::now();
        let out = self.run_in(&mut frame, inputs);
        let end = std::time::Instant::now();
        *prof = frame.prof.take().unwrap_or_default();
        prof.add_run(start, end);
        out
    }

    fn block(&self, b: u32) -> Result<&PBlock> {
        self.blocks.get(b as usize).ok_or_else(|| internal(format!("no block {b}")))
    }

    fn set(&self, frame: &mut Frame, s: u32, v: Value) -> Result<()> {
        let slot = frame.slots.get_mut(s as usize).ok_or_else(|| internal(format!("no slot %{s}")))?;
        *slot = Some(v);
        Ok(())
    }

    /// The value in slot `s`, moved out when `take`.
    fn get(&self, frame: &mut Frame, s: u32, take: bool) -> Result<Value> {
        let slot = frame.slots.get_mut(s as usize).and_then(|x| if take { x.take() } else { x.clone() });
        slot.ok_or_else(|| internal(format!("slot %{s} is empty")))
    }

    fn results(&self, b: &PBlock, frame: &mut Frame) -> Result<Vec<Value>> {
        b.results.iter().map(|&(s, take)| self.get(frame, s, take)).collect()
    }

    /// Runs block `bi` (`b`), whose params are already set.
    fn exec_block(&self, bi: u32, b: &PBlock, frame: &mut Frame) -> Result<()> {
        clear(frame, &b.free_at_entry);
        if frame.prof.is_some() {
            return self.exec_block_profiled(bi, b, frame);
        }
        for node in &b.nodes {
            self.exec_node(node, frame)?;
            clear(frame, &node.free);
        }
        Ok(())
    }

    /// `exec_block`'s loop with every node timed into the frame's profiler.
    fn exec_block_profiled(&self, bi: u32, b: &PBlock, frame: &mut Frame) -> Result<()> {
        for (k, node) in b.nodes.iter().enumerate() {
            if let Some(p) = frame.prof.as_mut() {
                p.enter();
            }
            let r = self.exec_node(node, frame);
            if let Some(p) = frame.prof.as_mut() {
                p.exit(bi, k as u32, || self.node_info(node));
            }
            r?;
            clear(frame, &node.free);
        }
        Ok(())
    }

    /// One node. Always inlined: the plain loop of `exec_block` stays
    /// what it was before profiling existed (no call per node).
    #[inline(always)]
    fn exec_node(&self, node: &PNode, frame: &mut Frame) -> Result<()> {
        match node.op {
            POp::If => self.exec_if(node, frame),
            POp::Loop => self.exec_loop(node, frame),
            POp::Fused(k) => self.exec_fused(node, k, frame),
            _ => self.exec_leaf(node, frame).map_err(|e| self.at(node, e)),
        }
    }

    /// The node's op and location, for the profile. A fused node lists the
    /// ops of its block (what the kernel computes).
    fn node_info(&self, node: &PNode) -> NodeInfo<'_> {
        let loc = node.loc.and_then(|l| self.locs.get(l as usize)).map(String::as_str);
        let body = node.blocks.first().and_then(|&b| self.blocks.get(b as usize));
        let op = match (&node.op, body) {
            (POp::Fused(_), Some(body)) => {
                let ops: Vec<&str> = body.nodes.iter().filter(|n| !matches!(n.op, POp::Const(_))).map(PNode::op_name).collect();
                match ops.len() {
                    0..=6 => format!("Fused[{}]", ops.join(", ")),
                    n => format!("Fused[{}, ... {n} ops]", ops[..5].join(", ")),
                }
            }
            _ => node.op_name().to_string(),
        };
        NodeInfo { op, loc }
    }

    /// Adds the node's source location to an error.
    fn at(&self, node: &PNode, e: Error) -> Error {
        let Some(loc) = node.loc.and_then(|l| self.locs.get(l as usize)) else { return e };
        match e {
            Error::Op { op, msg } => Error::Op { op, msg: format!("{msg} at {loc}") },
            Error::Signature(msg) => Error::Signature(format!("{msg} at {loc}")),
            Error::Io { path, msg } => Error::Io { path, msg: format!("{msg} at {loc}") },
        }
    }

    fn args(&self, node: &PNode, frame: &mut Frame) -> Result<Vec<Value>> {
        node.inputs.iter().map(|&(s, take)| self.get(frame, s, take)).collect()
    }

    fn set_all(&self, node: &PNode, frame: &mut Frame, vals: Vec<Value>) -> Result<()> {
        if vals.len() != node.outputs.len() {
            return Err(internal(format!("{} values for {} outputs", vals.len(), node.outputs.len())));
        }
        for (&s, v) in node.outputs.iter().zip(vals) {
            self.set(frame, s, v)?;
        }
        Ok(())
    }

    fn exec_leaf(&self, node: &PNode, frame: &mut Frame) -> Result<()> {
        let args = self.args(node, frame)?;
        let out = match &node.op {
            POp::Call { name, overloads } => call(name, overloads, args)?,
            POp::InPlace { name, overloads } => {
                let Some(Value::Tensor(target)) = args.first().cloned() else {
                    return Err(Error::op(name, "an in-place op needs a tensor as its first argument"));
                };
                write_inplace(name, &target, call(name, overloads, args)?)?
            }
            POp::Append(overloads) => match <[Value; 2]>::try_from(args) {
                Ok([Value::List(mut items), v]) => {
                    items.push(v);
                    Value::List(items)
                }
                Ok(args) => call("append", overloads, args.into())?,
                Err(args) => call("append", overloads, args)?,
            },
            POp::Linear { packed, overloads } => match super::packed::linear(&args, packed) {
                Some(out) => out?,
                None => call("linear", overloads, args)?,
            },
            POp::ConvRelu { name, conv, relu } => super::epilogue::conv_relu(name, conv, relu, args)?,
            POp::ConvResidualRelu { name, conv, add, relu, conv_first } => super::epilogue::conv_residual_relu(name, conv, add, relu, *conv_first, args)?,
            POp::LinearAdd { packed, linear, add, split, linear_first } => super::linear_add::linear_add(packed.as_ref(), linear, add, *split, *linear_first, args)?,
            POp::ConvShortcut { conv, relu, short, split } => super::shortcut::conv_shortcut(conv, *relu, short, *split, args)?,
            POp::NormSoftmax { layer_norm, softmax, split } => super::row_chain::norm_softmax(layer_norm, softmax, *split, args)?,
            POp::LoopLinear { cache, packed, getitem, linear } => {
                let cache = frame.slots.get_mut(*cache as usize).ok_or_else(|| internal(format!("no slot %{cache}")))?;
                super::loop_linear::loop_linear(args, cache, packed.as_deref(), getitem, linear)?
            }
            POp::Const(i) => self.consts.get(*i).cloned().ok_or_else(|| internal(format!("no const {i}")))?,
            POp::ListConstruct => Value::List(args),
            POp::TupleConstruct => Value::Tuple(args),
            POp::ListUnpack | POp::TupleUnpack => return self.unpack(node, frame, args),
            POp::TupleIndex(i) => match args.into_iter().next() {
                Some(Value::Tuple(items)) => {
                    let n = items.len();
                    items.into_iter().nth(*i).ok_or_else(|| Error::op("TupleIndex", format!("index {i} is out of range for a {n}-tuple")))?
                }
                Some(v) => return Err(Error::op("TupleIndex", format!("expected a tuple, got {}", v.type_name()))),
                None => return Err(internal("TupleIndex without input")),
            },
            POp::Raise => {
                let msg = match args.first() {
                    Some(Value::Str(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                return Err(Error::op("raise", msg));
            }
            POp::If | POp::Loop | POp::Fused(_) => return Err(internal("a node with blocks in exec_leaf")),
        };
        match node.outputs.len() {
            0 => Ok(()),
            1 => self.set(frame, node.outputs[0], out),
            n => match out {
                Value::Tuple(items) if items.len() == n => self.set_all(node, frame, items),
                v => Err(Error::op(node.op_name(), format!("returned {} where the program expects a {n}-tuple", v.type_name()))),
            },
        }
    }

    fn unpack(&self, node: &PNode, frame: &mut Frame, args: Vec<Value>) -> Result<()> {
        let (what, items) = match (&node.op, args.into_iter().next()) {
            (POp::ListUnpack, Some(Value::List(v))) => ("list", v),
            (POp::TupleUnpack, Some(Value::Tuple(v))) => ("tuple", v),
            (_, v) => {
                let got = v.map(|v| v.type_name()).unwrap_or_default();
                return Err(Error::op(node.op_name(), format!("cannot unpack {got}")));
            }
        };
        if items.len() != node.outputs.len() {
            let msg = format!("expected a {what} of {} items, got {}", node.outputs.len(), items.len());
            return Err(Error::op(node.op_name(), format!("ValueError: {msg}")));
        }
        self.set_all(node, frame, items)
    }

    /// Runs the kernel, or the node's block where the kernel cannot run.
    fn exec_fused(&self, node: &PNode, k: usize, frame: &mut Frame) -> Result<()> {
        let args = self.args(node, frame)?;
        let fused = self.kernels.get(k).ok_or_else(|| internal(format!("no kernel {k}")))?;
        if let Some(outs) = fused.try_run(&args).map_err(|e| self.at(node, e))? {
            return self.set_all(node, frame, outs);
        }
        let bi = *node.blocks.first().ok_or_else(|| internal("Fused without a block"))?;
        let body = self.block(bi)?;
        for (&s, v) in body.params.iter().zip(args) {
            self.set(frame, s, v)?;
        }
        self.exec_block(bi, body, frame)?;
        let vals = self.results(body, frame)?;
        self.set_all(node, frame, vals)
    }

    fn exec_if(&self, node: &PNode, frame: &mut Frame) -> Result<()> {
        let cond = self.bool_input(node, frame, 0).map_err(|e| self.at(node, e))?;
        let b = *node.blocks.get(if cond { 0 } else { 1 }).ok_or_else(|| internal("If without blocks"))?;
        let blk = self.block(b)?;
        self.exec_block(b, blk, frame)?;
        let vals = self.results(blk, frame)?;
        self.set_all(node, frame, vals)
    }

    fn bool_input(&self, node: &PNode, frame: &mut Frame, i: usize) -> Result<bool> {
        let &(s, _) = node.inputs.get(i).ok_or_else(|| internal("missing input"))?;
        match self.get(frame, s, false)? {
            Value::Bool(b) => Ok(b),
            v => Err(Error::op(node.op_name(), format!("the condition must be a bool, not {}", v.type_name()))),
        }
    }

    fn exec_loop(&self, node: &PNode, frame: &mut Frame) -> Result<()> {
        let &(trip_slot, _) = node.inputs.first().ok_or_else(|| internal("Loop without inputs"))?;
        let max_trip = match self.get(frame, trip_slot, false)? {
            Value::Int(n) => n,
            v => return Err(self.at(node, Error::op("Loop", format!("the trip count must be an int, not {}", v.type_name())))),
        };
        let mut cond = self.bool_input(node, frame, 1).map_err(|e| self.at(node, e))?;
        let mut carried: Vec<Value> = node.inputs.get(2..).unwrap_or_default().iter().map(|&(s, _)| self.get(frame, s, false)).collect::<Result<_>>()?;
        let bi = *node.blocks.first().ok_or_else(|| internal("Loop without a block"))?;
        let body = self.block(bi)?;
        let mut i: i64 = 0;
        while cond && i < max_trip {
            let (&iter_slot, carried_slots) = body.params.split_first().ok_or_else(|| internal("Loop body without params"))?;
            self.set(frame, iter_slot, Value::Int(i))?;
            for (&s, v) in carried_slots.iter().zip(carried.drain(..)) {
                self.set(frame, s, v)?;
            }
            self.exec_block(bi, body, frame)?;
            let mut res = self.results(body, frame)?.into_iter();
            cond = match res.next() {
                Some(Value::Bool(b)) => b,
                v => {
                    let got = v.map(|v| v.type_name()).unwrap_or_default();
                    return Err(self.at(node, Error::op("Loop", format!("the loop condition must be a bool, not {got}"))));
                }
            };
            carried.extend(res);
            i += 1;
        }
        self.set_all(node, frame, carried)
    }
}

impl PNode {
    pub(super) fn op_name(&self) -> &str {
        match &self.op {
            POp::Call { name, .. } | POp::InPlace { name, .. } => name,
            POp::Append(_) => "append",
            POp::Linear { .. } => "linear",
            POp::ConvRelu { .. } => "conv+relu",
            POp::ConvResidualRelu { .. } => "conv+add+relu",
            POp::ConvShortcut { relu: Some(_), .. } => "conv+relu+shortcut",
            POp::ConvShortcut { relu: None, .. } => "conv+shortcut",
            POp::LoopLinear { .. } => "linear (rows at once)",
            POp::LinearAdd { .. } => "linear+add",
            POp::NormSoftmax { .. } => "layer_norm+softmax",
            POp::Const(_) => "Const",
            POp::If => "If",
            POp::Loop => "Loop",
            POp::ListConstruct => "ListConstruct",
            POp::TupleConstruct => "TupleConstruct",
            POp::ListUnpack => "ListUnpack",
            POp::TupleUnpack => "TupleUnpack",
            POp::TupleIndex(_) => "TupleIndex",
            POp::Raise => "Raise",
            POp::Fused(_) => "Fused",
        }
    }
}

/// What an input of `kind` may be, for messages.
fn kind_text(kind: IoKind) -> &'static str {
    match kind {
        IoKind::Tensor => "a Tensor",
        IoKind::Int => "an int (or a one-element integer tensor, e.g. 0-d int64)",
        IoKind::Float => "a float (or a one-element float or integer tensor, e.g. 0-d float32)",
        IoKind::Bool => "a bool (or a one-element bool tensor)",
    }
}

/// `a float32 tensor of shape [2]`, `an int`, ...
fn describe(v: &Value) -> String {
    match v {
        Value::Tensor(t) => format!("a {} tensor of shape {:?}", t.dtype().name(), t.shape()),
        Value::Int(_) => "an int".into(),
        v => format!("a {}", v.type_name()),
    }
}

/// An input value checked (and converted) for its declared kind. A 0-d or
/// one-element tensor is accepted for a number, as the CLI passes numbers.
fn input_value(kind: IoKind, v: &Value) -> Option<Value> {
    let item = |cats: &[Category]| match v {
        Value::Tensor(t) if t.numel() == 1 && cats.contains(&t.dtype().category()) => t.item().ok(),
        _ => None,
    };
    match (kind, v) {
        (IoKind::Tensor, Value::Tensor(_)) | (IoKind::Int, Value::Int(_)) | (IoKind::Float, Value::Float(_)) | (IoKind::Bool, Value::Bool(_)) => Some(v.clone()),
        (IoKind::Float, Value::Int(i)) => Some(Value::Float(*i as f64)),
        (IoKind::Int, _) => item(&[Category::Int]).map(|s| Value::Int(s.to_i64())),
        (IoKind::Float, _) => item(&[Category::Float, Category::Int]).map(|s| Value::Float(s.to_f64())),
        (IoKind::Bool, _) => item(&[Category::Bool]).map(|s| Value::Bool(s.to_bool())),
        (IoKind::Tensor, _) => None,
    }
}
