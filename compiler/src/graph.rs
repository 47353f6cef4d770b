//! The graph: arenas of values, nodes, blocks and constants, and the entry
//! block whose params are the graph inputs and whose results its outputs.
//!
//! Data flow lives in the arenas (a value knows its definition, a node its
//! operands); program order lives in each block's `nodes` list. A node is
//! in at most one block's list; a node taken out of every list is dead and
//! its outputs are `ValueDef::Detached`. Arena slots are never reused or
//! compacted, so entity numbers stay stable across passes (and the text
//! form shows them).
//!
//! `PartialEq` is structural: two graphs are equal when walking both from
//! the entry block in program order meets the same ops, types, names,
//! locations and constants, with operands that correspond — arena numbering
//! and dead arena slots do not matter. Tensor constants compare by value.

use crate::entity::{Block, ConstId, Node, Value};
use crate::op::Op;
use crate::types::Type;
use std::collections::HashMap;
use tsc_runtime::{DType, Device, Tensor};

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueDef {
    /// Output `i` of a node.
    Node(Node, u32),
    /// Parameter `i` of a block.
    Param(Block, u32),
    /// Defined nowhere: the output of a removed node, or a number the text
    /// form skipped.
    Detached,
}

#[derive(Clone, Debug)]
pub struct ValueData {
    pub ty: Type,
    pub def: ValueDef,
    /// A readable name (`x`, `h.1`); printed instead of the number.
    pub name: Option<String>,
}

/// A source position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: String,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub struct NodeData {
    pub op: Op,
    pub inputs: Vec<Value>,
    pub outputs: Vec<Value>,
    pub blocks: Vec<Block>,
    pub loc: Option<Loc>,
}

#[derive(Clone, Debug, Default)]
pub struct BlockData {
    pub params: Vec<Value>,
    pub nodes: Vec<Node>,
    pub results: Vec<Value>,
}

/// The value of a named constant.
#[derive(Clone, Debug)]
pub enum ConstValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    None,
    DType(DType),
    Device(Device),
    Tensor(Tensor),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConstData {
    pub name: String,
    pub value: ConstValue,
}

#[derive(Clone, Debug)]
pub struct Graph {
    pub values: Vec<ValueData>,
    pub nodes: Vec<NodeData>,
    pub blocks: Vec<BlockData>,
    pub consts: Vec<ConstData>,
    pub entry: Block,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    pub fn value(&self, v: Value) -> &ValueData {
        &self.values[v.index()]
    }
    pub fn node(&self, n: Node) -> &NodeData {
        &self.nodes[n.index()]
    }
    pub fn node_mut(&mut self, n: Node) -> &mut NodeData {
        &mut self.nodes[n.index()]
    }
    pub fn block(&self, b: Block) -> &BlockData {
        &self.blocks[b.index()]
    }
    pub fn block_mut(&mut self, b: Block) -> &mut BlockData {
        &mut self.blocks[b.index()]
    }
    pub fn ty(&self, v: Value) -> &Type {
        &self.values[v.index()].ty
    }
    pub fn constant(&self, c: ConstId) -> &ConstData {
        &self.consts[c.index()]
    }

    /// The node defining `v`, if it is a node output.
    pub fn def_node(&self, v: Value) -> Option<Node> {
        match self.values.get(v.index())?.def {
            ValueDef::Node(n, _) => Some(n),
            _ => None,
        }
    }

    /// `v` as the text form spells it: `%name` when named, else `%N`.
    pub fn value_text(&self, v: Value) -> String {
        match self.values.get(v.index()).and_then(|d| d.name.as_deref()) {
            Some(name) => format!("%{name}"),
            None => v.to_string(),
        }
    }

    /// Every block reachable from the entry, outer blocks before inner ones,
    /// each with the node that owns it (`None` for the entry).
    pub fn reachable_blocks(&self) -> Vec<(Block, Option<Node>)> {
        let mut out = vec![(self.entry, None)];
        let mut i = 0;
        while i < out.len() {
            let b = out[i].0;
            for &n in &self.block(b).nodes {
                out.extend(self.node(n).blocks.iter().map(|&inner| (inner, Some(n))));
            }
            i += 1;
        }
        out
    }

    /// Rewrites every use (node inputs, block results) of a key of `map`
    /// to its value, following chains (`a→b`, `b→c` gives `a→c`).
    pub fn replace_uses(&mut self, map: &HashMap<Value, Value>) {
        if map.is_empty() {
            return;
        }
        let resolve = |mut v: Value| {
            let mut hops = 0;
            while let Some(&next) = map.get(&v) {
                v = next;
                hops += 1;
                if hops > map.len() {
                    break;
                }
            }
            v
        };
        for (b, _) in self.reachable_blocks() {
            let nodes = self.block(b).nodes.clone();
            for n in nodes {
                for i in self.node_mut(n).inputs.iter_mut() {
                    *i = resolve(*i);
                }
            }
            for r in self.block_mut(b).results.iter_mut() {
                *r = resolve(*r);
            }
        }
    }

