//! Fused kernels against the unfused ops they replace: the same graph is
//! emitted once as is and once after `passes::fuse`, both run through the
//! runtime (the fused one through the CPU kernel JIT), and every output
//! must agree within the numerics contract (`spec/kernels.md`): per op on
//! inputs with special values, and for random elementwise chains over
//! random broadcast shapes with non-contiguous operands (proptest).

use proptest::prelude::*;
use tsc::compiler::{emit, parse, passes, Graph, Op};
use tsc::runtime::program::Plan;
use tsc::{Tensor, Value};

/// Runs `g` (inputs named `x0`, `x1`, ...) on `inputs`.
fn run(g: &Graph, inputs: &[Tensor]) -> Vec<Tensor> {
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
    let e = emit::to_program(g, &names).unwrap_or_else(|e| panic!("{e}\n{g}"));
    let plan = Plan::new(&e.program).unwrap();
    let args: Vec<(String, Value)> = names.iter().cloned().zip(inputs.iter().map(|t| Value::Tensor(t.clone()))).collect();
    plan.run(&args).unwrap_or_else(|e| panic!("{e}\n{g}")).into_iter().map(|v| v.into_tensor().unwrap()).collect()
}

fn fused_count(g: &Graph) -> usize {
    g.nodes.iter().filter(|n| n.op == Op::Fused).count()
}

/// Runs the graph unfused and fused; asserts the kernel was used (the
/// graph has `fused` nodes) and the outputs agree: |a - b| <= atol + rtol |a|,
/// NaN where the other is NaN.
fn check(text: &str, inputs: &[Tensor], rtol: f64, atol: f64) {
    let plain = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut fused = plain.clone();
    passes::fuse::run(&mut fused).unwrap();
    assert!(fused_count(&fused) > 0, "nothing fused:\n{fused}");
    let (want, got) = (run(&plain, inputs), run(&fused, inputs));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w.shape(), g.shape(), "{text}");
        for (i, (a, b)) in w.to_vec::<f64>().into_iter().zip(g.to_vec::<f64>()).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * a.abs();
            assert!(ok, "element {i}: unfused {a}, fused {b}\n{fused}");
        }
    }
}

/// `randn`-like values from a seed, with the special values first.
fn values(n: usize, seed: u64, specials: bool) -> Vec<f32> {
    let special = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-30, -1e-6, 88.0, -100.0, 0.5, -2.5];
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            if specials && i < special.len() {
                return special[i];
            }
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0) as f32
        })
        .collect()
}

