//! Lowering a verified graph to the runtime's executable program
//! (`tsc_runtime::program::ProgramDef`) and its tensor table: what a `.tsg`
//! file carries. One pass over the graph in program order numbers the value
//! slots (entry params first, so input `i` is slot `i`) and the blocks (the
//! entry is block 0, nested blocks in the order met).
//!
//! | IR | program |
//! |---|---|
//! | entry params | `IoDef`s named by `input_names`; kind from the type (`Tensor`, `int`, `float`, `bool`; anything else is an error naming the input) |
//! | entry results | `outputs` |
//! | `aten.NAME.OVL(...)` | `Call "NAME.OVL"` ([`AtenOp::call_name`]: `relu` for a single overload, `sum.` for the empty-named one of several); operands are in schema order, keyword-only ones included, which the runtime binds by name. A 1-tuple return is unpacked with `TupleIndex(0)` |
//! | `const @c` | `Const`: a tensor goes to the tensor table under the constant's name (once per constant); a scalar as for a literal |
//! | `const 3`, `const "s"`, `const dtype f32`, ... | `Const` of a `ConstDef` (deduplicated); a dtype by PyTorch's name |
//! | `const device "cuda:0"` | `Const "cuda:0"` then `Call device` |
//! | `uninitialized` | `Const None` |
//! | `if`, `loop` | `If`, `Loop` (same operands and block shapes) |
//! | `fused` | `Fused { kernel }` with its block (the runtime's fallback); the kernel (`crate::kernel::translate`) goes to `kernels` |
//! | `list_construct`, `tuple_construct`, `list_unpack`, `tuple_unpack`, `tuple_index[k]`, `raise` | the opcode of the same name |
//! | `list_index`, `list_len`, `list_slice` | `Call __getitem__.t`, `len.t`, `slice.t` |
//! | `optional_unwrap` | `Call _unwrap_optional` (fails with "unwrapping a None value") |
//! | `is_none(x)` | `Call __is__(x, None)` |
//! | `print(x...)` | `ListConstruct` then `Call print` |
//! | `scalar.OP` | the prim op of `runtime/src/ops/prim.rs` with the overload the operand types select (`add.int`, `floordiv.float`, `lt.str`, `__and__.bool`, `Int.Scalar`, `__is__` for `None`/dtype/device equality); a `bool` operand of arithmetic or an ordering is first converted with `Int.Scalar`, as Python counts it as an int |
//! | `list_append`, `list_set_item` | an error: runtime lists are values, so a mutating list op must be functionalized first (`aten.append.t` returns the new list) |
//!
//! Every node's `loc` becomes an entry of `locs` (`file:line:col: source
//! line`, deduplicated; the source line comes from the caller, since this
//! crate knows no source text), and helper nodes share their IR node's loc,
//! so a run-time error points at the source line.

use crate::aten::AtenOp;
use crate::entity::{Block, ConstId, Node, Value};
use crate::error::EmitError;
use crate::graph::{ConstValue, Graph, Loc};
use crate::op::{Literal, Op};
use crate::scalar::ScalarOp;
use crate::types::Type;
use std::collections::HashMap;
use tsc_runtime::ops::Ty;
use tsc_runtime::program::{BlockDef, ConstDef, IoDef, IoKind, NodeDef, OpCode, ProgramDef};
use tsc_runtime::Tensor;
use tsc_kernels::jit::Kernel;

/// A program and the tensors its `ConstDef::Tensor` entries index, named
/// by the graph's constant names (`fc1.weight`).
#[derive(Clone, Debug)]
pub struct Emitted {
    pub program: ProgramDef,
    pub tensors: Vec<(String, Tensor)>,
}

/// Lowers `g` to a program whose input `i` is named `input_names[i]`.
/// Locations carry no source line; see [`to_program_with_source`].
pub fn to_program(g: &Graph, input_names: &[String]) -> Result<Emitted, EmitError> {
    to_program_with_source(g, input_names, &|_| None)
}

