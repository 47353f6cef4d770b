//! Numeric checks of the rewriting passes: each graph runs through the
//! reference interpreter (`common`, the runtime's eager ops) before and
//! after the pass on random weights and inputs, and the results must agree
//! (to 1e-5 for the folds, exactly for unrolling).

mod common;

use common::{eval, max_abs_diff, tensor_of, Rng};
use std::collections::HashMap;
use tsc_compiler::passes::{optimize, pass_by_name, run_pass};
use tsc_compiler::runtime::{DType, Value as Rt};
use tsc_compiler::{parse_with_blobs, Graph};

const TOL: f32 = 1e-5;

/// Parses `text` with random blobs for its tensor constants (`var`-named
/// ones positive, as variances are).
fn graph(text: &str, rng: &mut Rng) -> Graph {
    let mut blobs = HashMap::new();
    for line in text.lines() {
        let Some((name, ty)) = line.trim().strip_prefix('@').and_then(|l| l.split_once(" = tensor<")) else { continue };
        let dims: Vec<usize> = ty.split_once('[').unwrap().1.trim_end_matches(">").trim_end_matches(']').split(", ").filter(|d| !d.is_empty()).map(|d| d.parse().unwrap()).collect();
        let t = if name.contains("var") { rng.uniform(&dims, 0.5, 1.5) } else { rng.tensor(&dims, DType::F32) };
        blobs.insert(name.to_string(), t);
    }
    parse_with_blobs(text, &blobs).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Runs pass `name` on a copy of `g`; returns the rewritten graph after
/// checking it changed and computes what `g` computes on `inputs`.
fn check_pass(name: &str, g: &Graph, inputs: &[Rt], tol: f32) -> Graph {
    let mut after = g.clone();
    let (name, pass) = pass_by_name(name).unwrap();
    assert!(run_pass(name, pass, &mut after).unwrap(), "{name} changed nothing:\n{g}");
    assert_same(g, &after, inputs, tol);
    after
}

fn assert_same(before: &Graph, after: &Graph, inputs: &[Rt], tol: f32) {
    let want = eval(before, inputs).unwrap_or_else(|e| panic!("before: {e}\n{before}"));
    let got = eval(after, inputs).unwrap_or_else(|e| panic!("after: {e}\n{after}"));
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        let d = max_abs_diff(tensor_of(w), tensor_of(g));
        assert!(d <= tol, "results differ by {d}:\nbefore:\n{before}\nafter:\n{after}");
    }
}

fn count_op(g: &Graph, name: &str) -> usize {
    g.reachable_blocks().iter().flat_map(|&(b, _)| g.block(b).nodes.clone()).filter(|&n| g.node(n).op.name() == name).count()
}

fn input(rng: &mut Rng, shape: &[usize]) -> Rt {
    Rt::Tensor(rng.tensor(shape, DType::F32))
}

#[test]
fn conv2d_batch_norm_folds_numerically() {
    let text = "\
graph(%x : Tensor<f32, [2, 4, 9, 7]>):
  @conv.weight = tensor<f32, [6, 2, 3, 3]>
  @conv.bias = tensor<f32, [6]>
  @bn.running_mean = tensor<f32, [6]>
  @bn.running_var = tensor<f32, [6]>
  @bn.weight = tensor<f32, [6]>
  @bn.bias = tensor<f32, [6]>
  %w : Tensor = const @conv.weight
  %b : Tensor = const @conv.bias
  %one : int = const 1
  %two : int = const 2
  %c : Tensor = aten.conv2d(%x, %w, %b, %two, %one, %one, %two)
  %mean : Tensor = const @bn.running_mean
  %var : Tensor = const @bn.running_var
  %gamma : Tensor = const @bn.weight
  %beta : Tensor = const @bn.bias
  %f : bool = const false
  %mom : float = const 0.1
  %eps : float = const 1e-5
  %y : Tensor = aten.batch_norm(%c, %mean, %var, %gamma, %beta, %f, %mom, %eps)
  return (%y)
";
    let mut rng = Rng(7);
    let g = graph(text, &mut rng);
    let x = input(&mut rng, &[2, 4, 9, 7]);
    let after = check_pass("fold_conv_bn", &g, &[x], TOL);
    assert_eq!(count_op(&after, "aten.batch_norm"), 0, "{after}");
}

