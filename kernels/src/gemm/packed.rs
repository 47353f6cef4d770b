//! f32 GEMM on operands packed in the microkernel's panel order: `C = A·B
//! (+ C)`. Either side may be packed once and reused: `B` for `nn.Linear`
//! weights ([`PackedB`], `A` packed per call), `A` for convolution weights
//! ([`PackedA`], `B` the im2col columns packed per tile by the caller).
//!
//! The `gemm` crate repacks both operands on every call, which at batch 64
//! costs about as much as the arithmetic. Measured on 2 cores (AVX2, no
//! AVX-512), 64 rows: 64×4096×4096 109 GFLOP/s against 65–72 for the crate,
//! 64×1024×4096 120 against 74; 128 rows: 128×768×3072 133 against 120.
//!
//! Layout: `B` (k×n) in panels of [`NR`] columns; panel `j` holds rows
//! `0..k`, each [`NR`] contiguous floats (columns past `n` are zero). `A`
//! (m×k) in panels of up to [`MR`] rows (the rows split evenly between
//! the panels), k-major. The 6×16 microkernel keeps 12 AVX2 accumulators
//! (a panel of fewer rows runs a kernel of that many rows, not wasted
//! FMAs) and runs k in equal blocks
//! of at most [`KC`] steps. [`gemm_packed`] gives each thread of the pool a
//! fixed range of `B`'s panels (its part of the weights stays in its core's
//! cache from call to call).
//!
//! The tile store can finish the product ([`Epilogue`]): add a per-row bias
//! (a convolution's per-channel bias) or a per-column one (`nn.Linear`'s),
//! a residual, and apply ReLU, so those cost no pass over the output.
//!
//! With AVX-512F, two adjacent row panels and two adjacent `B`
//! micro-panels run as one 12×32 tile (`packed/avx512.rs`: 24 zmm
//! accumulators, one 512-bit load of each micro-panel per k-step); the
//! layout is the same, and a lone last micro-panel runs the AVX2 kernel.
//!
//! Each output is a sum over k in order, in the same blocks whatever the
//! thread count or kernel width (FMA per step), so results do not depend on
//! them. Without AVX2+FMA the constructors return `None` and callers use
//! the `gemm` crate.

use super::{MatRef, SendPtr};

/// Rows of the microkernel.
pub const MR: usize = 6;
/// Columns of the microkernel (two AVX2 vectors).
pub const NR: usize = 16;
/// Most k-steps per microkernel call (the AVX-512 tile's two `B`
/// micro-panels, 36 KiB, and two `A` panels, 13.5 KiB, about fill the
/// 48 KiB L1); k is split into equal blocks, so a 3×3 convolution's
/// k = 288 or 576 runs in blocks of 288. 320, 288, 256 and 224 timed
/// within the noise of each other on the 1024³ product and the workloads'
/// shapes.
pub const KC: usize = 288;

/// Floats of `c` per column group: a group's `c` block and the `m×KC`
/// block of `a` stay in L2 while every k block runs over the group.
const GROUP_C_FLOATS: usize = 8 * 1024;

/// A `k×n` matrix packed as the right operand of [`gemm_packed`].
#[derive(Debug)]
pub struct PackedB {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs `b` (k×n, any strides); `None` without AVX2+FMA.
    pub fn new(k: usize, n: usize, b: MatRef<f32>) -> Option<PackedB> {
        if !crate::simd::has_avx2_fma() {
            return None;
        }
        super::check_operand("b", &b, k, n);
        let mut data = vec![0f32; n.div_ceil(NR) * k * NR];
        let mut row = vec![0f32; n];
        for p in 0..k {
            for (j, v) in row.iter_mut().enumerate() {
                *v = b.data[b.offset + p * b.rs + j * b.cs];
            }
            pack_b_row(&mut data, k, p, &row);
        }
        Some(PackedB { k, n, data })
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }
}

/// An `m×k` matrix packed as the left operand (convolution weights).
#[derive(Debug)]
pub struct PackedA {
    m: usize,
    k: usize,
    data: Vec<f32>,
}

