//! Between graph nodes and the kernel IR (`tsc_kernels::jit`): which
//! nodes a fused kernel can compute ([`recipe`]): elementwise ops, and the
//! ops that reduce over the last dim (softmax, log_softmax, layer_norm,
//! sum/mean/amax/amin with `keepdim=True`), which make it a row kernel;
//! and the kernel of a `fused` node's block ([`translate`]).
//!
//! A recipe says how one node's output follows from its operands, as an
//! expression over operand positions. Operands are numbers (a tensor of any
//! float dtype, or an `int`/`float` scalar) except where the recipe reads
//! a literal (`gelu`'s `approximate`, `add`'s `alpha`, `div`'s rounding
//! mode), which must be written in the graph, and `where`'s condition,
//! which must be a mask: the output of a comparison in the same kernel.
//! Only ops whose float32 result the kernel IR computes exactly as the
//! runtime's op does (up to `spec/kernels.md`'s bounds) have recipes. A
//! reduction's recipe holds only where its dim is provably the last one;
//! whether the shapes of a call fit is checked when the kernel runs
//! (`Kernel::row_shape`).

use crate::entity::{Block, Node, Value};
use crate::graph::Graph;
use crate::op::{Literal, Op};
use crate::passes::literal_of;
use crate::types::Type;
use std::collections::HashMap;
use crate::types::Dim;
use tsc_kernels::jit::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};

/// One node's output as an expression of its operands.
#[derive(Clone, Debug, PartialEq)]
pub enum Recipe {
    /// Operand `i` (a number).
    Arg(usize),
    /// Operand `i`, which must be a mask.
    Mask(usize),
    Const(f64),
    Unary(UnaryOp, Box<Recipe>),
    Binary(BinaryOp, Box<Recipe>, Box<Recipe>),
    Compare(CmpOp, Box<Recipe>, Box<Recipe>),
    Select(Box<Recipe>, Box<Recipe>, Box<Recipe>),
    /// The fold over the last dim (keepdim).
    Reduce(ReduceOp, Box<Recipe>),
    /// The length of the last dim.
    RowLen,
}

use Recipe::{Arg, Const};

fn un(op: UnaryOp, a: Recipe) -> Recipe {
    Recipe::Unary(op, Box::new(a))
}
fn bin(op: BinaryOp, a: Recipe, b: Recipe) -> Recipe {
    Recipe::Binary(op, Box::new(a), Box::new(b))
}
fn cmp(op: CmpOp, a: Recipe, b: Recipe) -> Recipe {
    Recipe::Compare(op, Box::new(a), Box::new(b))
}
fn select(m: Recipe, a: Recipe, b: Recipe) -> Recipe {
    Recipe::Select(Box::new(m), Box::new(a), Box::new(b))
}
fn fold(op: ReduceOp, a: Recipe) -> Recipe {
    Recipe::Reduce(op, Box::new(a))
}
/// The mean over the last dim.
fn mean(a: Recipe) -> Recipe {
    bin(BinaryOp::Div, fold(ReduceOp::Sum, a), Recipe::RowLen)
}

impl Recipe {
    /// Whether the output is a mask.
    pub fn is_mask(&self) -> bool {
        matches!(self, Recipe::Compare(..) | Recipe::Mask(_))
    }

    fn args(&self, out: &mut Vec<(usize, bool)>) {
        match self {
            Recipe::Arg(i) => out.push((*i, false)),
            Recipe::Mask(i) => out.push((*i, true)),
            Recipe::Const(_) | Recipe::RowLen => {}
            Recipe::Unary(_, a) | Recipe::Reduce(_, a) => a.args(out),
            Recipe::Binary(_, a, b) | Recipe::Compare(_, a, b) => {
                a.args(out);
                b.args(out);
            }
            Recipe::Select(m, a, b) => {
                m.args(out);
                a.args(out);
                b.args(out);
            }
        }
    }

