//! The verifier. `verify(g)` checks, for every block reachable from the
//! entry, these invariants (each has a failing case in `tests/verify.rs`):
//!
//! 1. **Structure.** The entry block belongs to no node; every other
//!    reachable block belongs to exactly one node; a node sits in exactly
//!    one block, once; a node has `op.num_blocks()` blocks.
//! 2. **Single definition.** Every value is defined exactly once, as a node
//!    output or a block param, and its `ValueDef` names that place.
//! 3. **Dominance.** Every use (node operand, block result) sees its
//!    definition: earlier in the same block, a param of the same block, or
//!    visible in an enclosing block before the node that owns this block.
//!    In particular no value defined inside an `if` branch or a `loop` body
//!    is used outside it: what leaves a block leaves as its results (and a
//!    loop's carried values as params and results).
//! 4. **Op types.** Operand count and types and output count and types fit
//!    the op's type rule (`Op::check`; runtime ops against their schema).
//! 5. **`if`.** Two blocks without params, each with one result per output,
//!    each result's type refining the output's type.
//! 6. **`loop`.** One block with params `(iter: int, carried...)`, one per
//!    carried operand, each carried param typed as its output; results
//!    `(cond: bool, carried...)`, each refining its param's type.
//! 7. **Names.** Value names are unique and spelled as the text form needs
//!    (letters, digits, `_`, `.`; starting with a letter or `_`); constant
//!    names are unique, non-empty letters, digits, `_`, `.`; `const @c`
//!    names an existing constant.
//! 8. **Types.** Every type is well formed (`Type::malformed`): symbolic
//!    dims are names, dict keys are `str`/`int`/`float`/`bool`/`Tensor`.
//! 10. **`fused`.** One block with one param per operand (each operand's
//!    type refining its param's) and one result per output; the block is
//!    a kernel (`crate::kernel::translate` accepts it).
//! 9. **Graph outputs.** The entry block's results exist and are visible at
//!    its end (invariant 3 applied to the entry).

use crate::entity::{Block, Node, Value};
use crate::error::{IrLoc, VerifyError};
use crate::graph::{Graph, ValueDef};
use crate::op::Op;
use crate::types::Type;
use std::collections::{HashMap, HashSet};

/// Checks every invariant above; the first violation is the error.
pub fn verify(g: &Graph) -> Result<(), VerifyError> {
    let mut v = Verifier { g, visible: vec![false; g.values.len()], def_block: HashMap::new() };
    v.structure()?;
    v.names()?;
    v.block(g.entry)
}

struct Verifier<'a> {
    g: &'a Graph,
    visible: Vec<bool>,
    /// The block each reachable value is defined in.
    def_block: HashMap<Value, Block>,
}

fn fail<T>(at: IrLoc, msg: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError { at, msg: msg.into() })
}