/// `BatchNorm2d` checks `input.dim()` before normalizing: a shape read of
/// the conv's output does not stop the fold, it reads the folded output.
/// Any other second use does.
#[test]
fn conv_batch_norm_folds_past_shape_reads() {
    let text = |extra: &str| {
        format!(
            "\
graph(%x : Tensor<f32, [2, 4, 9, 7]>):
  @conv.weight = tensor<f32, [6, 4, 3, 3]>
  @bn.running_mean = tensor<f32, [6]>
  @bn.running_var = tensor<f32, [6]>
  %w : Tensor = const @conv.weight
  %n : None = const none
  %one : int = const 1
  %c : Tensor = aten.conv2d(%x, %w, %n, %one, %one, %one, %one)
  %d : int = aten.dim(%c)
  %k : int = const 2
  %s : int = aten.size.int(%c, %k)
  {extra}
  %mean : Tensor = const @bn.running_mean
  %var : Tensor = const @bn.running_var
  %f : bool = const false
  %mom : float = const 0.1
  %eps : float = const 1e-5
  %y : Tensor = aten.batch_norm(%c, %mean, %var, %n, %n, %f, %mom, %eps)
  return (%y)
"
        )
    };
    let mut rng = Rng(5);
    let g = graph(&text(""), &mut rng);
    let x = input(&mut rng, &[2, 4, 9, 7]);
    let after = check_pass("fold_conv_bn", &g, &[x.clone()], TOL);
    assert_eq!(count_op(&after, "aten.batch_norm"), 0, "{after}");
    let mut g = graph(&text("%r : Tensor = aten.relu(%c)"), &mut rng);
    let (name, pass) = pass_by_name("fold_conv_bn").unwrap();
    assert!(!run_pass(name, pass, &mut g).unwrap(), "a read of the conv's data blocks the fold:\n{g}");
}

#[test]
fn conv1d_without_bias_and_affine_folds_numerically() {
    let text = "\
graph(%x : Tensor<f32, [3, 5, 11]>):
  @block.weight = tensor<f32, [4, 5, 3]>
  @block.running_mean = tensor<f32, [4]>
  @block.running_var = tensor<f32, [4]>
  %w : Tensor = const @block.weight
  %n : None = const none
  %one : int = const 1
  %zero : int = const 0
  %two : int = const 2
  %c : Tensor = aten.conv1d(%x, %w, %n, %one, %zero, %two, %one)
  %mean : Tensor = const @block.running_mean
  %var : Tensor = const @block.running_var
  %f : bool = const false
  %mom : float = const 0.1
  %eps : float = const 0.001
  %cudnn : bool = const true
  %y : Tensor = aten.batch_norm.native(%c, %n, %n, %mean, %var, %f, %mom, %eps, %cudnn)
  return (%y)
";
    let mut rng = Rng(11);
    let g = graph(text, &mut rng);
    let x = input(&mut rng, &[3, 5, 11]);
    check_pass("fold_conv_bn", &g, &[x], TOL);
}

#[test]
fn linear_bias_folds_numerically() {
    let text = "\
graph(%x : Tensor<f32, [2, 3, 16]>, %m : Tensor<f32, [5, 16]>):
  @proj.weight = tensor<f32, [16, 8]>
  @fc.weight = tensor<f32, [8, 16]>
  @bias = tensor<f32, [8]>
  %w : Tensor = const @proj.weight
  %c : Tensor = const @fc.weight
  %b : Tensor = const @bias
  %one : int = const 1
  %n : None = const none
  %p : Tensor = aten.matmul(%x, %w)
  %y1 : Tensor = aten.add.Tensor(%b, %p, %one)
  %ct : Tensor = aten.t(%c)
  %q : Tensor<f32, [5, 8]> = aten.mm(%m, %ct)
  %y2 : Tensor = aten.add.Tensor(%q, %b, %one)
  %l : Tensor = aten.linear(%x, %c, %n)
  %y3 : Tensor = aten.add.Tensor(%l, %b, %one)
  return (%y1, %y2, %y3)
";
    let mut rng = Rng(3);
    let g = graph(text, &mut rng);
    let (x, m) = (input(&mut rng, &[2, 3, 16]), input(&mut rng, &[5, 16]));
    let after = check_pass("fold_linear", &g, &[x, m], TOL);
    assert_eq!(count_op(&after, "aten.linear"), 3, "{after}");
    assert_eq!(count_op(&after, "aten.add.Tensor"), 0, "{after}");
}

