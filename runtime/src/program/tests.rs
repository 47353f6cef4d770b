//! Unit tests of validation, planning (free lists) and execution on small
//! hand-built programs. `runtime/tests/program.rs` covers the artifact.

use super::plan::POp;
use super::*;
use crate::{DType, Error, Tensor, Value};

fn node(op: OpCode, inputs: &[u32], outputs: &[u32]) -> NodeDef {
    NodeDef { op, inputs: inputs.to_vec(), outputs: outputs.to_vec(), blocks: vec![], loc: None }
}
fn call(name: &str, inputs: &[u32], outputs: &[u32]) -> NodeDef {
    node(OpCode::Call { name: name.into() }, inputs, outputs)
}
fn block(params: &[u32], nodes: Vec<NodeDef>, results: &[u32]) -> BlockDef {
    BlockDef { params: params.to_vec(), nodes, results: results.to_vec() }
}
fn input(name: &str, kind: IoKind, slot: u32) -> IoDef {
    IoDef { name: name.into(), kind, slot }
}
/// A program whose entry takes `inputs` and returns `outputs`.
fn program(inputs: Vec<IoDef>, mut blocks: Vec<BlockDef>, consts: Vec<ConstDef>, num_slots: u32) -> ProgramDef {
    blocks[0].params = inputs.iter().map(|i| i.slot).collect();
    let outputs = blocks[0].results.clone();
    ProgramDef { blocks, inputs, outputs, consts, locs: vec!["m.py:3:5: y = x // 0".into()], num_slots, kernels: vec![] }
}
fn err_of(def: &ProgramDef) -> String {
    match Plan::new(def) {
        Ok(_) => panic!("expected an invalid program"),
        Err(e) => e.to_string(),
    }
}
fn ints(n: &[(&str, i64)]) -> Vec<(String, Value)> {
    n.iter().map(|(k, v)| (k.to_string(), Value::Int(*v))).collect()
}

/// `def f(n: int) -> int: s = 0; for i in range(n): s = s + i * i; return s`
fn sum_of_squares() -> ProgramDef {
    let body = block(&[3, 4], vec![call("mul", &[3, 3], &[5]), call("add", &[4, 5], &[6])], &[2, 6]);
    let mut lp = node(OpCode::Loop, &[0, 2, 1], &[7]);
    lp.blocks = vec![1];
    let entry = block(&[], vec![node(OpCode::Const(0), &[], &[1]), node(OpCode::Const(1), &[], &[2]), lp], &[7]);
    program(vec![input("n", IoKind::Int, 0)], vec![entry, body], vec![ConstDef::Int(0), ConstDef::Bool(true)], 8)
}

#[test]
fn loop_runs_and_reuses_frames() {
    let plan = Plan::new(&sum_of_squares()).unwrap();
    assert_eq!(plan.run(&ints(&[("n", 4)])).unwrap(), vec![Value::Int(14)]);
    assert_eq!(plan.run(&ints(&[("n", 0)])).unwrap(), vec![Value::Int(0)]);
    let mut frame = Frame::new(&plan);
    for n in [3, 5] {
        let want = (0..n).map(|i| i * i).sum::<i64>();
        assert_eq!(plan.run_in(&mut frame, &ints(&[("n", n)])).unwrap(), vec![Value::Int(want)]);
        assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
    }
}

#[test]
fn values_die_after_their_last_use() {
    let plan = Plan::new(&sum_of_squares()).unwrap();
    let entry = &plan.blocks[0];
    // %1 (the init) dies with the loop, %2 (cond) too; the loop output is a result.
    assert_eq!(entry.nodes[2].free, vec![0, 1, 2]);
    let body = &plan.blocks[1];
    // `i` (%3) dies at the mul, which moves it out at its second (last) use.
    assert_eq!(body.nodes[0].free, vec![3]);
    assert_eq!(body.nodes[0].inputs, vec![(3, false), (3, true)]);
    // %4 and %5 die at the add, which moves both.
    assert_eq!(body.nodes[1].free, vec![4, 5]);
    assert_eq!(body.nodes[1].inputs, vec![(4, true), (5, true)]);
    // %2 (cond, from the entry) is a body result: cloned, not moved.
    assert_eq!(body.results, vec![(2, false), (6, true)]);
    assert!(matches!(body.nodes[0].op, POp::Call { .. }));
}

/// `def f(c: bool, x: Tensor): return relu(x) if c else neg(x)`
fn if_program() -> ProgramDef {
    let then_b = block(&[], vec![call("relu", &[1], &[2])], &[2]);
    let else_b = block(&[], vec![call("neg", &[1], &[3])], &[3]);
    let mut n = node(OpCode::If, &[0], &[4]);
    n.blocks = vec![1, 2];
    program(vec![input("c", IoKind::Bool, 0), input("x", IoKind::Tensor, 1)], vec![block(&[], vec![n], &[4]), then_b, else_b], vec![], 5)
}

#[test]
fn if_picks_a_branch() {
    let plan = Plan::new(&if_program()).unwrap();
    let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap();
    for (c, want) in [(true, vec![0.0f32, 2.0]), (false, vec![1.0, -2.0])] {
        let out = plan.run(&[("c".into(), Value::Bool(c)), ("x".into(), Value::Tensor(x.clone()))]).unwrap();
        assert_eq!(out[0].as_tensor().unwrap().to_vec::<f32>(), want);
    }
    // A 0-d bool tensor is accepted for a bool input (the CLI's convention).
    let c = Value::Tensor(Tensor::from_vec(vec![true], &[]).unwrap());
    assert!(plan.run(&[("c".into(), c), ("x".into(), Value::Tensor(x.clone()))]).is_ok());
    let e = plan.run(&[("c".into(), Value::Int(1)), ("x".into(), Value::Tensor(x.clone()))]).unwrap_err();
    assert!(e.to_string().contains("input `c`"), "{e}");
    assert!(plan.run(&[("x".into(), Value::Tensor(x.clone()))]).unwrap_err().to_string().contains("missing input `c`"));
    let extra = [("c".into(), Value::Bool(true)), ("x".into(), Value::Tensor(x)), ("z".into(), Value::None)];
    assert!(plan.run(&extra).unwrap_err().to_string().contains("unexpected input `z`"));
}

