//! Ops: linear algebra. Matrix products with PyTorch's rules (`matmul` in
//! all its 1-D/2-D/batched-broadcast forms, `mm bmm mv dot vdot addmm addmv
//! addbmm baddbmm linear`), plus `outer/ger kron cross trace tensordot
//! einsum` (in `linalg/products.rs` and `linalg/einsum.rs`).
//!
//! Products never promote: both operands must have the same dtype (float
//! types, or integer types whose products wrap), as in PyTorch. Every
//! product goes through `batched::product`, which hands strided views
//! (transposes included) straight to `tsc_kernels::gemm`.

mod batched;
mod einsum;
mod products;

pub(crate) use batched::{dispatch_acc, Acc, Ring};
pub use einsum::einsum;
pub use products::{cross, kron, outer, tensordot, trace};

use super::{Args, OpDef};
use crate::shape::broadcast_shapes;
use crate::{bail, ensure, Result, Scalar, Tensor, Value};
use batched::{product, Batch};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "matmul(Tensor input, Tensor other) -> Tensor", run: run_matmul },
    OpDef { schema: "mm(Tensor input, Tensor mat2) -> Tensor", run: run_mm },
    OpDef { schema: "bmm(Tensor input, Tensor mat2) -> Tensor", run: run_bmm },
    OpDef { schema: "mv(Tensor input, Tensor vec) -> Tensor", run: run_mv },
    OpDef { schema: "dot(Tensor input, Tensor tensor) -> Tensor", run: run_dot },
    OpDef { schema: "vdot(Tensor input, Tensor other) -> Tensor", run: run_dot },
    OpDef { schema: "addmm(Tensor input, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", run: run_addmm },
    OpDef { schema: "addmv(Tensor input, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> Tensor", run: run_addmv },
    OpDef { schema: "addbmm(Tensor input, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", run: run_addbmm },
    OpDef { schema: "baddbmm(Tensor input, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", run: run_baddbmm },
    OpDef { schema: "linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", run: run_linear },
    OpDef { schema: "outer(Tensor input, Tensor vec2) -> Tensor", run: run_outer },
    OpDef { schema: "ger(Tensor input, Tensor vec2) -> Tensor", run: run_outer },
    OpDef { schema: "kron(Tensor input, Tensor other) -> Tensor", run: run_kron },
    OpDef { schema: "cross(Tensor input, Tensor other, int? dim=None) -> Tensor", run: run_cross },
    OpDef { schema: "trace(Tensor input) -> Tensor", run: run_trace },
    OpDef { schema: "tensordot(Tensor a, Tensor b, int dims=2) -> Tensor", run: run_tensordot_int },
    OpDef { schema: "tensordot.lists(Tensor a, Tensor b, int[][] dims) -> Tensor", run: run_tensordot_lists },
    OpDef { schema: "tensordot.native(Tensor self, Tensor other, int[] dims_self, int[] dims_other) -> Tensor", run: run_tensordot_native },
    OpDef { schema: "einsum(str equation, Tensor[] tensors) -> Tensor", run: run_einsum_list },
    OpDef { schema: "einsum.one(str equation, Tensor a) -> Tensor", run: run_einsum_args },
    OpDef { schema: "einsum.two(str equation, Tensor a, Tensor b) -> Tensor", run: run_einsum_args },
    OpDef { schema: "einsum.three(str equation, Tensor a, Tensor b, Tensor c) -> Tensor", run: run_einsum_args },
    OpDef { schema: "einsum.four(str equation, Tensor a, Tensor b, Tensor c, Tensor d) -> Tensor", run: run_einsum_args },
];

// ----- schema wrappers --------------------------------------------------