impl PackedA {
    /// Packs `a` (m×k, any strides); `None` without AVX2+FMA.
    pub fn new(m: usize, k: usize, a: MatRef<f32>) -> Option<PackedA> {
        if !crate::simd::has_avx2_fma() {
            return None;
        }
        super::check_operand("a", &a, m, k);
        Some(PackedA {
            m,
            k,
            data: pack_a(m, k, a),
        })
    }

    pub fn m(&self) -> usize {
        self.m
    }

    pub fn k(&self) -> usize {
        self.k
    }
    /// The packed row panels: panel `ip`, k-step `p` at `(ip·k + p)·MR`.
    pub(super) fn panels(&self) -> &[f32] {
        &self.data
    }
}

/// Writes row `p` of a `k`-row matrix into `B` panels (`panels` holds
/// `n.div_ceil(NR)·k·NR` zeroed floats for the row's `n` values).
fn pack_b_row(panels: &mut [f32], k: usize, p: usize, row: &[f32]) {
    for (jp, chunk) in row.chunks(NR).enumerate() {
        panels[(jp * k + p) * NR..][..chunk.len()].copy_from_slice(chunk);
    }
}
/// What the tile store does besides writing `A·B`: `relu?(A·B + bias +
/// residual)`, rounded as the ops run apart (the product and bias first).
#[derive(Clone, Copy, Debug, Default)]
pub struct Epilogue<'a> {
    /// Added to every output of row `i` (length m).
    pub row_bias: Option<&'a [f32]>,
    /// Added to every output of column `j` (length n), as the row bias.
    pub col_bias: Option<&'a [f32]>,
    /// Added to the finished product: laid out as `c` (element `(i, j)` at
    /// `i·ldc + j`), e.g. a residual connection.
    pub residual: Option<&'a [f32]>,
    /// ReLU last (`x > 0 || x is NaN ? x : 0`, as the runtime's `relu`).
    pub relu: bool,
}

impl Epilogue<'_> {
    /// Panics (naming `who`) unless the bias covers `m` rows and the
    /// residual an `m×n` block at row stride `ldc`.
    pub(super) fn check(&self, who: &str, m: usize, n: usize, ldc: usize) {
        assert!(
            self.row_bias.is_none_or(|b| b.len() >= m)
                && self.col_bias.is_none_or(|b| b.len() >= n),
            "{who}: bias too short"
        );
        assert!(
            self.residual
                .is_none_or(|r| m == 0 || r.len() >= (m - 1) * ldc + n),
            "{who}: residual too short"
        );
    }
}

/// The length of each of the equal k blocks a depth-`k` product is split
/// into (at most [`KC`]): every path computes an output over the same
/// blocks, so they give the same bits.
pub(super) fn k_block_len(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC))
}

/// `c = a·b` (or `c += a·b` when `accumulate`), `c` row-major `m×n`, `a`
/// `m×k` with any strides.
pub fn gemm_packed(m: usize, a: MatRef<f32>, b: &PackedB, c: &mut [f32], accumulate: bool) {
    gemm_packed_with(m, a, b, c, accumulate, None)
}

/// `c = a·b + bias` (`bias[j]` added to column `j`), `c` row-major `m×n`:
/// `nn.Linear`. The bits are those of [`gemm_packed`] accumulating into a
/// `c` that holds the bias in every row, without that pass over `c`.
pub fn gemm_packed_bias(m: usize, a: MatRef<f32>, b: &PackedB, c: &mut [f32], bias: &[f32]) {
    assert!(bias.len() >= b.n, "gemm_packed_bias: bias too short");
    gemm_packed_with(m, a, b, c, false, Some(bias))
}

