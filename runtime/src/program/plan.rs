//! `Plan`: a validated program ready to run, computed once and immutable
//! (the per-run state is a separate `Frame`, see `exec.rs`). Building it
//! validates the `ProgramDef` (`verify.rs`), resolves every `Call` to its
//! overload list in the op registry (so running it does no name lookup),
//! materializes the constants, and turns liveness into per-node *free
//! lists*: each value's slot is cleared right after its last use, and a
//! last use as a plain op argument or a block result moves the value
//! instead of cloning it.

use super::fused::Fused;
use super::schema::{ConstDef, IoDef, OpCode, ProgramDef};
use super::verify::{bad, verify, LastUse, Liveness};
use crate::ops::schema::Ty;
use crate::ops::{registry, Overload};
use crate::{DType, Result, Tensor, Value};

/// A validated, resolved program. Cheap to share between threads; each run
/// uses its own `Frame`.
pub struct Plan {
    pub(super) blocks: Vec<PBlock>,
    pub(super) consts: Vec<Value>,
    pub(super) inputs: Vec<IoDef>,
    pub(super) num_slots: usize,
    pub(super) locs: Vec<String>,
    pub(super) kernels: Vec<Fused>,
}

pub(super) struct PBlock {
    pub params: Vec<u32>,
    /// Params that nothing uses: cleared on entry.
    pub free_at_entry: Vec<u32>,
    pub nodes: Vec<PNode>,
    /// `(slot, move)`: a result moves out of its slot when this is its
    /// last use, else it is cloned.
    pub results: Vec<(u32, bool)>,
}

pub(super) struct PNode {
    pub op: POp,
    /// `(slot, move)`, as for results.
    pub inputs: Vec<(u32, bool)>,
    pub outputs: Vec<u32>,
    pub blocks: Vec<u32>,
    pub loc: Option<u32>,
    /// Slots whose last use is this node: cleared after it runs.
    pub free: Vec<u32>,
}