fn run_matmul(a: &Args) -> Result<Value> {
    Ok(matmul(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_mm(a: &Args) -> Result<Value> {
    Ok(mm(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_bmm(a: &Args) -> Result<Value> {
    Ok(bmm(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_mv(a: &Args) -> Result<Value> {
    Ok(mv(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_dot(a: &Args) -> Result<Value> {
    Ok(dot_named(a.op, a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_addmm(a: &Args) -> Result<Value> {
    Ok(addmm(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?, a.scalar(4)?)?.into())
}
fn run_addmv(a: &Args) -> Result<Value> {
    Ok(addmv(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?, a.scalar(4)?)?.into())
}
fn run_addbmm(a: &Args) -> Result<Value> {
    Ok(addbmm(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?, a.scalar(4)?)?.into())
}
fn run_baddbmm(a: &Args) -> Result<Value> {
    Ok(baddbmm(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?, a.scalar(4)?)?.into())
}
fn run_linear(a: &Args) -> Result<Value> {
    Ok(linear(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?)?.into())
}
fn run_outer(a: &Args) -> Result<Value> {
    Ok(outer(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_kron(a: &Args) -> Result<Value> {
    Ok(kron(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_cross(a: &Args) -> Result<Value> {
    Ok(cross(a.tensor(0)?, a.tensor(1)?, a.opt_int(2)?)?.into())
}
fn run_trace(a: &Args) -> Result<Value> {
    Ok(trace(a.tensor(0)?)?.into())
}
fn run_tensordot_int(a: &Args) -> Result<Value> {
    let (x, y, d) = (a.tensor(0)?, a.tensor(1)?, a.int(2)?);
    ensure!(d >= 0, "tensordot", "tensordot expects dims >= 0, but got dims={d}");
    let d = d as usize;
    ensure!(
        d <= x.ndim() && d <= y.ndim(),
        "tensordot",
        "tensordot expects dims < ndim_a or ndim_b, but got dims={d} for shapes {:?} and {:?}",
        x.shape(),
        y.shape()
    );
    let da: Vec<i64> = (x.ndim() - d..x.ndim()).map(|i| i as i64).collect();
    let db: Vec<i64> = (0..d).map(|i| i as i64).collect();
    Ok(tensordot(x, y, &da, &db)?.into())
}
fn run_tensordot_lists(a: &Args) -> Result<Value> {
    let seq = a.value(2)?.as_seq().unwrap_or(&[]);
    ensure!(seq.len() == 2, "tensordot", "dims must be an int or a pair of lists of dims, got {} lists", seq.len());
    let list = |v: &Value| -> Result<Vec<i64>> {
        v.as_seq()
            .unwrap_or(&[])
            .iter()
            .map(|x| match x {
                Value::Int(i) => Ok(*i),
                other => bail!("tensordot", "dims must hold ints, got {}", other.type_name()),
            })
            .collect()
    };
    Ok(tensordot(a.tensor(0)?, a.tensor(1)?, &list(&seq[0])?, &list(&seq[1])?)?.into())
}
fn run_tensordot_native(a: &Args) -> Result<Value> {
    Ok(tensordot(a.tensor(0)?, a.tensor(1)?, &a.ints(2)?, &a.ints(3)?)?.into())
}
fn run_einsum_list(a: &Args) -> Result<Value> {
    Ok(einsum(a.str(0)?, &a.tensors(1)?)?.into())
}
fn run_einsum_args(a: &Args) -> Result<Value> {
    let ts: Vec<Tensor> = a.vals[1..].iter().filter_map(|v| v.as_tensor().cloned()).collect();
    Ok(einsum(a.str(0)?, &ts)?.into())
}

// ----- products -----------------------------------------------------------

/// Both operands of a product must share a dtype (PyTorch does not promote).
fn same_dtype(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    ensure!(
        a.dtype() == b.dtype(),
        op,
        "expected m1 and m2 to have the same dtype, but got: {} != {} (shapes {:?} and {:?})",
        a.dtype(),
        b.dtype(),
        a.shape(),
        b.shape()
    );
    Ok(())
}

/// The "added" input of `addmm`-style ops must match the operands' dtype.
fn same_dtype_input(op: &str, input: &Tensor, a: &Tensor) -> Result<()> {
    ensure!(
        input.dtype() == a.dtype(),
        op,
        "self and mat2 must have the same dtype, but got {} and {}",
        input.dtype(),
        a.dtype()
    );
    Ok(())
}

/// A 2-D operand check with PyTorch's wording.
fn check_ndim(op: &str, t: &Tensor, want: usize, what: &str) -> Result<()> {
    ensure!(t.ndim() == want, op, "{what} must be a {}, got {}-D tensor of shape {:?}", if want == 3 { "3D tensor" } else if want == 2 { "matrix" } else { "vector" }, t.ndim(), t.shape());
    Ok(())
}

/// `matmul`'s geometry: `a` viewed as `batch ++ [m, k]`, `b` as
/// `batch ++ [k, n]` (1-D operands get a size-1 dim, batch dims broadcast),
/// and the result shape (the added dims removed again).
fn matmul_views(op: &str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor, Vec<usize>)> {
    let (na, nb) = (a.ndim(), b.ndim());
    ensure!(na >= 1 && nb >= 1, op, "both arguments to {op} need to be at least 1D, but they are {na}D and {nb}D");
    same_dtype(op, a, b)?;
    let (mut ash, mut ast) = (a.shape().to_vec(), a.strides().to_vec());
    if na == 1 {
        ash.insert(0, 1);
        ast.insert(0, 0);
    }
    let (mut bsh, mut bst) = (b.shape().to_vec(), b.strides().to_vec());
    if nb == 1 {
        bsh.push(1);
        bst.push(0);
    }
    let (m, k) = (ash[ash.len() - 2], ash[ash.len() - 1]);
    let (k2, n) = (bsh[bsh.len() - 2], bsh[bsh.len() - 1]);
    if k != k2 {
        match (na, nb) {
            (1, 1) => bail!(op, "inconsistent tensor size, expected tensor [{k}] and src [{k2}] to have the same number of elements"),
            (2, 1) => bail!(op, "size mismatch, got input ({m}), mat ({m}x{k}), vec ({k2})"),
            _ => bail!(
                op,
                "mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n}) (operands of shape {:?} and {:?})",
                a.shape(),
                b.shape()
            ),
        }
    }
    let batch = broadcast_shapes(op, &ash[..ash.len() - 2], &bsh[..bsh.len() - 2]).map_err(|e| {
        crate::Error::op(op, format!("the batch dims of shapes {:?} and {:?} do not broadcast ({e})", a.shape(), b.shape()))
    })?;
    let full = |r: usize, c: usize| -> Vec<usize> { batch.iter().copied().chain([r, c]).collect() };
    let av = a.as_strided(&ash, &ast, a.offset())?.broadcast_to(&full(m, k))?;
    let bv = b.as_strided(&bsh, &bst, b.offset())?.broadcast_to(&full(k, n))?;
    let mut out = batch.clone();
    if na > 1 {
        out.push(m);
    }
    if nb > 1 {
        out.push(n);
    }
    Ok((av, bv, out))
}

/// `torch.matmul`: dot, matrix-vector, vector-matrix, matrix and batched
/// products, with broadcasting of the batch dims.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (av, bv, out) = matmul_views("matmul", a, b)?;
    product("matmul", &av, &bv, None, Scalar::Int(1), Batch::Separate, &out)
}

/// `torch.mm`: 2-D × 2-D.
pub fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    check_ndim("mm", a, 2, "self")?;
    check_ndim("mm", b, 2, "mat2")?;
    let (av, bv, out) = matmul_views("mm", a, b)?;
    product("mm", &av, &bv, None, Scalar::Int(1), Batch::Separate, &out)
}

/// `torch.mv`: 2-D × 1-D.
pub fn mv(a: &Tensor, v: &Tensor) -> Result<Tensor> {
    check_ndim("mv", a, 2, "self")?;
    check_ndim("mv", v, 1, "vec")?;
    let (av, bv, out) = matmul_views("mv", a, v)?;
    product("mv", &av, &bv, None, Scalar::Int(1), Batch::Separate, &out)
}

/// `torch.dot`: 1-D · 1-D → 0-d.
pub fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    dot_named("dot", a, b)
}

fn dot_named(op: &str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    ensure!(a.ndim() == 1 && b.ndim() == 1, op, "1D tensors expected, but got {}D and {}D tensors", a.ndim(), b.ndim());
    ensure!(
        a.dtype() == b.dtype(),
        op,
        "expected both vectors to have same dtype, but found {} and {}",
        a.dtype(),
        b.dtype()
    );
    let (av, bv, out) = matmul_views(op, a, b)?;
    product(op, &av, &bv, None, Scalar::Int(1), Batch::Separate, &out)
}

/// Checks `bmm`-style operands: 3-D, equal batch, matching inner dims.
fn check_batched(op: &str, b1: &Tensor, b2: &Tensor) -> Result<()> {
    check_ndim(op, b1, 3, "batch1")?;
    check_ndim(op, b2, 3, "batch2")?;
    same_dtype(op, b1, b2)?;
    let (s1, s2) = (b1.shape(), b2.shape());
    ensure!(
        s2[0] == s1[0] && s2[1] == s1[2],
        op,
        "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}] (batch1 {s1:?}, batch2 {s2:?})",
        s1[0],
        s1[2],
        s2[0],
        s2[1]
    );
    Ok(())
}

/// `torch.bmm`: batched 3-D × 3-D with equal batch sizes.
pub fn bmm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    check_batched("bmm", a, b)?;
    let out = [a.shape()[0], a.shape()[1], b.shape()[2]];
    product("bmm", a, b, None, Scalar::Int(1), Batch::Separate, &out)
}

/// `torch.addmm`: `beta·input + alpha·(mat1 @ mat2)`.
pub fn addmm(input: &Tensor, m1: &Tensor, m2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    check_ndim("addmm", m1, 2, "mat1")?;
    check_ndim("addmm", m2, 2, "mat2")?;
    let (av, bv, out) = matmul_views("addmm", m1, m2)?;
    same_dtype_input("addmm", input, m1)?;
    product("addmm", &av, &bv, Some((input, beta)), alpha, Batch::Separate, &out)
}

/// `torch.addmv`: `beta·input + alpha·(mat @ vec)`.
pub fn addmv(input: &Tensor, mat: &Tensor, vec: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    check_ndim("addmv", mat, 2, "mat")?;
    check_ndim("addmv", vec, 1, "vec")?;
    ensure!(
        input.dtype() == mat.dtype() && mat.dtype() == vec.dtype(),
        "addmv",
        "addmv input tensors must have the same dtype, but got {}, {}, and {}",
        input.dtype(),
        mat.dtype(),
        vec.dtype()
    );
    let (av, bv, out) = matmul_views("addmv", mat, vec)?;
    product("addmv", &av, &bv, Some((input, beta)), alpha, Batch::Separate, &out)
}

/// `torch.baddbmm`: `beta·input + alpha·bmm(batch1, batch2)`.
pub fn baddbmm(input: &Tensor, b1: &Tensor, b2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    check_batched("baddbmm", b1, b2)?;
    same_dtype_input("baddbmm", input, b1)?;
    let out = [b1.shape()[0], b1.shape()[1], b2.shape()[2]];
    product("baddbmm", b1, b2, Some((input, beta)), alpha, Batch::Separate, &out)
}

/// `torch.addbmm`: `beta·input + alpha·Σ_i batch1[i] @ batch2[i]`.
pub fn addbmm(input: &Tensor, b1: &Tensor, b2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    check_batched("addbmm", b1, b2)?;
    same_dtype_input("addbmm", input, b1)?;
    let out = [b1.shape()[1], b2.shape()[2]];
    product("addbmm", b1, b2, Some((input, beta)), alpha, Batch::Sum, &out)
}

/// `F.linear`: `input @ weight.T + bias`. The weight is passed to the GEMM
/// as a transposed view (no copy); a batch of one row is a GEMV.
pub fn linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let op = "linear";
    ensure!(
        input.ndim() >= 1 && weight.ndim() >= 1,
        op,
        "both arguments to linear need to be at least 1D, but they are {}D and {}D",
        input.ndim(),
        weight.ndim()
    );
    ensure!(weight.ndim() <= 2, op, "t() expects a tensor with <= 2 dimensions, but the weight is {}D", weight.ndim());
    if bias.is_some() && weight.ndim() == 1 {
        bail!(op, "addmm: mat2 must be a matrix, got 1-D tensor (weight of shape {:?} with a bias)", weight.shape());
    }
    let wt = if weight.ndim() == 2 {
        let (s, st) = (weight.shape(), weight.strides());
        weight.as_strided(&[s[1], s[0]], &[st[1], st[0]], weight.offset())?
    } else {
        weight.clone()
    };
    let (av, bv, out) = matmul_views(op, input, &wt)?;
    if let Some(b) = bias {
        same_dtype_input(op, b, input)?;
    }
    product(op, &av, &bv, bias.map(|b| (b, Scalar::Int(1))), Scalar::Int(1), Batch::Separate, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: Vec<f32>, s: &[usize]) -> Tensor {
        Tensor::from_vec(v, s).unwrap()
    }

    #[test]
    fn matmul_shapes_follow_pytorch() {
        let a = Tensor::zeros(&[2, 1, 3, 4], crate::DType::F32).unwrap();
        let b = Tensor::zeros(&[5, 4, 6], crate::DType::F32).unwrap();
        assert_eq!(matmul(&a, &b).unwrap().shape(), &[2, 5, 3, 6]);
        let v = Tensor::zeros(&[4], crate::DType::F32).unwrap();
        assert_eq!(matmul(&a, &v).unwrap().shape(), &[2, 1, 3]);
        assert_eq!(matmul(&v, &b).unwrap().shape(), &[5, 6]);
        assert_eq!(matmul(&v, &v).unwrap().shape(), &[] as &[usize]);
        assert!(matmul(&a, &a).is_err());
    }

    #[test]
    fn transposed_views_need_no_copy() {
        let w = t(vec![1., 2., 3., 4., 5., 6.], &[2, 3]);
        let x = t(vec![1., 0., -1.], &[1, 3]);
        let y = linear(&x, &w, Some(&t(vec![10., 20.], &[2]))).unwrap();
        assert_eq!(y.to_vec::<f32>(), vec![8., 18.]);
    }

    /// A `shape` tensor of small integer values (exact in any summation
    /// order), stored with its last two dims swapped when `transposed`.
    fn ints_view(shape: &[usize], transposed: bool, seed: usize) -> Tensor {
        let n: usize = shape.iter().product();
        let vals: Vec<f32> = (0..n).map(|i| ((i * 7 + seed * 13) % 11) as f32 - 5.0).collect();
        let nd = shape.len();
        if !transposed || nd < 2 {
            return t(vals, shape);
        }
        let mut stored = shape.to_vec();
        stored.swap(nd - 2, nd - 1);
        let base = t(vals, &stored);
        let mut st = base.strides().to_vec();
        st.swap(nd - 2, nd - 1);
        base.as_strided(shape, &st, 0).unwrap()
    }

    /// float16/bfloat16 operands widen to float32 (`linear`'s transposed
    /// weight view, also at a storage offset, is cast in memory order with
    /// its strides kept): the product is the float32 one, rounded once.
    #[test]
    fn narrow_products_widen_views() {
        for d in [crate::DType::F16, crate::DType::BF16] {
            let x = ints_view(&[2, 3, 4], true, 1);
            let stack = ints_view(&[3, 5, 4], false, 2);
            let second = |t: &Tensor| t.as_strided(&[5, 4], &[4, 1], 20).unwrap();
            let want = linear(&x, &second(&stack), None).unwrap().to_dtype(d);
            let got = linear(&x.to_dtype(d), &second(&stack.to_dtype(d)), None).unwrap();
            assert_eq!((got.dtype(), got.to_vec::<f64>()), (d, want.to_vec::<f64>()));
        }
    }

    proptest::proptest! {
        /// Batched, broadcast and transposed products agree with a naive loop.
        #[test]
        fn matmul_matches_naive_loop(
            m in 0usize..5, k in 0usize..5, n in 0usize..5, batch in 0usize..3,
            ta: bool, tb: bool, shared_b: bool,
        ) {
            let a = ints_view(&[batch, m, k], ta, 1);
            let b = if shared_b { ints_view(&[k, n], tb, 2) } else { ints_view(&[batch, k, n], tb, 2) };
            let got = matmul(&a, &b).unwrap();
            proptest::prop_assert_eq!(got.shape(), &[batch, m, n]);
            let (av, bv) = (a.to_vec::<f32>(), b.to_vec::<f32>());
            let boff = |bi: usize| if shared_b { 0 } else { bi * k * n };
            let mut want = vec![0f32; batch * m * n];
            for bi in 0..batch {
                for i in 0..m {
                    for j in 0..n {
                        want[(bi * m + i) * n + j] = (0..k).map(|p| av[(bi * m + i) * k + p] * bv[boff(bi) + p * n + j]).sum();
                    }
                }
            }
            proptest::prop_assert_eq!(got.to_vec::<f32>(), want);
        }
    }

    #[test]
    fn integer_products_wrap() {
        let a = Tensor::from_vec(vec![100i8; 4], &[1, 4]).unwrap();
        let b = Tensor::from_vec(vec![100i8; 4], &[4, 1]).unwrap();
        assert_eq!(mm(&a, &b).unwrap().to_vec::<i64>(), vec![64]);
    }
}
