//! The facts `shape_prop` combines: meet (an inferred type with a declared
//! one), join (the two branches of an `if`, a loop's iterations), and the
//! dim algebra the rules share (equal dims, broadcasting, products).

use crate::types::{Dim, TensorType};

/// Both sets of facts, the declared ones winning where both know a dim;
/// an error when they contradict (another dtype, rank or constant).
pub(super) fn meet(inferred: &TensorType, declared: &TensorType) -> Result<TensorType, String> {
    let dtype = match (inferred.dtype, declared.dtype) {
        (Some(a), Some(b)) if a != b => return Err(format!("dtype {} vs {}", a.name(), b.name())),
        (a, b) => b.or(a),
    };
    let shape = match (&inferred.shape, &declared.shape) {
        (Some(i), Some(d)) if i.len() != d.len() => return Err(format!("rank {} vs {}", i.len(), d.len())),
        (Some(i), Some(d)) => Some(
            i.iter()
                .zip(d)
                .map(|(x, y)| match (x, y) {
                    (Dim::Const(a), Dim::Const(b)) if a != b => Err(format!("dim {a} vs {b}")),
                    (x, Dim::Unknown) => Ok(x.clone()),
                    (_, y) => Ok(y.clone()),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (i, d) => d.clone().or_else(|| i.clone()),
    };
    Ok(TensorType { dtype, shape })
}

/// The facts both hold.
pub(super) fn join(a: &TensorType, b: &TensorType) -> TensorType {
    let dtype = if a.dtype == b.dtype { a.dtype } else { None };
    let shape = match (&a.shape, &b.shape) {
        (Some(x), Some(y)) if x.len() == y.len() => {
            Some(x.iter().zip(y).map(|(p, q)| if p == q { p.clone() } else { Dim::Unknown }).collect())
        }
        _ => None,
    };
    TensorType { dtype, shape }
}

/// Two dims an op requires to be equal, as one; `None` when they cannot
/// be (two different constants: the op raises).
pub(super) fn unify(a: &Dim, b: &Dim) -> Option<Dim> {
    match (a, b) {
        (Dim::Const(x), Dim::Const(y)) if x != y => None,
        (Dim::Const(_), _) => Some(a.clone()),
        (_, Dim::Const(_)) => Some(b.clone()),
        (Dim::Unknown, _) => Some(b.clone()),
        _ => Some(a.clone()),
    }
}

/// Every dim of `dims` unified (see [`unify`]).
pub(super) fn unify_all<'a>(mut dims: impl Iterator<Item = &'a Dim>) -> Option<Dim> {
    let first = dims.next()?.clone();
    dims.try_fold(first, |acc, d| unify(&acc, d))
}

/// PyTorch's broadcast of `shapes` (right-aligned); `None` when two
/// constants other than 1 differ (the op raises).
pub(super) fn broadcast(shapes: &[&[Dim]]) -> Option<Vec<Dim>> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let at: Vec<&Dim> = shapes.iter().filter_map(|s| (s.len() + i).checked_sub(rank).map(|j| &s[j])).collect();
        out.push(broadcast_dim(&at)?);
    }
    Some(out)
}

/// One position of a broadcast: a constant other than 1 wins (symbols and
/// unknowns must then be 1 or equal to it); all 1s give 1; one symbol
/// (beside 1s) gives that symbol; anything else may go either way.
fn broadcast_dim(dims: &[&Dim]) -> Option<Dim> {
    let big: Vec<&Dim> = dims.iter().copied().filter(|d| **d != Dim::Const(1)).collect();
    if let Some(c) = big.iter().find(|d| matches!(d, Dim::Const(_))) {
        let clash = big.iter().any(|d| matches!(d, Dim::Const(_)) && d != c);
        return (!clash).then(|| (*c).clone());
    }
    match big.first() {
        None => Some(Dim::Const(1)),
        Some(Dim::Sym(s)) if big.iter().all(|d| matches!(d, Dim::Sym(t) if t == s)) => Some(Dim::Sym(s.clone())),
        Some(_) => Some(Dim::Unknown),
    }
}