    /// Replaces every use of `old` by `new`.
    pub fn replace_all_uses(&mut self, old: Value, new: Value) {
        self.replace_uses(&HashMap::from([(old, new)]));
    }

    /// Marks the outputs of `n` (and of everything nested in its blocks)
    /// detached. Call after taking `n` out of its block.
    pub fn detach_node(&mut self, n: Node) {
        let outputs = self.node(n).outputs.clone();
        for v in outputs {
            self.values[v.index()].def = ValueDef::Detached;
        }
        for b in self.node(n).blocks.clone() {
            for p in self.block(b).params.clone() {
                self.values[p.index()].def = ValueDef::Detached;
            }
            for inner in self.block(b).nodes.clone() {
                self.detach_node(inner);
            }
        }
    }

    /// How many times each value is used (node inputs and block results of
    /// reachable blocks).
    pub fn use_counts(&self) -> Vec<u32> {
        let mut uses = vec![0u32; self.values.len()];
        for (b, _) in self.reachable_blocks() {
            for &n in &self.block(b).nodes {
                for &i in &self.node(n).inputs {
                    if let Some(u) = uses.get_mut(i.index()) {
                        *u += 1;
                    }
                }
            }
            for &r in &self.block(b).results {
                if let Some(u) = uses.get_mut(r.index()) {
                    *u += 1;
                }
            }
        }
        uses
    }
}

impl PartialEq for ConstValue {
    fn eq(&self, other: &ConstValue) -> bool {
        use ConstValue as C;
        match (self, other) {
            (C::Int(a), C::Int(b)) => a == b,
            (C::Float(a), C::Float(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (C::Bool(a), C::Bool(b)) => a == b,
            (C::Str(a), C::Str(b)) => a == b,
            (C::None, C::None) => true,
            (C::DType(a), C::DType(b)) => a == b,
            (C::Device(a), C::Device(b)) => a == b,
            (C::Tensor(a), C::Tensor(b)) => tensors_equal(a, b),
            _ => false,
        }
    }
}

/// Same dtype, shape and elements (the same view of the same storage is
/// equal without reading it).
pub fn tensors_equal(a: &Tensor, b: &Tensor) -> bool {
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return false;
    }
    if a.same_storage(b) && a.strides() == b.strides() && a.offset() == b.offset() {
        return true;
    }
    let (ca, cb) = (a.copy_as(a.dtype()), b.copy_as(b.dtype()));
    let (ba, bb) = (ca.storage().read(), cb.storage().read());
    *ba == *bb
}

/// Structural comparison state: the value correspondence found so far.
struct Iso<'a> {
    a: &'a Graph,
    b: &'a Graph,
    map: HashMap<Value, Value>,
}

impl Iso<'_> {
    fn define(&mut self, va: Value, vb: Value) -> bool {
        let (da, db) = (self.a.values.get(va.index()), self.b.values.get(vb.index()));
        let same = matches!((da, db), (Some(x), Some(y)) if x.ty == y.ty && x.name == y.name);
        same && self.map.insert(va, vb).is_none()
    }
    fn uses(&self, xs: &[Value], ys: &[Value]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.map.get(x) == Some(y))
    }
    fn block(&mut self, ba: Block, bb: Block) -> bool {
        let (Some(x), Some(y)) = (self.a.blocks.get(ba.index()), self.b.blocks.get(bb.index())) else {
            return false;
        };
        if x.params.len() != y.params.len() || x.nodes.len() != y.nodes.len() {
            return false;
        }
        if !x.params.iter().zip(&y.params).all(|(&p, &q)| self.define(p, q)) {
            return false;
        }
        for (&na, &nb) in x.nodes.iter().zip(&y.nodes) {
            if !self.node(na, nb) {
                return false;
            }
        }
        self.uses(&x.results, &y.results)
    }
    fn node(&mut self, na: Node, nb: Node) -> bool {
        let (Some(x), Some(y)) = (self.a.nodes.get(na.index()), self.b.nodes.get(nb.index())) else {
            return false;
        };
        if x.op != y.op || x.loc != y.loc || !self.uses(&x.inputs, &y.inputs) {
            return false;
        }
        if x.blocks.len() != y.blocks.len() || x.outputs.len() != y.outputs.len() {
            return false;
        }
        if !x.blocks.iter().zip(&y.blocks).all(|(&p, &q)| self.block(p, q)) {
            return false;
        }
        x.outputs.iter().zip(&y.outputs).all(|(&p, &q)| self.define(p, q))
    }
}

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        self.consts == other.consts && Iso { a: self, b: other, map: HashMap::new() }.block(self.entry, other.entry)
    }
}
