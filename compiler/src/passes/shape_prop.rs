//! Shape and dtype propagation with symbolic dims: a forward abstract
//! interpretation over the blocks in program order that refines every
//! tensor value's `TensorType` from its operands.
//!
//! Each value's new type is the *meet* of what its op's rule infers and
//! what it declares: a known declared dtype or dim is kept as declared, an
//! unknown one (`?`, no dtype, no shape) takes the inferred fact. A rule
//! that contradicts a declaration (another dtype, another rank, another
//! constant dim) is a bug in the rule or in the lowering: the pass fails
//! naming the node. So no type ever becomes less precise, and graph inputs
//! keep their declared types.
//!
//! Facts flow as dims that are constants, symbols (`B`: one size, the
//! same wherever the name appears) or unknown. A rule never guesses: what
//! it cannot derive stays unknown. An op that would raise at run time (a
//! broadcast of 3 against 4) gets no facts. The rules (`shape_prop/rules.rs`):
//!
//! - **dtype** of elementwise ops, reductions, `softmax`-like and
//!   conversion ops comes from the runtime itself: the op is evaluated on
//!   probes — one-element tensors of the operands' dtypes and ranks
//!   (`[1, 1]` for a 2-d operand; ranks 0 and 1 when the rank is unknown,
//!   since PyTorch promotes 0-d tensors differently; every dtype when the
//!   dtype is unknown), literal operands as written, other numbers as 1 —
//!   and every probe must succeed and give the same dtype. That is
//!   PyTorch's promotion (`ResultType`) exactly: int tensor + float scalar
//!   is f32, comparisons are bool, `div` of ints is f32, `exp` of an int
//!   is f32, `sum` of bools is i64. Ops with side effects are not probed.
//!   Matmul-like ops, convolutions, norms, `cat`/`stack` take the common
//!   dtype of their tensor operands (unknown if they differ); views keep
//!   their input's.
//! - **broadcast** (elementwise ops, `linear`'s bias, batch dims of
//!   `matmul`): right-aligned; per dim, a constant other than 1 wins (other
//!   constants must equal it; symbols and unknowns must be 1 or it), all
//!   1s give 1, equal symbols give the symbol, anything else is unknown:
//!   `[B, 4] + [4]` is `[B, 4]`, `[B] + [T]` is `[?]`.
//! - **matmul/mm/bmm/addmm/baddbmm/linear/dot/outer**: PyTorch's rules
//!   (1-d operands promoted and the added dim dropped, batch dims
//!   broadcast); `linear([B, T, 64], W[128, 64])` is `[B, T, 128]`.
//! - **conv1d/conv2d** (+ `.padding`), **max/avg pooling**, **adaptive
//!   pooling**: with literal stride/padding/dilation, an output size is
//!   `(L + 2p - d(k-1) - 1) / s + 1` for constant `L`; a symbolic `L`
//!   survives when the window preserves it (`s = 1`, `2p = d(k-1)`, or
//!   `padding='same'`). `ceil_mode=true` leaves the spatial dims unknown.
//! - **reductions** (`sum`, `mean`, `amax`, `max.dim`, `argmax`, `std`,
//!   ...): literal `dim` (int, list, or `None` = all) and `keepdim`.
//! - **shape-preserving** ops (`softmax`, norms, `dropout`, `to`, `clone`,
//!   `*_like`, in-place ops): the input's shape.
//! - **views**: `view`/`reshape` (with `-1` inferred from constant dims
//!   after cancelling equal symbols: `[B, 4, 8] -> [B, -1]` is `[B, 32]`),
//!   `flatten`, `transpose`, `t`, `permute`, `unsqueeze`, `squeeze` (a
//!   dim that may be 1 makes the result unknown), `expand`, `select`,
//!   `slice`, `narrow`, `index_select`, `cat`, `stack`, `embedding`, with
//!   literal arguments.
//! - **size-derived ints** stay symbolic: an int that is `size(x, i)`,
//!   `size(x)[i]` or an element of `list_unpack(size(x))` is `x`'s dim `i`
//!   (a symbol stays that symbol); an int list operand is read from a
//!   `list_construct` or `size(x)` that nothing mutates.
//! - **structure**: `const @w` has the constant's exact type; tuple/list
//!   element access and `optional_unwrap` take the container's element
//!   type (the verifier checks them against it).
//! - **`if`** outputs are the join of both branches' results (equal facts
//!   kept, others unknown). **Loop-carried values** start as their initial
//!   values' types and are joined with the body's results until stable
//!   (at most `MAX_LOOP_ROUNDS` walks of the body; without a fixed point
//!   they keep their declared types); the body is then typed under the
//!   fixed point, so its facts hold in every iteration.
//!
//! Only `Tensor` types change; containers (`List[Tensor]`, `Optional`)
//! keep theirs, since a refined element type could reject a later
//! `list_append` of a less precise tensor.

