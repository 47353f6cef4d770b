//! `torch.einsum`: parses the equation (letters, one `...` per operand,
//! implicit output when `->` is absent), takes diagonals for repeated
//! labels, then contracts the operands left to right, each step one batched
//! GEMM: labels shared and still needed are batch dims, labels needed later
//! are kept as rows/columns, and every other label is summed as part of the
//! contraction (a label missing on one side is broadcast there with stride 0).

use super::batched::{as_compute, product, Batch};
use super::products::grouped_matrix;
use crate::{bail, ensure, Result, Scalar, Tensor};

/// Labels: `A-Z` → 0..26, `a-z` → 26..52 (PyTorch's order for the implicit
/// output), ellipsis dims → 52.. (aligned to the right across operands).
const ELL: usize = 52;

/// An operand seen through its labels: one label per dim, no repeats.
#[derive(Clone)]
struct Term {
    t: Tensor,
    labels: Vec<usize>,
    shape: Vec<usize>,
    strides: Vec<usize>,
}

fn label(op: &str, c: char, pos: usize) -> Result<usize> {
    match c {
        'A'..='Z' => Ok(c as usize - 'A' as usize),
        'a'..='z' => Ok(c as usize - 'a' as usize + 26),
        _ => bail!(op, "einsum(): invalid subscript given at index {pos} in the equation string, subscripts must be in [a-zA-Z]"),
    }
}

/// Parses one subscript string into labels; `ell` is how many dims the
/// ellipsis stands for and `max_ell` the widest ellipsis of all operands.
fn parse_term(op: &str, s: &str, start: usize, ell: usize, max_ell: usize) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    let mut seen_ell = false;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '.' {
            ensure!(
                !seen_ell && chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.'),
                op,
                "einsum(): found '.' for operand that is not part of any ellipsis, or more than one ellipsis at index {}",
                start + i
            );
            seen_ell = true;
            out.extend((max_ell - ell..max_ell).map(|j| ELL + j));
            i += 3;
        } else {
            out.push(label(op, chars[i], start + i)?);
            i += 1;
        }
    }
    Ok(out)
}

fn letters(s: &str) -> usize {
    s.chars().filter(|&c| c != '.').count()
}

/// `torch.einsum(equation, operands)`.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let op = "einsum";
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    ensure!(terms.len() <= operands.len(), op, "einsum(): fewer operands were provided than specified in the equation");
    ensure!(terms.len() >= operands.len(), op, "einsum(): more operands were provided than specified in the equation");
    ensure!(!operands.is_empty(), op, "einsum(): must provide at least one operand");
    let dtype = operands[0].dtype();
    for t in operands {
        ensure!(t.dtype() == dtype, op, "expected scalar type {dtype} but found {}", t.dtype());
    }
    // Ellipsis widths.
    let mut ells = Vec::with_capacity(terms.len());
    for (i, (s, t)) in terms.iter().zip(operands).enumerate() {
        let n = letters(s);
        let e = if s.contains("...") {
            ensure!(t.ndim() >= n, op, "einsum(): the number of subscripts in the equation ({n}) is more than the number of dimensions ({}) for operand {i}", t.ndim());
            t.ndim() - n
        } else {
            ensure!(
                t.ndim() == n,
                op,
                "einsum(): the number of subscripts in the equation ({n}) does not match the number of dimensions ({}) for operand {i} and no ellipsis was given",
                t.ndim()
            );
            0
        };
        ells.push(e);
    }
    let max_ell = ells.iter().copied().max().unwrap_or(0);
    let mut pos = 0;
    let mut parsed = Vec::with_capacity(terms.len());
    for (s, &e) in terms.iter().zip(&ells) {
        parsed.push(parse_term(op, s, pos, e, max_ell)?);
        pos += s.len() + 1;
    }
    let output = output_labels(op, rhs, &parsed, max_ell, lhs.len() + 2)?;
    // A reduction of a single operand follows sum's dtype rules (ints and
    // bool → int64).
    let reduces = operands.len() == 1 && parsed[0].iter().any(|l| !output.contains(l));
    let mut ops: Vec<Term> = Vec::with_capacity(operands.len());
    for (i, (t, labels)) in operands.iter().zip(&parsed).enumerate() {
        let t = if reduces && !dtype.is_float() { as_compute::<i64>(t) } else { t.clone() };
        ops.push(diagonal(op, i, &t, labels)?);
    }
    check_sizes(op, &ops)?;
    contract_all(op, ops, &output)
}