/// Every op with a recipe, fused with a following `neg`, on 67 values
/// that start with 0, -0, ±inf, NaN, tiny and huge numbers.
#[test]
fn every_fusible_op_matches_the_runtime_op() {
    let ops = [
        "aten.neg(%x0)", "aten.abs(%x0)", "aten.exp(%x0)", "aten.log(%x0)", "aten.sqrt(%x0)", "aten.rsqrt(%x0)",
        "aten.reciprocal(%x0)", "aten.tanh(%x0)", "aten.sigmoid(%x0)", "aten.relu(%x0, %false)", "aten.erf(%x0)",
        "aten.silu(%x0, %false)", "aten.floor(%x0)", "aten.ceil(%x0)", "aten.trunc(%x0)", "aten.square(%x0)",
        "aten.gelu(%x0, %none_s)", "aten.gelu(%x0, %tanh_s)", "aten.pow.Tensor_Scalar(%x0, %two)",
        "aten.pow.Tensor_Scalar(%x0, %three)", "aten.clamp(%x0, %mhalf, %two)", "aten.clamp(%x0, %none, %two)",
        "aten.clamp_min(%x0, %mhalf)", "aten.clamp_max(%x0, %mhalf)", "aten.hardtanh(%x0, %mhalf, %two_f, %false)",
        "aten.leaky_relu(%x0, %slope, %false)", "aten.add.Tensor(%x0, %x1, %one)", "aten.add.Tensor(%x0, %x1, %two)",
        "aten.add.Scalar(%x0, %mhalf, %one)", "aten.sub.Tensor(%x0, %x1, %one)", "aten.sub.Scalar(%x0, %mhalf, %two)",
        "aten.rsub.Scalar(%x0, %mhalf, %one)", "aten.mul.Tensor(%x0, %x1)", "aten.mul.Scalar(%x0, %mhalf)",
        "aten.div.Tensor_mode(%x0, %x1, %none)", "aten.div.Scalar_mode(%x0, %mhalf, %none)", "aten.maximum(%x0, %x1)",
        "aten.minimum(%x0, %x1)",
    ];
    let x0 = Tensor::from_vec(values(67, 1, true), &[67]).unwrap();
    let x1 = Tensor::from_vec(values(67, 2, false).into_iter().rev().collect::<Vec<_>>(), &[67]).unwrap();
    for op in ops {
        let text = format!(
            "graph(%x0 : Tensor<f32, [67]>, %x1 : Tensor<f32, [67]>):
  %none : None = const none
  %none_s : str = const \"none\"
  %tanh_s : str = const \"tanh\"
  %one : int = const 1
  %two : int = const 2
  %three : int = const 3
  %two_f : float = const 2.0
  %mhalf : float = const -0.5
  %slope : float = const 0.125
  %false : bool = const false
  %a : Tensor<f32, [67]> = {op}
  %b : Tensor<f32, [67]> = aten.neg(%a)
  return (%b)
"
        );
        check(&text, &[x0.clone(), x1.clone()], 1e-5, 1e-6);
    }
}

/// Comparisons and `where` inside a kernel.
#[test]
fn masks_select_inside_a_kernel() {
    for cmp in ["eq", "ne", "lt", "le", "gt", "ge"] {
        let text = format!(
            "graph(%x0 : Tensor<f32, [67]>, %x1 : Tensor<f32, [67]>):
  %m : Tensor<bool, [67]> = aten.{cmp}.Tensor(%x0, %x1)
  %r : Tensor<f32, [67]> = aten.where.self(%m, %x0, %x1)
  return (%r)
"
        );
        let x0 = Tensor::from_vec(values(67, 3, true), &[67]).unwrap();
        let mut v1 = values(67, 4, false);
        v1[20] = x0.to_vec::<f32>()[20];
        check(&text, &[x0, Tensor::from_vec(v1, &[67]).unwrap()], 0.0, 0.0);
    }
}

/// An input: a tensor of `shape`, made non-contiguous when `transposed`
/// (a transposed view of a contiguous buffer, for rank >= 2) or `sliced`
/// (every other element of the last dim).
fn input(shape: &[usize], seed: u64, transposed: bool, sliced: bool) -> Tensor {
    let n: usize = shape.iter().product();
    if sliced && !shape.is_empty() {
        let mut wide = shape.to_vec();
        *wide.last_mut().unwrap() *= 2;
        let base = Tensor::from_vec(values(n * 2, seed, false), &wide).unwrap();
        let mut strides = base.strides().to_vec();
        *strides.last_mut().unwrap() *= 2;
        return base.as_strided(shape, &strides, 0).unwrap();
    }
    if transposed && shape.len() >= 2 {
        let r = shape.len();
        let mut swapped = shape.to_vec();
        swapped.swap(r - 1, r - 2);
        let base = Tensor::from_vec(values(n, seed, false), &swapped).unwrap();
        let mut strides = base.strides().to_vec();
        strides.swap(r - 1, r - 2);
        return base.as_strided(shape, &strides, 0).unwrap();
    }
    Tensor::from_vec(values(n, seed, false), shape).unwrap()
}

