//! `Op`: the one closed set of operations. Each op answers the property
//! questions passes ask (`is_pure`, `has_side_effects`, `is_elementwise`,
//! `num_blocks`) and has its text name and type rule here; runtime ops and
//! scalar arithmetic delegate to `aten.rs` and `scalar.rs`. Control flow
//! (`if`, `loop`) also has block rules, checked by the verifier.

use crate::aten::AtenOp;
use crate::entity::{ConstId, Node};
use crate::graph::{ConstValue, Graph};
use crate::scalar::ScalarOp;
use crate::types::Type;
use std::hash::{Hash, Hasher};
use tsc_runtime::{DType, Device};

/// An inline scalar constant (`const 3`, `const 1.5`, `const true`,
/// `const "s"`, `const none`, `const dtype f32`, `const device "cpu"`).
#[derive(Clone, Debug)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    None,
    DType(DType),
    Device(Device),
}

impl Literal {
    pub fn ty(&self) -> Type {
        match self {
            Literal::Int(_) => Type::Int,
            Literal::Float(_) => Type::Float,
            Literal::Bool(_) => Type::Bool,
            Literal::Str(_) => Type::Str,
            Literal::None => Type::None,
            Literal::DType(_) => Type::DType,
            Literal::Device(_) => Type::Device,
        }
    }

    /// The equal `ConstValue`.
    pub fn to_const(&self) -> ConstValue {
        match self {
            Literal::Int(i) => ConstValue::Int(*i),
            Literal::Float(f) => ConstValue::Float(*f),
            Literal::Bool(b) => ConstValue::Bool(*b),
            Literal::Str(s) => ConstValue::Str(s.clone()),
            Literal::None => ConstValue::None,
            Literal::DType(d) => ConstValue::DType(*d),
            Literal::Device(d) => ConstValue::Device(*d),
        }
    }

    /// The literal for a non-tensor constant.
    pub fn from_const(c: &ConstValue) -> Option<Literal> {
        Some(match c {
            ConstValue::Int(i) => Literal::Int(*i),
            ConstValue::Float(f) => Literal::Float(*f),
            ConstValue::Bool(b) => Literal::Bool(*b),
            ConstValue::Str(s) => Literal::Str(s.clone()),
            ConstValue::None => Literal::None,
            ConstValue::DType(d) => Literal::DType(*d),
            ConstValue::Device(d) => Literal::Device(*d),
            ConstValue::Tensor(_) => return None,
        })
    }
}

/// Floats compare by bits (so `nan == nan` and `-0.0 != 0.0`): equality
/// means "the same constant", as CSE and round-tripping need.
impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        self.to_const() == other.to_const()
    }
}
impl Eq for Literal {}

impl Hash for Literal {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Literal::Int(i) => i.hash(h),
            Literal::Float(f) => (if f.is_nan() { f64::NAN } else { *f }).to_bits().hash(h),
            Literal::Bool(b) => b.hash(h),
            Literal::Str(s) => s.hash(h),
            Literal::None => {}
            Literal::DType(d) => d.hash(h),
            Literal::Device(d) => d.hash(h),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// A runtime op by schema; operands fully bound in schema order.
    Aten(AtenOp),
    /// A named constant: `const @w0`.
    Const(ConstId),
    /// An inline scalar: `const 3`.
    Literal(Literal),
    /// `if(%cond)` with two blocks (then, else), each yielding the outputs.
    If,
    /// `loop(%max_trip_count, %initial_cond, %carried...)`; one block with
    /// params `(iter, carried...)` and results `(cond, carried...)`.
    Loop,
    ListConstruct,
    ListUnpack,
    ListIndex,
    ListLen,
    ListAppend,
    ListSetItem,
    /// `(list, start: Optional[int], end: Optional[int], step: int)`.
    ListSlice,
    TupleConstruct,
    TupleIndex(u32),
    TupleUnpack,
    /// `Optional[T] -> T`; a runtime error when the value is `None`.
    OptionalUnwrap,
    IsNone,
    Scalar(ScalarOp),
    /// Raises an exception with the message operand.
    Raise,
    Print,
    /// A value of any type that is never read (TorchScript's
    /// `prim::Uninitialized`): what a variable holds on a path that does
    /// not assign it. Text: `uninitialized`, without parentheses.
    Uninitialized,
    /// A fused elementwise kernel (`passes/fuse.rs`): one block whose
    /// params are the operands and whose results are the outputs; its
    /// nodes are what the kernel computes (`crate::kernel::translate`).
    Fused,
}