impl Verifier<'_> {
    fn vt(&self, v: Value) -> String {
        self.g.value_text(v)
    }

    fn value_exists(&self, v: Value, at: &IrLoc) -> Result<(), VerifyError> {
        if v.index() >= self.g.values.len() {
            return fail(at.clone(), format!("{v} does not exist"));
        }
        Ok(())
    }

    /// Invariants 1 and 2.
    fn structure(&mut self) -> Result<(), VerifyError> {
        let g = self.g;
        let mut owner: HashMap<Block, Node> = HashMap::new();
        let mut placed: HashSet<Node> = HashSet::new();
        let mut stack = vec![g.entry];
        while let Some(b) = stack.pop() {
            let Some(data) = g.blocks.get(b.index()) else { return fail(IrLoc::Graph, format!("{b} does not exist")) };
            for (i, &p) in data.params.iter().enumerate() {
                self.define(p, b, ValueDef::Param(b, i as u32), IrLoc::Value(p))?;
            }
            for &n in &data.nodes {
                let Some(node) = g.nodes.get(n.index()) else { return fail(IrLoc::Graph, format!("{n} does not exist")) };
                if !placed.insert(n) {
                    return fail(IrLoc::Node(n), format!("{n} ({}) sits in more than one place", node.op.name()));
                }
                if node.blocks.len() != node.op.num_blocks() {
                    return fail(IrLoc::Node(n), format!("{} has {} blocks, needs {}", node.op.name(), node.blocks.len(), node.op.num_blocks()));
                }
                for (i, &o) in node.outputs.iter().enumerate() {
                    self.define(o, b, ValueDef::Node(n, i as u32), IrLoc::Node(n))?;
                }
                for &inner in &node.blocks {
                    if inner == g.entry {
                        return fail(IrLoc::Node(n), "the entry block is owned by a node");
                    }
                    if let Some(prev) = owner.insert(inner, n) {
                        return fail(IrLoc::Node(n), format!("{inner} is owned by both {prev} and {n}"));
                    }
                    stack.push(inner);
                }
            }
        }
        Ok(())
    }

    fn define(&mut self, v: Value, b: Block, def: ValueDef, at: IrLoc) -> Result<(), VerifyError> {
        self.value_exists(v, &at)?;
        if self.def_block.insert(v, b).is_some() {
            return fail(at, format!("{} is defined more than once", self.vt(v)));
        }
        if self.g.value(v).def != def {
            return fail(at, format!("{} records its definition as {:?}, but it is defined at {def:?}", self.vt(v), self.g.value(v).def));
        }
        Ok(())
    }

    /// Invariant 7.
    fn names(&self) -> Result<(), VerifyError> {
        let mut seen = HashSet::new();
        let mut defined: Vec<Value> = self.def_block.keys().copied().collect();
        defined.sort();
        for v in defined {
            if let Some(why) = self.g.ty(v).malformed() {
                return fail(IrLoc::Value(v), format!("{}: {why}", self.vt(v)));
            }
            if let Some(name) = &self.g.value(v).name {
                if !crate::types::is_name(name) {
                    return fail(IrLoc::Value(v), format!("value name `{name}` is not a valid text-form name"));
                }
                if !seen.insert(name) {
                    return fail(IrLoc::Value(v), format!("two values are named `{name}`"));
                }
            }
        }
        let mut consts = HashSet::new();
        for c in &self.g.consts {
            if c.name.is_empty() || !c.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                return fail(IrLoc::Graph, format!("constant name `{}` is not a valid text-form name", c.name));
            }
            if !consts.insert(&c.name) {
                return fail(IrLoc::Graph, format!("two constants are named `@{}`", c.name));
            }
        }
        Ok(())
    }

    /// Invariant 3 for one use.
    fn use_(&self, v: Value, at: IrLoc) -> Result<(), VerifyError> {
        self.value_exists(v, &at)?;
        if self.visible[v.index()] {
            return Ok(());
        }
        let msg = match self.def_block.get(&v) {
            None => format!("{} is used but not defined", self.vt(v)),
            Some(b) if *b != self.g.entry && !self.is_open(*b) => {
                format!("{} is defined inside {b} and not visible here (pass it out as a block result)", self.vt(v))
            }
            Some(_) => format!("{} is used before its definition", self.vt(v)),
        };
        fail(at, msg)
    }

    /// Whether block `b` is being walked (so its definitions are in scope
    /// once reached).
    fn is_open(&self, b: Block) -> bool {
        self.g.block(b).params.iter().any(|p| self.visible[p.index()])
            || self.g.block(b).nodes.iter().flat_map(|&n| &self.g.node(n).outputs).any(|o| self.visible[o.index()])
    }

    /// Walks `b` in program order checking invariants 3–6, then takes its
    /// definitions out of scope.
    fn block(&mut self, b: Block) -> Result<(), VerifyError> {
        let data = self.g.block(b);
        for &p in &data.params {
            self.visible[p.index()] = true;
        }
        for &n in &data.nodes {
            self.node(n)?;
        }
        for &r in &data.results {
            let at = self.g.nodes.iter().position(|nd| nd.blocks.contains(&b)).map_or(IrLoc::Graph, |i| IrLoc::Node(Node::new(i)));
            self.use_(r, at)?;
        }
        for &p in &data.params {
            self.visible[p.index()] = false;
        }
        for &n in &data.nodes {
            for &o in &self.g.node(n).outputs {
                self.visible[o.index()] = false;
            }
        }
        Ok(())
    }

    fn node(&mut self, n: Node) -> Result<(), VerifyError> {
        let g = self.g;
        let node = g.node(n);
        let name = node.op.name();
        for &i in &node.inputs {
            self.use_(i, IrLoc::Node(n)).map_err(|e| VerifyError { msg: format!("{name}: {}", e.msg), ..e })?;
        }
        let ins: Vec<&Type> = node.inputs.iter().map(|&v| g.ty(v)).collect();
        let outs: Vec<&Type> = node.outputs.iter().map(|&v| g.ty(v)).collect();
        if let Err(msg) = node.op.check(g, &ins, &outs) {
            return fail(IrLoc::Node(n), format!("{name}: {msg}"));
        }
        match node.op {
            Op::If => self.if_blocks(n)?,
            Op::Loop => self.loop_block(n)?,
            Op::Fused => self.fused_block(n)?,
            _ => {}
        }
        for &b in &node.blocks {
            self.block(b)?;
        }
        for &o in &node.outputs {
            self.visible[o.index()] = true;
        }
        Ok(())
    }

    /// Invariant 5.
    fn if_blocks(&self, n: Node) -> Result<(), VerifyError> {
        let node = self.g.node(n);
        for &b in &node.blocks {
            let data = self.g.block(b);
            if !data.params.is_empty() {
                return fail(IrLoc::Node(n), format!("if: {b} must have no params"));
            }
            if data.results.len() != node.outputs.len() {
                return fail(IrLoc::Node(n), format!("if: {b} yields {} values for {} outputs", data.results.len(), node.outputs.len()));
            }
            for (&r, &o) in data.results.iter().zip(&node.outputs) {
                self.value_exists(r, &IrLoc::Node(n))?;
                let (rt, ot) = (self.g.ty(r), self.g.ty(o));
                if !rt.refines(ot) {
                    return fail(IrLoc::Node(n), format!("if: {b} yields {} : {rt} for output {} : {ot}", self.vt(r), self.vt(o)));
                }
            }
        }
        Ok(())
    }

    /// Invariant 10.
    fn fused_block(&self, n: Node) -> Result<(), VerifyError> {
        let node = self.g.node(n);
        let data = self.g.block(node.blocks[0]);
        let at = || IrLoc::Node(n);
        if data.params.len() != node.inputs.len() || data.results.len() != node.outputs.len() {
            return fail(at(), format!("fused: {} needs one param per operand and one result per output", node.blocks[0]));
        }
        for (&p, &i) in data.params.iter().zip(&node.inputs) {
            if !self.g.ty(i).refines(self.g.ty(p)) {
                return fail(at(), format!("fused: operand {} : {} does not fit param {} : {}", self.vt(i), self.g.ty(i), self.vt(p), self.g.ty(p)));
            }
        }
        for (&r, &o) in data.results.iter().zip(&node.outputs) {
            self.value_exists(r, &at())?;
            if !self.g.ty(r).refines(self.g.ty(o)) {
                return fail(at(), format!("fused: result {} : {} does not fit output {} : {}", self.vt(r), self.g.ty(r), self.vt(o), self.g.ty(o)));
            }
        }
        if let Err(e) = crate::kernel::translate(self.g, node.blocks[0]) {
            return fail(at(), e);
        }
        Ok(())
    }

    /// Invariant 6.
    fn loop_block(&self, n: Node) -> Result<(), VerifyError> {
        let node = self.g.node(n);
        let b = node.blocks[0];
        let data = self.g.block(b);
        let carried = node.outputs.len();
        let at = || IrLoc::Node(n);
        if data.params.len() != carried + 1 || data.results.len() != carried + 1 {
            return fail(at(), format!("loop: {b} needs {} params (iter, carried...) and {} results (cond, carried...)", carried + 1, carried + 1));
        }
        for &v in data.results.iter() {
            self.value_exists(v, &at())?;
        }
        if *self.g.ty(data.params[0]) != Type::Int {
            return fail(at(), format!("loop: the iteration param {} must be int", self.vt(data.params[0])));
        }
        if *self.g.ty(data.results[0]) != Type::Bool {
            return fail(at(), format!("loop: the continue condition {} must be bool", self.vt(data.results[0])));
        }
        for i in 0..carried {
            let (p, r, o) = (data.params[i + 1], data.results[i + 1], node.outputs[i]);
            if self.g.ty(p) != self.g.ty(o) {
                return fail(at(), format!("loop: carried param {} : {} differs from output {} : {}", self.vt(p), self.g.ty(p), self.vt(o), self.g.ty(o)));
            }
            if !self.g.ty(r).refines(self.g.ty(p)) {
                return fail(at(), format!("loop: carried result {} : {} does not fit param {} : {}", self.vt(r), self.g.ty(r), self.vt(p), self.g.ty(p)));
            }
        }
        Ok(())
    }
}
