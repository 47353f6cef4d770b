//! The CPU backend of the kernel JIT: compiles a [`Kernel`] with Cranelift
//! to float32 machine code, one specialization per operand layout.
//!
//! - [`driver`]: checks a call, collapses its dims to rows (a row kernel's
//!   last dim is never merged: it is the row), picks the specialization key
//!   (a [`Class`] per operand: the row stride is 1, 0, anything else, or the
//!   operand is a scalar), walks the rows, splits big calls over the rayon
//!   pool (a row kernel by whole rows).
//! - `jit/plan.rs`: which values each pass over a row computes. An elementwise
//!   kernel is one pass; a row kernel is split into stages at its
//!   reductions: stage k loops over the row computing only the row-varying
//!   values reduction k reads (recomputing the elementwise prologue, never
//!   storing intermediates) and folds them; the row-uniform values that
//!   follow are then computed once, as scalars; a last loop computes and
//!   stores the row-varying outputs, and per-row outputs are stored once.
//! - [`codegen`]: the row function (each pass: an f32x4 loop unrolled
//!   ×[`UNROLL`] with one accumulator per copy, a single-vector loop, a
//!   scalar tail; FMA where the ISA has it). [`UNROLL_HEAVY`] for bodies
//!   with transcendentals.
//! - [`math`]: exp, log, tanh, sigmoid, erf, gelu, ... as CLIF polynomials.
//! - [`stage`]: an elementwise kernel cut at its transcendental ops, which
//!   run as sixteen-lane native code between Cranelift loops (rows of at
//!   least `stage::MIN_ROW`; the same bits).
//!
//! `TSC_JIT_DISASM=1` prints each specialization's kernel and machine code
//! to stderr as it is compiled.
//!
//! Accuracy bounds (measured, and asserted by the tests) are in
//! `spec/kernels.md`, the error of the float32 row sums included.

mod codegen;
mod driver;
mod math;
#[cfg(test)]
mod row_tests;
mod stage;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use codegen::Class;
use codegen::{Compiled, RowFn};
use driver::{Buf, MAX_OPERANDS};

use super::ir::{Inst, Kernel};
use super::plan;

/// f32x4 vectors per main-loop iteration (interleaved copies of the body)
/// for light bodies (add, mul, max, ...). In cache, one thread, 4096
/// elements, `max(a·b+1, 0)·a`: ×1 0.40, ×2 0.41, ×4 0.38 ns/elem;
/// compile 0.28 / 0.53 / 0.72 ms (a busy 2-core machine).
pub const UNROLL: usize = 4;
/// The same for bodies with transcendentals: the GELU-tanh chain ran ×1
/// 3.65, ×2 3.52, ×4 3.39 ns/elem, but compiled in 1.8 / 2.7 / 5.2 ms.
pub const UNROLL_HEAVY: usize = 2;

/// One operand of a call.
#[derive(Copy, Clone, Debug)]
pub enum Operand<'a> {
    /// A float32 tensor: `ptr` is element [0,...,0]; `strides[d]` (in
    /// elements, 0 for a broadcast dim, never negative) for each output dim,
    /// `strides.len() == shape.len()`.
    Tensor {
        ptr: *const f32,
        strides: &'a [isize],
    },
    /// The same number at every element.
    Scalar(f32),
}

/// A kernel ready to run on the CPU; compiles one machine-code
/// specialization per operand layout on first use and caches it.
pub struct CpuKernel {
    kernel: Kernel,
    /// f32x4 vectors per main-loop iteration.
    unroll: usize,
    /// Cost per element, roughly in simple-op units, over every pass
    /// (decides threading).
    cost: usize,
    /// A row kernel (`Kernel::is_row`).
    row: bool,
    /// Per output: written once per row.
    per_row: Vec<bool>,
    /// Rows of row scratch of the plan with one (`Plan::with_scratch`; 0:
    /// it would save nothing).
    slots: usize,
    cache: Mutex<Cache>,
    /// Lock-free front of `cache` for kernels of <= 16 operands: the first
    /// specializations, by packed key ([`pack`]), filled in order under the
    /// `cache` lock and never cleared (the code lives as long as `cache`).
    fast: [OnceLock<(u64, RowFn)>; FAST_SLOTS],
    /// The same kernel cut at its transcendental ops (`stage.rs`), for
    /// rows of at least `stage::MIN_ROW` elements.
    staged: Option<stage::Staged>,
}

/// The code one call runs.
enum Code<'a> {
    /// One compiled row function.
    One(RowFn),
    /// A staged kernel's stages (`stage.rs`).
    Staged(stage::StagedCall<'a>),
}

/// Specializations found without taking a lock.
const FAST_SLOTS: usize = 8;

/// Floats of row scratch (`slots · row length`, per thread) beyond which a
/// row kernel recomputes instead (the scratch would leave L2).
pub const MAX_SCRATCH: usize = 64 * 1024;