#[test]
fn errors_carry_the_source_location() {
    let mut n = call("floordiv", &[0, 1], &[2]);
    n.loc = Some(0);
    let def = program(vec![input("x", IoKind::Int, 0)], vec![block(&[], vec![node(OpCode::Const(0), &[], &[1]), n], &[2])], vec![ConstDef::Int(0)], 3);
    let e = Plan::new(&def).unwrap().run(&ints(&[("x", 7)])).unwrap_err();
    assert!(matches!(e, Error::Op { .. }));
    assert_eq!(e.to_string(), "floordiv: ZeroDivisionError: integer division or modulo by zero at m.py:3:5: y = x // 0");
}

#[test]
fn raise_fails_the_run() {
    let mut r = node(OpCode::Raise, &[0], &[]);
    r.loc = Some(0);
    let def = program(vec![], vec![block(&[], vec![node(OpCode::Const(0), &[], &[0]), r], &[])], vec![ConstDef::Str("ValueError: bad".into())], 1);
    let e = Plan::new(&def).unwrap().run(&[]).unwrap_err();
    assert_eq!(e.to_string(), "raise: ValueError: bad at m.py:3:5: y = x // 0");
}

#[test]
fn containers_and_multiple_results() {
    // t = (x, y); a, b = t; m = max(x, dim=0) -> (values, indices); l = [a, b]
    let x = Tensor::from_vec(vec![3.0f32, 1.0, 2.0, 5.0], &[2, 2]).unwrap();
    let nodes = vec![
        node(OpCode::TupleConstruct, &[0, 1], &[2]),
        node(OpCode::TupleUnpack, &[2], &[3, 4]),
        node(OpCode::Const(0), &[], &[5]),
        call("max", &[0, 5], &[6, 7]),
        node(OpCode::ListConstruct, &[3, 4], &[8]),
        node(OpCode::TupleIndex(1), &[2], &[9]),
        call("len", &[8], &[10]),
    ];
    let def = program(vec![input("x", IoKind::Tensor, 0), input("y", IoKind::Int, 1)], vec![block(&[], nodes, &[7, 9, 10])], vec![ConstDef::Int(0)], 11);
    let out = Plan::new(&def).unwrap().run(&[("x".into(), Value::Tensor(x)), ("y".into(), Value::Int(4))]).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().to_vec::<i64>(), vec![0, 1]);
    assert_eq!(out[1], Value::Int(4));
    assert_eq!(out[2], Value::Int(2));
}

#[test]
fn pinned_overloads_and_in_place_ops() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    let def = program(
        vec![input("x", IoKind::Tensor, 0)],
        vec![block(&[], vec![node(OpCode::Const(0), &[], &[1]), call("add_", &[0, 1], &[]), call("add.int", &[1, 1], &[2])], &[0, 2])],
        vec![ConstDef::Int(1)],
        3,
    );
    let out = Plan::new(&def).unwrap().run(&[("x".into(), Value::Tensor(x.clone()))]).unwrap();
    assert_eq!(x.to_vec::<f32>(), vec![2.0, 3.0], "add_ writes into the input");
    assert_eq!(out[1], Value::Int(2));
    let mut bad = def.clone();
    bad.blocks[0].nodes[2] = call("add.nope", &[1, 1], &[2]);
    assert!(err_of(&bad).contains("no overload `nope`"));
}

#[test]
fn tensor_and_dtype_constants() {
    let w = Tensor::from_vec(vec![2.0f32], &[1]).unwrap();
    let def = program(
        vec![],
        vec![block(&[], vec![node(OpCode::Const(0), &[], &[0]), node(OpCode::Const(1), &[], &[1]), call("to", &[0, 1], &[2])], &[2])],
        vec![ConstDef::Tensor { table_index: 0 }, ConstDef::DType("float64".into())],
        3,
    );
    assert!(err_of(&def).contains("tensor table"));
    let out = Plan::with_tensors(&def, std::slice::from_ref(&w)).unwrap().run(&[]).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().dtype(), DType::F64);
    let mut bad = def.clone();
    bad.consts[1] = ConstDef::DType("float".into());
    let e = Plan::with_tensors(&bad, &[w]).err().unwrap().to_string();
    assert!(e.contains("const 1: unknown dtype `float`"), "{e}");
}

#[test]
fn rejects_invalid_programs() {
    let ok = sum_of_squares();
    assert!(Plan::new(&ok).is_ok());
    type Mutation = Box<dyn Fn(&mut ProgramDef)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("no entry block", Box::new(|p| p.blocks.clear())),
        ("out of range", Box::new(|p| p.blocks[0].nodes[0].outputs[0] = 99)),
        ("defined twice", Box::new(|p| p.blocks[0].nodes[1].outputs[0] = 1)),
        ("not defined", Box::new(|p| p.blocks[1].nodes[0].inputs[0] = 6)),
        ("not defined", Box::new(|p| {
            p.blocks[0].results[0] = 5;
            p.outputs[0] = 5;
        })),
        ("unknown op", Box::new(|p| p.blocks[1].nodes[0].op = OpCode::Call { name: "nope".into() })),
        ("const index", Box::new(|p| p.blocks[0].nodes[0].op = OpCode::Const(9))),
        ("loc 7", Box::new(|p| p.blocks[0].nodes[0].loc = Some(7))),
        ("Loop needs", Box::new(|p| p.blocks[0].nodes[2].inputs.pop().map(|_| ()).unwrap_or(()))),
        ("params are not the input slots", Box::new(|p| p.inputs[0].slot = 1)),
        ("results are not the output slots", Box::new(|p| p.outputs.clear())),
        ("declared twice", Box::new(|p| {
            p.inputs.push(p.inputs[0].clone());
            p.blocks[0].params.push(0);
        })),
        ("num_slots", Box::new(|p| p.num_slots = u32::MAX)),
        ("belongs to no node", Box::new(|p| p.blocks.push(BlockDef::default()))),
        ("used twice", Box::new(|p| {
            let mut n = node(OpCode::If, &[2], &[]);
            n.blocks = vec![2, 2];
            p.blocks.push(BlockDef::default());
            p.blocks[0].nodes.insert(2, n);
        })),
        ("takes no blocks", Box::new(|p| p.blocks[0].nodes[0].blocks = vec![1])),
        ("does not return a 2-tuple", Box::new(|p| {
            p.num_slots = 9;
            p.blocks[1].nodes[0].outputs.push(8);
        })),
    ];
    for (want, mutate) in cases {
        let mut p = ok.clone();
        mutate(&mut p);
        let e = err_of(&p);
        assert!(e.contains(want), "wanted `{want}` in: {e}");
    }
}

