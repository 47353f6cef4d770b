//! Tests of the row-kernel part of the IR: uniformity, the shape check a
//! caller runs before a row kernel, and the float64 reference on rows.

use super::ir::{BinaryOp, Inst, Kernel, ReduceOp, UnaryOp};

/// softmax over the last dim (the module doc's example).
fn softmax() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Reduce(ReduceOp::Max, 0),
            Binary(BinaryOp::Sub, 0, 1),
            Unary(UnaryOp::Exp, 2),
            Reduce(ReduceOp::Sum, 3),
            Binary(BinaryOp::Div, 3, 4),
        ],
        outputs: vec![5],
    }
}

/// `(x.mean(-1, keepdim=True), x * w)`: a per-row and a full output.
fn mean_and_scale() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 2,
        insts: vec![
            Param(0),
            Reduce(ReduceOp::Sum, 0),
            RowLen,
            Binary(BinaryOp::Div, 1, 2),
            Param(1),
            Binary(BinaryOp::Mul, 0, 4),
        ],
        outputs: vec![3, 5],
    }
}

#[test]
fn uniform_values_and_per_row_outputs() {
    let k = mean_and_scale();
    k.check().unwrap();
    assert!(k.is_row());
    assert_eq!(k.uniform(), vec![false, true, true, true, false, false]);
    assert_eq!(k.per_row_outputs(), vec![true, false]);
    let elementwise = Kernel {
        num_params: 0,
        insts: vec![Inst::Const(1.0)],
        outputs: vec![0],
    };
    assert!(!elementwise.is_row());
    assert_eq!(
        elementwise.per_row_outputs(),
        vec![false],
        "an elementwise kernel writes every element"
    );
}

#[test]
fn check_rejects_a_reduction_of_a_mask() {
    use Inst::*;
    let k = Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Compare(super::ir::CmpOp::Gt, 0, 0),
            Reduce(ReduceOp::Sum, 1),
        ],
        outputs: vec![2],
    };
    assert!(k.check().unwrap_err().contains("number"));
}

#[test]
fn display_names_reductions() {
    let text = mean_and_scale().to_string();
    assert!(
        text.contains("v1 = reduce_sum v0") && text.contains("v2 = rowlen"),
        "{text}"
    );
}

#[test]
fn row_shape_accepts_what_pytorch_computes() {
    let k = mean_and_scale();
    // x [4, 8], w [8]: the mean is [4, 1], x * w is [4, 8].
    assert_eq!(k.row_shape(&[Some(&[4, 8]), Some(&[8])]), Ok(vec![4, 8]));
    // A scalar w.
    assert_eq!(k.row_shape(&[Some(&[4, 8]), None]), Ok(vec![4, 8]));
    // Rank 0: one row of one element.
    assert_eq!(k.row_shape(&[Some(&[]), None]), Ok(vec![]));
    assert_eq!(softmax().row_shape(&[Some(&[2, 3, 5])]), Ok(vec![2, 3, 5]));
}

#[test]
fn row_shape_refuses_what_the_kernel_would_get_wrong() {
    let k = mean_and_scale();
    // w widens the rows: the sum would run over 8 broadcast copies of x's one column.
    let err = k.row_shape(&[Some(&[4, 1]), Some(&[4, 8])]).unwrap_err();
    assert!(err.contains("reduces a value of shape [4, 1]"), "{err}");
    // w adds a leading dim: the rows are [3, 4, 8], but PyTorch's mean is [4, 1], not [3, 4, 1].
    let err = k.row_shape(&[Some(&[4, 8]), Some(&[3, 1, 8])]).unwrap_err();
    assert!(err.contains("reduces a value of shape [4, 8]"), "{err}");
    // An output narrower than the rows.
    let narrow = Kernel {
        outputs: vec![3, 4],
        ..mean_and_scale()
    };
    let err = narrow.row_shape(&[Some(&[4, 8]), Some(&[8])]).unwrap_err();
    assert!(err.contains("output 1 has shape [8]"), "{err}");
    assert!(k
        .row_shape(&[Some(&[4, 8]), Some(&[5])])
        .unwrap_err()
        .contains("broadcast"));
}

#[test]
fn reference_rows_match_hand_computation() {
    let x = [1.0, 2.0, 3.0, -1.0];
    let out = softmax().eval_row_f64(&[&x], 4);
    let m = 3.0f64;
    let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    assert_eq!(out.len(), 1);
    for (got, want) in out[0].iter().zip(e.iter().map(|v| v / s)) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    let out = mean_and_scale().eval_row_f64(&[&x, &[2.0; 4]], 4);
    assert_eq!(out, vec![vec![1.25], vec![2.0, 4.0, 6.0, -2.0]]);
}

#[test]
fn reference_folds_nan_and_empty_rows_like_pytorch() {
    use Inst::*;
    let folds = Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Reduce(ReduceOp::Sum, 0),
            Reduce(ReduceOp::Max, 0),
            Reduce(ReduceOp::Min, 0),
            RowLen,
        ],
        outputs: vec![1, 2, 3, 4],
    };
    let out = folds.eval_row_f64(&[&[1.0, f64::NAN, 3.0]], 3);
    assert!(out[0][0].is_nan() && out[1][0].is_nan() && out[2][0].is_nan());
    assert_eq!(out[3], vec![3.0]);
    let out = folds.eval_row_f64(&[&[]], 0);
    assert_eq!(
        out,
        vec![
            vec![0.0],
            vec![f64::NEG_INFINITY],
            vec![f64::INFINITY],
            vec![0.0]
        ]
    );
    // One element, through the per-element entry point too.
    assert_eq!(folds.eval_f64(&[7.0]), vec![7.0, 7.0, 7.0, 1.0]);
}