/// The output labels: explicit after `->`, else the ellipsis dims then every
/// label used exactly once, in label order.
fn output_labels(op: &str, rhs: Option<&str>, parsed: &[Vec<usize>], max_ell: usize, start: usize) -> Result<Vec<usize>> {
    let Some(r) = rhs else {
        let mut count = [0usize; ELL];
        for &l in parsed.iter().flatten() {
            if l < ELL {
                count[l] += 1;
            }
        }
        let mut out: Vec<usize> = (ELL..ELL + max_ell).collect();
        out.extend((0..ELL).filter(|&l| count[l] == 1));
        return Ok(out);
    };
    let out = parse_term(op, r, start, max_ell, max_ell)?;
    for (i, &l) in out.iter().enumerate() {
        ensure!(!out[..i].contains(&l), op, "einsum(): output subscript {} appears more than once in the output", name(l));
        ensure!(
            l >= ELL || parsed.iter().flatten().any(|&x| x == l),
            op,
            "einsum(): output subscript {} does not appear in the equation for any input operand",
            name(l)
        );
    }
    Ok(out)
}

fn name(l: usize) -> char {
    match l {
        0..=25 => (b'A' + l as u8) as char,
        26..=51 => (b'a' + (l - 26) as u8) as char,
        _ => '.',
    }
}

/// Merges repeated labels of one operand into a diagonal view.
fn diagonal(op: &str, i: usize, t: &Tensor, labels: &[usize]) -> Result<Term> {
    let mut term = Term { t: t.clone(), labels: Vec::new(), shape: Vec::new(), strides: Vec::new() };
    for (d, &l) in labels.iter().enumerate() {
        let (size, stride) = (t.shape()[d], t.strides()[d]);
        match term.labels.iter().position(|&x| x == l) {
            Some(p) => {
                ensure!(
                    term.shape[p] == size,
                    op,
                    "einsum(): subscript {} is repeated for operand {i} but the sizes don't match, {size} != {}",
                    name(l),
                    term.shape[p]
                );
                term.strides[p] += stride;
            }
            None => {
                term.labels.push(l);
                term.shape.push(size);
                term.strides.push(stride);
            }
        }
    }
    Ok(term)
}

/// Every label's size must agree across operands, up to broadcasting of 1.
fn check_sizes(op: &str, ops: &[Term]) -> Result<()> {
    let mut size: [Option<usize>; 128] = [None; 128];
    for (i, t) in ops.iter().enumerate() {
        for (&l, &s) in t.labels.iter().zip(&t.shape) {
            let slot = size.get_mut(l).ok_or_else(|| crate::Error::op(op, "einsum(): too many ellipsis dims"))?;
            match *slot {
                Some(prev) if prev != s && prev != 1 && s != 1 => bail!(
                    op,
                    "einsum(): subscript {} has size {s} for operand {i} which does not broadcast with previously seen size {prev}",
                    name(l)
                ),
                Some(prev) if prev != 1 => {}
                _ => *slot = Some(s),
            }
        }
    }
    Ok(())
}

/// Size and stride of `l` in `t` given the common size (stride 0 where `t`
/// lacks the label or has it with size 1).
fn dim_of(t: &Term, l: usize, size: usize) -> usize {
    match t.labels.iter().position(|&x| x == l) {
        Some(p) if t.shape[p] == size => t.strides[p],
        _ => 0,
    }
}

fn size_of(terms: &[&Term], l: usize) -> usize {
    terms
        .iter()
        .filter_map(|t| t.labels.iter().position(|&x| x == l).map(|p| t.shape[p]))
        .fold(1, |acc, s| if s != 1 { s } else { acc })
}