#[test]
fn scopes_are_block_structured() {
    // The else branch uses a value defined in the then branch.
    let mut p = if_program();
    p.blocks[2].nodes[0].inputs[0] = 2;
    assert!(err_of(&p).contains("%2 is used where it is not defined"));
    // A block uses its own node's output.
    let mut p = if_program();
    p.blocks[1].nodes[0].inputs[0] = 4;
    assert!(err_of(&p).contains("%4 is used where it is not defined"));
    // A loop body's value is not visible after the loop.
    let mut p = sum_of_squares();
    p.blocks[0].results[0] = 6;
    p.outputs[0] = 6;
    assert!(err_of(&p).contains("%6 is used where it is not defined"));
}

#[test]
fn nesting_is_bounded() {
    // if c: if c: ... (depth levels), each branch empty.
    let build = |depth: u32| {
        let mut blocks = vec![BlockDef::default()];
        let mut parent = 0usize;
        for _ in 0..depth {
            let t = blocks.len() as u32;
            let mut n = node(OpCode::If, &[0], &[]);
            n.blocks = vec![t, t + 1];
            blocks[parent].nodes.push(n);
            blocks.push(BlockDef::default());
            blocks.push(BlockDef::default());
            parent = t as usize;
        }
        program(vec![input("c", IoKind::Bool, 0)], blocks, vec![], 1)
    };
    let plan = Plan::new(&build(MAX_DEPTH as u32)).unwrap();
    assert!(plan.run(&[("c".into(), Value::Bool(true))]).unwrap().is_empty());
    assert!(err_of(&build(MAX_DEPTH as u32 + 1)).contains("nest deeper"));
    assert!(err_of(&build(100_000)).contains("nest deeper"));
}

#[test]
fn a_plan_is_shared_between_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let plan = Plan::new(&sum_of_squares()).unwrap();
    shareable(&plan);
    std::thread::scope(|s| {
        let runs: Vec<_> = (1..4).map(|n| s.spawn({
            let plan = &plan;
            move || plan.run(&ints(&[("n", n)])).unwrap()
        })).collect();
        let got: Vec<Vec<Value>> = runs.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, vec![vec![Value::Int(0)], vec![Value::Int(1)], vec![Value::Int(5)]]);
    });
}

/// `append` grows a list moved in at its last use and copies one that is
/// still live: `a = [x]; b = a + [y] (append); c = a + [z]` keeps `a`.
#[test]
fn append_moves_at_the_last_use_and_copies_before() {
    let entry = block(
        &[],
        vec![
            node(OpCode::ListConstruct, &[0], &[3]),
            call("append", &[3, 1], &[4]),
            call("append", &[3, 2], &[5]),
            node(OpCode::TupleConstruct, &[3, 4, 5], &[6]),
        ],
        &[6],
    );
    let io = vec![input("x", IoKind::Int, 0), input("y", IoKind::Int, 1), input("z", IoKind::Int, 2)];
    let plan = Plan::new(&program(io, vec![entry], vec![], 7)).unwrap();
    assert!(matches!(plan.blocks[0].nodes[1].op, POp::Append(_)));
    let out = plan.run(&ints(&[("x", 1), ("y", 2), ("z", 3)])).unwrap();
    let list = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    assert_eq!(out, vec![Value::Tuple(vec![list(&[1]), list(&[1, 2]), list(&[1, 3])])]);
    // A non-list first argument still gets the registry's error.
    let entry = block(&[], vec![call("append", &[0, 1], &[2])], &[2]);
    let io = vec![input("x", IoKind::Int, 0), input("y", IoKind::Int, 1)];
    let plan = Plan::new(&program(io, vec![entry], vec![], 3)).unwrap();
    let err = plan.run(&ints(&[("x", 1), ("y", 2)])).unwrap_err().to_string();
    assert!(err.contains("append"), "{err}");
}

/// `y = linear(x, W, b)` with `W` a tensor constant: packed when the
/// weight is used only as a `linear` weight, and then the same as the
/// registry's `linear` (within float32 rounding) for batches that take the
/// packed path and for those that do not (one row, float64 input, a 1-D
/// input); a weight also returned is not packed.
#[test]
fn linear_weights_used_only_by_linear_are_packed() {
    let (n, k) = (19usize, 37usize);
    let vals = |len: usize, seed: usize| -> Vec<f32> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 / 1001.0) - 1.0).collect() };
    let w = Tensor::from_vec(vals(n * k, 1), &[n, k]).unwrap();
    let b = Tensor::from_vec(vals(n, 2), &[n]).unwrap();
    let entry = |extra_result: bool| {
        let mut results = vec![3];
        if extra_result {
            results.push(2);
        }
        block(&[], vec![node(OpCode::Const(0), &[], &[2]), call("linear", &[0, 2, 1], &[3])], &results)
    };
    let io = vec![input("x", IoKind::Tensor, 0), input("b", IoKind::Tensor, 1)];
    let def = program(io.clone(), vec![entry(false)], vec![ConstDef::Tensor { table_index: 0 }], 4);
    let plan = Plan::with_tensors(&def, std::slice::from_ref(&w)).unwrap();
    let packed = matches!(plan.blocks[0].nodes[1].op, POp::Linear { .. });
    assert_eq!(packed, tsc_kernels::simd::has_avx2_fma(), "packed exactly where the CPU can run the kernel");
    for shape in [vec![5, 3, k], vec![1, k], vec![k], vec![64, k]] {
        let m: usize = shape.iter().product::<usize>() / k;
        let x = Tensor::from_vec(vals(m * k, 3), &shape).unwrap();
        let inputs = |x: &Tensor| vec![("x".to_string(), Value::Tensor(x.clone())), ("b".to_string(), Value::Tensor(b.clone()))];
        let got = plan.run(&inputs(&x)).unwrap()[0].as_tensor().unwrap().clone();
        let want = crate::ops::linalg::linear(&x, &w, Some(&b)).unwrap();
        assert_eq!(got.shape(), want.shape());
        for (g, e) in got.to_vec::<f64>().iter().zip(want.to_vec::<f64>()) {
            assert!((g - e).abs() <= 1e-5 * (1.0 + e.abs()), "shape {shape:?}: {g} vs {e}");
        }
        // A float64 input against the float32 weight is PyTorch's error.
        let err = plan.run(&inputs(&x.to_dtype(DType::F64))).unwrap_err().to_string();
        assert!(err.contains("same dtype"), "{err}");
    }
    let def = program(io, vec![entry(true)], vec![ConstDef::Tensor { table_index: 0 }], 4);
    let plan = Plan::with_tensors(&def, &[w]).unwrap();
    assert!(matches!(plan.blocks[0].nodes[1].op, POp::Call { .. }), "a weight that escapes is not packed");
}