    /// Whether it folds over rows (the node makes its kernel a row kernel).
    pub fn reduces(&self) -> bool {
        match self {
            Recipe::Reduce(..) | Recipe::RowLen => true,
            Recipe::Arg(_) | Recipe::Mask(_) | Recipe::Const(_) => false,
            Recipe::Unary(_, a) => a.reduces(),
            Recipe::Binary(_, a, b) | Recipe::Compare(_, a, b) => a.reduces() || b.reduces(),
            Recipe::Select(m, a, b) => m.reduces() || a.reduces() || b.reduces(),
        }
    }

    /// The operand positions it reads, each with whether it must be a mask.
    pub fn operands(&self) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        self.args(&mut out);
        out
    }
}

/// `a + alpha * b` (or `a - alpha * b`), with `alpha` at operand 2.
fn scaled(g: &Graph, ins: &[Value], op: BinaryOp, a: Recipe, b: Recipe) -> Option<Recipe> {
    let b = match number(g, *ins.get(2)?) {
        Some(1.0) => b,
        _ => bin(BinaryOp::Mul, b, Arg(2)),
    };
    Some(bin(op, a, b))
}

/// The numeric literal defining `v`.
fn number(g: &Graph, v: Value) -> Option<f64> {
    match literal_of(g, v)? {
        Literal::Int(i) => Some(i as f64),
        Literal::Float(x) => Some(x),
        _ => None,
    }
}

/// `min(max(x, lo), hi)` with either bound optional (a `None` literal).
fn clamp(g: &Graph, lo: Option<Value>, hi: Option<Value>, lo_arg: usize, hi_arg: usize) -> Option<Recipe> {
    let is_none = |v: Option<Value>| v.is_none_or(|v| matches!(literal_of(g, v), Some(Literal::None)));
    let mut r = Arg(0);
    if !is_none(lo) {
        r = bin(BinaryOp::Max, r, Arg(lo_arg));
    }
    if !is_none(hi) {
        r = bin(BinaryOp::Min, r, Arg(hi_arg));
    }
    Some(r)
}

/// Whether `dim` (a literal int, or a one-element int list/tuple of
/// literals) is the last dim of `x`: -1, or rank - 1 where the rank is known.
fn is_last_dim(g: &Graph, x: Value, dim: Value) -> bool {
    let d = match literal_of(g, dim) {
        Some(Literal::Int(d)) => d,
        _ => match g.def_node(dim).map(|n| (&g.node(n).op, &g.node(n).inputs)) {
            Some((Op::ListConstruct | Op::TupleConstruct, items)) if items.len() == 1 => match literal_of(g, items[0]) {
                Some(Literal::Int(d)) => d,
                _ => return false,
            },
            _ => return false,
        },
    };
    d == -1 || rank(g, x).is_some_and(|r| r >= 1 && d == r as i64 - 1)
}

/// The rank of a tensor value, where its type knows it.
fn rank(g: &Graph, x: Value) -> Option<usize> {
    match g.ty(x) {
        Type::Tensor(t) => t.shape.as_ref().map(Vec::len),
        _ => None,
    }
}

/// The size of a tensor value's last dim, where its type knows it.
fn last_size(g: &Graph, x: Value) -> Option<u64> {
    match g.ty(x) {
        Type::Tensor(t) => match t.shape.as_ref()?.last()? {
            Dim::Const(d) => Some(*d),
            _ => None,
        },
        _ => None,
    }
}