/// Contracts the operands left to right, then orders the result as `output`.
fn contract_all(op: &str, ops: Vec<Term>, output: &[usize]) -> Result<Tensor> {
    let mut iter = ops.into_iter();
    let Some(mut acc) = iter.next() else { bail!(op, "einsum(): must provide at least one operand") };
    let rest: Vec<Term> = iter.collect();
    if rest.is_empty() {
        let summed = acc.labels.iter().any(|l| !output.contains(l));
        if !summed {
            return permuted(&acc, output);
        }
        let one = Tensor::scalar(Scalar::Int(1), acc.t.dtype());
        let unit = Term { t: one, labels: Vec::new(), shape: Vec::new(), strides: Vec::new() };
        let r = contract(op, &acc, &unit, output)?;
        return permuted(&r, output);
    }
    for (i, next) in rest.iter().enumerate() {
        let mut needed: Vec<usize> = output.to_vec();
        needed.extend(rest[i + 1..].iter().flat_map(|t| t.labels.iter().copied()));
        acc = contract(op, &acc, next, &needed)?;
    }
    permuted(&acc, output)
}

/// `x` contracted with `y`, keeping the labels in `needed`: a batched GEMM
/// over [batch, rows(x-only), k] × [batch, k, cols(y-only)].
fn contract(op: &str, x: &Term, y: &Term, needed: &[usize]) -> Result<Term> {
    let in_x = |l: &usize| x.labels.contains(l);
    let in_y = |l: &usize| y.labels.contains(l);
    let all: Vec<usize> = x.labels.iter().copied().chain(y.labels.iter().copied().filter(|l| !in_x(l))).collect();
    let batch: Vec<usize> = all.iter().copied().filter(|l| in_x(l) && in_y(l) && needed.contains(l)).collect();
    let rows: Vec<usize> = all.iter().copied().filter(|l| in_x(l) && !in_y(l) && needed.contains(l)).collect();
    let cols: Vec<usize> = all.iter().copied().filter(|l| !in_x(l) && in_y(l) && needed.contains(l)).collect();
    let ks: Vec<usize> = all.iter().copied().filter(|l| !needed.contains(l)).collect();
    let size = |l: usize| size_of(&[x, y], l);
    let geo = |t: &Term, groups: [&[usize]; 3]| -> (Vec<usize>, Vec<usize>) {
        let ls: Vec<usize> = groups.iter().flat_map(|g| g.iter().copied()).collect();
        (ls.iter().map(|&l| size(l)).collect(), ls.iter().map(|&l| dim_of(t, l, size(l))).collect())
    };
    let (sa, ta) = geo(x, [&batch, &rows, &ks]);
    let (sb, tb) = geo(y, [&batch, &ks, &cols]);
    let nb = batch.len();
    let ma = grouped_matrix(&x.t, &sa, &ta, nb, nb + rows.len())?;
    let mb = grouped_matrix(&y.t, &sb, &tb, nb, nb + ks.len())?;
    let labels: Vec<usize> = batch.iter().chain(&rows).chain(&cols).copied().collect();
    let shape: Vec<usize> = labels.iter().map(|&l| size(l)).collect();
    let t = product(op, &ma, &mb, None, Scalar::Int(1), Batch::Separate, &shape)?;
    let strides = t.strides().to_vec();
    Ok(Term { t, labels, shape, strides })
}

/// The term's tensor with its dims ordered as `output` (a fresh copy).
fn permuted(t: &Term, output: &[usize]) -> Result<Tensor> {
    let mut shape = Vec::with_capacity(output.len());
    let mut strides = Vec::with_capacity(output.len());
    for &l in output {
        let p = t.labels.iter().position(|&x| x == l);
        shape.push(p.map_or(1, |p| t.shape[p]));
        strides.push(p.map_or(0, |p| t.strides[p]));
    }
    Ok(t.t.as_strided(&shape, &strides, t.t.offset())?.copy_as(t.t.dtype()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_output_orders_labels_and_puts_ellipsis_first() {
        let p = vec![vec![ELL, 26], vec![26, 27]];
        assert_eq!(output_labels("einsum", None, &p, 1, 0).unwrap(), vec![ELL, 27]);
    }

    #[test]
    fn matrix_product_and_trace() {
        let a = Tensor::from_vec(vec![1f32, 2., 3., 4.], &[2, 2]).unwrap();
        assert_eq!(einsum("ij,jk->ik", &[a.clone(), a.clone()]).unwrap().to_vec::<f32>(), vec![7., 10., 15., 22.]);
        assert_eq!(einsum("ii", &[a.clone()]).unwrap().to_vec::<f32>(), vec![5.]);
        assert_eq!(einsum("ij->j", &[a]).unwrap().to_vec::<f32>(), vec![4., 6.]);
    }
}