/// The classes as 2 bits each and the scratch flag as bit 32 (<= 16
/// operands; the count is fixed per kernel).
fn pack(classes: &[Class], scratch: bool) -> Option<u64> {
    if classes.len() > 16 {
        return None;
    }
    let bits = classes.iter().enumerate().fold(0u64, |a, (i, c)| {
        a | (match c {
            Class::Contiguous => 0u64,
            Class::Broadcast => 1,
            Class::Strided => 2,
            Class::Scalar => 3,
        } << (2 * i))
    });
    Some(bits | (u64::from(scratch) << 32))
}

#[derive(Default)]
struct Cache {
    compiled: HashMap<(Vec<Class>, bool), Arc<Compiled>>,
    time: Duration,
}

impl CpuKernel {
    /// Checks the kernel (`Kernel::check`) and keeps it; compiles nothing yet.
    pub fn new(kernel: Kernel) -> Result<CpuKernel, String> {
        CpuKernel::build(kernel, true)
    }

    /// [`CpuKernel::new`] that keeps every op in the Cranelift code (tests
    /// of the JIT's own math, and of staging against it).
    #[doc(hidden)]
    pub fn unstaged(kernel: Kernel) -> Result<CpuKernel, String> {
        CpuKernel::build(kernel, false)
    }

    fn build(kernel: Kernel, stage: bool) -> Result<CpuKernel, String> {
        let heavy = kernel
            .insts
            .iter()
            .any(|i| matches!(i, Inst::Unary(op, _) if plan::is_heavy(*op)));
        let mut k = CpuKernel::with_unroll(kernel, if heavy { UNROLL_HEAVY } else { UNROLL })?;
        if stage {
            k.staged = stage::Staged::split(&k.kernel);
        }
        Ok(k)
    }

    /// [`CpuKernel::new`] with another main-loop unroll factor, unstaged
    /// (benchmarks).
    #[doc(hidden)]
    pub fn with_unroll(kernel: Kernel, unroll: usize) -> Result<CpuKernel, String> {
        kernel.check()?;
        let (plan, _) = codegen::plan(&kernel, true, codegen::has_fma());
        Ok(CpuKernel {
            cost: plan.cost(&kernel),
            row: kernel.is_row(),
            slots: plan.slots,
            per_row: plan.per_row,
            unroll: unroll.max(1),
            kernel,
            cache: Mutex::new(Cache::default()),
            fast: Default::default(),
            staged: None,
        })
    }

