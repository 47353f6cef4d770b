//! Row kernels against f64 references, PyTorch's special-value semantics,
//! odd widths (vector tails) and enough rows to take the parallel path.

use super::*;

fn data(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale
        })
        .collect()
}

fn ref_softmax(r: &[f32]) -> Vec<f64> {
    let m = r.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
    let e: Vec<f64> = r.iter().map(|&v| (v as f64 - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

#[test]
fn softmax_and_log_softmax_match_f64() {
    for cols in [1usize, 3, 7, 8, 17, 33, 65, 1024, 1031] {
        for rows in [1usize, 5, 300] {
            let x = data(rows * cols, (rows * 31 + cols) as u64, 20.0);
            let mut o = vec![0.0f32; x.len()];
            let mut lo = vec![0.0f32; x.len()];
            softmax_rows_f32(&x, &mut o, cols);
            log_softmax_rows_f32(&x, &mut lo, cols);
            for r in 0..rows {
                let row = &x[r * cols..(r + 1) * cols];
                let want = ref_softmax(row);
                let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                for j in 0..cols {
                    let (g, w) = (o[r * cols + j] as f64, want[j]);
                    // x - max is rounded to f32 (as in PyTorch); exp turns
                    // that into a relative error of |x - max|·2^-24.
                    let tol = 1e-6 + 1.2e-7 * (row[j] - m).abs() as f64;
                    assert!(
                        (g - w).abs() <= tol * w + 1e-37,
                        "softmax cols={cols} [{r},{j}]: {g} vs {w}"
                    );
                    let (gl, wl) = (lo[r * cols + j] as f64, w.ln());
                    assert!(
                        (gl - wl).abs() <= 1e-6 * wl.abs().max(1.0),
                        "log_softmax cols={cols} [{r},{j}]: {gl} vs {wl}"
                    );
                }
            }
        }
    }
}

#[test]
fn softmax_special_rows_match_pytorch() {
    let ninf = f32::NEG_INFINITY;
    // torch.softmax(torch.full((1,3), -inf), -1) -> nan; same for log_softmax.
    let x = [
        ninf,
        ninf,
        ninf,
        1.0,
        ninf,
        2.0,
        f32::INFINITY,
        1.0,
        0.0,
        f32::NAN,
        1.0,
        2.0,
    ];
    let mut o = [0.0f32; 12];
    softmax_rows_f32(&x, &mut o, 3);
    assert!(o[..3].iter().all(|v| v.is_nan()));
    assert_eq!(o[4], 0.0);
    assert!((o[3] - 0.268_941_43).abs() < 1e-7 && (o[5] - 0.731_058_6).abs() < 1e-7);
    assert!(o[6..9].iter().all(|v| v.is_nan()), "+inf row");
    assert!(o[9..].iter().all(|v| v.is_nan()), "NaN row");
    log_softmax_rows_f32(&x, &mut o, 3);
    assert!(o[..3].iter().all(|v| v.is_nan()));
    assert_eq!(o[4], ninf);
    assert!(o[6..].iter().all(|v| v.is_nan()));
    // zero columns: nothing to do, no panic
    softmax_rows_f32(&[], &mut [], 0);
    // all lanes equal to -inf except one in a vector tail
    let mut x = vec![ninf; 19];
    x[18] = 3.0;
    let mut o = vec![0.0f32; 19];
    softmax_rows_f32(&x, &mut o, 19);
    assert_eq!(o[18], 1.0);
    assert!(o[..18].iter().all(|&v| v == 0.0));
}

#[test]
fn layer_norm_matches_f64() {
    for cols in [1usize, 3, 7, 8, 17, 33, 65, 1024, 1031] {
        let rows = 70;
        let x: Vec<f32> = data(rows * cols, cols as u64, 3.0)
            .iter()
            .map(|v| v + 100.0)
            .collect();
        let w = data(cols, 99, 1.0);
        let b = data(cols, 98, 1.0);
        for (wt, bs) in [
            (None, None),
            (Some(&w[..]), None),
            (None, Some(&b[..])),
            (Some(&w[..]), Some(&b[..])),
        ] {
            let mut o = vec![0.0f32; x.len()];
            layer_norm_rows_f32(&x, &mut o, cols, wt, bs, 1e-5);
            for r in 0..rows {
                let row = &x[r * cols..(r + 1) * cols];
                let mean = row.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
                let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / cols as f64;
                for j in 0..cols {
                    let mut want = (row[j] as f64 - mean) / (var + 1e-5).sqrt();
                    if let Some(w) = wt {
                        want *= w[j] as f64;
                    }
                    if let Some(b) = bs {
                        want += b[j] as f64;
                    }
                    let g = o[r * cols + j] as f64;
                    assert!(
                        (g - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "cols={cols} [{r},{j}]: {g} vs {want}"
                    );
                }
            }
        }
    }
}

/// layer_norm's special rows, as PyTorch: a NaN or an infinity anywhere
/// makes the row NaN; a constant row (zero variance) normalizes to 0, then
/// gets the bias; a row far from zero keeps its digits (the float32 mean is
/// shifted by the first element).
#[test]
fn layer_norm_special_rows_match_pytorch() {
    let cols = 37;
    let mut x = vec![0.0f32; 5 * cols];
    for (j, v) in x.iter_mut().enumerate() {
        *v = (j % 7) as f32 - 3.0;
    }
    x[3] = f32::NAN;
    x[cols + 36] = f32::INFINITY;
    x[2 * cols] = f32::NEG_INFINITY;
    x[3 * cols..4 * cols].fill(2.5);
    for (j, v) in x[4 * cols..].iter_mut().enumerate() {
        *v = 1.0e6 + (j % 5) as f32 * 0.125;
    }
    let b = vec![0.75f32; cols];
    let mut o = vec![0.0f32; x.len()];
    layer_norm_rows_f32(&x, &mut o, cols, None, Some(&b), 1e-5);
    for r in 0..3 {
        assert!(
            o[r * cols..(r + 1) * cols].iter().all(|v| v.is_nan()),
            "row {r}: {:?}",
            &o[r * cols..(r + 1) * cols]
        );
    }
    assert!(
        o[3 * cols..4 * cols].iter().all(|&v| v == 0.75),
        "constant row"
    );
    let row = &x[4 * cols..];
    let mean = row.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
    let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / cols as f64;
    for (j, &v) in row.iter().enumerate() {
        let want = (v as f64 - mean) / (var + 1e-5).sqrt() + 0.75;
        assert!(
            (o[4 * cols + j] as f64 - want).abs() <= 1e-5,
            "offset row [{j}]: {} vs {want}",
            o[4 * cols + j]
        );
    }
}
