//! Structural validation of a `ProgramDef` and the liveness facts the plan
//! is built from. One recursive walk over the block tree (depth bounded by
//! [`MAX_DEPTH`]) checks, in order:
//!
//! 1. there is an entry block; its params are the input slots and its
//!    results the output slots; input names are unique;
//! 2. every slot id is `< num_slots` and defined exactly once (a block
//!    param or a node output), and every slot `0..num_slots` is defined;
//! 3. every use sees a definition: earlier in its block, or in an
//!    enclosing block before the enclosing node (block-structured
//!    dominance); a node's blocks do not see the node's own outputs;
//! 4. each node's arity fits its opcode (`If`: one bool input and two
//!    blocks without params whose results match the outputs; `Loop`:
//!    `(max_trip, cond, carried...)` against the body's params and results;
//!    `Fused`: one block with a param per input and a result per output);
//!    const and loc indices are in range;
//! 5. every non-entry block belongs to exactly one node.
//!
//! Op names and constants are checked by `plan.rs`, which owns the
//! registry and the tensor table. The walk also records, per slot, the
//! block that defines it and its last use *in that block* (a use inside a
//! nested block counts as a use by the enclosing node), so the plan can
//! free each value right after its last use.

use super::schema::{OpCode, ProgramDef};
use crate::{Error, Result};

/// Deepest nesting of `If`/`Loop` blocks accepted (keeps the executor's
/// recursion, and this walk's, far from the stack limit).
pub const MAX_DEPTH: usize = 64;

/// Where a slot is last used, relative to its defining block.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum LastUse {
    Never,
    /// By node `k` of the defining block (directly or inside its blocks).
    Node(u32),
    /// By the defining block's results.
    Results,
}

/// Per-slot facts from the walk.
pub(super) struct Liveness {
    pub def_block: Vec<u32>,
    /// `Some(k)` when defined by node `k`, `None` for a block param.
    pub def_node: Vec<Option<u32>>,
    pub last_use: Vec<LastUse>,
}

pub(super) fn bad(msg: impl std::fmt::Display) -> Error {
    Error::op("program", msg)
}

struct Walker<'a> {
    def: &'a ProgramDef,
    visible: Vec<bool>,
    defined: Vec<bool>,
    def_depth: Vec<u32>,
    live: Liveness,
    /// The enclosing `(block, node)` at each depth above the current one.
    path: Vec<(u32, u32)>,
    visited: Vec<bool>,
}

/// Validates `def` and returns the liveness facts.
pub(super) fn verify(def: &ProgramDef) -> Result<Liveness> {
    let entry = def.blocks.first().ok_or_else(|| bad("the program has no entry block"))?;
    let n = def.num_slots as usize;
    // Every slot is defined once, so a valid `num_slots` is at most the
    // number of definitions in the file; checking that first keeps a
    // hostile count from sizing the tables below.
    let defs: usize = def.blocks.iter().map(|b| b.params.len() + b.nodes.iter().map(|k| k.outputs.len()).sum::<usize>()).sum();
    if n > defs {
        return Err(bad(format!("num_slots is {n} but the program defines only {defs} values")));
    }
    let input_slots: Vec<u32> = def.inputs.iter().map(|i| i.slot).collect();
    if entry.params != input_slots {
        return Err(bad("the entry block's params are not the input slots"));
    }
    if entry.results != def.outputs {
        return Err(bad("the entry block's results are not the output slots"));
    }
    let mut names = std::collections::HashSet::new();
    if let Some(a) = def.inputs.iter().find(|a| !names.insert(a.name.as_str())) {
        return Err(bad(format!("input `{}` is declared twice", a.name)));
    }
    let mut w = Walker {
        def,
        visible: vec![false; n],
        defined: vec![false; n],
        def_depth: vec![0; n],
        live: Liveness { def_block: vec![0; n], def_node: vec![None; n], last_use: vec![LastUse::Never; n] },
        path: Vec::new(),
        visited: vec![false; def.blocks.len()],
    };
    w.block(0)?;
    if let Some(b) = w.visited.iter().position(|v| !v) {
        return Err(bad(format!("block {b} belongs to no node")));
    }
    if let Some(s) = w.defined.iter().position(|d| !d) {
        return Err(bad(format!("slot %{s} is never defined")));
    }
    Ok(w.live)
}