fn gemm_packed_with(
    m: usize,
    a: MatRef<f32>,
    b: &PackedB,
    c: &mut [f32],
    accumulate: bool,
    col_bias: Option<&[f32]>,
) {
    let (k, n) = (b.k, b.n);
    assert!(
        m.checked_mul(n).is_some_and(|mn| mn <= c.len()),
        "gemm_packed: c has {} elements, fewer than {m}·{n}",
        c.len()
    );
    super::check_operand("a", &a, m, k);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for row in c[..m * n].chunks_exact_mut(n) {
            for (j, x) in row.iter_mut().enumerate() {
                let v = col_bias.map_or(0.0, |b| b[j]);
                *x = if accumulate { *x + v } else { v };
            }
        }
        return;
    }
    let ap = pack_a(m, k, a);
    let panels = n.div_ceil(NR);
    let threads = rayon::current_num_threads();
    let out = SendPtr(c.as_mut_ptr());
    let wide = wide_tiles();
    let run = |j0: usize, j1: usize| {
        let g = Geometry {
            m,
            n,
            k,
            ldc: n,
            wide,
        };
        // SAFETY: `c` holds m·n floats (asserted); panel ranges are disjoint
        // per caller, so no output is written twice at once.
        unsafe {
            panels_range(
                g,
                &ap,
                &b.data,
                out.get(),
                accumulate,
                Epilogue {
                    col_bias,
                    ..Epilogue::default()
                },
                j0,
                j1,
            )
        }
    };
    if threads <= 1 || (m * n).saturating_mul(k) < super::PARALLEL_MIN_MACS || panels < 2 {
        return run(0, panels);
    }
    // Whole pairs per thread on the AVX-512 path.
    let pair = 1 + wide as usize;
    // Two threads: the caller and the hot helper, so no rayon worker is
    // left spinning beside the ops that follow (`gemv.rs`'s `dot_form`).
    if threads == 2 {
        return crate::parallel::halves(panels, pair, &run);
    }
    let per = panels.div_ceil(threads).next_multiple_of(pair);
    rayon::broadcast(|ctx| {
        let j0 = (ctx.index() * per).min(panels);
        run(j0, (j0 + per).min(panels));
    });
}

/// `c = a·b` then `epi`, on the calling thread: `a` packed once, `bp` the
/// `k×n` right operand packed by the caller in [`PackedB`]'s layout, `c` an
/// `m×n` block with row stride `ldc` (as is `epi.residual`).
///
/// # Safety
/// `c` is valid for writes at `i·ldc + j` for every `i < m`, `j < n`, and
/// nothing else accesses those floats during the call.
pub(crate) unsafe fn gemm_packed_a(
    a: &PackedA,
    n: usize,
    bp: &[f32],
    c: *mut f32,
    ldc: usize,
    epi: Epilogue,
) {
    let (m, k) = (a.m, a.k);
    let panels = n.div_ceil(NR);
    assert!(
        bp.len() >= panels * k * NR,
        "gemm_packed_a: packed b too short"
    );
    epi.check("gemm_packed_a", m, n, ldc);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // SAFETY: the block is writable (the caller's contract).
        unsafe { epilogue_only(m, n, c, ldc, epi) };
        return;
    }
    // SAFETY: forwarded from the caller; the operands were checked above.
    unsafe {
        panels_range(
            Geometry {
                m,
                n,
                k,
                ldc,
                wide: wide_tiles(),
            },
            &a.data,
            bp,
            c,
            false,
            epi,
            0,
            panels,
        )
    }
}

/// `c = epi(0)` for an empty sum.
unsafe fn epilogue_only(m: usize, n: usize, c: *mut f32, ldc: usize, epi: Epilogue) {
    for i in 0..m {
        let v = epi.row_bias.map_or(0.0, |b| b[i]);
        for j in 0..n {
            let v = v + epi.col_bias.map_or(0.0, |b| b[j]);
            let v = v + epi.residual.map_or(0.0, |r| r[i * ldc + j]);
            let v = if epi.relu { relu(v) } else { v };
            // SAFETY: (i, j) is inside the block.
            unsafe { *c.add(i * ldc + j) = v };
        }
    }
}

