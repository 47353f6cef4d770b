//! Common subexpression elimination by scoped hash-consing: walking blocks
//! in program order, a pure node (`Op::is_pure`) whose (op, operands) was
//! already computed in this block or an enclosing one is removed and its
//! outputs replaced by the earlier ones (when their types refine its own).
//! Nested blocks see the enclosing scopes. A node with side effects (an
//! in-place op, a list mutation, an `if`/`loop` containing one) empties
//! every scope: values computed before it may not equal those after.

use crate::entity::{Block, Value};
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{node_has_side_effects, Op};
use std::collections::HashMap;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut cse = Cse { scopes: Vec::new(), subst: HashMap::new() };
    Ok(cse.block(g, g.entry))
}

/// A node's identity for hash-consing: its op and (substituted) operands.
type Key = (Op, Vec<Value>);

struct Cse {
    /// Innermost last: the available expressions of each open block.
    scopes: Vec<HashMap<Key, Vec<Value>>>,
    subst: HashMap<Value, Value>,
}

impl Cse {
    fn map(&self, v: Value) -> Value {
        self.subst.get(&v).copied().unwrap_or(v)
    }

    fn clear(&mut self) {
        self.scopes.iter_mut().for_each(HashMap::clear);
    }

    fn lookup(&self, key: &Key) -> Option<&Vec<Value>> {
        self.scopes.iter().rev().find_map(|s| s.get(key))
    }

    fn block(&mut self, g: &mut Graph, b: Block) -> bool {
        self.scopes.push(HashMap::new());
        let mut changed = false;
        let mut keep = Vec::new();
        for n in g.block(b).nodes.clone() {
            let inputs: Vec<Value> = g.node(n).inputs.iter().map(|&v| self.map(v)).collect();
            g.node_mut(n).inputs = inputs.clone();
            keep.push(n);
            if node_has_side_effects(g, n) {
                self.clear();
                for inner in g.node(n).blocks.clone() {
                    changed |= self.block(g, inner);
                }
                self.clear();
                continue;
            }
            for inner in g.node(n).blocks.clone() {
                changed |= self.block(g, inner);
            }
            let op = g.node(n).op.clone();
            if !op.is_pure() {
                continue;
            }
            let outputs = g.node(n).outputs.clone();
            let key = (op, inputs);
            match self.lookup(&key).cloned() {
                Some(prev) if prev.len() == outputs.len() && prev.iter().zip(&outputs).all(|(p, o)| g.ty(*p).refines(g.ty(*o))) => {
                    for (&o, &p) in outputs.iter().zip(&prev) {
                        self.subst.insert(o, p);
                    }
                    keep.pop();
                    g.detach_node(n);
                    changed = true;
                }
                _ => {
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.insert(key, outputs);
                    }
                }
            }
        }
        let results: Vec<Value> = g.block(b).results.iter().map(|&v| self.map(v)).collect();
        g.block_mut(b).results = results;
        g.block_mut(b).nodes = keep;
        self.scopes.pop();
        changed
    }
}
