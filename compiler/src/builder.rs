//! The construction API (for the lowering and the parser): create blocks,
//! append nodes with their output types, add block params, set results,
//! add named constants, attach names and source locations. The builder
//! does not check types; `verify` does.

use crate::entity::{Block, ConstId, Node, Value};
use crate::graph::{BlockData, ConstData, ConstValue, Graph, Loc, NodeData, ValueData, ValueDef};
use crate::op::Op;
use crate::types::Type;

impl Graph {
    /// An empty graph: one entry block, no inputs, no outputs.
    pub fn new() -> Graph {
        Graph { values: Vec::new(), nodes: Vec::new(), blocks: vec![BlockData::default()], consts: Vec::new(), entry: Block(0) }
    }

    /// A new empty block, not yet owned by any node.
    pub fn add_block(&mut self) -> Block {
        self.blocks.push(BlockData::default());
        Block::new(self.blocks.len() - 1)
    }

    pub(crate) fn add_value(&mut self, ty: Type, def: ValueDef) -> Value {
        self.values.push(ValueData { ty, def, name: None });
        Value::new(self.values.len() - 1)
    }

    /// Appends a parameter of type `ty` to `block` (for the entry: a graph input).
    pub fn add_block_param(&mut self, block: Block, ty: Type) -> Value {
        let i = self.block(block).params.len() as u32;
        let v = self.add_value(ty, ValueDef::Param(block, i));
        self.block_mut(block).params.push(v);
        v
    }

    /// Creates a node (in no block yet) with outputs of `output_types`.
    pub fn create_node(&mut self, op: Op, inputs: Vec<Value>, output_types: Vec<Type>) -> Node {
        let n = Node::new(self.nodes.len());
        let outputs = output_types.into_iter().enumerate().map(|(i, t)| self.add_value(t, ValueDef::Node(n, i as u32))).collect();
        self.nodes.push(NodeData { op, inputs, outputs, blocks: Vec::new(), loc: None });
        n
    }

    /// Appends a node to the end of `block`; returns its outputs.
    pub fn append_node(&mut self, block: Block, op: Op, inputs: Vec<Value>, output_types: Vec<Type>) -> Vec<Value> {
        let n = self.create_node(op, inputs, output_types);
        self.block_mut(block).nodes.push(n);
        self.node(n).outputs.clone()
    }

    /// Like `append_node` for an op with blocks (`if`, `loop`): the blocks
    /// are attached to the node in order. Returns the node.
    pub fn append_node_with_blocks(&mut self, block: Block, op: Op, inputs: Vec<Value>, output_types: Vec<Type>, blocks: Vec<Block>) -> Node {
        let n = self.create_node(op, inputs, output_types);
        self.node_mut(n).blocks = blocks;
        self.block_mut(block).nodes.push(n);
        n
    }

    /// Inserts a created node into `block` at position `at`.
    pub fn insert_node(&mut self, block: Block, at: usize, n: Node) {
        self.block_mut(block).nodes.insert(at, n);
    }

    /// Sets the results of `block` (for the entry: the graph outputs).
    pub fn set_results(&mut self, block: Block, values: Vec<Value>) {
        self.block_mut(block).results = values;
    }

    /// Adds a named constant. An empty name becomes `w<index>`; characters
    /// other than letters, digits, `_` and `.` become `_`; a name already
    /// taken gets a `.N` suffix.
    pub fn add_const(&mut self, name: &str, value: ConstValue) -> ConstId {
        let id = ConstId::new(self.consts.len());
        let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect();
        let base = if clean.is_empty() { format!("w{}", id.0) } else { clean };
        let taken = |n: &str| self.consts.iter().any(|c| c.name == n);
        let mut unique = base.clone();
        let mut k = 1;
        while taken(&unique) {
            unique = format!("{base}.{k}");
            k += 1;
        }
        self.consts.push(ConstData { name: unique, value });
        id
    }

    /// Names value `v` (printed `%name`). The name is made valid (letters,
    /// digits, `_`, `.`, not starting with a digit) and unique with a `.N`
    /// suffix; returns the name given.
    pub fn set_value_name(&mut self, v: Value, name: &str) -> String {
        let mut base: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            base.insert(0, '_');
        }
        let taken = |n: &str, g: &Graph| g.values.iter().any(|d| d.name.as_deref() == Some(n));
        let mut unique = base.clone();
        let mut k = 1;
        while taken(&unique, self) {
            unique = format!("{base}.{k}");
            k += 1;
        }
        self.values[v.index()].name = Some(unique.clone());
        unique
    }

    /// Sets the source location of node `n`.
    pub fn set_loc(&mut self, n: Node, loc: Loc) {
        self.node_mut(n).loc = Some(loc);
    }

    /// Sets the location of the node defining `v` (convenience for
    /// `append_node`, which returns outputs).
    pub fn set_loc_of(&mut self, v: Value, loc: Loc) {
        if let Some(n) = self.def_node(v) {
            self.set_loc(n, loc);
        }
    }
}
