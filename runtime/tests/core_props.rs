//! Property tests (proptest) of the runtime core: broadcasting agrees with
//! its definition and with `broadcast_to`, `contiguous_strides` is
//! row-major, `as_strided` never lets a view address memory outside its
//! storage, `iter::gather` and `coalesce`/`for_each_run` visit exactly the
//! offsets index arithmetic says, and `assign` through a view writes
//! exactly the elements the view addresses.

use proptest::collection::vec;
use proptest::prelude::*;
use tsc_runtime::iter::{coalesce, for_each_run, gather};
use tsc_runtime::shape::{broadcast_shapes, contiguous_strides};
use tsc_runtime::{DType, Tensor};

/// The broadcast shape by the numpy definition, or `None`.
fn naive_broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let pad = |s: &[usize]| -> Vec<usize> { std::iter::repeat_n(1, n - s.len()).chain(s.iter().copied()).collect() };
    let (a, b) = (pad(a), pad(b));
    a.iter()
        .zip(&b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// Every multi-index of `shape` in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &d in shape {
        out = out.into_iter().flat_map(|idx| (0..d).map(move |i| [idx.clone(), vec![i]].concat())).collect();
    }
    out
}

/// The storage offset of each element of a (shape, strides, offset) view, row-major.
fn offsets(shape: &[usize], strides: &[usize], offset: usize) -> Vec<usize> {
    indices(shape).iter().map(|idx| offset + idx.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>()).collect()
}

fn small_shape() -> impl Strategy<Value = Vec<usize>> {
    vec(0usize..4, 0..5)
}

/// Two shapes that broadcast: each dim of `out` is kept or set to 1, and
/// leading dims may be dropped.
fn compatible_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    vec(0usize..4, 0..5).prop_flat_map(|out| {
        let n = out.len();
        (Just(out), vec(any::<bool>(), n), vec(any::<bool>(), n), 0..=n, 0..=n).prop_map(|(out, ka, kb, da, db)| {
            let pick = |keep: &[bool], drop: usize| -> Vec<usize> {
                out.iter().zip(keep).skip(drop).map(|(&d, &k)| if k { d } else { 1 }).collect()
            };
            (pick(&ka, da), pick(&kb, db))
        })
    })
}

/// A random view: (storage length, shape, strides, offset).
fn random_view() -> impl Strategy<Value = (usize, Vec<usize>, Vec<usize>, usize)> {
    (0usize..5).prop_flat_map(|nd| (1usize..30, vec(0usize..4, nd), vec(0usize..8, nd), 0usize..30))
}

fn arange_i64(n: usize) -> Tensor {
    Tensor::from_vec((0..n as i64).collect(), &[n]).unwrap()
}