/// `layer_norm(x, [n], w, b, eps)` over the last dim, when the kernel's rows
/// provably have PyTorch's `n` elements: the weight or bias is a tensor of
/// shape `[n]` (the runtime checks such a call's shapes), or `x`'s type
/// knows its last dim is `n`.
fn layer_norm(g: &Graph, ins: &[Value]) -> Option<Recipe> {
    let items = match g.def_node(*ins.get(1)?).map(|n| (&g.node(n).op, &g.node(n).inputs)) {
        Some((Op::ListConstruct | Op::TupleConstruct, items)) if items.len() == 1 => items.clone(),
        _ => return None,
    };
    let Literal::Int(n) = literal_of(g, items[0])? else { return None };
    let eps = number(g, *ins.get(4)?)?;
    let given = |i: usize| ins.get(i).is_some_and(|&v| g.ty(v).is_tensor());
    let affine_n = [2, 3].iter().filter(|&&i| given(i)).any(|&i| rank(g, ins[i]) == Some(1) && last_size(g, ins[i]) == Some(n as u64));
    if !(affine_n || last_size(g, ins[0]) == Some(n as u64)) {
        return None;
    }
    let d = bin(BinaryOp::Sub, Arg(0), mean(Arg(0)));
    let var = mean(bin(BinaryOp::Mul, d.clone(), d.clone()));
    let rstd = un(UnaryOp::Rsqrt, bin(BinaryOp::Add, var, Const(eps)));
    let mut y = bin(BinaryOp::Mul, d, rstd);
    if given(2) {
        y = bin(BinaryOp::Mul, y, Arg(2));
    }
    if given(3) {
        y = bin(BinaryOp::Add, y, Arg(3));
    }
    Some(y)
}

/// `x.sum/mean/amax/amin(dim=-1, keepdim=True)` (no dtype).
fn keepdim_fold(g: &Graph, ins: &[Value], op: ReduceOp, mean_of: bool, has_dtype: bool) -> Option<Recipe> {
    let keep = literal_of(g, *ins.get(2)?) == Some(Literal::Bool(true));
    let no_dtype = !has_dtype || literal_of(g, *ins.get(3)?) == Some(Literal::None);
    if !(keep && no_dtype && is_last_dim(g, ins[0], ins[1])) {
        return None;
    }
    Some(if mean_of { mean(Arg(0)) } else { fold(op, Arg(0)) })
}

/// softmax (or log_softmax) over the last dim, the dtype argument at `dtype`.
fn softmax(g: &Graph, ins: &[Value], dtype: usize, log: bool) -> Option<Recipe> {
    if !(is_last_dim(g, ins[0], *ins.get(1)?) && literal_of(g, *ins.get(dtype)?) == Some(Literal::None)) {
        return None;
    }
    let shifted = bin(BinaryOp::Sub, Arg(0), fold(ReduceOp::Max, Arg(0)));
    let e = un(UnaryOp::Exp, shifted.clone());
    Some(if log {
        bin(BinaryOp::Sub, shifted, un(UnaryOp::Log, fold(ReduceOp::Sum, e)))
    } else {
        bin(BinaryOp::Div, e.clone(), fold(ReduceOp::Sum, e))
    })
}