    /// Whether long rows run staged (`stage.rs`).
    #[doc(hidden)]
    pub fn is_staged(&self) -> bool {
        self.staged.is_some()
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// Computes every output over the row-major, contiguous output of
    /// `shape`: `outs[j]` has `numel(shape)` elements and receives output j.
    /// For a row kernel `shape` is the full iteration shape (its last dim is
    /// the row; rank 0 is one row of one element) and a per-row output
    /// ([`Kernel::per_row_outputs`]) has `numel(shape[..rank - 1])`
    /// elements (1 for rank 0), row-major over the outer dims; a row of
    /// length 0 gives the folds of nothing (sum 0, max -inf, min +inf) and
    /// what follows from them. Errors (wrong operand count, out lengths, a
    /// Cranelift failure) are `Err(String)`, never a panic.
    ///
    /// # Safety
    /// Every `Operand::Tensor` addresses valid, initialized f32 memory at
    /// every offset `sum(idx[d] * strides[d])` for idx in `shape`, and does
    /// not overlap any out.
    pub unsafe fn run(
        &self,
        shape: &[usize],
        operands: &[Operand],
        outs: &mut [&mut [f32]],
    ) -> Result<(), String> {
        let k = &self.kernel;
        if operands.len() != k.num_params as usize {
            return Err(format!(
                "jit: kernel takes {} operands, got {}",
                k.num_params,
                operands.len()
            ));
        }
        if outs.len() != k.outputs.len() {
            return Err(format!(
                "jit: kernel has {} outputs, got {} buffers",
                k.outputs.len(),
                outs.len()
            ));
        }
        let numel_of = |dims: &[usize]| {
            dims.iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or("jit: shape overflows usize")
        };
        let numel = numel_of(shape)?;
        // A row kernel's rows: every dim but the last (rank 0: one row).
        let rows = numel_of(&shape[..shape.len().saturating_sub(1)])?;
        for (j, o) in outs.iter().enumerate() {
            let (want, what) = if self.per_row[j] {
                (rows, "rows")
            } else {
                (numel, "elements")
            };
            if o.len() != want {
                return Err(format!(
                    "jit: output {j} has {} elements, the shape {shape:?} has {want} {what}",
                    o.len()
                ));
            }
        }
        for (i, op) in operands.iter().enumerate() {
            if let Operand::Tensor { strides, .. } = op {
                if strides.len() != shape.len() {
                    return Err(format!(
                        "jit: operand {i} has {} strides for rank {}",
                        strides.len(),
                        shape.len()
                    ));
                }
            }
        }
        // Empty rows still give their per-row outputs (the folds of nothing).
        if numel == 0 && !(self.row && rows > 0) {
            return Ok(());
        }
        let need = driver::strides_len(shape, operands.len());
        let (mut inline, mut heap) = ([0isize; driver::INLINE_STRIDES], Vec::new());
        let store: &mut [isize] = if need <= inline.len() {
            &mut inline[..need]
        } else {
            heap.resize(need, 0);
            &mut heap
        };
        let layout = if self.row {
            driver::Layout::rows(shape, operands, store)
        } else {
            driver::Layout::new(shape, operands, numel, store)
        };
        let row_len = shape.last().copied().unwrap_or(1);
        let scratch = self.slots > 0 && row_len.saturating_mul(self.slots) <= MAX_SCRATCH;
        let code = match &self.staged {
            Some(st) if layout.dims.last().is_some_and(|&n| n >= stage::MIN_ROW) => {
                Code::Staged(stage::StagedCall { staged: st, fns: st.specializations(&layout.classes())? })
            }
            _ => Code::One(self.specialization(&layout.classes(), scratch)?),
        };
        let ins: Buf<*const f32, MAX_OPERANDS> = Buf::from_iter_fill(
            std::ptr::null(),
            operands.iter().map(|o| match o {
                Operand::Tensor { ptr, .. } => *ptr,
                Operand::Scalar(_) => std::ptr::null(),
            }),
        );
        let scalars: Buf<f32, MAX_OPERANDS> = Buf::from_iter_fill(
            0.0,
            operands
                .iter()
                .map(|o| if let Operand::Scalar(x) = o { *x } else { 0.0 }),
        );
        let out_ptrs: Buf<*mut f32, MAX_OPERANDS> = Buf::from_iter_fill(
            std::ptr::null_mut(),
            outs.iter_mut().map(|o| o.as_mut_ptr()),
        );
        // SAFETY: the caller's contract covers the inputs; the outputs were
        // checked to hold `numel` elements; `f` matches the layout and lives
        // in `self.cache` as long as `self`.
        unsafe {
            match code {
                Code::Staged(call) => driver::run(&call, &layout, &ins, &scalars, &out_ptrs, self.cost),
                Code::One(f) if self.row => {
                    let per_row: Buf<bool, MAX_OPERANDS> =
                        Buf::from_iter_fill(false, self.per_row.iter().copied());
                    let scratch_len = if scratch { row_len * self.slots } else { 0 };
                    driver::run_rows(f, &layout, &ins, &scalars, &out_ptrs, &per_row, self.cost, scratch_len)
                }
                Code::One(f) => driver::run(&f, &layout, &ins, &scalars, &out_ptrs, self.cost),
            }
        };
        Ok(())
    }

    /// How many specializations were compiled and the total compile time.
    pub fn compile_stats(&self) -> (usize, Duration) {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (n, t) = self.staged.as_ref().map(stage::Staged::compile_stats).unwrap_or_default();
        (cache.compiled.len() + n, cache.time + t)
    }

    /// The compiled code for `classes` (with a row scratch or not),
    /// compiling it on first use. The pointer stays valid while `self` lives
    /// (entries are never removed).
    fn specialization(&self, classes: &[Class], scratch: bool) -> Result<RowFn, String> {
        let key = pack(classes, scratch);
        if let Some(key) = key {
            for slot in &self.fast {
                match slot.get() {
                    Some((k, f)) if *k == key => return Ok(*f),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let id = (classes.to_vec(), scratch);
        let f = match cache.compiled.get(&id) {
            Some(c) => c.f,
            None => {
                let t = Instant::now();
                let c = Arc::new(codegen::compile(&self.kernel, classes, self.unroll, scratch)?);
                cache.time += t.elapsed();
                let f = c.f;
                cache.compiled.insert(id, c);
                f
            }
        };
        if let Some(key) = key {
            // Under the lock: no other writer, so the first empty slot is ours.
            if let Some(slot) = self
                .fast
                .iter()
                .find(|s| s.get().is_none_or(|(k, _)| *k == key))
            {
                let _ = slot.set((key, f));
            }
        }
        Ok(f)
    }
}

/// Compiles `kernel` for `classes` once and returns the time it took (for
/// benchmarks; the code is freed at once).
pub fn compile_time(kernel: &Kernel, classes: &[Class]) -> Result<Duration, String> {
    let k = CpuKernel::new(kernel.clone())?;
    let t = Instant::now();
    codegen::compile(kernel, classes, k.unroll, k.slots > 0)?;
    Ok(t.elapsed())
}