mod facts;
mod lattice;
mod rules;

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::Op;
use crate::passes::read_only_lists;
use crate::types::{TensorType, Type};
use facts::Cx;
use lattice::{join, meet};
use std::collections::HashSet;

/// Walks of a loop body before its carried types give up on a fixed point.
const MAX_LOOP_ROUNDS: usize = 16;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut prop = Prop { inferred: vec![None; g.values.len()], lists: read_only_lists(g) };
    prop.block(g, g.entry)?;
    let mut changed = false;
    for (data, t) in g.values.iter_mut().zip(prop.inferred) {
        if let Some(t) = t.map(Type::Tensor) {
            if data.ty != t {
                data.ty = t;
                changed = true;
            }
        }
    }
    Ok(changed)
}

fn fail(msg: String) -> PassError {
    PassError::Failed { pass: "shape_prop", msg }
}

struct Prop {
    /// The refined type of each tensor value visited so far (`None`: its
    /// declared type).
    inferred: Vec<Option<TensorType>>,
    /// List values nothing mutates (see `read_only_lists`).
    lists: HashSet<Value>,
}

impl Prop {
    fn cx<'a>(&'a self, g: &'a Graph) -> Cx<'a> {
        Cx { g, inferred: &self.inferred, lists: &self.lists }
    }

    fn current(&self, g: &Graph, v: Value) -> Option<TensorType> {
        self.cx(g).tensor(v)
    }

    fn block(&mut self, g: &Graph, b: Block) -> Result<(), PassError> {
        for &n in &g.block(b).nodes {
            self.node(g, n)?;
        }
        Ok(())
    }

    fn node(&mut self, g: &Graph, n: Node) -> Result<(), PassError> {
        let node = g.node(n);
        match node.op {
            Op::If => {
                for &b in &node.blocks {
                    self.block(g, b)?;
                }
                let (then, els) = (g.block(node.blocks[0]), g.block(node.blocks[1]));
                for (i, &o) in node.outputs.iter().enumerate() {
                    if let (Some(a), Some(b)) = (self.current(g, then.results[i]), self.current(g, els.results[i])) {
                        self.refine(g, n, o, &join(&a, &b))?;
                    }
                }
                Ok(())
            }
            Op::Loop => self.loop_(g, n),
            _ => {
                let inferred = rules::infer(&self.cx(g), n);
                for (&o, t) in node.outputs.iter().zip(&inferred) {
                    self.refine(g, n, o, t)?;
                }
                Ok(())
            }
        }
    }

    /// Records `t` met with `v`'s declared type (nothing for non-tensors).
    fn refine(&mut self, g: &Graph, n: Node, v: Value, t: &TensorType) -> Result<(), PassError> {
        let Type::Tensor(declared) = g.ty(v) else { return Ok(()) };
        let m = meet(t, declared).map_err(|why| {
            let op = g.node(n).op.name();
            fail(format!("{n} ({op}): output {} is declared {declared} but the rule infers {t} ({why})", g.value_text(v)))
        })?;
        self.inferred[v.index()] = Some(m);
        Ok(())
    }

    /// Carried types to a fixed point (see the module doc), then the body
    /// under it.
    fn loop_(&mut self, g: &Graph, n: Node) -> Result<(), PassError> {
        let node = g.node(n);
        let body = g.block(node.blocks[0]);
        let carried = node.outputs.len();
        let declared = |i: usize| match g.ty(node.outputs[i]) {
            Type::Tensor(t) => Some(t.clone()),
            _ => None,
        };
        let mut cur: Vec<Option<TensorType>> =
            (0..carried).map(|i| declared(i).and(self.current(g, node.inputs[i + 2]))).collect();
        let mut stable = false;
        for _ in 0..MAX_LOOP_ROUNDS {
            self.set_carried(body.params[1..].iter().copied(), &cur);
            self.block(g, node.blocks[0])?;
            let next: Vec<Option<TensorType>> = cur
                .iter()
                .zip(&body.results[1..])
                .map(|(c, &r)| Some(join(c.as_ref()?, &self.current(g, r)?)))
                .collect();
            if next == cur {
                stable = true;
                break;
            }
            cur = next;
        }
        if !stable {
            cur = (0..carried).map(declared).collect();
            self.set_carried(body.params[1..].iter().copied(), &cur);
            self.block(g, node.blocks[0])?;
        }
        self.set_carried(node.outputs.iter().copied(), &cur);
        Ok(())
    }

    fn set_carried(&mut self, values: impl Iterator<Item = Value>, types: &[Option<TensorType>]) {
        for (v, t) in values.zip(types) {
            if t.is_some() {
                self.inferred[v.index()] = t.clone();
            }
        }
    }
}
