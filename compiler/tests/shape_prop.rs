//! `shape_prop` against the runtime: each case is a graph whose values are
//! declared as bare `Tensor`; after the pass, its outputs must have the
//! expected types (precision), and running the graph through the runtime's
//! eager ops on random inputs must give every tensor value a dtype and
//! shape its inferred type allows, each symbolic dim one size throughout
//! (soundness).

mod common;

use common::{run, Rng};
use std::collections::HashMap;
use tsc_compiler::passes::{pass_by_name, run_pass};
use tsc_compiler::runtime::{DType, Value as Rt};
use tsc_compiler::{parse, verify, Dim, Graph, Type};

/// An input: a tensor of a shape and dtype, or a scalar.
enum In {
    T(&'static [usize], DType),
    /// An i64 tensor of indices below the bound.
    Idx(&'static [usize], u32),
    Int(i64),
    Bool(bool),
}

fn check(text: &str, inputs: &[In], expect: &[&str]) {
    let mut g = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    verify(&g).unwrap_or_else(|e| panic!("input does not verify: {e}\n{text}"));
    let (name, pass) = pass_by_name("shape_prop").unwrap();
    run_pass(name, pass, &mut g).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outs: Vec<String> = g.block(g.entry).results.iter().map(|&v| g.ty(v).to_string()).collect();
    assert_eq!(outs, expect, "inferred output types differ; graph after the pass:\n{g}");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let args: Vec<Rt> = inputs
        .iter()
        .map(|i| match i {
            In::T(shape, dtype) => Rt::Tensor(rng.tensor(shape, *dtype)),
            In::Idx(shape, hi) => Rt::Tensor(rng.indices(shape, *hi)),
            In::Int(n) => Rt::Int(*n),
            In::Bool(b) => Rt::Bool(*b),
        })
        .collect();
    let result = run(&g, &args).unwrap_or_else(|e| panic!("runtime: {e}\n{g}"));
    let mut syms = HashMap::new();
    for (v, val) in &result.env {
        if let (Type::Tensor(t), Rt::Tensor(actual)) = (g.ty(*v), val) {
            let at = || format!("{} : {t} but the runtime gives {:?} {:?}\n{g}", g.value_text(*v), actual.dtype(), actual.shape());
            assert!(t.dtype.is_none_or(|d| d == actual.dtype()), "dtype: {}", at());
            if let Some(dims) = &t.shape {
                assert_eq!(dims.len(), actual.ndim(), "rank: {}", at());
                for (d, &n) in dims.iter().zip(actual.shape()) {
                    match d {
                        Dim::Const(c) => assert_eq!(*c as usize, n, "dim: {}", at()),
                        Dim::Sym(s) => assert_eq!(*syms.entry(s.clone()).or_insert(n), n, "symbol {s}: {}", at()),
                        Dim::Unknown => {}
                    }
                }
            }
        }
    }
}

/// Runs shape_prop on `text`, expecting an error that mentions `needle`.
fn rejects(text: &str, needle: &str) {
    let mut g: Graph = parse(text).unwrap();
    let err = tsc_compiler::passes::shape_prop::run(&mut g).unwrap_err().to_string();
    assert!(err.contains(needle), "{err}");
}

#[test]
fn elementwise_broadcast_and_promotion() {
    check(
        "\
graph(%x : Tensor<f32, [B, 4]>, %b : Tensor<f32, [4]>, %i : Tensor<i64, [B, 1]>, %m : Tensor<bool, [B, 4]>):
  %one : int = const 1
  %half : float = const 0.5
  %n : None = const none
  %f : bool = const false
  %1 : Tensor = aten.add.Tensor(%x, %b, %one)
  %2 : Tensor = aten.add.Scalar(%i, %half, %one)
  %3 : Tensor = aten.div.Tensor_mode(%i, %i, %n)
  %4 : Tensor = aten.eq.Scalar(%x, %one)
  %5 : Tensor = aten.where.self(%m, %x, %i)
  %6 : Tensor = aten.exp(%i)
  %7 : Tensor = aten.abs(%i)
  %8 : Tensor = aten.relu(%1, %f)
  %9 : Tensor = aten.mul.Tensor(%i, %b)
  %10 : Tensor = aten.add.Scalar(%i, %one, %one)
  return (%1, %2, %3, %4, %5, %6, %7, %8, %9, %10)
",
        &[In::T(&[3, 4], DType::F32), In::T(&[4], DType::F32), In::T(&[3, 1], DType::I64), In::T(&[3, 4], DType::Bool)],
        &[
            "Tensor<f32, [B, 4]>",
            "Tensor<f32, [B, 1]>",
            "Tensor<f32, [B, 1]>",
            "Tensor<bool, [B, 4]>",
            "Tensor<f32, [B, 4]>",
            "Tensor<f32, [B, 1]>",
            "Tensor<i64, [B, 1]>",
            "Tensor<f32, [B, 4]>",
            "Tensor<f32, [B, 4]>",
            "Tensor<i64, [B, 1]>",
        ],
    );
}

#[test]
fn unknown_dtype_and_rank_stay_unknown_unless_forced() {
    check(
        "\
graph(%x : Tensor, %y : Tensor<f32>):
  %one : int = const 1
  %1 : Tensor = aten.eq.Scalar(%x, %one)
  %2 : Tensor = aten.exp(%x)
  %3 : Tensor = aten.add.Scalar(%y, %one, %one)
  %4 : Tensor = aten.isnan(%y)
  return (%1, %2, %3, %4)
",
        &[In::T(&[2, 3], DType::I32), In::T(&[5], DType::F32)],
        &["Tensor<bool>", "Tensor", "Tensor<f32>", "Tensor<bool>"],
    );
}

#[test]
fn reductions() {
    check(
        "\
graph(%x : Tensor<f32, [B, T, 8]>, %i : Tensor<i64, [B, T]>, %b : Tensor<bool, [B, T]>):
  %t : bool = const true
  %f : bool = const false
  %n : None = const none
  %m1 : int = const -1
  %z : int = const 0
  %l : List[int] = list_construct(%m1)
  %1 : Tensor = aten.sum(%x, %l, %f, %n)
  %2 : Tensor = aten.mean.int(%x, %z, %t, %n)
  %3 : Tensor = aten.sum(%i, %n, %f, %n)
  %e : List[int] = list_construct()
  %4 : Tensor = aten.amax(%x, %e, %f)
  %5 : Tensor, %6 : Tensor = aten.max.dim(%x, %m1, %f)
  %7 : Tensor = aten.argmax(%x, %m1, %t)
  %8 : Tensor = aten.softmax.int(%x, %m1, %n)
  %9 : Tensor = aten.sum(%b, %l, %t, %n)
  return (%1, %2, %3, %4, %5, %6, %7, %8, %9)
",
        &[In::T(&[2, 3, 8], DType::F32), In::T(&[2, 3], DType::I64), In::T(&[2, 3], DType::Bool)],
        &[
            "Tensor<f32, [B, T]>",
            "Tensor<f32, [1, T, 8]>",
            "Tensor<i64, []>",
            "Tensor<f32, []>",
            "Tensor<f32, [B, T]>",
            "Tensor<i64, [B, T]>",
            "Tensor<i64, [B, T, 1]>",
            "Tensor<f32, [B, T, 8]>",
            "Tensor<i64, [B, 1]>",
        ],
    );
}

#[test]
fn matmul_family() {
    check(
        "\
graph(%x : Tensor<f32, [B, T, 64]>, %w : Tensor<f32, [128, 64]>, %b : Tensor<f32, [128]>, %v : Tensor<f32, [64]>, %a : Tensor<f32, [B, 64, 5]>, %m : Tensor<f32, [3, 64]>):
  %one : int = const 1
  %1 : Tensor = aten.linear(%x, %w, %b)
  %2 : Tensor = aten.matmul(%x, %v)
  %3 : Tensor = aten.matmul(%v, %a)
  %4 : Tensor = aten.matmul(%x, %a)
  %wt : Tensor = aten.t(%w)
  %5 : Tensor = aten.mm(%m, %wt)
  %6 : Tensor = aten.bmm(%x, %a)
  %7 : Tensor = aten.addmm(%b, %m, %wt, %one, %one)
  %8 : Tensor = aten.matmul(%v, %v)
  %n : None = const none
  %9 : Tensor = aten.linear(%m, %w, %n)
  return (%1, %2, %3, %4, %wt, %5, %6, %7, %8, %9)
",
        &[
            In::T(&[2, 3, 64], DType::F32),
            In::T(&[128, 64], DType::F32),
            In::T(&[128], DType::F32),
            In::T(&[64], DType::F32),
            In::T(&[2, 64, 5], DType::F32),
            In::T(&[3, 64], DType::F32),
        ],
        &[
            "Tensor<f32, [B, T, 128]>",
            "Tensor<f32, [B, T]>",
            "Tensor<f32, [B, 5]>",
            "Tensor<f32, [B, T, 5]>",
            "Tensor<f32, [64, 128]>",
            "Tensor<f32, [3, 128]>",
            "Tensor<f32, [B, T, 5]>",
            "Tensor<f32, [3, 128]>",
            "Tensor<f32, []>",
            "Tensor<f32, [3, 128]>",
        ],
    );
}

#[test]
fn convolution_pooling_and_norms() {
    check(
        "\
graph(%x : Tensor<f32, [N, 3, H, W]>, %w : Tensor<f32, [8, 3, 3, 3]>, %y : Tensor<f32, [N, 3, 10, 12]>, %s : Tensor<f32, [2, 4, 9]>, %k : Tensor<f32, [5, 4, 3]>, %g : Tensor<f32, [8]>):
  %n : None = const none
  %one : int = const 1
  %zero : int = const 0
  %two : int = const 2
  %f : bool = const false
  %t : bool = const true
  %eps : float = const 1e-05
  %mom : float = const 0.1
  %ones : List[int] = list_construct(%one, %one)
  %1 : Tensor = aten.conv2d(%x, %w, %n, %ones, %ones, %ones, %one)
  %2 : Tensor = aten.conv2d(%y, %w, %n, %two, %zero, %one, %one)
  %same : str = const \"same\"
  %3 : Tensor = aten.conv2d.padding(%x, %w, %g, %one, %same, %one, %one)
  %4 : Tensor = aten.conv1d(%s, %k, %n, %one, %zero, %two, %one)
  %k2 : List[int] = list_construct(%two, %two)
  %5 : Tensor = aten.max_pool2d(%y, %k2, %n, %zero, %one, %f, %f)
  %6 : Tensor = aten.avg_pool2d(%y, %one, %two, %zero, %f, %t, %n)
  %7 : Tensor = aten.adaptive_avg_pool2d(%x, %ones)
  %8 : Tensor = aten.batch_norm(%1, %g, %g, %g, %g, %f, %mom, %eps)
  %9 : Tensor = aten.group_norm(%2, %two, %g, %g, %eps)
  %10 : Tensor = aten.layer_norm(%7, %ones, %n, %n, %eps, %t)
  return (%1, %2, %3, %4, %5, %6, %7, %8, %9, %10)
",
        &[
            In::T(&[2, 3, 7, 6], DType::F32),
            In::T(&[8, 3, 3, 3], DType::F32),
            In::T(&[2, 3, 10, 12], DType::F32),
            In::T(&[2, 4, 9], DType::F32),
            In::T(&[5, 4, 3], DType::F32),
            In::T(&[8], DType::F32),
        ],
        &[
            "Tensor<f32, [N, 8, H, W]>",
            "Tensor<f32, [N, 8, 4, 5]>",
            "Tensor<f32, [N, 8, H, W]>",
            "Tensor<f32, [2, 5, 5]>",
            "Tensor<f32, [N, 3, 5, 6]>",
            "Tensor<f32, [N, 3, 5, 6]>",
            "Tensor<f32, [N, 3, 1, 1]>",
            "Tensor<f32, [N, 8, H, W]>",
            "Tensor<f32, [N, 8, 4, 5]>",
            "Tensor<f32, [N, 3, 1, 1]>",
        ],
    );
}

#[test]
fn views_and_sizes() {
    check(
        "\
graph(%x : Tensor<f32, [B, 4, 8]>, %idx : Tensor<i64, [5]>, %emb : Tensor<f32, [10, 16]>, %tok : Tensor<i64, [B, T]>):
  %m1 : int = const -1
  %z : int = const 0
  %one : int = const 1
  %two : int = const 2
  %f : bool = const false
  %n : None = const none
  %sz : int = aten.size.int(%x, %z)
  %l1 : List[int] = list_construct(%sz, %m1)
  %1 : Tensor = aten.view(%x, %l1)
  %eight : int = const 8
  %l2 : List[int] = list_construct(%m1, %eight)
  %2 : Tensor = aten.reshape(%x, %l2)
  %3 : Tensor = aten.flatten.using_ints(%x, %one, %m1)
  %4 : Tensor = aten.transpose.int(%x, %z, %two)
  %p : List[int] = list_construct(%two, %z, %one)
  %5 : Tensor = aten.permute(%x, %p)
  %6 : Tensor = aten.unsqueeze(%x, %m1)
  %7 : Tensor = aten.squeeze.dim(%6, %m1)
  %xs : List[Tensor] = list_construct(%x, %x)
  %8 : Tensor = aten.cat(%xs, %one)
  %9 : Tensor = aten.stack(%xs, %z)
  %five : int = const 5
  %e : List[int] = list_construct(%m1, %m1, %m1, %five)
  %10 : Tensor = aten.expand(%6, %e, %f)
  %11 : Tensor = aten.select.int(%x, %one, %z)
  %12 : Tensor = aten.slice.Tensor(%x, %two, %one, %n, %two)
  %dt : dtype = const dtype f16
  %13 : Tensor = aten.to.dtype(%x, %dt, %f, %f)
  %sizes : List[int] = aten.size(%x)
  %14 : Tensor = aten.view(%x, %sizes)
  %s1 : int = aten.size.int(%x, %one)
  %s2 : int = list_index(%sizes, %two)
  %prod : int = scalar.mul(%s1, %s2)
  %l3 : List[int] = list_construct(%sz, %prod)
  %15 : Tensor = aten.view(%x, %l3)
  %16 : Tensor = aten.index_select(%x, %two, %idx)
  %17 : Tensor = aten.embedding(%tok, %emb, %n, %n, %two, %f, %f)
  %18 : Tensor = aten.squeeze.dim(%x, %z)
  return (%1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18)
",
        &[In::T(&[3, 4, 8], DType::F32), In::Idx(&[5], 8), In::T(&[10, 16], DType::F32), In::Idx(&[3, 2], 10)],
        &[
            "Tensor<f32, [B, 32]>",
            "Tensor<f32, [?, 8]>",
            "Tensor<f32, [B, 32]>",
            "Tensor<f32, [8, 4, B]>",
            "Tensor<f32, [8, B, 4]>",
            "Tensor<f32, [B, 4, 8, 1]>",
            "Tensor<f32, [B, 4, 8]>",
            "Tensor<f32, [B, 8, 8]>",
            "Tensor<f32, [2, B, 4, 8]>",
            "Tensor<f32, [B, 4, 8, 5]>",
            "Tensor<f32, [B, 8]>",
            "Tensor<f32, [B, 4, 4]>",
            "Tensor<f16, [B, 4, 8]>",
            "Tensor<f32, [B, 4, 8]>",
            "Tensor<f32, [B, 32]>",
            "Tensor<f32, [B, 4, 5]>",
            "Tensor<f32, [B, T, 16]>",
            "Tensor<f32>",
        ],
    );
}

#[test]
fn if_join_and_loop_fixed_point() {
    check(
        "\
graph(%c : bool, %x : Tensor<f32, [B, 4]>, %y : Tensor<f32, [B, 8]>, %n : int):
  %f : bool = const false
  %1 : Tensor = if(%c)
    ^1():
      %a : Tensor = aten.relu(%x, %f)
      -> (%a)
    ^2():
      -> (%x)
  %2 : Tensor = if(%c)
    ^3():
      -> (%x)
    ^4():
      -> (%y)
  %t : bool = const true
  %3 : Tensor = loop(%n, %t, %x)
    ^5(%i : int, %h : Tensor):
      %h2 : Tensor = aten.tanh(%h)
      -> (%t, %h2)
  %one : int = const 1
  %4 : Tensor = loop(%n, %t, %x)
    ^6(%j : int, %g : Tensor):
      %gs : List[Tensor] = list_construct(%g, %x)
      %g2 : Tensor = aten.cat(%gs, %one)
      -> (%t, %g2)
  return (%1, %2, %3, %4)
",
        &[In::Bool(false), In::T(&[2, 4], DType::F32), In::T(&[2, 8], DType::F32), In::Int(3)],
        &["Tensor<f32, [B, 4]>", "Tensor<f32, [B, ?]>", "Tensor<f32, [B, 4]>", "Tensor<f32, [B, ?]>"],
    );
}

#[test]
fn declared_types_win_and_contradictions_fail() {
    // A declared constant dim is kept over an inferred symbol.
    check(
        "\
graph(%x : Tensor<f32, [B, 4]>):
  %one : int = const 1
  %1 : Tensor<?, [2, ?]> = aten.add.Scalar(%x, %one, %one)
  return (%1)
",
        &[In::T(&[2, 4], DType::F32)],
        &["Tensor<f32, [2, 4]>"],
    );
    rejects(
        "graph(%x : Tensor<f32, [B, 4]>):\n  %one : int = const 1\n  %1 : Tensor<i64> = aten.add.Scalar(%x, %one, %one)\n  return (%1)\n",
        "aten.add.Scalar): output %1 is declared Tensor<i64> but the rule infers Tensor<f32, [B, 4]> (dtype float32 vs int64)",
    );
    rejects(
        "graph(%x : Tensor<f32, [B, 4]>):\n  %1 : Tensor<f32, [B, 5]> = aten.exp(%x)\n  return (%1)\n",
        "dim 4 vs 5",
    );
}