#[test]
fn unrolled_loops_compute_the_same() {
    let text = "\
graph(%x : Tensor<f32, [4]>, %c : bool):
  %three : int = const 3
  %t : bool = const true
  %h : Tensor<f32, [4]>, %acc : int = loop(%three, %t, %x, %three)
    ^1(%i : int, %hi : Tensor<f32, [4]>, %a : int):
      %h2 : Tensor<f32, [4]> = aten.mul.Scalar(%hi, %i)
      %two : int = const 2
      %g : Tensor<f32, [4]> = loop(%two, %t, %h2)
        ^2(%j : int, %gj : Tensor<f32, [4]>):
          %e : Tensor<f32, [4]> = aten.add.Scalar(%gj, %j, %a)
          -> (%t, %e)
      %k : Tensor<f32, [4]> = if(%c)
        ^3():
          %s : Tensor<f32, [4]> = aten.sin(%g)
          -> (%s)
        ^4():
          -> (%g)
      %a2 : int = scalar.add(%a, %i)
      -> (%t, %k, %a2)
  %accf : float = scalar.float_cast(%acc)
  %out : Tensor<f32, [4]> = aten.mul.Scalar(%h, %accf)
  return (%out)
";
    let mut rng = Rng(5);
    let g = graph(text, &mut rng);
    for c in [true, false] {
        let inputs = [input(&mut rng, &[4]), Rt::Bool(c)];
        let after = check_pass("unroll", &g, &inputs, 0.0);
        assert_eq!(count_op(&after, "loop"), 0, "{after}");
    }
}

#[test]
fn pipeline_folds_a_conv_bn_relu_linear_model() {
    let text = "\
graph(%x : Tensor<f32, [B, 3, 8, 8]>):
  @conv.weight = tensor<f32, [4, 3, 3, 3]>
  @bn.running_mean = tensor<f32, [4]>
  @bn.running_var = tensor<f32, [4]>
  @bn.weight = tensor<f32, [4]>
  @bn.bias = tensor<f32, [4]>
  @fc.weight = tensor<f32, [10, 4]>
  @fc.bias = tensor<f32, [10]>
  %w : Tensor = const @conv.weight
  %n : None = const none
  %one : int = const 1
  %c : Tensor = aten.conv2d(%x, %w, %n, %one, %one, %one, %one)
  %mean : Tensor = const @bn.running_mean
  %var : Tensor = const @bn.running_var
  %gamma : Tensor = const @bn.weight
  %beta : Tensor = const @bn.bias
  %f : bool = const false
  %mom : float = const 0.1
  %eps : float = const 1e-5
  %y : Tensor = aten.batch_norm(%c, %mean, %var, %gamma, %beta, %f, %mom, %eps)
  %r : Tensor = aten.relu(%y, %f)
  %os : List[int] = list_construct(%one, %one)
  %p : Tensor = aten.adaptive_avg_pool2d(%r, %os)
  %m1 : int = const -1
  %flat : Tensor = aten.flatten.using_ints(%p, %one, %m1)
  %fw : Tensor = const @fc.weight
  %fwt : Tensor = aten.t(%fw)
  %mm : Tensor = aten.matmul(%flat, %fwt)
  %fb : Tensor = const @fc.bias
  %out : Tensor = aten.add.Tensor(%mm, %fb, %one)
  return (%out)
";
    let mut rng = Rng(13);
    let g = graph(text, &mut rng);
    let mut after = g.clone();
    optimize(&mut after).unwrap();
    let x = input(&mut rng, &[2, 3, 8, 8]);
    assert_same(&g, &after, &[x], TOL);
    let out = after.block(after.entry).results[0];
    assert_eq!(after.ty(out).to_string(), "Tensor<f32, [B, 10]>", "{after}");
    assert_eq!((count_op(&after, "aten.batch_norm"), count_op(&after, "aten.linear")), (0, 1), "{after}");
    // The folded weight replaced the original: only new constants remain.
    let names: Vec<&str> = after.consts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["fc.weight", "fc.bias", "conv.weight.folded", "conv.bias.folded"], "{after}");
}