/// Well-conditioned ops for random chains (no cancellation-prone or
/// discontinuous ones, so chains stay within a fixed tolerance).
const UNARY: &[&str] = &["aten.tanh(%A)", "aten.sigmoid(%A)", "aten.relu(%A, %false)", "aten.neg(%A)", "aten.abs(%A)", "aten.erf(%A)", "aten.gelu(%A, %none_s)", "aten.silu(%A, %false)", "aten.mul.Scalar(%A, %half)"];
const BINARY: &[&str] = &["aten.add.Tensor(%A, %B, %one)", "aten.mul.Tensor(%A, %B)", "aten.maximum(%A, %B)", "aten.minimum(%A, %B)", "aten.sub.Tensor(%A, %B, %one)"];

fn chain_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<(usize, bool, bool)>, Vec<(bool, usize, usize, usize)>)> {
    let shape = prop::collection::vec(prop_oneof![Just(1usize), Just(3), Just(5), Just(17), 1usize..40], 0..=4);
    shape.prop_flat_map(|shape| {
        let r = shape.len();
        // Each input keeps a suffix of the dims, some of them set to 1 (broadcast).
        let inputs = prop::collection::vec((0..=r, any::<bool>(), any::<bool>()), 1..=3);
        let ops = prop::collection::vec((any::<bool>(), 0usize..16, 0usize..64, 0usize..64), 2..8);
        (Just(shape), inputs, ops)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random chains of elementwise ops over broadcasting, non-contiguous
    /// inputs of random rank and odd sizes.
    #[test]
    fn random_chains_match_unfused((shape, ins, ops) in chain_strategy()) {
        let r = shape.len();
        let mut shapes = Vec::new();
        for (k, &(keep, ones, _)) in ins.iter().enumerate() {
            let mut s: Vec<usize> = shape[r - keep.min(r)..].to_vec();
            if ones && !s.is_empty() {
                let i = k % s.len();
                s[i] = 1;
            }
            shapes.push(s);
        }
        shapes[0] = shape.clone(); // the output has the full shape
        let ty = |s: &[usize]| format!("Tensor<f32, [{}]>", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
        let params: Vec<String> = shapes.iter().enumerate().map(|(i, s)| format!("%x{i} : {}", ty(s))).collect();
        let mut text = format!("graph({}):\n  %one : int = const 1\n  %half : float = const 0.5\n  %false : bool = const false\n  %none_s : str = const \"none\"\n", params.join(", "));
        let mut vals: Vec<String> = (0..shapes.len()).map(|i| format!("%x{i}")).collect();
        for (i, &(binary, which, a, b)) in ops.iter().enumerate() {
            let (pa, pb) = (vals[a % vals.len()].clone(), vals[b % vals.len()].clone());
            let op = if binary { BINARY[which % BINARY.len()] } else { UNARY[which % UNARY.len()] };
            text += &format!("  %v{i} : Tensor = {}\n", op.replace("%A", &pa).replace("%B", &pb));
            vals.push(format!("%v{i}"));
        }
        // The last value joined with x0 so the output has the full shape.
        text += &format!("  %out : Tensor = aten.add.Tensor({}, %x0, %one)\n  return (%out)\n", vals.last().unwrap());
        let inputs: Vec<Tensor> = shapes.iter().zip(&ins).enumerate().map(|(i, (s, &(_, _, t)))| input(s, i as u64 + 7, t, !t && i % 2 == 1)).collect();
        check(&text, &inputs, 1e-5, 1e-5);
    }
}

/// Row kernels: each reduction over the last dim, with an elementwise
/// prologue and epilogue, against the runtime's ops, on rows of odd and
/// vector-multiple lengths, one row holding NaN and one ±inf.
#[test]
fn row_reductions_match_the_runtime_ops() {
    let ops = [
        ("aten.softmax.int(%p, %m1, %none)", 1e-5, 1e-7),
        ("aten.log_softmax.int(%p, %m1, %none)", 1e-5, 1e-5),
        ("aten.layer_norm(%p, %ns, %w, %b, %eps, %true)", 1e-4, 1e-5),
        ("aten.layer_norm(%p, %ns, %w, %none, %eps, %true)", 1e-4, 1e-5),
        ("aten.layer_norm(%p, %ns, %none, %none, %eps, %true)", 1e-4, 1e-5),
        ("aten.sum(%p, %dims, %true, %none)", 1e-5, 1e-4),
        ("aten.mean(%p, %dims, %true, %none)", 1e-5, 1e-6),
        ("aten.amax(%p, %dims, %true)", 0.0, 0.0),
        ("aten.amin(%p, %dims, %true)", 0.0, 0.0),
    ];
    for n in [1usize, 3, 8, 67, 1025] {
        let mut x = values(4 * n, n as u64, false);
        x[n] = f32::NAN;
        x[2 * n] = f32::INFINITY;
        x[3 * n + n / 2] = f32::NEG_INFINITY;
        let x = Tensor::from_vec(x, &[4, n]).unwrap();
        let w = Tensor::from_vec(values(n, 5, false), &[n]).unwrap();
        let b = Tensor::from_vec(values(n, 6, false), &[n]).unwrap();
        for (op, rtol, atol) in ops {
            let text = format!(
                "graph(%x : Tensor<f32, [4, {n}]>, %w : Tensor<f32, [{n}]>, %b : Tensor<f32, [{n}]>):
  %none : None = const none
  %true : bool = const true
  %one : int = const 1
  %m1 : int = const -1
  %n : int = const {n}
  %eps : float = const 1e-5
  %half : float = const 0.5
  %ns : List[int] = list_construct(%n)
  %dims : List[int] = list_construct(%m1)
  %p : Tensor<f32, [4, {n}]> = aten.mul.Scalar(%x, %half)
  %r : Tensor = {op}
  %e : Tensor = aten.add.Tensor(%r, %x, %one)
  return (%e, %r)
"
            );
            check(&text, &[x.clone(), w.clone(), b.clone()], rtol, atol);
        }
    }
}

/// x², layer_norm, softmax and a residual add in one kernel, on a
/// transposed (non-contiguous) input.
#[test]
fn layer_norm_then_softmax_is_one_row_kernel() {
    let text = "graph(%x : Tensor<f32, [6, 33]>, %w : Tensor<f32, [33]>, %b : Tensor<f32, [33]>):
  %none : None = const none
  %true : bool = const true
  %m1 : int = const -1
  %n : int = const 33
  %eps : float = const 1e-5
  %one : int = const 1
  %ns : List[int] = list_construct(%n)
  %x2 : Tensor<f32, [6, 33]> = aten.mul.Tensor(%x, %x)
  %y : Tensor = aten.layer_norm(%x2, %ns, %w, %b, %eps, %true)
  %s : Tensor = aten.softmax.int(%y, %m1, %none)
  %r : Tensor = aten.add.Tensor(%s, %x, %one)
  return (%r)
";
    let mut g = parse(text).unwrap();
    passes::fuse::run(&mut g).unwrap();
    assert_eq!(fused_count(&g), 1, "{g}");
    let x = input(&[6, 33], 9, true, false);
    assert!(!x.is_contiguous());
    let (w, b) = (input(&[33], 10, false, false), input(&[33], 11, false, false));
    check(text, &[x, w, b], 1e-5, 1e-7);
}

/// Where a call's shapes do not fit the kernel, the block's ops run and
/// their errors are PyTorch's.
#[test]
fn row_kernels_fall_back_on_shapes_they_do_not_fit() {
    let text = "graph(%x : Tensor, %w : Tensor<f32, [8]>):
  %none : None = const none
  %true : bool = const true
  %m1 : int = const -1
  %n : int = const 8
  %eps : float = const 1e-5
  %one : int = const 1
  %ns : List[int] = list_construct(%n)
  %y : Tensor = aten.layer_norm(%x, %ns, %w, %none, %eps, %true)
  %s : Tensor = aten.softmax.int(%y, %m1, %none)
  %t : Tensor = aten.add.Tensor(%s, %w, %one)
  %u : Tensor = aten.neg(%t)
  return (%u)
";
    let mut g = parse(text).unwrap();
    passes::fuse::run(&mut g).unwrap();
    assert_eq!(fused_count(&g), 1, "{g}");
    let e = emit::to_program(&g, &["x0".into(), "x1".into()]).unwrap();
    let plan = Plan::new(&e.program).unwrap();
    let w = Value::Tensor(input(&[8], 1, false, false));
    // Rows of 5 against a weight of 8: PyTorch's error, from the unfused op.
    let x = Value::Tensor(input(&[3, 5], 2, false, false));
    let err = plan.run(&[("x0".into(), x), ("x1".into(), w.clone())]).unwrap_err().to_string();
    assert!(err.contains("layer_norm"), "{err}");
    // Rows of 1 broadcast against the weight: also PyTorch's error, not 8 copies.
    let x = Value::Tensor(input(&[3, 1], 2, false, false));
    assert!(plan.run(&[("x0".into(), x), ("x1".into(), w.clone())]).is_err());
    // Empty rows: the unfused ops' (empty) result.
    let x = Value::Tensor(Tensor::from_vec(Vec::<f32>::new(), &[0, 8]).unwrap());
    let out = plan.run(&[("x0".into(), x), ("x1".into(), w)]).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), &[0, 8]);
}

#[test]
fn reductions_fuse_only_over_the_last_dim_with_keepdim() {
    let text = "graph(%x : Tensor, %y : Tensor<f32, [2, 3]>):
  %none : None = const none
  %true : bool = const true
  %false : bool = const false
  %zero : int = const 0
  %one : int = const 1
  %d0 : List[int] = list_construct(%zero)
  %d1 : List[int] = list_construct(%one)
  %a : Tensor = aten.softmax.int(%x, %one, %none)
  %b : Tensor = aten.neg(%a)
  %c : Tensor = aten.sum(%y, %d1, %false, %none)
  %d : Tensor = aten.neg(%c)
  %e : Tensor = aten.sum(%y, %d0, %true, %none)
  %f : Tensor = aten.neg(%e)
  %h : Tensor = aten.sum(%y, %d1, %true, %none)
  %i0 : Tensor = aten.neg(%h)
  %i : Tensor = aten.sub.Tensor(%i0, %y, %one)
  return (%b, %d, %f, %i)
";
    let mut g = parse(text).unwrap();
    passes::fuse::run(&mut g).unwrap();
    // Only the last: softmax over dim 1 of a tensor of unknown rank, a sum
    // without keepdim and a sum over dim 0 stay as they are (and a row
    // kernel needs two elementwise ops beside its reductions).
    assert_eq!(fused_count(&g), 1, "{g}");
    let x = input(&[2, 3], 3, false, false);
    check(text, &[x.clone(), x], 1e-6, 1e-6);
}

/// Attention's causal mask: `softmax(masked_fill(x · s, mask, -inf))` with
/// a `bool` mask from outside the kernel, broadcast over batch and heads,
/// is one row kernel that matches the unfused ops (a fully masked row
/// included: NaN, as PyTorch gives); so is an elementwise `masked_fill`.
/// A `uint8` mask runs the block's ops and gets PyTorch's error.
#[test]
fn outside_bool_masks_fuse() {
    let text = "graph(%x0 : Tensor<f32, [2, 3, 5, 5]>, %x1 : Tensor<bool, [5, 5]>):
  %none : None = const none
  %m1 : int = const -1
  %scale : float = const 0.125
  %ninf : float = const -inf
  %fill : float = const 2.5
  %a : Tensor = aten.mul.Scalar(%x0, %scale)
  %b : Tensor = aten.masked_fill.Scalar(%a, %x1, %ninf)
  %c : Tensor = aten.softmax.int(%b, %m1, %none)
  %d : Tensor = aten.masked_fill.Scalar(%x0, %x1, %fill)
  %e : Tensor = aten.neg(%d)
  return (%c, %e)
";
    let mut g = parse(text).unwrap();
    passes::fuse::run(&mut g).unwrap();
    assert_eq!(fused_count(&g), 2, "{g}");
    let mut x = values(150, 12, true);
    x[7] = f32::NAN;
    let x = Tensor::from_vec(x, &[2, 3, 5, 5]).unwrap();
    // Above the diagonal, and all of the last row.
    let mask: Vec<bool> = (0..25).map(|i| i % 5 > i / 5 || i >= 20).collect();
    check(text, &[x.clone(), Tensor::from_vec(mask.clone(), &[5, 5]).unwrap()], 1e-6, 1e-7);
    let e = emit::to_program(&g, &["x0".into(), "x1".into()]).unwrap();
    let plan = Plan::new(&e.program).unwrap();
    let bytes = Tensor::from_vec(mask.iter().map(|&m| m as u8).collect::<Vec<u8>>(), &[5, 5]).unwrap();
    let err = plan.run(&[("x0".into(), Value::Tensor(x)), ("x1".into(), Value::Tensor(bytes))]).unwrap_err().to_string();
    assert!(err.contains("boolean masks"), "{err}");
}

/// Merge decisions on the dataflow graph. `%c` is read by an unfused `sum`
/// and by `%d`, which joins its group anyway (one kernel with two
/// results, `%c` and `%f`, placed before the `sum`). In the second graph `%e` would join
/// `%t`'s group too, but `%b` needs both `%e` and the `mm` that reads `%t`:
/// `%e` starts a group of its own, so `%b` can join it. Both run as the
/// unfused ops do.
#[test]
fn groups_merge_past_outside_readers_that_do_not_feed_them() {
    let read_by_sum = "graph(%x0 : Tensor<f32, [6, 7]>, %x1 : Tensor<f32, [6, 7]>):
  %none : None = const none
  %false : bool = const false
  %half : float = const 0.5
  %one : int = const 1
  %a : Tensor = aten.mul.Tensor(%x0, %x0)
  %c : Tensor = aten.mul.Scalar(%a, %half)
  %s : Tensor = aten.sum(%c, %none, %false, %none)
  %d : Tensor = aten.add.Tensor(%c, %x1, %one)
  %e : Tensor = aten.exp(%d)
  %f : Tensor = aten.mul.Tensor(%e, %x1)
  return (%f, %s)
";
    let read_by_mm = "graph(%x0 : Tensor<f32, [6, 6]>, %x1 : Tensor<f32, [6, 6]>):
  %two : float = const 2.0
  %one : int = const 1
  %a : Tensor = aten.mul.Scalar(%x0, %two)
  %t : Tensor = aten.tanh(%a)
  %m : Tensor = aten.mm(%t, %x1)
  %e : Tensor = aten.exp(%t)
  %b : Tensor = aten.add.Tensor(%e, %m, %one)
  return (%b)
";
    // Each graph with the result counts of its fused nodes.
    for (text, results) in [(read_by_sum, vec![2]), (read_by_mm, vec![1, 1])] {
        let mut g = parse(text).unwrap();
        passes::fuse::run(&mut g).unwrap();
        let counts: Vec<usize> = g.block(g.entry).nodes.iter().filter(|&&n| g.node(n).op == Op::Fused).map(|&n| g.node(n).outputs.len()).collect();
        assert_eq!(counts, results, "{g}");
        let shape = if text == read_by_sum { [6, 7] } else { [6, 6] };
        let n = shape[0] * shape[1];
        let inputs = [Tensor::from_vec(values(n, 21, true), &shape).unwrap(), Tensor::from_vec(values(n, 22, false), &shape).unwrap()];
        check(text, &inputs, 1e-6, 1e-6);
    }
}