/// Ops with a plain text name and no attribute, for printing and parsing.
const SIMPLE: &[(Op, &str)] = &[
    (Op::If, "if"),
    (Op::Loop, "loop"),
    (Op::ListConstruct, "list_construct"),
    (Op::ListUnpack, "list_unpack"),
    (Op::ListIndex, "list_index"),
    (Op::ListLen, "list_len"),
    (Op::ListAppend, "list_append"),
    (Op::ListSetItem, "list_set_item"),
    (Op::ListSlice, "list_slice"),
    (Op::TupleConstruct, "tuple_construct"),
    (Op::TupleUnpack, "tuple_unpack"),
    (Op::OptionalUnwrap, "optional_unwrap"),
    (Op::IsNone, "is_none"),
    (Op::Raise, "raise"),
    (Op::Print, "print"),
    (Op::Uninitialized, "uninitialized"),
    (Op::Fused, "fused"),
];

impl Op {
    /// The text name (`aten.add.Tensor`, `scalar.add`, `tuple_index[1]`,
    /// `const`, `if`, ...).
    pub fn name(&self) -> String {
        match self {
            Op::Aten(a) => a.text(),
            Op::Const(_) | Op::Literal(_) => "const".into(),
            Op::TupleIndex(i) => format!("tuple_index[{i}]"),
            Op::Scalar(s) => format!("scalar.{}", s.name()),
            op => SIMPLE.iter().find(|(o, _)| o == op).map_or("?", |(_, n)| n).into(),
        }
    }

    /// The op spelled `name` with no attribute (not `const`, `aten.*`, `tuple_index[..]`).
    pub fn from_simple_name(name: &str) -> Option<Op> {
        if let Some(s) = name.strip_prefix("scalar.") {
            return ScalarOp::from_name(s).map(Op::Scalar);
        }
        SIMPLE.iter().find(|(_, n)| *n == name).map(|(o, _)| o.clone())
    }

    pub fn num_blocks(&self) -> usize {
        match self {
            Op::If => 2,
            Op::Loop | Op::Fused => 1,
            _ => 0,
        }
    }

    /// Observable effects beyond its outputs (mutation, I/O, raising, the
    /// random state). `if`/`loop` answer for their blocks at node level:
    /// see [`node_has_side_effects`].
    pub fn has_side_effects(&self) -> bool {
        match self {
            Op::Aten(a) => a.has_side_effects(),
            Op::ListAppend | Op::ListSetItem | Op::Raise | Op::Print => true,
            _ => false,
        }
    }

    /// Deterministic, effect-free, and its outputs are no fresh mutable
    /// objects: two such nodes with equal operands are interchangeable (CSE).
    pub fn is_pure(&self) -> bool {
        match self {
            Op::Aten(a) => !a.has_side_effects() && !a.returns_list(),
            Op::If | Op::Loop | Op::Fused | Op::ListConstruct | Op::ListSlice => false,
            op => !op.has_side_effects(),
        }
    }

    /// An elementwise tensor op (from the list in `aten.rs`).
    pub fn is_elementwise(&self) -> bool {
        matches!(self, Op::Aten(a) if a.is_elementwise())
    }