pub(super) enum POp {
    /// A registry op, resolved: `name` for messages, the overloads to try.
    Call { name: String, overloads: &'static [Overload] },
    /// An in-place variant (`add_`, `add_.Tensor`): the overloads of the
    /// base op (`add`) to try, then the result written into argument 0.
    InPlace { name: String, overloads: &'static [Overload] },
    /// `append` (the overloads of `append`): a list moved in at its last
    /// use grows in place instead of being copied, so a loop that appends
    /// every step costs O(1) per step, not O(length).
    Append(&'static [Overload]),
    /// `linear` whose weight constant is packed (`program/packed.rs`); the
    /// overloads of `linear` for the calls the packed path does not take.
    Linear { packed: super::packed::LazyPacked, overloads: &'static [Overload] },
    /// `relu(conv(..))` as one node (`program/epilogue.rs`): `name` is
    /// `conv1d` or `conv2d`, then the overloads of the conv and of `relu`.
    ConvRelu { name: String, conv: &'static [Overload], relu: &'static [Overload] },
    /// `relu(conv(..) + y)` as one node (`program/epilogue.rs`): the conv's
    /// inputs then `y`; the overloads of the conv, `add` and `relu`;
    /// whether the conv's result is `add`'s first operand.
    ConvResidualRelu { name: String, conv: &'static [Overload], add: &'static [Overload], relu: &'static [Overload], conv_first: bool },
    /// `conv2d` (with its `relu` when `relu` is given) and a residual
    /// block's shortcut conv of the same input as one node with the two
    /// results (`program/shortcut.rs`): the first `split` inputs are the
    /// conv's, the rest the shortcut's; the overloads of `conv2d` for each.
    ConvShortcut { conv: &'static [Overload], relu: Option<&'static [Overload]>, short: &'static [Overload], split: usize },
    /// `linear(x[t], ..)` in a loop with `x` from outside it
    /// (`program/loop_linear.rs`): `[x, t, weight, bias..]`, the rows of
    /// `linear(x, ..)` cached in slot `cache`; the overloads of `getitem`
    /// and `linear`.
    /// `packed`: the weight, when `packed.rs` packs it.
    LoopLinear { cache: u32, packed: Option<super::packed::LazyPacked>, getitem: &'static [Overload], linear: &'static [Overload] },
    /// `linear(..) + y` as one node (`program/linear_add.rs`): the first
    /// `split` inputs are the `linear`'s, then the `add`'s other operand
    /// (and its alpha); the overloads of both; whether the `linear`'s
    /// result is the `add`'s first operand. `packed`: the weight, when
    /// `packed.rs` packs it.
    LinearAdd { packed: Option<super::packed::LazyPacked>, linear: &'static [Overload], add: &'static [Overload], split: usize, linear_first: bool },
    /// `softmax(layer_norm(..), -1)` as one node (`program/row_chain.rs`):
    /// the first `split` inputs are the `layer_norm`'s, the rest the
    /// `softmax`'s after its input; the overloads of both.
    NormSoftmax { layer_norm: &'static [Overload], softmax: &'static [Overload], split: usize },
    Const(usize),
    If,
    Loop,
    ListConstruct,
    TupleConstruct,
    ListUnpack,
    TupleUnpack,
    TupleIndex(usize),
    Raise,
    /// `kernels[i]`, or the node's block when it cannot run.
    Fused(usize),
}

impl Plan {
    /// Validates and plans a program without a tensor table (a tensor
    /// constant is then an error).
    pub fn new(def: &ProgramDef) -> Result<Plan> {
        Plan::with_tensors(def, &[])
    }

    /// Moves the program's constants (its weights) to `device`, so that
    /// runs with inputs there stay there (`Model::to_device`).
    pub fn to_device(&mut self, device: crate::Device) -> Result<()> {
        fn go(v: &Value, device: crate::Device) -> Result<Value> {
            Ok(match v {
                Value::Tensor(t) => Value::Tensor(t.to_device(device)?),
                Value::List(vs) => Value::List(vs.iter().map(|v| go(v, device)).collect::<Result<_>>()?),
                Value::Tuple(vs) => Value::Tuple(vs.iter().map(|v| go(v, device)).collect::<Result<_>>()?),
                v => v.clone(),
            })
        }
        for c in &mut self.consts {
            *c = go(c, device)?;
        }
        Ok(())
    }

    /// Validates and plans a program whose `ConstDef::Tensor` entries index
    /// `tensors` (the artifact's tensor table).
    pub fn with_tensors(def: &ProgramDef, tensors: &[Tensor]) -> Result<Plan> {
        let live = verify(def)?;
        let kernels = def.kernels.iter().enumerate().map(|(i, k)| Fused::new(k).map_err(|e| bad(format!("kernel {i}: {e}")))).collect::<Result<Vec<_>>>()?;
        let consts = def.consts.iter().enumerate().map(|(i, c)| constant(c, tensors).map_err(|e| bad(format!("const {i}: {e}")))).collect::<Result<Vec<Value>>>()?;
        let mut blocks = Vec::with_capacity(def.blocks.len());
        for (bi, b) in def.blocks.iter().enumerate() {
            let mut nodes = Vec::with_capacity(b.nodes.len());
            for (k, n) in b.nodes.iter().enumerate() {
                let op = resolve(&n.op, n.outputs.len()).map_err(|e| bad(format!("block {bi}: node {k}: {e}")))?;
                if let POp::Fused(i) = op {
                    let fits = kernels.get(i).is_some_and(|f| f.num_outputs() == n.outputs.len() && def.kernels[i].num_params as usize == n.inputs.len());
                    if !fits {
                        return Err(bad(format!("block {bi}: node {k}: kernel {i} does not exist or does not take {} operands to {} outputs", n.inputs.len(), n.outputs.len())));
                    }
                }
                let moves = !matches!(op, POp::If | POp::Loop);
                let last = last_occurrences(&n.inputs);
                let inputs = n.inputs.iter().zip(last).map(|(&s, l)| (s, moves && l && last_here(&live, s, bi, LastUse::Node(k as u32)))).collect();
                nodes.push(PNode { op, inputs, outputs: n.outputs.clone(), blocks: n.blocks.clone(), loc: n.loc, free: Vec::new() });
            }
            let last = last_occurrences(&b.results);
            let results = b.results.iter().zip(last).map(|(&s, l)| (s, l && last_here(&live, s, bi, LastUse::Results))).collect();
            blocks.push(PBlock { params: b.params.clone(), free_at_entry: Vec::new(), nodes, results });
        }
        for s in 0..def.num_slots as usize {
            let b = &mut blocks[live.def_block[s] as usize];
            match (live.last_use[s], live.def_node[s]) {
                (LastUse::Node(k), _) | (LastUse::Never, Some(k)) => b.nodes[k as usize].free.push(s as u32),
                (LastUse::Never, None) => b.free_at_entry.push(s as u32),
                (LastUse::Results, _) => {}
            }
        }
        super::epilogue::fuse_conv_relu(&mut blocks);
        super::epilogue::fuse_conv_residual(&mut blocks, &consts);
        let mut num_slots = def.num_slots as usize;
        super::shortcut::fuse_shortcuts(&mut blocks, &mut num_slots);
        super::row_chain::fuse_norm_softmax(&mut blocks);
        super::loop_linear::hoist_loop_linears(&mut blocks, &mut num_slots);
        super::linear_add::fuse_linear_add(&mut blocks, &consts);
        super::packed::pack_linear_weights(&mut blocks, &consts);
        Ok(Plan { blocks, consts, inputs: def.inputs.clone(), num_slots, locs: def.locs.clone(), kernels })
    }

    /// The entry's parameters.
    pub fn inputs(&self) -> &[IoDef] {
        &self.inputs
    }

    /// How many values the entry returns.
    pub fn num_outputs(&self) -> usize {
        self.blocks.first().map_or(0, |b| b.results.len())
    }
}

/// How many times each slot is read, by node inputs and block results, in
/// every block (for the plan's rewrites: `epilogue.rs`, `loop_linear.rs`).
pub(super) fn use_counts(blocks: &[PBlock]) -> std::collections::HashMap<u32, usize> {
    let mut uses = std::collections::HashMap::new();
    for b in blocks {
        for (s, _) in b.nodes.iter().flat_map(|n| &n.inputs).chain(&b.results) {
            *uses.entry(*s).or_default() += 1;
        }
    }
    uses
}

/// For each position, whether no later position holds the same slot.
fn last_occurrences(slots: &[u32]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    let mut last: Vec<bool> = slots.iter().rev().map(|&s| seen.insert(s)).collect();
    last.reverse();
    last
}

/// Whether block `b`'s use `at` is the last use of `s` in its defining block.
fn last_here(live: &Liveness, s: u32, b: usize, at: LastUse) -> bool {
    live.def_block[s as usize] as usize == b && live.last_use[s as usize] == at
}

fn constant(c: &ConstDef, tensors: &[Tensor]) -> Result<Value, String> {
    Ok(match c {
        ConstDef::Int(i) => Value::Int(*i),
        ConstDef::Float(f) => Value::Float(*f),
        ConstDef::Bool(b) => Value::Bool(*b),
        ConstDef::Str(s) => Value::Str(s.clone()),
        ConstDef::None => Value::None,
        ConstDef::DType(name) => match DType::from_name(name) {
            Some(d) if d.name() == name => Value::DType(d),
            _ => return Err(format!("unknown dtype `{name}`")),
        },
        ConstDef::Tensor { table_index } => match tensors.get(*table_index as usize) {
            Some(t) => Value::Tensor(t.clone()),
            None => return Err(format!("tensor {table_index} is not in the tensor table ({} tensors)", tensors.len())),
        },
    })
}

/// Resolves an opcode; for a `Call`, finds the overloads once.
fn resolve(op: &OpCode, outputs: usize) -> Result<POp, String> {
    Ok(match op {
        OpCode::Call { name } => return resolve_call(name, outputs),
        OpCode::Const(i) => POp::Const(*i as usize),
        OpCode::If => POp::If,
        OpCode::Loop => POp::Loop,
        OpCode::ListConstruct => POp::ListConstruct,
        OpCode::TupleConstruct => POp::TupleConstruct,
        OpCode::ListUnpack => POp::ListUnpack,
        OpCode::TupleUnpack => POp::TupleUnpack,
        OpCode::TupleIndex(i) => POp::TupleIndex(*i as usize),
        OpCode::Raise => POp::Raise,
        OpCode::Fused { kernel } => POp::Fused(*kernel as usize),
    })
}

fn resolve_call(name: &str, outputs: usize) -> Result<POp, String> {
    let reg = registry();
    let (base, overload) = match name.split_once('.') {
        Some((b, o)) => (b, Some(o)),
        None => (name, None),
    };
    // `add_` is the in-place form of `add` when `add_` itself is not registered.
    let (op, inplace) = match base.strip_suffix('_') {
        Some(b) if reg.overloads(base).is_empty() && !reg.overloads(b).is_empty() => (b, true),
        _ => (base, false),
    };
    let all = reg.overloads(op);
    let overloads: &'static [Overload] = match overload {
        _ if all.is_empty() => return Err(format!("unknown op `{name}`")),
        None => all,
        Some(o) => match all.iter().position(|ov| ov.schema.overload == o) {
            Some(i) => std::slice::from_ref(&all[i]),
            None => return Err(format!("op `{op}` has no overload `{o}`")),
        },
    };
    if inplace {
        if outputs > 1 {
            return Err(format!("in-place `{name}` returns one tensor, not {outputs} values"));
        }
        return Ok(POp::InPlace { name: base.to_string(), overloads });
    }
    let fits = |ty: &Ty| match ty {
        Ty::Tuple(ts) => ts.len() == outputs,
        Ty::Any => true,
        _ => false,
    };
    if outputs > 1 && !overloads.iter().any(|ov| fits(&ov.schema.ret)) {
        return Err(format!("`{name}` does not return a {outputs}-tuple"));
    }
    if op == "append" {
        return Ok(POp::Append(overloads));
    }
    Ok(POp::Call { name: base.to_string(), overloads })
}