/// The product of `dims`: a constant when all are, the one non-1 dim when
/// the rest are 1, else unknown.
pub(super) fn product(dims: &[Dim]) -> Dim {
    let mut acc = 1u64;
    let mut other: Option<&Dim> = None;
    for d in dims {
        match d {
            Dim::Const(c) => match acc.checked_mul(*c) {
                Some(p) => acc = p,
                None => return Dim::Unknown,
            },
            d if other.is_none() => other = Some(d),
            _ => return Dim::Unknown,
        }
    }
    match other {
        None => Dim::Const(acc),
        Some(d) if acc == 1 => d.clone(),
        Some(_) => Dim::Unknown,
    }
}

/// Dim index `d` (negative counts from the end) of a rank-`rank` tensor,
/// as PyTorch wraps it (a 0-d tensor accepts 0 and -1).
pub(super) fn wrap(d: i64, rank: usize) -> Option<usize> {
    let r = rank.max(1) as i64;
    let w = if d < 0 { d + r } else { d };
    (0..r).contains(&w).then_some(w as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsc_runtime::DType;

    fn c(n: u64) -> Dim {
        Dim::Const(n)
    }
    fn s(n: &str) -> Dim {
        Dim::Sym(n.into())
    }

    #[test]
    fn broadcast_keeps_symbols_and_constants() {
        assert_eq!(broadcast(&[&[s("B"), c(4)], &[c(4)]]), Some(vec![s("B"), c(4)]));
        assert_eq!(broadcast(&[&[s("B"), c(1)], &[c(3)]]), Some(vec![s("B"), c(3)]));
        assert_eq!(broadcast(&[&[s("B")], &[c(3)]]), Some(vec![c(3)]));
        assert_eq!(broadcast(&[&[s("B")], &[s("T")]]), Some(vec![Dim::Unknown]));
        assert_eq!(broadcast(&[&[s("B")], &[s("B")], &[c(1)]]), Some(vec![s("B")]));
        assert_eq!(broadcast(&[&[Dim::Unknown], &[c(1)]]), Some(vec![Dim::Unknown]));
        assert_eq!(broadcast(&[&[c(3)], &[c(4)]]), None);
        assert_eq!(broadcast(&[&[], &[c(2), c(1)]]), Some(vec![c(2), c(1)]));
    }

    #[test]
    fn meet_keeps_declared_and_rejects_contradictions() {
        let t = |d: Option<DType>, s: Option<Vec<Dim>>| TensorType { dtype: d, shape: s };
        let inferred = t(Some(DType::F32), Some(vec![s("B"), c(4)]));
        let declared = t(None, Some(vec![Dim::Unknown, c(4)]));
        assert_eq!(meet(&inferred, &declared).unwrap(), inferred);
        let declared = t(None, Some(vec![c(2), Dim::Unknown]));
        assert_eq!(meet(&inferred, &declared).unwrap(), t(Some(DType::F32), Some(vec![c(2), c(4)])));
        assert!(meet(&inferred, &t(Some(DType::I64), None)).is_err());
        assert!(meet(&inferred, &t(None, Some(vec![c(1)]))).is_err());
        assert!(meet(&inferred, &t(None, Some(vec![s("B"), c(5)]))).is_err());
        assert_eq!(meet(&TensorType::default(), &declared).unwrap(), declared);
    }

    #[test]
    fn join_products_and_wrapping() {
        let a = TensorType { dtype: Some(DType::F32), shape: Some(vec![c(2), s("B")]) };
        let b = TensorType { dtype: Some(DType::F32), shape: Some(vec![c(3), s("B")]) };
        assert_eq!(join(&a, &b).shape, Some(vec![Dim::Unknown, s("B")]));
        assert_eq!(join(&a, &TensorType::default()), TensorType::default());
        assert_eq!(product(&[c(2), c(3)]), c(6));
        assert_eq!(product(&[c(1), s("B")]), s("B"));
        assert_eq!(product(&[c(2), s("B")]), Dim::Unknown);
        assert_eq!(product(&[]), c(1));
        assert_eq!((wrap(-1, 3), wrap(3, 3), wrap(-1, 0), wrap(1, 0)), (Some(2), None, Some(0), None));
        assert_eq!(unify(&s("B"), &c(3)), Some(c(3)));
        assert_eq!(unify(&c(2), &c(3)), None);
    }
}