/// A float16/bfloat16 weight constant is packed too (widened once): the
/// result has the operands' dtype and is the registry's `linear` on them
/// to within one rounding of the narrow type (the float32 sums differ in
/// order only).
#[test]
fn narrow_linear_weights_are_packed_in_float32() {
    let (n, k, m) = (19usize, 37usize, 12usize);
    let vals = |len: usize, seed: usize| -> Vec<f32> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 / 1001.0) - 1.0).collect() };
    for (d, ulp) in [(DType::F16, 2f64.powi(-10)), (DType::BF16, 2f64.powi(-7))] {
        let w = Tensor::from_vec(vals(n * k, 1), &[n, k]).unwrap().to_dtype(d);
        let b = Tensor::from_vec(vals(n, 2), &[n]).unwrap().to_dtype(d);
        let entry = block(&[], vec![node(OpCode::Const(0), &[], &[2]), call("linear", &[0, 2, 1], &[3])], &[3]);
        let io = vec![input("x", IoKind::Tensor, 0), input("b", IoKind::Tensor, 1)];
        let def = program(io, vec![entry], vec![ConstDef::Tensor { table_index: 0 }], 4);
        let plan = Plan::with_tensors(&def, std::slice::from_ref(&w)).unwrap();
        assert_eq!(matches!(plan.blocks[0].nodes[1].op, POp::Linear { .. }), tsc_kernels::simd::has_avx2_fma());
        let x = Tensor::from_vec(vals(m * k, 3), &[m, k]).unwrap().to_dtype(d);
        let inputs = vec![("x".to_string(), Value::Tensor(x.clone())), ("b".to_string(), Value::Tensor(b.clone()))];
        let got = plan.run(&inputs).unwrap()[0].as_tensor().unwrap().clone();
        let want = crate::ops::linalg::linear(&x, &w, Some(&b)).unwrap();
        assert_eq!((got.dtype(), got.shape()), (d, want.shape()));
        for (g, e) in got.to_vec::<f64>().iter().zip(want.to_vec::<f64>()) {
            assert!((g - e).abs() <= ulp * e.abs() + 1e-6, "{d}: {g} vs {e}");
        }
    }
}

/// `y = relu(conv2d(x, w, b), False)` with a `dim` read of the conv result
/// in between (what an inlined `BatchNorm2d` leaves): one `ConvRelu` node
/// whose `dim` reads the fused result, equal to the two ops run apart, in
/// float32 (ReLU in the GEMM's store) and float64; not fused when the conv
/// result escapes, or when the relu's result is unused but a shape read is
/// not.
#[test]
fn relu_of_a_conv_fuses_into_it() {
    let vals = |len: usize, seed: usize| -> Vec<f64> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f64 / 1001.0) - 1.0).collect() };
    let x = Tensor::from_vec(vals(2 * 3 * 6 * 5, 1), &[2, 3, 6, 5]).unwrap();
    let w = Tensor::from_vec(vals(7 * 3 * 9, 2), &[7, 3, 3, 3]).unwrap();
    let b = Tensor::from_vec(vals(7, 3), &[7]).unwrap();
    let def = |results: &[u32]| {
        let nodes = vec![call("conv2d", &[0, 1, 2], &[3]), call("dim", &[3], &[4]), node(OpCode::Const(0), &[], &[5]), call("relu", &[3, 5], &[6])];
        let io = vec![input("x", IoKind::Tensor, 0), input("w", IoKind::Tensor, 1), input("b", IoKind::Tensor, 2)];
        program(io, vec![block(&[], nodes, results)], vec![ConstDef::Bool(false)], 7)
    };
    let plan = Plan::new(&def(&[6, 4])).unwrap();
    assert!(matches!(plan.blocks[0].nodes[0].op, POp::ConvRelu { .. }));
    assert_eq!(plan.blocks[0].nodes.len(), 3, "the relu node is gone");
    for dt in [DType::F32, DType::F64] {
        let named = [("x", &x), ("w", &w), ("b", &b)].map(|(n, t)| (n.to_string(), Value::Tensor(t.to_dtype(dt))));
        let mut frame = Frame::new(&plan);
        let out = plan.run_in(&mut frame, &named).unwrap();
        assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
        let conv = crate::ops::conv::conv2d(&x.to_dtype(dt), &w.to_dtype(dt), Some(&b.to_dtype(dt)), &[1], crate::ops::conv::Padding::Explicit(&[0]), &[1], 1).unwrap();
        let want = crate::ops::activation::relu(&conv).unwrap();
        let got = out[0].as_tensor().unwrap();
        assert_eq!((got.shape(), got.dtype()), (want.shape(), dt));
        let (g, e) = (got.to_vec::<f64>(), want.to_vec::<f64>());
        assert!(e.iter().any(|&v| v == 0.0) && e.iter().any(|&v| v > 0.0), "the data has both signs");
        assert!(g.iter().zip(&e).all(|(g, e)| (g - e).abs() <= 1e-5 * (1.0 + e.abs())), "{dt:?}: {g:?} vs {e:?}");
        assert_eq!(out[1], Value::Int(4));
    }
    for results in [&[6, 3][..], &[4]] {
        let plan = Plan::new(&def(results)).unwrap();
        assert!(matches!(&plan.blocks[0].nodes[0].op, POp::Call { name, .. } if name == "conv2d"), "{results:?}");
        let named = [("x", &x), ("w", &w), ("b", &b)].map(|(n, t)| (n.to_string(), Value::Tensor(t.to_dtype(DType::F32))));
        assert_eq!(plan.run(&named).unwrap().len(), results.len());
    }
}