impl Walker<'_> {
    fn block(&mut self, b: u32) -> Result<()> {
        let depth = self.path.len();
        if depth > MAX_DEPTH {
            return Err(bad(format!("blocks nest deeper than {MAX_DEPTH}")));
        }
        let bi = b as usize;
        let def = self.def;
        let block = def.blocks.get(bi).ok_or_else(|| bad(format!("block {b} does not exist")))?;
        if std::mem::replace(&mut self.visited[bi], true) {
            return Err(bad(format!("block {b} is used twice")));
        }
        let mut scope = Vec::new();
        for &p in &block.params {
            self.define(p, b, None, &mut scope).map_err(|e| in_block(b, e))?;
        }
        for (k, node) in block.nodes.iter().enumerate() {
            let k = k as u32;
            let at = |e: Error| in_block(b, at_node(k, e));
            self.arity(node).map_err(at)?;
            for &s in &node.inputs {
                self.use_slot(s, LastUse::Node(k)).map_err(at)?;
            }
            for &nb in &node.blocks {
                self.path.push((b, k));
                let r = self.block(nb);
                self.path.pop();
                r?;
            }
            for &o in &node.outputs {
                self.define(o, b, Some(k), &mut scope).map_err(at)?;
            }
        }
        for &s in &block.results {
            self.use_slot(s, LastUse::Results).map_err(|e| in_block(b, e))?;
        }
        for s in scope {
            self.visible[s] = false;
        }
        Ok(())
    }

    fn define(&mut self, s: u32, b: u32, node: Option<u32>, scope: &mut Vec<usize>) -> Result<()> {
        let si = s as usize;
        if si >= self.defined.len() {
            return Err(bad(format!("slot %{s} is out of range (num_slots is {})", self.defined.len())));
        }
        if std::mem::replace(&mut self.defined[si], true) {
            return Err(bad(format!("slot %{s} is defined twice")));
        }
        self.visible[si] = true;
        self.def_depth[si] = self.path.len() as u32;
        self.live.def_block[si] = b;
        self.live.def_node[si] = node;
        scope.push(si);
        Ok(())
    }

    fn use_slot(&mut self, s: u32, here: LastUse) -> Result<()> {
        let si = s as usize;
        if si >= self.visible.len() {
            return Err(bad(format!("slot %{s} is out of range (num_slots is {})", self.visible.len())));
        }
        if !self.visible[si] {
            return Err(bad(format!("slot %{s} is used where it is not defined")));
        }
        let d = self.def_depth[si] as usize;
        self.live.last_use[si] = match self.path.get(d) {
            // Used inside a nested block: the enclosing node at the def's depth.
            Some(&(_, k)) => LastUse::Node(k),
            None => here,
        };
        Ok(())
    }

    fn arity(&self, node: &super::schema::NodeDef) -> Result<()> {
        let def = self.def;
        let (ni, no, nb) = (node.inputs.len(), node.outputs.len(), node.blocks.len());
        let want = |ok: bool, what: &str| if ok { Ok(()) } else { Err(bad(format!("{} needs {what}", node.op.name()))) };
        if let Some(l) = node.loc {
            if l as usize >= def.locs.len() {
                return Err(bad(format!("loc {l} is out of range ({} locs)", def.locs.len())));
            }
        }
        if nb > 0 && !matches!(node.op, OpCode::If | OpCode::Loop | OpCode::Fused { .. }) {
            return Err(bad(format!("{} takes no blocks", node.op.name())));
        }
        match &node.op {
            OpCode::Call { .. } => Ok(()),
            OpCode::Const(i) => {
                want(ni == 0 && no == 1, "no inputs and one output")?;
                want((*i as usize) < def.consts.len(), "a const index in range")
            }
            OpCode::If => {
                want(ni == 1 && nb == 2, "one input and two blocks")?;
                for &b in &node.blocks {
                    let blk = def.blocks.get(b as usize).ok_or_else(|| bad(format!("block {b} does not exist")))?;
                    want(blk.params.is_empty(), "blocks without params")?;
                    want(blk.results.len() == no, "blocks with one result per output")?;
                }
                Ok(())
            }
            OpCode::Loop => {
                want(ni >= 2 && nb == 1, "inputs (max_trip, cond, carried...) and one block")?;
                let b = node.blocks[0];
                let blk = def.blocks.get(b as usize).ok_or_else(|| bad(format!("block {b} does not exist")))?;
                want(blk.params.len() == ni - 1, "a block with params (i, carried...)")?;
                want(blk.results.len() == ni - 1, "a block with results (cond, carried...)")?;
                want(no == ni - 2, "one output per carried value")
            }
            OpCode::ListConstruct | OpCode::TupleConstruct => want(no == 1, "one output"),
            OpCode::ListUnpack | OpCode::TupleUnpack => want(ni == 1, "one input"),
            OpCode::TupleIndex(_) => want(ni == 1 && no == 1, "one input and one output"),
            OpCode::Raise => want(ni == 1 && no == 0, "one input and no outputs"),
            OpCode::Fused { .. } => {
                want(nb == 1 && no >= 1, "one block and at least one output")?;
                let b = node.blocks[0];
                let blk = def.blocks.get(b as usize).ok_or_else(|| bad(format!("block {b} does not exist")))?;
                want(blk.params.len() == ni && blk.results.len() == no, "a block with one param per input and one result per output")
            }
        }
    }
}

fn in_block(b: u32, e: Error) -> Error {
    match e {
        Error::Op { op, msg } if op == "program" && !msg.starts_with("block ") => bad(format!("block {b}: {msg}")),
        e => e,
    }
}

fn at_node(k: u32, e: Error) -> Error {
    match e {
        Error::Op { op, msg } if op == "program" && !msg.starts_with("block ") => bad(format!("node {k}: {msg}")),
        e => e,
    }
}
