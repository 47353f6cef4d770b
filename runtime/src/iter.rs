//! Strided iteration: the loops every op uses to walk views without
//! materializing them. Dims are coalesced first so a contiguous or
//! broadcast-in-the-outer-dims operand runs as long inner slices.

/// Merges adjacent dims that are contiguous with each other in every
/// operand and drops size-1 dims. Returns (shape, strides per operand).
pub fn coalesce<const N: usize>(shape: &[usize], strides: [&[usize]; N]) -> (Vec<usize>, [Vec<usize>; N]) {
    let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len());
    let mut out_strides: [Vec<usize>; N] = std::array::from_fn(|_| Vec::with_capacity(shape.len()));
    for d in 0..shape.len() {
        let size = shape[d];
        if size == 1 {
            continue;
        }
        if let Some(last) = out_shape.last_mut() {
            let mergeable = (0..N).all(|k| out_strides[k].last() == Some(&(strides[k][d] * size)));
            if mergeable {
                *last *= size;
                for k in 0..N {
                    if let Some(s) = out_strides[k].last_mut() {
                        *s = strides[k][d];
                    }
                }
                continue;
            }
        }
        out_shape.push(size);
        for k in 0..N {
            out_strides[k].push(strides[k][d]);
        }
    }
    (out_shape, out_strides)
}

/// Calls `f(offsets, len, inner_strides)` once per innermost run of a
/// strided loop nest over `shape`, where `offsets[k]` is operand k's element
/// offset at the start of the run. An empty shape (0-d) is one run of length 1;
/// a shape with a zero dim makes no call.
pub fn for_each_run<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    base: [usize; N],
    mut f: impl FnMut([usize; N], usize, [usize; N]),
) {
    if shape.contains(&0) {
        return;
    }
    let (shape, strides) = coalesce(shape, strides);
    if shape.is_empty() {
        f(base, 1, [0; N]);
        return;
    }
    let nd = shape.len();
    let inner = shape[nd - 1];
    let inner_strides: [usize; N] = std::array::from_fn(|k| strides[k][nd - 1]);
    let mut idx = vec![0usize; nd - 1];
    let mut offs = base;
    loop {
        f(offs, inner, inner_strides);
        // Odometer increment over the outer dims.
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..N {
                offs[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..N {
                offs[k] -= strides[k][d] * shape[d];
            }
            idx[d] = 0;
        }
    }
}

/// Copies a strided view of `src` into a new contiguous `Vec`, mapping each element.
pub fn gather<T: Copy, U>(src: &[T], shape: &[usize], strides: &[usize], offset: usize, f: impl Fn(T) -> U) -> Vec<U> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for_each_run(shape, [strides], [offset], |[o], len, [s]| {
        if s == 1 {
            out.extend(src[o..o + len].iter().map(|&x| f(x)));
        } else {
            out.extend((0..len).map(|i| f(src[o + i * s])));
        }
    });
    out
}

/// Writes `src` (contiguous, one element per position of `shape`) into a
/// strided view of `dst`.
pub fn scatter<T: Copy>(dst: &mut [T], shape: &[usize], strides: &[usize], offset: usize, src: &[T]) {
    let mut pos = 0;
    for_each_run(shape, [strides], [offset], |[o], len, [s]| {
        if s == 1 {
            dst[o..o + len].copy_from_slice(&src[pos..pos + len]);
        } else {
            for i in 0..len {
                dst[o + i * s] = src[pos + i];
            }
        }
        pos += len;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesces_contiguous_dims() {
        let (s, [st]) = coalesce(&[2, 3, 4], [&[12, 4, 1]]);
        assert_eq!(s, vec![24]);
        assert_eq!(st, vec![1]);
        let (s, [a, b]) = coalesce(&[2, 3, 4], [&[12, 4, 1], &[0, 0, 1]]);
        assert_eq!(s, vec![6, 4]);
        assert_eq!(a, vec![4, 1]);
        assert_eq!(b, vec![0, 1]);
    }

    #[test]
    fn gathers_transposed() {
        // [[0,1,2],[3,4,5]] transposed -> [[0,3],[1,4],[2,5]]
        let src = [0, 1, 2, 3, 4, 5];
        let v = gather(&src, &[3, 2], &[1, 3], 0, |x| x);
        assert_eq!(v, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn scatter_inverts_gather() {
        let mut dst = [0; 6];
        scatter(&mut dst, &[3, 2], &[1, 3], 0, &[0, 3, 1, 4, 2, 5]);
        assert_eq!(dst, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn zero_d_is_one_run_and_empty_is_none() {
        let mut calls = 0;
        for_each_run(&[], [&[]], [5], |[o], len, _| {
            assert_eq!((o, len), (5, 1));
            calls += 1;
        });
        for_each_run(&[3, 0], [&[0, 1]], [0], |_, _, _| calls += 10);
        assert_eq!(calls, 1);
    }
}