/// The rows `(first, count)` of row panel `i` of an `m`-row operand: the
/// `m.div_ceil(MR)` panels split the rows evenly (32 rows are 6+5+5+6+5+5,
/// not 5×6 + 2, so no panel runs a kernel of one or two rows at a fraction
/// of the FMA throughput).
pub(super) fn panel_rows(m: usize, i: usize) -> (usize, usize) {
    let np = m.div_ceil(MR).max(1);
    let (r0, r1) = (i * m / np, (i + 1) * m / np);
    (r0, r1 - r0)
}

/// The row tiles of an `m`-row product, in order: `(ip, r0, [mr0, mr1])`,
/// row panel `ip` (rows `r0..r0 + mr0`) and, on the AVX-512 kernel
/// (`pairs`), the next one's `mr1` rows below it (0 for a lone last panel).
pub(super) fn row_tiles(m: usize, pairs: bool) -> impl Iterator<Item = (usize, usize, [usize; 2])> {
    let np = m.div_ceil(MR);
    let step = if pairs { 2 } else { 1 };
    (0..np).step_by(step).map(move |ip| {
        let (r0, mr0) = panel_rows(m, ip);
        let mr1 = if pairs && ip + 1 < np {
            panel_rows(m, ip + 1).1
        } else {
            0
        };
        (ip, r0, [mr0, mr1])
    })
}

/// How many tiles [`row_tiles`] gives.
pub(super) fn row_tile_count(m: usize, pairs: bool) -> usize {
    m.div_ceil(MR).div_ceil(if pairs { 2 } else { 1 })
}

/// `x > 0 || x is NaN ? x : 0`, as the runtime's `relu`.
pub(crate) fn relu(x: f32) -> f32 {
    if x > 0.0 || x.is_nan() {
        x
    } else {
        0.0
    }
}

/// `a` in panels of up to [`MR`] rows ([`panel_rows`]): panel `i`, k-step
/// `p` at `(i·k + p)·MR`; the panels packed in parallel for a large `a`.
fn pack_a(m: usize, k: usize, a: MatRef<f32>) -> Vec<f32> {
    let mut out = vec![0f32; m.div_ceil(MR) * k * MR];
    let pack = |(ip, panel): (usize, &mut [f32])| {
        let (r0, mr) = panel_rows(m, ip);
        for ii in 0..mr {
            let row = a.offset + (r0 + ii) * a.rs;
            for p in 0..k {
                panel[p * MR + ii] = a.data[row + p * a.cs];
            }
        }
    };
    if m * k >= PARALLEL_PACK_MIN && k > 0 {
        // Whole panels per thread; on two threads the caller and the hot
        // helper, so no rayon worker spins beside the product that follows.
        crate::parallel::map_rows_mut(&mut out, k * MR, 1, |first, part| {
            part.chunks_mut(k * MR)
                .enumerate()
                .for_each(|(j, panel)| pack((first + j, panel)))
        });
    } else {
        out.chunks_mut(k * MR).enumerate().for_each(pack);
    }
    out
}

/// Elements of `a` from which [`pack_a`] splits its panels over the pool
/// (it runs before the product's split: packed on one thread, 2-thread
/// products at 64 and 128 rows measured 0–7% slower).
const PARALLEL_PACK_MIN: usize = 1 << 15;

#[derive(Clone, Copy)]
struct Geometry {
    m: usize,
    n: usize,
    k: usize,
    ldc: usize,
    /// Pairs of `B` micro-panels run the AVX-512 kernel ([`wide_tiles`]).
    wide: bool,
}