/// How node `n` computes its output inside a kernel, if it can.
pub fn recipe(g: &Graph, n: Node) -> Option<Recipe> {
    let node = g.node(n);
    let Op::Aten(a) = &node.op else { return None };
    if node.outputs.len() != 1 || !g.ty(node.outputs[0]).is_tensor() {
        return None;
    }
    let ins = &node.inputs;
    let lit = |i: usize| ins.get(i).and_then(|&v| literal_of(g, v));
    // `F.relu(x, inplace=True)` writes into `x`: only the functional form fuses.
    let params = &a.schema().params;
    if params.iter().enumerate().any(|(i, p)| p.name == "inplace" && lit(i) != Some(Literal::Bool(false))) {
        return None;
    }
    let unary = |op| Some(un(op, Arg(0)));
    let r = match (a.name(), a.overload()) {
        ("add", "Tensor" | "Scalar") => scaled(g, ins, BinaryOp::Add, Arg(0), Arg(1))?,
        ("sub", "Tensor" | "Scalar") => scaled(g, ins, BinaryOp::Sub, Arg(0), Arg(1))?,
        ("rsub", "Tensor" | "Scalar") => scaled(g, ins, BinaryOp::Sub, Arg(1), Arg(0))?,
        ("mul", "Tensor" | "Scalar") => bin(BinaryOp::Mul, Arg(0), Arg(1)),
        ("div", "Tensor_mode" | "Scalar_mode") if lit(2) == Some(Literal::None) => bin(BinaryOp::Div, Arg(0), Arg(1)),
        ("maximum", "") => bin(BinaryOp::Max, Arg(0), Arg(1)),
        ("minimum", "") => bin(BinaryOp::Min, Arg(0), Arg(1)),
        ("neg" | "negative", "") => unary(UnaryOp::Neg)?,
        ("abs" | "absolute", "") => unary(UnaryOp::Abs)?,
        ("exp", "") => unary(UnaryOp::Exp)?,
        ("log", "") => unary(UnaryOp::Log)?,
        ("sqrt", "") => unary(UnaryOp::Sqrt)?,
        ("rsqrt", "") => unary(UnaryOp::Rsqrt)?,
        ("reciprocal", "") => unary(UnaryOp::Reciprocal)?,
        ("tanh", "") => unary(UnaryOp::Tanh)?,
        ("sigmoid", "") => unary(UnaryOp::Sigmoid)?,
        ("relu", "") => unary(UnaryOp::Relu)?,
        ("erf", "") => unary(UnaryOp::Erf)?,
        ("silu", "") => unary(UnaryOp::Silu)?,
        ("floor", "") => unary(UnaryOp::Floor)?,
        ("ceil", "") => unary(UnaryOp::Ceil)?,
        ("trunc" | "fix", "") => unary(UnaryOp::Trunc)?,
        ("square", "") => bin(BinaryOp::Mul, Arg(0), Arg(0)),
        ("gelu", "") => match lit(1)? {
            Literal::Str(s) if s == "none" => un(UnaryOp::Gelu, Arg(0)),
            Literal::Str(s) if s == "tanh" => un(UnaryOp::GeluTanh, Arg(0)),
            _ => return None,
        },
        ("pow", "Tensor_Scalar") => match number(g, *ins.get(1)?)? {
            1.0 => Arg(0),
            2.0 => bin(BinaryOp::Mul, Arg(0), Arg(0)),
            3.0 => bin(BinaryOp::Mul, bin(BinaryOp::Mul, Arg(0), Arg(0)), Arg(0)),
            _ => return None,
        },
        ("clamp", "") => clamp(g, ins.get(1).copied(), ins.get(2).copied(), 1, 2)?,
        ("clamp_min", "") => bin(BinaryOp::Max, Arg(0), Arg(1)),
        ("clamp_max", "") => bin(BinaryOp::Min, Arg(0), Arg(1)),
        ("hardtanh", "") => clamp(g, ins.get(1).copied(), ins.get(2).copied(), 1, 2)?,
        ("leaky_relu", "") => {
            select(cmp(CmpOp::Gt, Arg(0), Const(0.0)), Arg(0), bin(BinaryOp::Mul, Arg(0), Arg(1)))
        }
        ("where", "self") => select(Recipe::Mask(0), Arg(1), Arg(2)),
        // A mask from outside the kernel (a `bool` tensor, read as 0 or 1).
        ("masked_fill", "Scalar") => select(cmp(CmpOp::Ne, Arg(1), Const(0.0)), Arg(2), Arg(0)),
        (op @ ("eq" | "ne" | "lt" | "le" | "gt" | "ge"), "Tensor" | "Scalar") => {
            let c = CmpOp::ALL.into_iter().find(|c| c.name() == op)?;
            cmp(c, Arg(0), Arg(1))
        }
        ("softmax", "int") => softmax(g, ins, 2, false)?,
        ("softmax", "") => softmax(g, ins, 3, false)?,
        ("log_softmax", "int") => softmax(g, ins, 2, true)?,
        ("log_softmax", "") => softmax(g, ins, 3, true)?,
        ("layer_norm", "") => layer_norm(g, ins)?,
        ("sum", "" | "int") => keepdim_fold(g, ins, ReduceOp::Sum, false, true)?,
        ("mean", "" | "int") => keepdim_fold(g, ins, ReduceOp::Sum, true, true)?,
        ("amax", "" | "int") => keepdim_fold(g, ins, ReduceOp::Max, false, false)?,
        ("amin", "" | "int") => keepdim_fold(g, ins, ReduceOp::Min, false, false)?,
        _ => return None,
    };
    // Numbers must be tensors or int/float scalars; masks are checked by
    // the fusion pass (they must come from the same kernel).
    for (i, mask) in r.operands() {
        let t = g.ty(*ins.get(i)?);
        if !mask && !(t.is_tensor() || matches!(t, Type::Int | Type::Float)) {
            return None;
        }
    }
    Some(r)
}