/// `softmax(layer_norm(x, [C], w, b), dim)` with constants in between (as
/// lowered from `nn.LayerNorm` then `torch.softmax`): one `NormSoftmax`
/// node, bit-equal to the two ops run apart in float32 over the last dim
/// (the row kernel), and through the fallback over another dim, in
/// float64, with a non-contiguous input and with no weight; not fused when
/// the normalized tensor is also returned.
#[test]
fn softmax_of_a_layer_norm_fuses_into_one_node() {
    let vals = |len: usize, seed: usize| -> Vec<f32> { (0..len).map(|i| ((((i * 7919 + seed * 104729) % 2003) as f32) / 400.0) - 2.5).collect() };
    let (rows, c) = (37, 67);
    let x = Tensor::from_vec(vals(rows * c, 1), &[rows, c]).unwrap();
    let w = Tensor::from_vec(vals(c, 2), &[c]).unwrap();
    let b = Tensor::from_vec(vals(c, 3), &[c]).unwrap();
    let def = |dim: i64, bias: bool, results: &[u32]| {
        let nodes = vec![
            node(OpCode::Const(4), &[], &[11]),
            node(OpCode::Const(0), &[], &[3]),
            node(OpCode::TupleConstruct, &[3], &[4]),
            node(OpCode::Const(1), &[], &[5]),
            node(OpCode::Const(2), &[], &[6]),
            call("layer_norm", &[0, 4, 1, if bias { 2 } else { 11 }, 5, 6], &[7]),
            node(OpCode::Const(3), &[], &[8]),
            node(OpCode::Const(4), &[], &[9]),
            call("softmax", &[7, 8, 9], &[10]),
        ];
        let io = vec![input("x", IoKind::Tensor, 0), input("w", IoKind::Tensor, 1), input("b", IoKind::Tensor, 2)];
        let consts = vec![ConstDef::Int(c as i64), ConstDef::Float(1e-5), ConstDef::Bool(true), ConstDef::Int(dim), ConstDef::None];
        program(io, vec![block(&[], nodes, results)], consts, 12)
    };
    let apart = |x: &Tensor, w: &Tensor, b: Option<&Tensor>, dim: i64| {
        let y = crate::ops::norm::layer_norm(x, &[c as i64], Some(w), b, 1e-5).unwrap();
        crate::ops::nn::softmax(&y, dim, None).unwrap()
    };
    let xt = crate::ops::shape::transpose(&Tensor::from_vec(vals(rows * c, 4), &[c, rows]).unwrap(), 0, 1).unwrap();
    for (dim, bias) in [(-1, true), (1, true), (0, true), (-1, false)] {
        let plan = Plan::new(&def(dim, bias, &[10])).unwrap();
        let fused = plan.blocks[0].nodes.iter().filter(|n| matches!(n.op, POp::NormSoftmax { .. })).count();
        assert_eq!((fused, plan.blocks[0].nodes.len()), (1, 8), "dim {dim}: the layer_norm node is gone");
        for (x, dt) in [(&x, DType::F32), (&x, DType::F64), (&xt, DType::F32)] {
            let (x, w, b) = (x.to_dtype(dt), w.to_dtype(dt), b.to_dtype(dt));
            let named = [("x", &x), ("w", &w), ("b", &b)].map(|(n, t)| (n.to_string(), Value::Tensor(t.clone())));
            let mut frame = Frame::new(&plan);
            let out = plan.run_in(&mut frame, &named).unwrap();
            assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
            let want = apart(&x, &w, bias.then_some(&b), dim);
            let got = out[0].as_tensor().unwrap();
            assert_eq!((got.shape(), got.dtype()), (want.shape(), dt));
            let same = got.to_vec::<f64>().iter().zip(want.to_vec::<f64>()).all(|(g, e)| g.to_bits() == e.to_bits());
            assert!(same, "dim {dim}, {dt:?}, bias {bias}: the bits of the ops run apart");
        }
    }
    let plan = Plan::new(&def(-1, true, &[10, 7])).unwrap();
    assert!(plan.blocks[0].nodes.iter().all(|n| !matches!(n.op, POp::NormSoftmax { .. })), "the normalized tensor escapes");
    let named = [("x", &x), ("w", &w), ("b", &b)].map(|(n, t)| (n.to_string(), Value::Tensor(t.clone())));
    assert_eq!(plan.run(&named).unwrap().len(), 2);
}