thread_local! {
    /// Tests turn the AVX-512 kernel off on their thread to compare paths.
    static NARROW_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether products started on this thread use the 12×32 AVX-512 tiles.
pub(super) fn wide_tiles() -> bool {
    crate::simd::has_avx512f() && !NARROW_ONLY.with(|n| n.get())
}

/// Runs `f` with the AVX2 kernel only, for products started on this
/// thread (tests: the two paths must give the same bits).
#[cfg(test)]
pub(crate) fn narrow_only<R>(f: impl FnOnce() -> R) -> R {
    NARROW_ONLY.with(|n| n.set(true));
    let r = f();
    NARROW_ONLY.with(|n| n.set(false));
    r
}

/// The panels `j0..j1` of `c`, in column groups of [`GROUP_C_FLOATS`]: per
/// group, the k blocks in order, each over the group's panels, each panel
/// over every row panel (the `B` micro-panel stays in L1 across the row
/// panels; the group's `c` block and the `a` block stay in L2). The first
/// row panel prefetches the `B` micro-panel that runs next. The first k
/// block adds the bias (or `c` when `accumulate`), the last applies ReLU.
///
/// # Safety
/// `c` is valid for the `m×n` block at row stride `ldc`; `ap`/`bp` are
/// packed for `m, k` / `k, n`.
#[allow(clippy::too_many_arguments)]
unsafe fn panels_range(
    g: Geometry,
    ap: &[f32],
    bp: &[f32],
    c: *mut f32,
    accumulate: bool,
    epi: Epilogue,
    j0: usize,
    j1: usize,
) {
    let Geometry { m, n, k, ldc, wide } = g;
    let kc_len = k_block_len(k);
    let group = (GROUP_C_FLOATS / (m * NR)).max(1);
    // An even group keeps the micro-panels of a thread's range paired.
    let group = if wide {
        group.next_multiple_of(2)
    } else {
        group
    };
    for g0 in (j0..j1).step_by(group) {
        let mut p0 = 0;
        while p0 < k {
            let kc = kc_len.min(k - p0);
            let g1 = (g0 + group).min(j1);
            let mut jp = g0;
            while jp < g1 {
                // `span` micro-panels from `jp`: a pair on the AVX-512 path.
                let span = if wide && jp + 1 < g1 { 2 } else { 1 };
                let last_jp = jp + span - 1;
                let nr = NR.min(n - last_jp * NR);
                // The micro-panel `d` places after this tile's last one, in
                // the order tiles run.
                let ahead = |d: usize| -> Option<&[f32]> {
                    let j = last_jp + d;
                    if j < g1 {
                        return Some(&bp[(j * k + p0) * NR..][..kc * NR]);
                    }
                    if p0 + kc < k {
                        let j = g0 + (j - g1);
                        let kn = kc_len.min(k - p0 - kc);
                        return (j < g1).then(|| &bp[(j * k + p0 + kc) * NR..][..kn * NR]);
                    }
                    // The next group starts at g1.
                    (j < j1.min(g1 + group)).then(|| &bp[j * k * NR..][..kc_len * NR])
                };
                // The next tile's micro-panels: each is read once per call,
                // from memory, so the row panels of this one pull them in.
                let next = [ahead(1), ahead(2).filter(|_| span == 2)];
                let a = |ip: usize| &ap[(ip * k + p0) * MR..(ip * k + p0 + kc) * MR];
                let b = &bp[(jp * k + p0) * NR..(jp * k + p0 + kc) * NR];
                let calls = row_tile_count(m, span == 2);
                for (call, (ip, r0, mr)) in row_tiles(m, span == 2).enumerate() {
                    let rows = mr[0] + mr[1];
                    let mut store =
                        Store::for_tile(epi, (p0 == 0, p0 + kc == k), (r0, rows), ldc, jp * NR);
                    store.add |= accumulate;
                    store.next_b = prefetch_share(&next, call, calls);
                    let c = c.add(r0 * ldc + jp * NR);
                    #[cfg(target_arch = "x86_64")]
                    if span == 2 {
                        let b1 = &bp[(last_jp * k + p0) * NR..(last_jp * k + p0 + kc) * NR];
                        let a1 = if mr[1] > 0 { a(ip + 1) } else { a(ip) };
                        // SAFETY: the tile (rows mr[0] + mr[1], NR + nr
                        // columns at row stride ldc) is inside c; AVX-512F
                        // is present (`wide`).
                        unsafe { avx512::tile([a(ip), a1], mr, b, b1, c, ldc, store, nr) };
                    } else {
                        // SAFETY: the tile `ip, jp` (mr×nr at row stride
                        // ldc) is inside c.
                        unsafe { avx2::tile(a(ip), b, c, ldc, store, mr[0], nr) };
                    }
                }
                jp += span;
            }
            p0 += kc;
        }
    }
}

/// Row panel `ip`'s share (of `np`) of the lines of the `next` micro-panels
/// to prefetch: consecutive row panels take consecutive runs of lines, so
/// the next tile's `B` arrives spread over this tile's whole row of tiles
/// rather than in one burst.
fn prefetch_share<'a>(next: &[Option<&'a [f32]>; 2], ip: usize, np: usize) -> Option<&'a [f32]> {
    let (panels, count) = match *next {
        [Some(a), Some(b)] => ([a, b], 2.min(np)),
        [Some(a), None] | [None, Some(a)] => ([a, a], 1),
        [None, None] => return None,
    };
    let q = ip * count / np;
    // Row panels lo..hi prefetch panel q.
    let (lo, hi) = ((q * np).div_ceil(count), ((q + 1) * np).div_ceil(count));
    let lines = panels[q].len() / NR;
    let (s, e) = (
        (ip - lo) * lines / (hi - lo),
        (ip - lo + 1) * lines / (hi - lo),
    );
    Some(&panels[q][s * NR..e * NR])
}