/// The kernel a `fused` node's block computes: its params are the
/// kernel's operands, its results the outputs. Fails (naming the node)
/// when the block holds a node without a recipe or reads a mask it does
/// not compute.
pub fn translate(g: &Graph, b: Block) -> Result<Kernel, String> {
    let block = g.block(b);
    let mut insts = Vec::new();
    let mut ids: HashMap<Value, u32> = HashMap::new();
    for (k, &p) in block.params.iter().enumerate() {
        ids.insert(p, insts.len() as u32);
        insts.push(Inst::Param(k as u32));
    }
    for &n in &block.nodes {
        let node = g.node(n);
        if let Op::Literal(l) = &node.op {
            let x = match l {
                Literal::Int(i) => *i as f64,
                Literal::Float(x) => *x,
                _ => continue,
            };
            ids.insert(node.outputs[0], insts.len() as u32);
            insts.push(Inst::Const(x));
            continue;
        }
        // A list of literals (`normalized_shape`, `dim`): read by recipes.
        if matches!(node.op, Op::ListConstruct | Op::TupleConstruct) {
            continue;
        }
        let what = || format!("fused: {} cannot be part of a kernel", node.op.name());
        let r = recipe(g, n).ok_or_else(what)?;
        let out = emit(&r, &node.inputs, &ids, &mut insts).ok_or_else(what)?;
        ids.insert(node.outputs[0], out);
    }
    let outputs = block.results.iter().map(|v| ids.get(v).copied().ok_or_else(|| format!("fused: result {} is not computed by the kernel", g.value_text(*v))));
    let kernel = Kernel { num_params: block.params.len() as u32, insts, outputs: outputs.collect::<Result<_, _>>()? };
    kernel.check().map_err(|e| format!("fused: {e}"))?;
    Ok(kernel)
}

/// Appends the instructions of `r` over operand values `ins`; the value it
/// defines. An instruction equal to an earlier one is that one (recipes
/// are trees: softmax's `exp(x - max)` appears twice in it).
fn emit(r: &Recipe, ins: &[Value], ids: &HashMap<Value, u32>, insts: &mut Vec<Inst>) -> Option<u32> {
    let mut sub = |r: &Recipe| emit(r, ins, ids, insts);
    let inst = match r {
        Recipe::Arg(i) | Recipe::Mask(i) => return ids.get(ins.get(*i)?).copied(),
        Recipe::Const(x) => Inst::Const(*x),
        Recipe::RowLen => Inst::RowLen,
        Recipe::Unary(op, a) => Inst::Unary(*op, sub(a)?),
        Recipe::Reduce(op, a) => Inst::Reduce(*op, sub(a)?),
        Recipe::Binary(op, a, b) => Inst::Binary(*op, sub(a)?, sub(b)?),
        Recipe::Compare(op, a, b) => Inst::Compare(*op, sub(a)?, sub(b)?),
        Recipe::Select(m, a, b) => Inst::Select(sub(m)?, sub(a)?, sub(b)?),
    };
    let same = |x: &Inst| match (x, &inst) {
        (Inst::Const(a), Inst::Const(b)) => a.to_bits() == b.to_bits(),
        (Inst::Param(_), _) => false,
        _ => *x == inst,
    };
    if let Some(i) = insts.iter().position(same) {
        return Some(i as u32);
    }
    insts.push(inst);
    Some(insts.len() as u32 - 1)
}
