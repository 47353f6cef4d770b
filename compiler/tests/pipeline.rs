//! Passes on graphs with real tensor data (constant folding evaluates
//! through the runtime), the whole pipeline, and the petgraph helpers.

use std::collections::HashMap;
use tsc_compiler::dot::{to_dot, topo_order};
use tsc_compiler::passes::{const_fold, optimize, optimize_with};
use tsc_compiler::runtime::{DType, Tensor};
use tsc_compiler::{parse, parse_with_blobs, verify, ConstValue, Op};

#[test]
fn const_fold_evaluates_blob_data() {
    let text = "graph():\n  @a = tensor<f32, [3]>\n  @b = tensor<f32, [3]>\n  %0 : Tensor<f32, [3]> = const @a\n  %1 : Tensor<f32, [3]> = const @b\n  %2 : int = const 2\n  %3 : Tensor<f32, [3]> = aten.add.Tensor(%0, %1, %2)\n  return (%3)\n";
    let blobs = HashMap::from([
        ("a".to_string(), Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap()),
        ("b".to_string(), Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]).unwrap()),
    ]);
    let mut g = parse_with_blobs(text, &blobs).unwrap();
    assert!(const_fold::run(&mut g).unwrap());
    verify(&g).unwrap();
    let out = g.block(g.entry).results[0];
    let Op::Const(c) = g.node(g.def_node(out).unwrap()).op else { panic!("not folded:\n{g}") };
    let ConstValue::Tensor(t) = &g.constant(c).value else { panic!("not a tensor") };
    assert_eq!(t.to_vec::<f32>(), vec![21.0, 42.0, 63.0]);
    assert_eq!(t.dtype(), DType::F32);
}

#[test]
fn pipeline_reaches_a_fixed_point() {
    let text = "\
graph(%x : Tensor<f32, [4]>):
  %1 : int = const 2
  %2 : int = const 3
  %3 : int = scalar.mul(%1, %2)
  %4 : int = const 6
  %5 : bool = scalar.eq(%3, %4)
  %6 : Tensor<f32, [4]> = if(%5)
    ^1():
      %7 : int = const 1
      %8 : Tensor<f32, [4]> = aten.mul.Scalar(%x, %7)
      %9 : Tensor<f32, [4]> = aten.exp(%8)
      -> (%9)
    ^2():
      -> (%x)
  %10 : Tensor<f32, [4]> = aten.exp(%x)
  %11 : int = const 1
  %12 : Tensor<f32, [4]> = aten.add.Tensor(%6, %10, %11)
  return (%12)
";
    let mut g = parse(text).unwrap();
    let mut seen = Vec::new();
    assert!(optimize_with(&mut g, |name, _| seen.push(name.to_string())).unwrap());
    let names: Vec<&str> = tsc_compiler::passes::PASSES.iter().map(|(n, _)| *n).collect();
    assert_eq!(seen[..names.len()], names);
    let expect = "\
graph(%x : Tensor<f32, [4]>):
  %7 : int = const 1
  %9 : Tensor<f32, [4]> = aten.exp(%x)
  %12 : Tensor<f32, [4]> = aten.add.Tensor(%9, %9, %7)
  return (%12)
";
    assert_eq!(g.to_string(), expect);
    assert!(!optimize(&mut g).unwrap());
}

#[test]
fn topological_order_and_dot() {
    let text = "graph(%x : Tensor):\n  %1 : Tensor = aten.exp(%x)\n  %2 : Tensor = aten.neg(%1)\n  %3 : Tensor = aten.sin(%x)\n  return (%2, %3)\n";
    let g = parse(text).unwrap();
    let order = topo_order(&g, g.entry).unwrap();
    let pos = |i: usize| order.iter().position(|&n| n == g.block(g.entry).nodes[i]).unwrap();
    assert!(pos(0) < pos(1));
    let dot = to_dot(&g);
    assert!(dot.contains("label=\"aten.exp\"") && dot.contains("n0 -> n1;") && dot.contains("v4 -> n0;") && dot.contains("v4 [shape=box, label=\"%x\"]"), "{dot}");
}