proptest! {
    #[test]
    fn broadcast_is_symmetric(a in small_shape(), b in small_shape()) {
        let ab = broadcast_shapes("t", &a, &b).ok();
        let ba = broadcast_shapes("t", &b, &a).ok();
        prop_assert_eq!(ab, ba);
    }

    #[test]
    fn broadcast_matches_its_definition(a in small_shape(), b in small_shape()) {
        prop_assert_eq!(broadcast_shapes("t", &a, &b).ok(), naive_broadcast(&a, &b));
    }

    #[test]
    fn broadcast_agrees_with_broadcast_to((a, b) in compatible_shapes()) {
        let out = broadcast_shapes("t", &a, &b).unwrap();
        let n: usize = a.iter().product();
        let x = Tensor::from_vec((0..n as i64).collect(), &a).unwrap();
        let e = x.broadcast_to(&out).unwrap();
        prop_assert_eq!(e.shape(), out.as_slice());
        // Each element comes from the source index with broadcast dims at 0.
        let lead = out.len() - a.len();
        let src_strides = contiguous_strides(&a);
        let want: Vec<i64> = indices(&out)
            .iter()
            .map(|idx| idx[lead..].iter().zip(&a).zip(&src_strides).map(|((&i, &d), &s)| if d == 1 { 0 } else { i * s }).sum::<usize>() as i64)
            .collect();
        prop_assert_eq!(e.to_vec::<i64>(), want);
        prop_assert!(x.broadcast_to(&b).is_ok() == (naive_broadcast(&a, &b) == Some(b.clone())));
    }

    #[test]
    fn contiguous_strides_are_row_major(shape in small_shape()) {
        let s = contiguous_strides(&shape);
        prop_assert_eq!(s.len(), shape.len());
        for i in 0..shape.len() {
            let expect: usize = shape[i + 1..].iter().map(|&d| d.max(1)).product();
            prop_assert_eq!(s[i], expect);
        }
        if !shape.contains(&0) {
            let n: usize = shape.iter().product();
            prop_assert_eq!(offsets(&shape, &s, 0), (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn as_strided_never_reads_out_of_bounds((len, shape, strides, offset) in random_view()) {
        let base = arange_i64(len);
        match base.as_strided(&shape, &strides, offset) {
            Err(_) => {
                // Rejected only when some element would fall outside the storage.
                let offs = offsets(&shape, &strides, offset);
                prop_assert!(offs.iter().any(|&o| o >= len));
            }
            Ok(view) => {
                let offs = offsets(&shape, &strides, offset);
                prop_assert!(offs.iter().all(|&o| o < len));
                let want: Vec<i64> = offs.iter().map(|&o| o as i64).collect();
                prop_assert_eq!(view.to_vec::<i64>(), want);
            }
        }
    }

    #[test]
    fn gather_of_a_permuted_view_is_index_arithmetic(shape in vec(1usize..4, 0..5), seed in any::<u64>()) {
        let n: usize = shape.iter().product();
        let src: Vec<i64> = (0..n as i64).map(|x| x * 7 - 3).collect();
        let strides = contiguous_strides(&shape);
        // A permutation of the dims from the seed.
        let mut perm: Vec<usize> = (0..shape.len()).collect();
        let mut s = seed;
        for i in (1..perm.len()).rev() {
            perm.swap(i, (s % (i as u64 + 1)) as usize);
            s /= i as u64 + 1;
        }
        let pshape: Vec<usize> = perm.iter().map(|&d| shape[d]).collect();
        let pstrides: Vec<usize> = perm.iter().map(|&d| strides[d]).collect();
        let got = gather(&src, &pshape, &pstrides, 0, |x| x);
        let want: Vec<i64> = offsets(&pshape, &pstrides, 0).iter().map(|&o| src[o]).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn coalesce_preserves_the_visited_offsets(
        (shape, sa, sb) in (0usize..5).prop_flat_map(|nd| (vec(0usize..4, nd), vec(0usize..6, nd), vec(0usize..6, nd))),
        base in (0usize..5, 0usize..5),
    ) {
        let mut seen = Vec::new();
        for_each_run(&shape, [&sa, &sb], [base.0, base.1], |[oa, ob], len, [ia, ib]| {
            for j in 0..len {
                seen.push((oa + j * ia, ob + j * ib));
            }
        });
        let want: Vec<(usize, usize)> =
            offsets(&shape, &sa, base.0).into_iter().zip(offsets(&shape, &sb, base.1)).collect();
        prop_assert_eq!(seen, want);
        let (cshape, [ca, cb]) = coalesce(&shape, [&sa, &sb]);
        prop_assert!(cshape.len() <= shape.len() && ca.len() == cshape.len() && cb.len() == cshape.len());
        if !shape.contains(&0) {
            prop_assert_eq!(cshape.iter().product::<usize>(), shape.iter().product::<usize>());
        }
    }

    #[test]
    fn assign_writes_exactly_the_viewed_elements((len, shape, strides, offset) in random_view()) {
        let base = Tensor::from_vec(vec![-1i64; len], &[len]).unwrap();
        let Ok(view) = base.as_strided(&shape, &strides, offset) else { return Ok(()) };
        let n: usize = shape.iter().product();
        let src = Tensor::from_vec((0..n as i64).map(|x| 1000 + x).collect(), &shape).unwrap();
        view.assign(&src).unwrap();
        // Row-major order: where a view overlaps itself, the last write wins.
        let mut want = vec![-1i64; len];
        for (i, o) in offsets(&shape, &strides, offset).into_iter().enumerate() {
            want[o] = 1000 + i as i64;
        }
        prop_assert_eq!(base.to_vec::<i64>(), want);
    }

    #[test]
    fn assign_broadcasts_and_casts((len, shape, strides, offset) in random_view(), v in -5.0f64..5.0) {
        let base = Tensor::zeros(&[len], DType::F32).unwrap();
        let Ok(view) = base.as_strided(&shape, &strides, offset) else { return Ok(()) };
        view.assign(&Tensor::from_vec(vec![v], &[]).unwrap()).unwrap();
        let mut want = vec![0f32; len];
        for o in offsets(&shape, &strides, offset) {
            want[o] = v as f32;
        }
        prop_assert_eq!(base.to_vec::<f32>(), want);
    }
}