/// `relu(conv2d(x, w, b) + y)` with the add and relu fused into one
/// kernel node and a `dim` read of the conv result in between (a residual
/// block after `passes::fuse`): one `ConvResidualRelu` node whatever the
/// add's operand order, equal to the ops run apart (bit for bit in float32,
/// where the epilogue runs in the GEMM's store), also with a residual that
/// broadcasts and in float64; not fused when the residual is computed after
/// the conv or the conv's result escapes.
#[test]
fn residual_add_and_relu_fuse_into_the_conv() {
    use tsc_kernels::jit::{BinaryOp, Inst, Kernel, UnaryOp};
    let vals = |len: usize, seed: usize| -> Vec<f64> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f64 / 1001.0) - 1.0).collect() };
    let x = Tensor::from_vec(vals(2 * 3 * 6 * 5, 1), &[2, 3, 6, 5]).unwrap();
    let w = Tensor::from_vec(vals(7 * 3 * 9, 2), &[7, 3, 3, 3]).unwrap();
    let b = Tensor::from_vec(vals(7, 3), &[7]).unwrap();
    let y_full = Tensor::from_vec(vals(2 * 7 * 4 * 3, 4), &[2, 7, 4, 3]).unwrap();
    let y_bcast = Tensor::from_vec(vals(7, 5), &[1, 7, 1, 1]).unwrap();
    let kernel = Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(BinaryOp::Add, 0, 1), Inst::Unary(UnaryOp::Relu, 2)], outputs: vec![3] };
    // Slots: x 0, w 1, b 2, y 3, conv 4, dim 5, result 6, `neg(y)` 13.
    let def = |conv_first: bool, y_after: bool, results: &[u32]| {
        let y = if y_after { 13 } else { 3 };
        let operands = if conv_first { [4, y] } else { [y, 4] };
        let mut fused = node(OpCode::Fused { kernel: 0 }, &operands, &[6]);
        fused.blocks = vec![1];
        let mut nodes = vec![call("conv2d", &[0, 1, 2], &[4]), call("dim", &[4], &[5]), fused];
        if y_after {
            nodes.insert(1, call("neg", &[3], &[13]));
        }
        let body = block(&[7, 8], vec![node(OpCode::Const(0), &[], &[9]), node(OpCode::Const(1), &[], &[10]), call("add", &[7, 8, 9], &[11]), call("relu", &[11, 10], &[12])], &[12]);
        let io = vec![input("x", IoKind::Tensor, 0), input("w", IoKind::Tensor, 1), input("b", IoKind::Tensor, 2), input("y", IoKind::Tensor, 3)];
        let mut p = program(io, vec![block(&[], nodes, results), body], vec![ConstDef::Int(1), ConstDef::Bool(false)], if y_after { 14 } else { 13 });
        p.kernels = vec![kernel.clone()];
        p
    };
    for conv_first in [true, false] {
        let plan = Plan::new(&def(conv_first, false, &[6, 5])).unwrap();
        assert!(matches!(plan.blocks[0].nodes[0].op, POp::ConvResidualRelu { .. }));
        assert_eq!(plan.blocks[0].nodes.len(), 2, "the fused add+relu node is gone");
        for (dt, y) in [(DType::F32, &y_full), (DType::F32, &y_bcast), (DType::F64, &y_full)] {
            let named = [("x", &x), ("w", &w), ("b", &b), ("y", y)].map(|(n, t)| (n.to_string(), Value::Tensor(t.to_dtype(dt))));
            let mut frame = Frame::new(&plan);
            let out = plan.run_in(&mut frame, &named).unwrap();
            assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
            let conv = crate::ops::conv::conv2d(&x.to_dtype(dt), &w.to_dtype(dt), Some(&b.to_dtype(dt)), &[1], crate::ops::conv::Padding::Explicit(&[0]), &[1], 1).unwrap();
            let sum = crate::ops::binary::add(&crate::ops::Operand::Tensor(conv), &crate::ops::Operand::Tensor(y.to_dtype(dt)), crate::Scalar::Int(1)).unwrap();
            let want = crate::ops::activation::relu(&sum).unwrap();
            let got = out[0].as_tensor().unwrap();
            assert_eq!((got.shape(), got.dtype()), (want.shape(), dt));
            let (g, e) = (got.to_vec::<f64>(), want.to_vec::<f64>());
            assert!(e.iter().any(|&v| v == 0.0) && e.iter().any(|&v| v > 0.0), "the data has both signs");
            assert!(g == e, "{dt:?} {:?}: {g:?} vs {e:?}", y.shape());
            assert_eq!(out[1], Value::Int(4));
        }
    }
    for (y_after, results) in [(true, &[6, 5][..]), (false, &[6, 4])] {
        let plan = Plan::new(&def(true, y_after, results)).unwrap();
        assert!(matches!(&plan.blocks[0].nodes[0].op, POp::Call { name, .. } if name == "conv2d"), "{y_after} {results:?}");
        let named = [("x", &x), ("w", &w), ("b", &b), ("y", &y_full)].map(|(n, t)| (n.to_string(), Value::Tensor(t.to_dtype(DType::F32))));
        assert_eq!(plan.run(&named).unwrap().len(), results.len());
    }
}

