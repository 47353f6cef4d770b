//! Row-wise fused kernels over a contiguous `[rows, cols]` buffer: softmax,
//! log_softmax and layer_norm read each row once into cache and write it once.

/// Numerically stable softmax of each row.
pub fn softmax_rows_f32(x: &[f32], out: &mut [f32], cols: usize) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let m = r.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let m = if m == f32::NEG_INFINITY { 0.0 } else { m };
        let mut s = 0.0f32;
        for (oi, &v) in o.iter_mut().zip(r) {
            *oi = (v - m).exp();
            s += *oi;
        }
        for oi in o.iter_mut() {
            *oi /= s;
        }
    }
}

/// log_softmax of each row.
pub fn log_softmax_rows_f32(x: &[f32], out: &mut [f32], cols: usize) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let m = r.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let m = if m == f32::NEG_INFINITY { 0.0 } else { m };
        let s: f32 = r.iter().map(|&v| (v - m).exp()).sum();
        let l = s.ln() + m;
        for (oi, &v) in o.iter_mut().zip(r) {
            *oi = v - l;
        }
    }
}

/// layer_norm of each row: (x - mean) / sqrt(var + eps) · weight + bias,
/// with the biased variance.
pub fn layer_norm_rows_f32(x: &[f32], out: &mut [f32], cols: usize, weight: Option<&[f32]>, bias: Option<&[f32]>, eps: f32) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let mean = r.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
        let var = r.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / cols as f64;
        let inv = 1.0 / (var + eps as f64).sqrt();
        for (j, (oi, &v)) in o.iter_mut().zip(r).enumerate() {
            let mut y = ((v as f64 - mean) * inv) as f32;
            if let Some(w) = weight {
                y *= w[j];
            }
            if let Some(b) = bias {
                y += b[j];
            }
            *oi = y;
        }
    }
}