/// [`to_program`], with `source_line(loc)` giving the text of a location's
/// line for the program's `locs` (`model.py:12:16: return F.linear(x, w)`).
pub fn to_program_with_source(g: &Graph, input_names: &[String], source_line: &dyn Fn(&Loc) -> Option<String>) -> Result<Emitted, EmitError> {
    crate::verify(g).map_err(EmitError::Verify)?;
    let params = &g.block(g.entry).params;
    if input_names.len() != params.len() {
        return Err(EmitError::Signature(format!("the graph takes {} inputs but {} names were given", params.len(), input_names.len())));
    }
    let mut kinds = Vec::with_capacity(params.len());
    for (index, (&p, name)) in params.iter().zip(input_names).enumerate() {
        if input_names[..index].contains(name) {
            return Err(EmitError::Signature(format!("input name `{name}` is given twice")));
        }
        let kind = io_kind(g.ty(p)).ok_or_else(|| EmitError::Input {
            index,
            name: name.clone(),
            msg: format!("a program input is a Tensor, int, float or bool, not {}", g.ty(p)),
        })?;
        kinds.push(kind);
    }
    let mut e = Emitter {
        g,
        slots: vec![None; g.values.len()],
        num_slots: 0,
        blocks: Vec::new(),
        consts: Vec::new(),
        literals: HashMap::new(),
        tensor_consts: HashMap::new(),
        tensors: Vec::new(),
        locs: Vec::new(),
        loc_ids: HashMap::new(),
        kernels: Vec::new(),
        source_line,
    };
    e.block(g.entry)?;
    let entry = &e.blocks[0];
    let inputs = entry.params.iter().zip(input_names).zip(kinds).map(|((&slot, name), kind)| IoDef { name: name.clone(), kind, slot }).collect();
    let outputs = entry.results.clone();
    let program = ProgramDef { blocks: e.blocks, inputs, outputs, consts: e.consts, locs: e.locs, kernels: e.kernels, num_slots: e.num_slots };
    Ok(Emitted { program, tensors: e.tensors })
}

/// The input kind of a graph input type.
fn io_kind(t: &Type) -> Option<IoKind> {
    Some(match t {
        Type::Tensor(_) => IoKind::Tensor,
        Type::Int => IoKind::Int,
        Type::Float => IoKind::Float,
        Type::Bool => IoKind::Bool,
        _ => return None,
    })
}

struct Emitter<'a> {
    g: &'a Graph,
    /// The slot of each IR value, by value index, once defined.
    slots: Vec<Option<u32>>,
    num_slots: u32,
    blocks: Vec<BlockDef>,
    consts: Vec<ConstDef>,
    literals: HashMap<Literal, u32>,
    tensor_consts: HashMap<ConstId, u32>,
    tensors: Vec<(String, Tensor)>,
    locs: Vec<String>,
    loc_ids: HashMap<Loc, u32>,
    kernels: Vec<Kernel>,
    source_line: &'a dyn Fn(&Loc) -> Option<String>,
}

/// The nodes being emitted for one IR node: where they go, and its loc.
struct Out<'o> {
    nodes: &'o mut Vec<NodeDef>,
    loc: Option<u32>,
}

impl Out<'_> {
    fn push(&mut self, op: OpCode, inputs: Vec<u32>, outputs: Vec<u32>) {
        self.nodes.push(NodeDef { op, inputs, outputs, blocks: Vec::new(), loc: self.loc });
    }
    fn call(&mut self, name: &str, inputs: Vec<u32>, outputs: Vec<u32>) {
        self.push(OpCode::Call { name: name.to_string() }, inputs, outputs);
    }
}

