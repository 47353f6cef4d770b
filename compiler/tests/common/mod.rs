//! A test-only reference interpreter for IR graphs: nodes through
//! `tsc_compiler::eval` (runtime ops by the eager ops, scalar ops by
//! `ScalarOp::eval`, lists and tuples as values), `if` and `loop` by
//! walking their blocks. No mutation ops (`list_append`, in-place ops are
//! evaluated but lists are values). Plus a deterministic random source and
//! helpers the numeric pass tests share.

#![allow(dead_code)]

use std::collections::HashMap;
use tsc_compiler::runtime::{DType, Tensor, Value as Rt};
use tsc_compiler::eval::eval_op;
use tsc_compiler::{Block, Graph, Op, Value};

/// Every value computed while running `g` on `inputs`, and the outputs.
pub struct Run {
    pub env: HashMap<Value, Rt>,
    pub outputs: Vec<Rt>,
}

pub fn eval(g: &Graph, inputs: &[Rt]) -> Result<Vec<Rt>, String> {
    run(g, inputs).map(|r| r.outputs)
}

pub fn run(g: &Graph, inputs: &[Rt]) -> Result<Run, String> {
    let params = &g.block(g.entry).params;
    if params.len() != inputs.len() {
        return Err(format!("graph takes {} inputs, got {}", params.len(), inputs.len()));
    }
    let mut env: HashMap<Value, Rt> = params.iter().copied().zip(inputs.iter().cloned()).collect();
    let outputs = block(g, g.entry, &mut env)?;
    Ok(Run { env, outputs })
}

fn get(env: &HashMap<Value, Rt>, v: Value) -> Result<Rt, String> {
    env.get(&v).cloned().ok_or_else(|| format!("{v} has no value"))
}

fn block(g: &Graph, b: Block, env: &mut HashMap<Value, Rt>) -> Result<Vec<Rt>, String> {
    for &n in &g.block(b).nodes {
        let node = g.node(n);
        let ins = node.inputs.iter().map(|&v| get(env, v)).collect::<Result<Vec<_>, _>>()?;
        let outs: Vec<Rt> = match &node.op {
            Op::If => {
                let Rt::Bool(c) = ins[0] else { return Err("if on a non-bool".into()) };
                block(g, node.blocks[if c { 0 } else { 1 }], env)?
            }
            Op::Loop => {
                let (Rt::Int(trips), Rt::Bool(mut go)) = (&ins[0], &ins[1]) else { return Err("bad loop".into()) };
                let body = node.blocks[0];
                let mut carried = ins[2..].to_vec();
                let mut i = 0;
                while go && i < *trips {
                    let params = &g.block(body).params;
                    env.insert(params[0], Rt::Int(i));
                    for (&p, v) in params[1..].iter().zip(&carried) {
                        env.insert(p, v.clone());
                    }
                    let mut res = block(g, body, env)?;
                    go = matches!(res[0], Rt::Bool(true));
                    carried = res.split_off(1);
                    i += 1;
                }
                carried
            }
            op => eval_op(g, op, &ins, node.outputs.len())?,
        };
        if outs.len() != node.outputs.len() {
            return Err(format!("{} gave {} values for {} outputs", node.op.name(), outs.len(), node.outputs.len()));
        }
        for (&o, v) in node.outputs.iter().zip(outs) {
            env.insert(o, v);
        }
    }
    g.block(b).results.iter().map(|&v| get(env, v)).collect()
}

/// A deterministic xorshift source.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// A tensor of `shape` with elements in [-1, 1) (ints in -4..4, bools
    /// by sign), of `dtype`.
    pub fn tensor(&mut self, shape: &[usize], dtype: DType) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| self.next_f32()).collect();
        let t = Tensor::from_vec(v, shape).unwrap();
        match dtype {
            DType::F32 => t,
            DType::Bool => t.to_dtype(DType::F32).copy_as(DType::Bool),
            d if d.is_int() => {
                let scaled: Vec<f32> = t.to_vec::<f32>().iter().map(|x| (x * 4.0).floor()).collect();
                Tensor::from_vec(scaled, shape).unwrap().copy_as(d)
            }
            d => t.copy_as(d),
        }
    }

    /// An i64 tensor of `shape` with elements in `0..hi`.
    pub fn indices(&mut self, shape: &[usize], hi: u32) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<i64> = (0..n).map(|_| (((self.next_f32() + 1.0) / 2.0 * hi as f32) as i64).min(hi as i64 - 1)).collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    /// A float tensor with elements in [lo, hi).
    pub fn uniform(&mut self, shape: &[usize], lo: f32, hi: f32) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| lo + (self.next_f32() + 1.0) / 2.0 * (hi - lo)).collect();
        Tensor::from_vec(v, shape).unwrap()
    }
}

/// The largest absolute difference between two same-shaped float tensors.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape(), "shapes differ");
    let (x, y) = (a.copy_as(DType::F32).to_vec::<f32>(), b.copy_as(DType::F32).to_vec::<f32>());
    x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max)
}

pub fn tensor_of(v: &Rt) -> &Tensor {
    match v {
        Rt::Tensor(t) => t,
        other => panic!("expected a tensor, got {}", other.type_name()),
    }
}