/// `for t in range(n): out.append(linear(x[t], W, b))` with `x` from
/// outside the loop: one `LoopLinear` node, the same rows as the ops run
/// apart (the rows computed by one product at the first step, with the
/// weight an input or a constant it packs), its cache
/// freed when the loop ends; a 1-D `x` still gets `linear`'s error; a body
/// that writes in place is left alone.
#[test]
fn linear_of_rows_of_a_loop_invariant_input_is_hoisted() {
    let vals = |len: usize, seed: usize| -> Vec<f32> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f32 / 1001.0) - 1.0).collect() };
    let w = Tensor::from_vec(vals(6 * 5, 1), &[6, 5]).unwrap();
    let b = Tensor::from_vec(vals(6, 2), &[6]).unwrap();
    // `w` an input, or (`const_w`) a weight constant, which gets packed.
    let def = |in_place: bool, const_w: bool| {
        let mut lp = node(OpCode::Loop, &[3, 4, 5], &[12]);
        lp.blocks = vec![1];
        let mut entry_nodes = vec![node(OpCode::Const(0), &[], &[4]), node(OpCode::ListConstruct, &[], &[5]), lp];
        if const_w {
            entry_nodes.insert(0, node(OpCode::Const(1), &[], &[1]));
        }
        let entry = block(&[], entry_nodes, &[12]);
        let mut nodes = vec![node(OpCode::TupleConstruct, &[6], &[8]), call("getitem", &[0, 8], &[9]), call("linear", &[9, 1, 2], &[10]), call("append", &[7, 10], &[11])];
        if in_place {
            nodes.insert(3, call("mul_", &[10, 10], &[13]));
        }
        let body = block(&[6, 7], nodes, &[4, 11]);
        let mut io = vec![input("x", IoKind::Tensor, 0), input("w", IoKind::Tensor, 1), input("b", IoKind::Tensor, 2), input("n", IoKind::Int, 3)];
        let mut consts = vec![ConstDef::Bool(true)];
        if const_w {
            io.remove(1);
            consts.push(ConstDef::Tensor { table_index: 0 });
        }
        program(io, vec![entry, body], consts, 13 + in_place as u32)
    };
    let plan = Plan::new(&def(false, false)).unwrap();
    assert!(matches!(plan.blocks[1].nodes[1].op, POp::LoopLinear { packed: None, .. }), "getitem + linear became one node");
    assert_eq!(plan.blocks[1].nodes.len(), 3);
    let named = |x: &Tensor, n: i64| vec![("x".to_string(), Value::Tensor(x.clone())), ("w".to_string(), Value::Tensor(w.clone())), ("b".to_string(), Value::Tensor(b.clone())), ("n".to_string(), Value::Int(n))];
    let packed = Plan::with_tensors(&def(false, true), std::slice::from_ref(&w)).unwrap();
    let has_packed = matches!(packed.blocks[1].nodes[1].op, POp::LoopLinear { packed: Some(_), .. });
    assert_eq!(has_packed, tsc_kernels::simd::has_avx2_fma(), "a weight constant is packed where the CPU runs the kernel");
    for (plan, shape) in [(&plan, vec![4, 5]), (&plan, vec![4, 3, 5]), (&packed, vec![4, 5]), (&packed, vec![6, 2, 5])] {
        let named = |x: &Tensor, n: i64| named(x, n).into_iter().filter(|(k, _)| plan.inputs().iter().any(|d| &d.name == k)).collect::<Vec<_>>();
        let x = Tensor::from_vec(vals(shape.iter().product(), 3), &shape).unwrap();
        for n in [0, 1, 4] {
            let mut frame = Frame::new(&plan);
            let out = plan.run_in(&mut frame, &named(&x, n)).unwrap();
            assert!(frame.slots.iter().all(Option::is_none), "every slot, the cache's too, is freed by the end of a run");
            let Value::List(rows) = &out[0] else { panic!("a list") };
            assert_eq!(rows.len(), n as usize);
            for (t, r) in rows.iter().enumerate() {
                let xt = crate::ops::shape::select(&x, 0, t as i64).unwrap();
                let want = crate::ops::linalg::linear(&xt, &w, Some(&b)).unwrap();
                let got = r.as_tensor().unwrap();
                assert_eq!(got.shape(), want.shape());
                for (g, e) in got.to_vec::<f64>().iter().zip(want.to_vec::<f64>()) {
                    assert!((g - e).abs() <= 1e-5 * (1.0 + e.abs()), "{shape:?} row {t}: {g} vs {e}");
                }
            }
        }
        // Past the end, the index error of `x[t]`.
        let err = plan.run(&named(&x, shape[0] as i64 + 1)).unwrap_err().to_string();
        assert!(err.contains("out of") || err.contains("index"), "{err}");
    }
    // A 1-D x: `x[t]` is 0-d and `linear` rejects it, as written.
    let x = Tensor::from_vec(vals(5, 4), &[5]).unwrap();
    let err = plan.run(&named(&x, 2)).unwrap_err().to_string();
    assert!(err.contains("linear"), "{err}");
    // A body with an in-place op is left alone.
    let plan = Plan::new(&def(true, false)).unwrap();
    assert!(matches!(&plan.blocks[1].nodes[1].op, POp::Call { name, .. } if name == "getitem"));
}

/// A residual block with a projection shortcut, as `epilogue.rs` leaves
/// it (`conv+relu`, `conv2d`, then `conv+add+relu` of the shortcut), with
/// the shortcut's stride and padding tuples built between the convs: one
/// `ConvShortcut` node (the tuples moved before it) and conv2 taking the
/// add; every slot freed; the bits of the ops run apart in float32 (one
/// pass over the input) and float64 (the ops in turn), for either operand
/// order of the add. Not fused when conv2's result escapes.
#[test]
fn projection_shortcut_runs_beside_the_first_conv() {
    use tsc_kernels::jit::{BinaryOp, Inst, Kernel, UnaryOp};
    use crate::ops::conv::{conv2d, Padding};
    let vals = |len: usize, seed: usize| -> Vec<f64> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f64 / 1001.0) - 1.0).collect() };
    let t = |shape: &[usize], seed: usize| Tensor::from_vec(vals(shape.iter().product(), seed), shape).unwrap();
    let (x, w1, b1, w2, b2, ws, bs) = (t(&[2, 5, 32, 32], 1), t(&[6, 5, 3, 3], 2), t(&[6], 3), t(&[6, 6, 3, 3], 4), t(&[6], 5), t(&[6, 5, 1, 1], 6), t(&[6], 7));
    let kernel = Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(BinaryOp::Add, 0, 1), Inst::Unary(UnaryOp::Relu, 2)], outputs: vec![3] };
    // Slots 0–6 the inputs; consts [2, 1, false, 0].
    let def = |short_first: bool, results: &[u32]| {
        let operands = if short_first { [20, 14] } else { [14, 20] };
        let mut fused = node(OpCode::Fused { kernel: 0 }, &operands, &[21]);
        fused.blocks = vec![1];
        let nodes = vec![
            node(OpCode::Const(0), &[], &[7]),
            node(OpCode::TupleConstruct, &[7, 7], &[8]),
            node(OpCode::Const(1), &[], &[9]),
            node(OpCode::TupleConstruct, &[9, 9], &[10]),
            call("conv2d", &[0, 1, 2, 8, 10, 10, 9], &[11]),
            node(OpCode::Const(2), &[], &[12]),
            call("relu", &[11, 12], &[13]),
            call("conv2d", &[13, 3, 4, 10, 10, 10, 9], &[14]),
            call("dim", &[14], &[15]),
            node(OpCode::Const(3), &[], &[16]),
            node(OpCode::TupleConstruct, &[16, 16], &[17]),
            node(OpCode::Const(0), &[], &[18]),
            node(OpCode::TupleConstruct, &[18, 18], &[19]),
            call("conv2d", &[0, 5, 6, 19, 17, 10, 9], &[20]),
            fused,
        ];
        let body = block(&[22, 23], vec![node(OpCode::Const(1), &[], &[24]), node(OpCode::Const(2), &[], &[25]), call("add", &[22, 23, 24], &[26]), call("relu", &[26, 25], &[27])], &[27]);
        let io = ["x", "w1", "b1", "w2", "b2", "ws", "bs"].iter().enumerate().map(|(i, n)| input(n, IoKind::Tensor, i as u32)).collect();
        let consts = vec![ConstDef::Int(2), ConstDef::Int(1), ConstDef::Bool(false), ConstDef::Int(0)];
        let mut p = program(io, vec![block(&[], nodes, results), body], consts, 28);
        p.kernels = vec![kernel.clone()];
        p
    };
    let count = |plan: &Plan, f: fn(&POp) -> bool| plan.blocks[0].nodes.iter().filter(|n| f(&n.op)).count();
    for short_first in [true, false] {
        let plan = Plan::new(&def(short_first, &[21, 15])).unwrap();
        assert_eq!(count(&plan, |op| matches!(op, POp::ConvShortcut { relu: Some(_), .. })), 1);
        assert_eq!(count(&plan, |op| matches!(op, POp::ConvResidualRelu { .. })), 1);
        assert_eq!(count(&plan, |op| matches!(op, POp::Call { name, .. } if name == "conv2d" || name == "relu")), 0);
        for dt in [DType::F32, DType::F64] {
            let named: Vec<(String, Value)> = [("x", &x), ("w1", &w1), ("b1", &b1), ("w2", &w2), ("b2", &b2), ("ws", &ws), ("bs", &bs)].iter().map(|(n, t)| (n.to_string(), Value::Tensor(t.to_dtype(dt)))).collect();
            let mut frame = Frame::new(&plan);
            let out = plan.run_in(&mut frame, &named).unwrap();
            assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
            let c = |x: &Tensor, w: &Tensor, b: &Tensor, s: i64, p: i64| conv2d(x, &w.to_dtype(dt), Some(&b.to_dtype(dt)), &[s, s], Padding::Explicit(&[p, p]), &[1, 1], 1).unwrap();
            let a = crate::ops::activation::relu(&c(&x.to_dtype(dt), &w1, &b1, 2, 1)).unwrap();
            let (main, short) = (c(&a, &w2, &b2, 1, 1), c(&x.to_dtype(dt), &ws, &bs, 2, 0));
            let (l, r) = if short_first { (short, main) } else { (main, short) };
            let sum = crate::ops::binary::add(&crate::ops::Operand::Tensor(l), &crate::ops::Operand::Tensor(r), crate::Scalar::Int(1)).unwrap();
            let want = crate::ops::activation::relu(&sum).unwrap();
            let got = out[0].as_tensor().unwrap();
            assert_eq!((got.shape(), got.dtype()), (want.shape(), dt));
            let (g, e) = (got.to_vec::<f64>(), want.to_vec::<f64>());
            assert!(e.iter().any(|&v| v == 0.0) && e.iter().any(|&v| v > 0.0), "the data has both signs");
            assert!(g == e, "{dt:?}, shortcut first {short_first}");
            assert_eq!(out[1], Value::Int(4));
        }
    }
    let plan = Plan::new(&def(true, &[21, 14])).unwrap();
    assert_eq!(count(&plan, |op| matches!(op, POp::ConvShortcut { .. })), 0, "conv2's result escapes");
}