impl Emitter<'_> {
    /// A new slot.
    fn fresh(&mut self) -> Result<u32, EmitError> {
        let s = self.num_slots;
        self.num_slots = s.checked_add(1).ok_or_else(|| EmitError::Signature("the program needs more than 2^32 value slots".into()))?;
        Ok(s)
    }

    /// The slot of `v`, defined here.
    fn define(&mut self, v: Value) -> Result<u32, EmitError> {
        let s = self.fresh()?;
        if let Some(x) = self.slots.get_mut(v.index()) {
            *x = Some(s);
        }
        Ok(s)
    }

    /// The slot of `v`, defined earlier (the verifier checked dominance).
    fn use_(&self, v: Value, n: Option<Node>) -> Result<u32, EmitError> {
        self.slots.get(v.index()).copied().flatten().ok_or_else(|| {
            let op = n.map(|n| self.g.node(n).op.name()).unwrap_or_else(|| "block".into());
            EmitError::Node { at: n.map_or_else(|| "graph".into(), |n| n.to_string()), op, msg: format!("internal: {} has no slot", self.g.value_text(v)) }
        })
    }

    /// Emits block `b` and returns its index in the program.
    fn block(&mut self, b: Block) -> Result<u32, EmitError> {
        let g = self.g;
        let index = self.blocks.len() as u32;
        self.blocks.push(BlockDef::default());
        let data = g.block(b);
        let params = data.params.iter().map(|&p| self.define(p)).collect::<Result<_, _>>()?;
        let mut nodes = Vec::with_capacity(data.nodes.len());
        for &n in &data.nodes {
            self.node(n, &mut nodes)?;
        }
        let results = data.results.iter().map(|&r| self.use_(r, None)).collect::<Result<_, _>>()?;
        self.blocks[index as usize] = BlockDef { params, nodes, results };
        Ok(index)
    }

    fn loc(&mut self, l: &Loc) -> u32 {
        if let Some(&i) = self.loc_ids.get(l) {
            return i;
        }
        let mut text = format!("{}:{}:{}", l.file, l.line, l.col);
        if let Some(src) = (self.source_line)(l) {
            text.push_str(": ");
            text.push_str(src.trim());
        }
        let i = self.locs.len() as u32;
        self.locs.push(text);
        self.loc_ids.insert(l.clone(), i);
        i
    }

    fn node(&mut self, n: Node, nodes: &mut Vec<NodeDef>) -> Result<(), EmitError> {
        let g = self.g;
        let node = g.node(n);
        let loc = node.loc.as_ref().map(|l| self.loc(l));
        let ins = node.inputs.iter().map(|&v| self.use_(v, Some(n))).collect::<Result<Vec<_>, _>>()?;
        if matches!(node.op, Op::If | Op::Loop | Op::Fused) {
            let op = match node.op {
                Op::If => OpCode::If,
                Op::Loop => OpCode::Loop,
                _ => {
                    let kernel = crate::kernel::translate(g, node.blocks[0]).map_err(|e| self.node_error(n, &e))?;
                    self.kernels.push(kernel);
                    OpCode::Fused { kernel: self.kernels.len() as u32 - 1 }
                }
            };
            let blocks = node.blocks.iter().map(|&b| self.block(b)).collect::<Result<_, _>>()?;
            let outputs = node.outputs.iter().map(|&o| self.define(o)).collect::<Result<_, _>>()?;
            nodes.push(NodeDef { op, inputs: ins, outputs, blocks, loc });
            return Ok(());
        }
        let outs = node.outputs.iter().map(|&o| self.define(o)).collect::<Result<Vec<_>, _>>()?;
        let first = outs.first().copied().ok_or_else(|| self.node_error(n, "internal: no output"));
        let mut out = Out { nodes, loc };
        match &node.op {
            Op::Aten(a) => self.aten(a, ins, outs, &mut out)?,
            Op::Const(c) => self.named_const(*c, first?, &mut out)?,
            Op::Literal(l) => self.literal(l, first?, &mut out)?,
            Op::Uninitialized => self.literal(&Literal::None, first?, &mut out)?,
            Op::ListConstruct => out.push(OpCode::ListConstruct, ins, outs),
            Op::TupleConstruct => out.push(OpCode::TupleConstruct, ins, outs),
            Op::ListUnpack => out.push(OpCode::ListUnpack, ins, outs),
            Op::TupleUnpack => out.push(OpCode::TupleUnpack, ins, outs),
            Op::TupleIndex(i) => out.push(OpCode::TupleIndex(*i), ins, outs),
            Op::Raise => out.push(OpCode::Raise, ins, outs),
            Op::ListIndex => out.call("__getitem__.t", ins, outs),
            Op::ListLen => out.call("len.t", ins, outs),
            Op::ListSlice => out.call("slice.t", ins, outs),
            Op::OptionalUnwrap => out.call("_unwrap_optional", ins, outs),
            Op::IsNone => {
                let none = self.fresh()?;
                self.literal(&Literal::None, none, &mut out)?;
                out.call("__is__", vec![ins[0], none], outs);
            }
            Op::Print => {
                let list = self.fresh()?;
                out.push(OpCode::ListConstruct, ins, vec![list]);
                out.call("print", vec![list], outs);
            }
            Op::Scalar(s) => {
                let tys: Vec<&Type> = node.inputs.iter().map(|&v| g.ty(v)).collect();
                self.scalar(*s, &tys, ins, outs, &mut out)?;
            }
            Op::ListAppend | Op::ListSetItem => {
                return Err(self.node_error(n, "mutating list op must be functionalized (runtime lists are values; `aten.append.t` returns the new list)"));
            }
            Op::If | Op::Loop | Op::Fused => unreachable!("nodes with blocks are emitted above"),
        }
        Ok(())
    }

    fn node_error(&self, n: Node, msg: &str) -> EmitError {
        let node = self.g.node(n);
        let at = node.loc.as_ref().map_or_else(|| n.to_string(), |l| format!("{}:{}:{}", l.file, l.line, l.col));
        EmitError::Node { at, op: node.op.name(), msg: msg.to_string() }
    }

    fn aten(&mut self, a: &AtenOp, ins: Vec<u32>, outs: Vec<u32>, out: &mut Out) -> Result<(), EmitError> {
        let name = a.call_name();
        // The runtime gives one output the whole result: unpack a 1-tuple.
        if matches!(&a.schema().ret, Ty::Tuple(ts) if ts.len() == 1) && outs.len() == 1 {
            let tuple = self.fresh()?;
            out.call(&name, ins, vec![tuple]);
            out.push(OpCode::TupleIndex(0), vec![tuple], outs);
        } else {
            out.call(&name, ins, outs);
        }
        Ok(())
    }

    /// The index of the `ConstDef` of a literal (not a device), added once.
    fn const_def(&mut self, l: &Literal) -> u32 {
        if let Some(&i) = self.literals.get(l) {
            return i;
        }
        let def = match l {
            Literal::Int(i) => ConstDef::Int(*i),
            Literal::Float(f) => ConstDef::Float(*f),
            Literal::Bool(b) => ConstDef::Bool(*b),
            Literal::Str(s) => ConstDef::Str(s.clone()),
            Literal::None => ConstDef::None,
            Literal::DType(d) => ConstDef::DType(d.name().to_string()),
            Literal::Device(d) => ConstDef::Str(d.to_string()),
        };
        let i = self.consts.len() as u32;
        self.consts.push(def);
        self.literals.insert(l.clone(), i);
        i
    }

    /// Defines slot `o` as literal `l`.
    fn literal(&mut self, l: &Literal, o: u32, out: &mut Out) -> Result<(), EmitError> {
        if let Literal::Device(d) = l {
            let s = self.fresh()?;
            let i = self.const_def(&Literal::Str(d.to_string()));
            out.push(OpCode::Const(i), vec![], vec![s]);
            out.call("device", vec![s], vec![o]);
        } else {
            let i = self.const_def(l);
            out.push(OpCode::Const(i), vec![], vec![o]);
        }
        Ok(())
    }

    /// Defines slot `o` as named constant `c`.
    fn named_const(&mut self, c: ConstId, o: u32, out: &mut Out) -> Result<(), EmitError> {
        let data = self.g.constant(c);
        let i = match &data.value {
            ConstValue::Tensor(t) => match self.tensor_consts.get(&c) {
                Some(&i) => i,
                None => {
                    let table_index = self.tensors.len() as u32;
                    self.tensors.push((data.name.clone(), t.clone()));
                    let i = self.consts.len() as u32;
                    self.consts.push(ConstDef::Tensor { table_index });
                    self.tensor_consts.insert(c, i);
                    i
                }
            },
            other => match Literal::from_const(other) {
                Some(l) => return self.literal(&l, o, out),
                None => unreachable!("every non-tensor constant is a literal"),
            },
        };
        out.push(OpCode::Const(i), vec![], vec![o]);
        Ok(())
    }

    /// A scalar op as prim registry calls (see the module doc).
    fn scalar(&mut self, op: ScalarOp, tys: &[&Type], ins: Vec<u32>, outs: Vec<u32>, out: &mut Out) -> Result<(), EmitError> {
        use ScalarOp as S;
        let all = |t: Type| tys.iter().all(|x| **x == t);
        let fixed = match op {
            S::Not => Some("__not__"),
            S::And => Some("__and__.bool"),
            S::Or => Some("__or__.bool"),
            S::IntCast => Some("Int.Scalar"),
            S::FloatCast => Some("Float.Scalar"),
            S::BoolCast => Some("Bool.Scalar"),
            S::Eq if all(Type::Bool) => Some("eq.bool"),
            S::Ne if all(Type::Bool) => Some("ne.bool"),
            S::Eq | S::Ne if !tys.iter().all(|t| t.is_number()) => Some(match (op, all(Type::Str)) {
                (S::Eq, true) => "eq.str",
                (S::Ne, true) => "ne.str",
                (S::Eq, false) => "__is__",
                _ => "__isnot__",
            }),
            S::Lt | S::Le | S::Gt | S::Ge if all(Type::Str) => Some(match op {
                S::Lt => "lt.str",
                S::Le => "le.str",
                S::Gt => "gt.str",
                _ => "ge.str",
            }),
            _ => None,
        };
        if let Some(name) = fixed {
            out.call(name, ins, outs);
            return Ok(());
        }
        let base = match op {
            S::Add => "add",
            S::Sub => "sub",
            S::Mul => "mul",
            S::TrueDiv => "div",
            S::FloorDiv => "floordiv",
            S::Mod => "remainder",
            S::Pow => "pow",
            S::BitAnd => "bitand",
            S::BitOr => "bitor",
            S::BitXor => "bitxor",
            S::Shl => "lshift",
            S::Shr => "rshift",
            S::Neg => "neg",
            S::Eq => "eq",
            S::Ne => "ne",
            S::Lt => "lt",
            S::Le => "le",
            S::Gt => "gt",
            _ => "ge",
        };
        // Python counts a bool as an int in arithmetic and orderings.
        let mut args = Vec::with_capacity(ins.len());
        for (&s, t) in ins.iter().zip(tys) {
            if **t == Type::Bool {
                let i = self.fresh()?;
                out.call("Int.Scalar", vec![s], vec![i]);
                args.push(i);
            } else {
                args.push(s);
            }
        }
        let overload = if tys.iter().any(|t| **t == Type::Float) { "float" } else { "int" };
        out.call(&format!("{base}.{overload}"), args, outs);
        Ok(())
    }
}