    /// The type rule for operands and outputs (blocks are the verifier's).
    pub fn check(&self, g: &Graph, ins: &[&Type], outs: &[&Type]) -> Result<(), String> {
        let arity = |n: usize, m: usize| -> Result<(), String> {
            if ins.len() != n {
                return Err(format!("takes {n} operands, got {}", ins.len()));
            }
            if outs.len() != m {
                return Err(format!("has {m} outputs, got {}", outs.len()));
            }
            Ok(())
        };
        let need = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
        match self {
            Op::Aten(a) => a.check(ins, outs),
            Op::Scalar(s) => {
                let t = s.result_type(ins)?;
                need(outs.len() == 1, "has 1 output")?;
                need(*outs[0] == t, &format!("output must be {t}, got {}", outs[0]))
            }
            Op::Literal(l) => {
                arity(0, 1)?;
                need(*outs[0] == l.ty(), &format!("output must be {}, got {}", l.ty(), outs[0]))
            }
            Op::Const(c) => {
                arity(0, 1)?;
                let Some(data) = g.consts.get(c.index()) else { return Err(format!("no constant {c}")) };
                let t = const_type(&data.value);
                need(t.refines(outs[0]), &format!("constant @{} is {t}, output declared {}", data.name, outs[0]))
            }
            Op::If => {
                need(ins.len() == 1, "takes 1 operand (the condition)")?;
                need(*ins[0] == Type::Bool, "condition must be bool")
            }
            Op::Loop => {
                need(ins.len() >= 2, "takes (max_trip_count, initial_cond, carried...)")?;
                need(*ins[0] == Type::Int && *ins[1] == Type::Bool, "max_trip_count must be int and initial_cond bool")?;
                need(outs.len() == ins.len() - 2, "has one output per carried value")?;
                for (i, (t, o)) in ins[2..].iter().zip(outs).enumerate() {
                    need(t.refines(o), &format!("carried value {i} is {t}, output declared {o}"))?;
                }
                Ok(())
            }
            Op::ListConstruct => {
                need(outs.len() == 1, "has 1 output")?;
                let Type::List(e) = outs[0] else { return Err("output must be a List".into()) };
                need(ins.iter().all(|t| t.refines(e)), &format!("elements must be {e}"))
            }
            Op::ListUnpack => {
                need(ins.len() == 1, "takes 1 operand")?;
                let Type::List(e) = ins[0] else { return Err("operand must be a List".into()) };
                need(outs.iter().all(|t| e.refines(t)), &format!("outputs must be {e}"))
            }
            Op::ListIndex => {
                arity(2, 1)?;
                let Type::List(e) = ins[0] else { return Err("operand 0 must be a List".into()) };
                need(*ins[1] == Type::Int && e.refines(outs[0]), &format!("takes (List[T], int) -> T with T = {e}"))
            }
            Op::ListLen => {
                arity(1, 1)?;
                need(matches!(ins[0], Type::List(_)) && *outs[0] == Type::Int, "takes List[T] -> int")
            }
            Op::ListAppend => {
                arity(2, 0)?;
                let Type::List(e) = ins[0] else { return Err("operand 0 must be a List".into()) };
                need(ins[1].refines(e), &format!("appended value must be {e}"))
            }
            Op::ListSetItem => {
                arity(3, 0)?;
                let Type::List(e) = ins[0] else { return Err("operand 0 must be a List".into()) };
                need(*ins[1] == Type::Int && ins[2].refines(e), &format!("takes (List[T], int, T) with T = {e}"))
            }
            Op::ListSlice => {
                arity(4, 1)?;
                let opt_int = Type::optional(Type::Int);
                let ok = matches!(ins[0], Type::List(_)) && ins[1].refines(&opt_int) && ins[2].refines(&opt_int);
                need(ok && *ins[3] == Type::Int && ins[0].refines(outs[0]), "takes (List[T], int?, int?, int) -> List[T]")
            }
            Op::TupleConstruct => {
                need(outs.len() == 1, "has 1 output")?;
                need(Type::Tuple(ins.iter().map(|t| (*t).clone()).collect()).refines(outs[0]), "output must be the Tuple of the operands")
            }
            Op::TupleIndex(i) => {
                arity(1, 1)?;
                let Type::Tuple(ts) = ins[0] else { return Err("operand must be a Tuple".into()) };
                let Some(t) = ts.get(*i as usize) else { return Err(format!("index {i} out of range for {}", ins[0])) };
                need(t.refines(outs[0]), &format!("element {i} is {t}, output declared {}", outs[0]))
            }
            Op::TupleUnpack => {
                need(ins.len() == 1, "takes 1 operand")?;
                let Type::Tuple(ts) = ins[0] else { return Err("operand must be a Tuple".into()) };
                need(ts.len() == outs.len() && ts.iter().zip(outs).all(|(t, o)| t.refines(o)), "outputs must be the tuple's elements")
            }
            Op::OptionalUnwrap => {
                arity(1, 1)?;
                let inner = match ins[0] {
                    Type::Optional(t) => t.as_ref(),
                    _ => return Err("operand must be Optional".into()),
                };
                need(inner.refines(outs[0]), &format!("output must be {inner}"))
            }
            Op::IsNone => {
                arity(1, 1)?;
                need(*outs[0] == Type::Bool, "output must be bool")
            }
            Op::Raise => {
                arity(1, 0)?;
                need(*ins[0] == Type::Str, "message must be str")
            }
            Op::Print => need(outs.is_empty(), "has no outputs"),
            Op::Uninitialized => arity(0, 1),
            Op::Fused => need(!outs.is_empty(), "has at least one output"),
        }
    }
}

/// The most precise type of a constant.
pub fn const_type(c: &ConstValue) -> Type {
    match c {
        ConstValue::Tensor(t) => Type::tensor_of(t.dtype(), t.shape()),
        other => Literal::from_const(other).map_or(Type::None, |l| l.ty()),
    }
}

/// Whether node `n` has side effects: its op's own, an `inplace=` operand
/// that is not the literal `false`, or any effect inside its blocks.
pub fn node_has_side_effects(g: &Graph, n: Node) -> bool {
    let node = g.node(n);
    if node.op.has_side_effects() {
        return true;
    }
    if let Op::Aten(a) = &node.op {
        if let Some(i) = a.inplace_param() {
            let literal_false = node.inputs.get(i).and_then(|&v| g.def_node(v)).is_some_and(|d| g.node(d).op == Op::Literal(Literal::Bool(false)));
            if !literal_false {
                return true;
            }
        }
    }
    node.blocks.iter().any(|&b| g.block(b).nodes.iter().any(|&inner| node_has_side_effects(g, inner)))
}