/// `add(linear(x, w, b), y, 1)` in either operand order: one `LinearAdd`
/// node in the add's place; the bits of the ops run apart for one float32
/// row (the fused matrix-vector product), several rows, a residual that
/// broadcasts, and float64; every slot freed. Not merged with alpha 2 or
/// when the linear's result escapes.
#[test]
fn add_of_a_linear_fuses_into_one_node() {
    let vals = |len: usize, seed: usize| -> Vec<f64> { (0..len).map(|i| (((i * 7919 + seed * 104729) % 2003) as f64 / 1001.0) - 1.0).collect() };
    let t = |shape: &[usize], seed: usize| Tensor::from_vec(vals(shape.iter().product(), seed), shape).unwrap();
    let (n, k) = (37, 19);
    let (w, b) = (t(&[n, k], 2), t(&[n], 3));
    // Slots: x 0, w 1, b 2, y 3; alpha 4, linear 5, sum 6.
    let def = |linear_first: bool, alpha: i64, results: &[u32]| {
        let operands = if linear_first { [5, 3, 4] } else { [3, 5, 4] };
        let nodes = vec![node(OpCode::Const(0), &[], &[4]), call("linear", &[0, 1, 2], &[5]), call("add", &operands, &[6])];
        let io = ["x", "w", "b", "y"].iter().enumerate().map(|(i, n)| input(n, IoKind::Tensor, i as u32)).collect();
        program(io, vec![block(&[], nodes, results)], vec![ConstDef::Int(alpha)], 7)
    };
    for linear_first in [true, false] {
        let plan = Plan::new(&def(linear_first, 1, &[6])).unwrap();
        let ops: Vec<&str> = plan.blocks[0].nodes.iter().map(|n| n.op_name()).collect();
        assert_eq!(ops, ["Const", "linear+add"]);
        for (rows, y_shape, dt) in [(1, vec![1, n], DType::F32), (5, vec![5, n], DType::F32), (1, vec![n], DType::F32), (1, vec![1, n], DType::F64)] {
            let (x, y) = (t(&[rows, k], 1).to_dtype(dt), t(&y_shape, 4).to_dtype(dt));
            let named: Vec<(String, Value)> = [("x", &x), ("w", &w), ("b", &b), ("y", &y)].iter().map(|(s, v)| (s.to_string(), Value::Tensor(v.to_dtype(dt)))).collect();
            let mut frame = Frame::new(&plan);
            let out = plan.run_in(&mut frame, &named).unwrap();
            assert!(frame.slots.iter().all(Option::is_none), "every slot is freed by the end of a run");
            let l = crate::ops::linalg::linear(&x, &w.to_dtype(dt), Some(&b.to_dtype(dt))).unwrap();
            let (p, q) = if linear_first { (l, y.clone()) } else { (y.clone(), l) };
            let want = crate::ops::binary::add(&crate::ops::Operand::Tensor(p), &crate::ops::Operand::Tensor(q), crate::Scalar::Int(1)).unwrap();
            let got = out[0].as_tensor().unwrap();
            assert_eq!((got.shape(), got.dtype()), (want.shape(), dt));
            assert!(got.to_vec::<f64>() == want.to_vec::<f64>(), "{rows} rows, y {y_shape:?}, {dt:?}");
        }
    }
    for (alpha, results) in [(2, &[6][..]), (1, &[6, 5])] {
        let plan = Plan::new(&def(true, alpha, results)).unwrap();
        assert!(plan.blocks[0].nodes.iter().all(|n| n.op_name() != "linear+add"), "alpha {alpha}, results {results:?}");
    }
}