/// How one k block's tile is written: `c = acc` or `c += acc`, plus a
/// per-row bias, then the residual, then ReLU.
#[derive(Clone, Copy)]
pub(super) struct Store<'a> {
    /// Prefetched into cache while the tile runs.
    pub(super) next_b: Option<&'a [f32]>,
    pub(super) add: bool,
    pub(super) bias: Option<&'a [f32]>,
    /// The tile's first column's bias, then the next ones'.
    pub(super) col_bias: Option<&'a [f32]>,
    /// The tile's first element of the residual (row stride `ldc`).
    pub(super) residual: Option<&'a [f32]>,
    pub(super) relu: bool,
}

impl<'a> Store<'a> {
    /// The store of the tile at rows `r0..r0 + mr`, column `col`, for the
    /// k block that is the (`first`, `last`) of its product: the first
    /// writes `c` and adds the bias, later ones add to `c`, the last adds
    /// the residual and applies ReLU. No prefetch.
    pub(super) fn for_tile(
        epi: Epilogue<'a>,
        (first, last): (bool, bool),
        (r0, mr): (usize, usize),
        ldc: usize,
        col: usize,
    ) -> Store<'a> {
        Store {
            next_b: None,
            add: !first,
            bias: epi.row_bias.filter(|_| first).map(|b| &b[r0..r0 + mr]),
            col_bias: epi.col_bias.filter(|_| first).map(|b| &b[col..]),
            residual: epi.residual.filter(|_| last).map(|r| &r[r0 * ldc + col..]),
            relu: epi.relu && last,
        }
    }

    /// The store of this tile's rows after its first `rows` (no prefetch).
    #[cfg(target_arch = "x86_64")]
    fn below(self, rows: usize, ldc: usize) -> Store<'a> {
        Store {
            next_b: None,
            bias: self.bias.map(|b| &b[rows..]),
            residual: self.residual.map(|r| &r[rows * ldc..]),
            ..self
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Store, MR, NR};
    use std::arch::x86_64::*;

    /// One `mr×nr` tile (<= 6×16) of `c` (row stride `ldc`): `c (+)= a·b`
    /// over `a.len() / MR` k-steps, then the store's bias and ReLU.
    ///
    /// # Safety
    /// AVX2 and FMA are present (the packed operand's constructor checked);
    /// the tile is writable; `b.len() / NR == a.len() / MR`; `1 <= mr <= MR`.
    pub(super) unsafe fn tile(
        a: &[f32],
        b: &[f32],
        c: *mut f32,
        ldc: usize,
        st: Store,
        mr: usize,
        nr: usize,
    ) {
        // SAFETY: forwarded; each kernel reads the first `R` rows of a panel.
        unsafe {
            match mr {
                6 => rows::<6>(a, b, c, ldc, st, nr),
                5 => rows::<5>(a, b, c, ldc, st, nr),
                4 => rows::<4>(a, b, c, ldc, st, nr),
                3 => rows::<3>(a, b, c, ldc, st, nr),
                2 => rows::<2>(a, b, c, ldc, st, nr),
                _ => rows::<1>(a, b, c, ldc, st, nr),
            }
        }
    }

    /// `x > 0 || x is NaN ? x : 0`, as the runtime's `relu` (-0 becomes 0,
    /// NaN stays).
    #[target_feature(enable = "avx2,fma")]
    fn relu(x: __m256) -> __m256 {
        let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
        _mm256_blendv_ps(_mm256_max_ps(x, _mm256_setzero_ps()), x, nan)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn rows<const R: usize>(
        a: &[f32],
        b: &[f32],
        c: *mut f32,
        ldc: usize,
        st: Store,
        nr: usize,
    ) {
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        // Only the tiles that have a next micro-panel to pull in prefetch.
        let (pf, pf_lines) = st.next_b.map_or((b, 0), |n| (n, n.len() / NR));
        for (p, (av, bv)) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).enumerate() {
            if p < pf_lines {
                // SAFETY: line `p` of `pf` is in bounds.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(pf.as_ptr().add(p * NR).cast()) };
            }
            // SAFETY: `bv` holds NR = 16 floats.
            let (b0, b1) = unsafe {
                (
                    _mm256_loadu_ps(bv.as_ptr()),
                    _mm256_loadu_ps(bv.as_ptr().add(8)),
                )
            };
            for (row, &x) in acc.iter_mut().zip(av) {
                let x = _mm256_set1_ps(x);
                row[0] = _mm256_fmadd_ps(x, b0, row[0]);
                row[1] = _mm256_fmadd_ps(x, b1, row[1]);
            }
        }
        if let Some(bias) = st.bias {
            for (row, &v) in acc.iter_mut().zip(bias) {
                let v = _mm256_set1_ps(v);
                row[0] = _mm256_add_ps(row[0], v);
                row[1] = _mm256_add_ps(row[1], v);
            }
        }
        let full = nr == NR;
        if let Some(cb) = st.col_bias {
            let mut v = [0f32; NR];
            v[..nr].copy_from_slice(&cb[..nr]);
            // SAFETY: `v` holds NR = 16 floats.
            let (v0, v1) = unsafe {
                (
                    _mm256_loadu_ps(v.as_ptr()),
                    _mm256_loadu_ps(v.as_ptr().add(8)),
                )
            };
            for row in acc.iter_mut() {
                row[0] = _mm256_add_ps(row[0], v0);
                row[1] = _mm256_add_ps(row[1], v1);
            }
        }
        let mut tmp = [0f32; NR];
        for (i, row) in acc.iter().enumerate() {
            // SAFETY: row i of the tile is writable for `nr` floats (the
            // caller's contract); a partial row goes through `tmp`.
            unsafe {
                let cp = c.add(i * ldc);
                let dst = if full { cp } else { tmp.as_mut_ptr() };
                if st.add && !full {
                    std::ptr::copy_nonoverlapping(cp, dst, nr);
                }
                let (mut c0, mut c1) = (row[0], row[1]);
                if st.add {
                    c0 = _mm256_add_ps(c0, _mm256_loadu_ps(dst));
                    c1 = _mm256_add_ps(c1, _mm256_loadu_ps(dst.add(8)));
                }
                if let Some(res) = st.residual {
                    let mut r = [0f32; NR];
                    r[..nr].copy_from_slice(&res[i * ldc..][..nr]);
                    c0 = _mm256_add_ps(c0, _mm256_loadu_ps(r.as_ptr()));
                    c1 = _mm256_add_ps(c1, _mm256_loadu_ps(r.as_ptr().add(8)));
                }
                if st.relu {
                    c0 = relu(c0);
                    c1 = relu(c1);
                }
                _mm256_storeu_ps(dst, c0);
                _mm256_storeu_ps(dst.add(8), c1);
                if !full {
                    std::ptr::copy_nonoverlapping(dst, cp, nr);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx512;
