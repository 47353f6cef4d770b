//! Compiles one specialization of a kernel (a stride class per operand) to
//! a row function with Cranelift:
//!
//! ```text
//! extern "C" fn row(n: usize, ins: *const *const f32, strides: *const isize,
//!                   scalars: *const f32, outs: *const *mut f32,
//!                   scratch: *mut f32)
//! ```
//!
//! It computes `n` consecutive elements along the row. `ins[k]` is operand
//! k's first element (contiguous, strided and broadcast operands),
//! `strides[k]` its stride in elements (strided operands), `scalars[k]` its
//! value (scalar operands); unused slots are never read. `outs[j]` is
//! output j's first element: `n` of them are written, or, for a per-row
//! output of a row kernel, one. An elementwise kernel's `n` may be any run
//! of elements; a row kernel's is exactly one row. `scratch` holds
//! `plan.slots · n` floats when the kernel was compiled with a row scratch
//! (`Plan::with_scratch`: slot s at `scratch + s·n`), else it is never read.
//!
//! Base pointers, strides, broadcast and scalar values are loaded (and
//! splatted) once in the entry block. Then the passes of the
//! plan (`jit/plan.rs`) run: each is three loops — f32x4 ×`unroll` (the
//! copies interleaved instruction by instruction), single f32x4, a scalar
//! tail — over the same body (`Row::emit_values` on the values the pass
//! computes). A reduction pass keeps one f32x4 accumulator per unrolled
//! copy, folds the copies and then the lanes pairwise after the vector
//! loops, and folds the tail into that scalar; the row-uniform values that
//! follow are computed once as scalars (`Row::scalar_phase`) and splatted
//! before the loops that read them. An elementwise kernel is a single pass
//! that computes and stores everything.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F32X4, I32, I32X4, I64};
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, StackSlot, StackSlotData, StackSlotKind, Value,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use std::sync::Mutex;

use super::math::{Emit, Mask, MAX_COPIES, V};
use crate::jit::ir::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp};
use crate::jit::plan::{Pass, Plan};

/// How an operand varies along the row.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Stride 1.
    Contiguous,
    /// Stride 0: one value for the whole row.
    Broadcast,
    /// Any other stride, passed at run time.
    Strided,
    /// An `Operand::Scalar`.
    Scalar,
}

/// The compiled row function's type.
pub(super) type RowFn = unsafe extern "C" fn(
    usize,
    *const *const f32,
    *const isize,
    *const f32,
    *const *mut f32,
    *mut f32,
);

/// A compiled specialization; dropping it frees its machine code.
pub(super) struct Compiled {
    /// Kept only to free the code; never touched after compiling (the
    /// `Mutex` makes the `Send` module `Sync`).
    module: Mutex<Option<JITModule>>,
    pub(super) f: RowFn,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        let module = self
            .module
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(m) = module {
            // SAFETY: `f` is only called by `CpuKernel::run` through a borrow
            // of the kernel (which owns this), so nothing runs the code now.
            unsafe { m.free_memory() };
        }
    }
}

/// The host ISA (speed-optimized) and whether it has a one-instruction FMA.
pub(super) fn host_isa() -> Result<(OwnedTargetIsa, bool), String> {
    let mut flags = settings::builder();
    flags
        .set("opt_level", "speed")
        .map_err(|e| format!("cranelift: {e}"))?;
    let builder = cranelift_native::builder().map_err(|e| format!("cranelift: {e}"))?;
    let isa = builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("cranelift: {e}"))?;
    let flag = |name: &str| {
        isa.isa_flags()
            .iter()
            .any(|v| v.name == name && v.as_bool() == Some(true))
    };
    let has_fma = cfg!(target_arch = "aarch64") || (flag("has_avx") && flag("has_fma"));
    Ok((isa, has_fma))
}

/// The plan a row function follows: with a row scratch (`scratch`) or not.
/// Multiplies folded into an FMA ([`fusable_muls`]) are never saved.
pub(super) fn plan(kernel: &Kernel, scratch: bool, has_fma: bool) -> (Plan, Vec<bool>) {
    let fused = if has_fma {
        let uniform = if kernel.is_row() { kernel.uniform() } else { vec![false; kernel.insts.len()] };
        fusable_muls(kernel, &uniform)
    } else {
        vec![false; kernel.insts.len()]
    };
    let plan = if scratch { Plan::with_scratch(kernel, &fused) } else { Plan::new(kernel) };
    (plan, fused)
}

/// Whether the host has a one-instruction FMA (asked once).
pub(super) fn has_fma() -> bool {
    static FMA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FMA.get_or_init(|| host_isa().is_ok_and(|(_, fma)| fma))
}

/// Compiles `kernel` for operands of `classes` (one per operand), with a
/// row scratch when `scratch` (the caller passes `plan.slots · n` floats).
pub(super) fn compile(
    kernel: &Kernel,
    classes: &[Class],
    unroll: usize,
    scratch: bool,
) -> Result<Compiled, String> {
    let (isa, has_fma) = host_isa()?;
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut ctx = module.make_context();
    for _ in 0..6 {
        ctx.func.signature.params.push(AbiParam::new(ptr));
    }
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    Row::build(
        &mut b,
        kernel,
        classes,
        unroll.clamp(1, MAX_COPIES),
        has_fma,
        scratch,
    );
    b.finalize(module.target_config());
    let err = |e: cranelift_module::ModuleError| format!("cranelift: {e:?}");
    let id = module
        .declare_function("row", Linkage::Local, &ctx.func.signature)
        .map_err(err)?;
    let disasm = std::env::var_os("TSC_JIT_DISASM").is_some();
    ctx.set_disasm(disasm);
    module.define_function(id, &mut ctx).map_err(err)?;
    if let Some(code) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()).filter(|_| disasm) {
        eprintln!("jit: {kernel}\n{code}");
    }
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(err)?;
    let code = module.get_finalized_function(id);
    // SAFETY: the function was declared with six pointer-sized parameters,
    // no results and the host's default (C) calling convention.
    let f = unsafe { std::mem::transmute::<*const u8, RowFn>(code) };
    Ok(Compiled {
        module: Mutex::new(Some(module)),
        f,
    })
}

/// How the body reads one operand.
#[derive(Copy, Clone)]
enum Src {
    /// Not read by the kernel.
    Unused,
    /// Streamed from the pointer in the variable, which starts each pass at
    /// the row's first element (the value); `Some(bytes)`: strided.
    Stream(Variable, Value, Option<Value>),
    /// One value: (scalar, f32x4 splat).
    Uniform(Value, Value),
}

/// The row length, for `rowlen` and the folds of row-uniform values.
#[derive(Copy, Clone)]
struct RowLen {
    /// `n` as a float.
    len: Value,
    /// `n == 0`.
    empty: Value,
}

/// The accumulators of one reduction in one pass: one f32x4 per unrolled
/// copy, then one scalar for the tail.
struct Acc {
    op: ReduceOp,
    vector: Vec<Variable>,
    scalar: Variable,
    /// max/min: the vector loops fold with `maxps`/`minps` (one instruction;
    /// they drop NaN) and OR here an i32x4 mask of the NaN lanes they saw;
    /// a NaN anywhere makes the fold NaN after the vector loops.
    nan: Option<Variable>,
}

struct Row<'k> {
    kernel: &'k Kernel,
    plan: Plan,
    srcs: Vec<Src>,
    /// Per output: the pointer variable and the row's first element.
    outs: Vec<(Variable, Value)>,
    n: Value,
    rem: Variable,
    unroll: usize,
    has_fma: bool,
    /// `fused[i]`: value i is a one-use `mul` folded into its add/sub.
    fused: Vec<bool>,
    /// Where [`Row::anchor`] stores.
    anchor_slot: StackSlot,
    /// The row scratch (the sixth parameter) and, per slot, the pointer
    /// variable a pass walks it with.
    scratch: Value,
    slot_ptrs: Vec<Variable>,
}

fn flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl<'k> Row<'k> {
    fn build(
        b: &mut FunctionBuilder,
        kernel: &'k Kernel,
        classes: &[Class],
        unroll: usize,
        has_fma: bool,
        scratch: bool,
    ) {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let p = b.block_params(entry).to_vec();
        let (n, ins, strides, scalars, outs, scratch_ptr) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        let mut used = vec![false; classes.len()];
        for inst in &kernel.insts {
            if let Inst::Param(k) = *inst {
                used[k as usize] = true;
            }
        }
        let mut srcs = Vec::with_capacity(classes.len());
        for (k, &class) in classes.iter().enumerate() {
            let off = 8 * k as i32;
            let src = match class {
                _ if !used[k] => Src::Unused,
                Class::Contiguous | Class::Strided => {
                    let v = b.declare_var(I64);
                    let base = b.ins().load(I64, flags(), ins, off);
                    let bytes = (class == Class::Strided).then(|| {
                        let s = b.ins().load(I64, flags(), strides, off);
                        b.ins().ishl_imm_u(s, 2)
                    });
                    Src::Stream(v, base, bytes)
                }
                Class::Broadcast | Class::Scalar => {
                    let x = if class == Class::Scalar {
                        b.ins().load(F32, flags(), scalars, 4 * k as i32)
                    } else {
                        let base = b.ins().load(I64, flags(), ins, off);
                        b.ins().load(F32, flags(), base, 0)
                    };
                    let v = b.ins().splat(F32X4, x);
                    Src::Uniform(x, v)
                }
            };
            srcs.push(src);
        }
        let outs = (0..kernel.outputs.len())
            .map(|j| {
                let v = b.declare_var(I64);
                let o = b.ins().load(I64, flags(), outs, 8 * j as i32);
                (v, o)
            })
            .collect();
        let rem = b.declare_var(I64);
        let (plan, fused) = plan(kernel, scratch, has_fma);
        let anchor_slot =
            b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
        let slot_ptrs = (0..plan.slots).map(|_| b.declare_var(I64)).collect();
        let row = Row {
            kernel,
            plan,
            srcs,
            outs,
            n,
            rem,
            unroll,
            has_fma,
            fused,
            anchor_slot,
            scratch: scratch_ptr,
            slot_ptrs,
        };
        for src in &row.srcs {
            if let Src::Uniform(_, v) = *src {
                row.anchor(b, v);
            }
        }
        row.emit_row(b);
        b.ins().return_(&[]);
    }

    /// The stages of the plan: scalar phase 0, then each reduction pass
    /// followed by its scalar phase, the storing pass, the per-row stores.
    fn emit_row(&self, b: &mut FunctionBuilder) {
        let m = self.kernel.insts.len();
        // Row-uniform values and masks, as scalars, once computed.
        let mut vals: Vec<Option<V>> = vec![None; m];
        let mut masks: Vec<Option<Mask>> = vec![None; m];
        let len = self.kernel.is_row().then(|| RowLen {
            len: b.ins().fcvt_from_uint(F32, self.n),
            empty: b.ins().icmp_imm_u(IntCC::Equal, self.n, 0),
        });
        self.scalar_phase(b, 0, &mut vals, &mut masks, len);
        for (k, stage) in self.plan.stages.iter().enumerate() {
            let folded = self.emit_pass(b, stage, &vals);
            for (&r, x) in stage.reduces.iter().zip(folded) {
                vals[r as usize] = Some(V::new(&[x]));
            }
            self.scalar_phase(b, k + 1, &mut vals, &mut masks, len);
        }
        if let Some(last) = &self.plan.last {
            self.emit_pass(b, last, &vals);
        }
        for (j, &o) in self.kernel.outputs.iter().enumerate() {
            if self.plan.per_row[j] {
                let x = vals[o as usize].expect("per-row outputs are computed by the last phase");
                b.ins().store(flags(), x.copies()[0], self.outs[j].1, 0);
            }
        }
    }

    /// The row-uniform values of phase `k`, once, as scalars.
    fn scalar_phase(
        &self,
        b: &mut FunctionBuilder,
        k: usize,
        vals: &mut [Option<V>],
        masks: &mut [Option<Mask>],
        len: Option<RowLen>,
    ) {
        let compute = self.plan.scalar_phase(self.kernel, k);
        if !compute.contains(&true) {
            return;
        }
        let mut em = Emit {
            b: &mut *b,
            vector: false,
            n: 1,
            has_fma: self.has_fma,
        };
        self.emit_values(&mut em, &[], &compute, vals, masks, len);
        for (i, &c) in compute.iter().enumerate() {
            if let (true, Some(v)) = (c, vals[i]) {
                self.anchor(b, v.copies()[0]);
            }
        }
    }

    /// Pins `v` where it is now: Cranelift 0.135's egraph places a pure
    /// value at its first use and did not hoist it back out of these loops
    /// (measured: a per-row `1/sqrt(var + eps)` was recomputed at every
    /// iteration of three loops, and every splat a loop reads), but a value
    /// used by a side-effecting instruction is computed there and reused by
    /// every block it dominates. So each row-uniform value and each splat a
    /// loop reads is stored once to a scratch slot (never read) before the
    /// loops.
    fn anchor(&self, b: &mut FunctionBuilder, v: Value) {
        b.ins().stack_store(I64, v, self.anchor_slot, 0);
    }

    /// One pass over the row (vector loop ×unroll, vector loop, scalar
    /// tail): computes `pass.compute` at every element, folds its
    /// reductions and stores its outputs; returns the folds.
    fn emit_pass(&self, b: &mut FunctionBuilder, pass: &Pass, vals: &[Option<V>]) -> Vec<Value> {
        for src in &self.srcs {
            if let Src::Stream(var, base, _) = *src {
                b.def_var(var, base);
            }
        }
        for &(j, _) in &pass.stores {
            b.def_var(self.outs[j].0, self.outs[j].1);
        }
        for slot in pass_slots(pass) {
            let off = b.ins().imul_imm_s(self.n, 4 * slot as i64);
            let p = b.ins().iadd(self.scratch, off);
            b.def_var(self.slot_ptrs[slot], p);
        }
        b.def_var(self.rem, self.n);
        let accs: Vec<Acc> = pass
            .reduces
            .iter()
            .map(|&r| {
                let Inst::Reduce(op, _) = self.kernel.insts[r as usize] else {
                    unreachable!("plan: passes fold reductions only")
                };
                let id = b.ins().f32const(op.identity() as f32);
                let idv = b.ins().splat(F32X4, id);
                let vector = (0..self.unroll)
                    .map(|_| {
                        let v = b.declare_var(F32X4);
                        b.def_var(v, idv);
                        v
                    })
                    .collect();
                let nan = (op != ReduceOp::Sum).then(|| {
                    let v = b.declare_var(I32X4);
                    let z = b.ins().iconst(I32, 0);
                    let z = b.ins().splat(I32X4, z);
                    b.def_var(v, z);
                    v
                });
                Acc {
                    op,
                    vector,
                    scalar: b.declare_var(F32),
                    nan,
                }
            })
            .collect();
        self.emit_loop(b, 4, self.unroll, pass, vals, &accs);
        if self.unroll > 1 {
            self.emit_loop(b, 4, 1, pass, vals, &accs);
        }
        for acc in &accs {
            let copies: Vec<Value> = acc.vector.iter().map(|&v| b.use_var(v)).collect();
            let x = tree(b, acc.op, copies);
            let lanes = (0..4u8).map(|l| b.ins().extractlane(x, l)).collect();
            let mut s = tree(b, acc.op, lanes);
            if let Some(nan) = acc.nan {
                let m = b.use_var(nan);
                let any = b.ins().vany_true(m);
                let q = b.ins().f32const(f32::NAN);
                s = b.ins().select(any, q, s);
            }
            b.def_var(acc.scalar, s);
        }
        self.emit_loop(b, 1, 1, pass, vals, &accs);
        accs.iter().map(|a| b.use_var(a.scalar)).collect()
    }

    /// `while rem >= lanes·copies { body ×copies; advance }`.
    fn emit_loop(
        &self,
        b: &mut FunctionBuilder,
        lanes: usize,
        copies: usize,
        pass: &Pass,
        uniform: &[Option<V>],
        accs: &[Acc],
    ) {
        let step = (lanes * copies) as i64;
        // The uniform numbers this loop reads, splatted before it.
        let mut vals: Vec<Option<V>> = vec![None; uniform.len()];
        for &r in &pass.reads {
            let x = uniform[r as usize]
                .expect("plan: read after its phase")
                .copies()[0];
            let x = if lanes > 1 {
                let v = b.ins().splat(F32X4, x);
                self.anchor(b, v);
                v
            } else {
                x
            };
            vals[r as usize] = Some(V::new(&[x; MAX_COPIES][..copies]));
        }
        let mut loads = vec![false; self.srcs.len()];
        for (i, inst) in self.kernel.insts.iter().enumerate() {
            if let (true, Inst::Param(k)) = (pass.compute[i], *inst) {
                loads[k as usize] = true;
            }
        }
        let (header, body, next) = (b.create_block(), b.create_block(), b.create_block());
        b.ins().jump(header, &[]);
        b.switch_to_block(header);
        let rem = b.use_var(self.rem);
        let stepv = b.ins().iconst(I64, step);
        let go = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, rem, stepv);
        b.ins().brif(go, body, &[], next, &[]);
        b.switch_to_block(body);
        b.seal_block(body);
        // All copies at once, interleaved instruction by instruction.
        let params: Vec<Option<V>> = self
            .srcs
            .iter()
            .zip(&loads)
            .map(|(&s, &load)| {
                if !load {
                    return None;
                }
                let per_copy: Option<Vec<Value>> = (0..copies)
                    .map(|u| self.load(b, s, lanes, (u * lanes) as i64))
                    .collect();
                per_copy.map(|c| V::new(&c))
            })
            .collect();
        let ty = if lanes > 1 { F32X4 } else { F32 };
        for &(slot, v) in &pass.loads {
            let p = b.use_var(self.slot_ptrs[slot]);
            let c: Vec<Value> = (0..copies)
                .map(|u| b.ins().load(ty, flags(), p, (4 * u * lanes) as i32))
                .collect();
            vals[v as usize] = Some(V::new(&c));
        }
        let mut masks = vec![None; vals.len()];
        let mut em = Emit {
            b: &mut *b,
            vector: lanes > 1,
            n: copies,
            has_fma: self.has_fma,
        };
        self.emit_values(&mut em, &params, &pass.compute, &mut vals, &mut masks, None);
        for (acc, &r) in accs.iter().zip(&pass.reduces) {
            let a = self.kernel.insts[r as usize].operands()[0];
            let x = vals[a as usize].expect("plan: a fold's operand is computed in its pass");
            let mut nans = vec![];
            for (u, &x) in x.copies().iter().enumerate() {
                let var = if lanes > 1 { acc.vector[u] } else { acc.scalar };
                let cur = b.use_var(var);
                let y = match (acc.nan, lanes > 1) {
                    (Some(_), true) => {
                        nans.push(b.ins().fcmp(FloatCC::Unordered, x, x));
                        fold_fast(b, acc.op, cur, x)
                    }
                    _ => fold(b, acc.op, cur, x),
                };
                b.def_var(var, y);
            }
            if let (Some(nan), false) = (acc.nan, nans.is_empty()) {
                let seen = nans
                    .into_iter()
                    .reduce(|p, q| b.ins().bor(p, q))
                    .expect("at least one copy");
                let m = b.use_var(nan);
                let m = b.ins().bor(m, seen);
                b.def_var(nan, m);
            }
        }
        let outs = pass.stores.iter().map(|&(j, o)| (self.outs[j].0, o));
        let saves = pass.saves.iter().map(|&(slot, v)| (self.slot_ptrs[slot], v));
        for (var, o) in outs.chain(saves) {
            let v = vals[o as usize].expect("plan: a stored value is computed in its pass");
            let p = b.use_var(var);
            for (u, &x) in v.copies().iter().enumerate() {
                b.ins().store(flags(), x, p, (4 * u * lanes) as i32);
            }
        }
        for (src, &load) in self.srcs.iter().zip(&loads) {
            if let (Src::Stream(var, _, bytes), true) = (*src, load) {
                let p = b.use_var(var);
                let p = match bytes {
                    None => b.ins().iadd_imm_s(p, 4 * step),
                    Some(s) => {
                        let d = b.ins().imul_imm_s(s, step);
                        b.ins().iadd(p, d)
                    }
                };
                b.def_var(var, p);
            }
        }
        let outs = pass.stores.iter().map(|&(j, _)| self.outs[j].0);
        for var in outs.chain(pass_slots(pass).map(|s| self.slot_ptrs[s])) {
            let p = b.use_var(var);
            let p = b.ins().iadd_imm_s(p, 4 * step);
            b.def_var(var, p);
        }
        let r = b.ins().iadd_imm_s(rem, -step);
        b.def_var(self.rem, r);
        b.ins().jump(header, &[]);
        b.seal_block(header);
        b.switch_to_block(next);
        b.seal_block(next);
    }

    /// Operand value for elements `first..first+lanes` of this iteration.
    fn load(&self, b: &mut FunctionBuilder, src: Src, lanes: usize, first: i64) -> Option<Value> {
        let vector = lanes > 1;
        match src {
            Src::Unused => None,
            Src::Uniform(x, v) => Some(if vector { v } else { x }),
            Src::Stream(var, _, None) => {
                let p = b.use_var(var);
                let ty = if vector { F32X4 } else { F32 };
                Some(b.ins().load(ty, flags(), p, (4 * first) as i32))
            }
            Src::Stream(var, _, Some(bytes)) => {
                let p = b.use_var(var);
                let mut acc = None;
                for l in 0..lanes as i64 {
                    let d = b.ins().imul_imm_s(bytes, first + l);
                    let a = b.ins().iadd(p, d);
                    let x = b.ins().load(F32, flags(), a, 0);
                    acc = Some(match acc {
                        None if vector => b.ins().splat(F32X4, x),
                        None => x,
                        Some(v) => b.ins().insertlane(v, x, l as u8),
                    });
                }
                acc
            }
        }
    }

    /// Computes the values in `compute` on one set of lanes, in instruction
    /// order, into `vals`/`masks`, which already hold every other value
    /// they read (uniform numbers, earlier phases). `params` are the loaded
    /// operands; `len` is given in the scalar phases of a row kernel (the
    /// only place `rowlen` and folds of uniform values are computed).
    fn emit_values(
        &self,
        em: &mut Emit,
        params: &[Option<V>],
        compute: &[bool],
        vals: &mut [Option<V>],
        masks: &mut [Option<Mask>],
        len: Option<RowLen>,
    ) {
        let insts = &self.kernel.insts;
        // The plan and `check` guarantee operands are available and of the
        // right kind; a `None` here would be a bug in this file.
        let v = |vals: &[Option<V>], i: u32| vals[i as usize].expect("plan: operand available");
        let mul_of = |i: u32| match insts[i as usize] {
            Inst::Binary(BinaryOp::Mul, x, y) if self.fused[i as usize] => Some((x, y)),
            _ => None,
        };
        for (i, inst) in insts.iter().enumerate() {
            if !compute[i] || self.fused[i] {
                continue;
            }
            let r = match *inst {
                Inst::Param(k) => params[k as usize].expect("used operands are loaded"),
                Inst::Const(c) => em.c(c as f32),
                Inst::Unary(op, a) => em.unary(op, v(vals, a)),
                Inst::Binary(op, a, c) => match (op, mul_of(a), mul_of(c)) {
                    (BinaryOp::Add, Some((x, y)), _) => {
                        em.mul_add(v(vals, x), v(vals, y), v(vals, c))
                    }
                    (BinaryOp::Add, None, Some((x, y))) => {
                        em.mul_add(v(vals, x), v(vals, y), v(vals, a))
                    }
                    (BinaryOp::Sub, Some((x, y)), _) => {
                        let nc = em.neg(v(vals, c));
                        em.mul_add(v(vals, x), v(vals, y), nc)
                    }
                    (BinaryOp::Sub, None, Some((x, y))) => {
                        let nx = em.neg(v(vals, x));
                        em.mul_add(nx, v(vals, y), v(vals, a))
                    }
                    _ => binary(em, op, v(vals, a), v(vals, c)),
                },
                Inst::Compare(op, a, c) => {
                    masks[i] = Some(em.cmp(float_cc(op), v(vals, a), v(vals, c)));
                    continue;
                }
                Inst::Select(m, a, c) => {
                    let m = masks[m as usize].expect("kernel checked: select takes a mask");
                    em.select(m, v(vals, a), v(vals, c))
                }
                Inst::RowLen => V::new(&[len.expect("plan: rowlen is a scalar").len]),
                // A fold of a row-uniform value (the others come from passes).
                Inst::Reduce(op, a) => {
                    let len = len.expect("plan: a uniform fold is a scalar");
                    let x = v(vals, a).copies()[0];
                    let b = &mut *em.b;
                    let y = match op {
                        ReduceOp::Sum => b.ins().fmul(len.len, x),
                        ReduceOp::Max | ReduceOp::Min => x,
                    };
                    let id = b.ins().f32const(op.identity() as f32);
                    V::new(&[b.ins().select(len.empty, id, y)])
                }
            };
            vals[i] = Some(r);
        }
    }
}

/// The row-scratch slots a pass loads or saves, each once.
fn pass_slots(pass: &Pass) -> impl Iterator<Item = usize> {
    let mut slots: Vec<usize> = pass.loads.iter().chain(&pass.saves).map(|&(s, _)| s).collect();
    slots.sort_unstable();
    slots.dedup();
    slots.into_iter()
}

/// `acc op x` for one reduction (CLIF fmax/fmin return NaN when either
/// operand is NaN, as `torch.amax` does).
fn fold(b: &mut FunctionBuilder, op: ReduceOp, acc: Value, x: Value) -> Value {
    match op {
        ReduceOp::Sum => b.ins().fadd(acc, x),
        ReduceOp::Max => b.ins().fmax(acc, x),
        ReduceOp::Min => b.ins().fmin(acc, x),
    }
}

/// `acc op x` on f32x4 where NaN lanes are accounted for elsewhere: max and
/// min as `x86`'s `maxps`/`minps` (the `bitselect(fcmp lt ..)` pattern
/// lowers to one instruction; on a NaN it keeps `acc`).
fn fold_fast(b: &mut FunctionBuilder, op: ReduceOp, acc: Value, x: Value) -> Value {
    let (lo, hi) = match op {
        ReduceOp::Sum => return b.ins().fadd(acc, x),
        ReduceOp::Max => (acc, x),
        ReduceOp::Min => (x, acc),
    };
    // max: acc < x ? x : acc; min: x < acc ? x : acc.
    let m = b.ins().fcmp(FloatCC::LessThan, lo, hi);
    let m = b.ins().bitcast(F32X4, MemFlagsData::new(), m);
    b.ins().bitselect(m, x, acc)
}

/// Folds `xs` pairwise: ((x0 op x1) op (x2 op x3)).
fn tree(b: &mut FunctionBuilder, op: ReduceOp, mut xs: Vec<Value>) -> Value {
    while xs.len() > 1 {
        xs = xs
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    fold(b, op, p[0], p[1])
                } else {
                    p[0]
                }
            })
            .collect();
    }
    xs[0]
}

fn binary(em: &mut Emit, op: BinaryOp, a: V, b: V) -> V {
    match op {
        BinaryOp::Add => em.add(a, b),
        BinaryOp::Sub => em.sub(a, b),
        BinaryOp::Mul => em.mul(a, b),
        BinaryOp::Div => em.div(a, b),
        // CLIF fmax/fmin return NaN when either operand is NaN.
        BinaryOp::Max => em.map2(a, b, |b, x, y| b.ins().fmax(x, y)),
        BinaryOp::Min => em.map2(a, b, |b, x, y| b.ins().fmin(x, y)),
    }
}

/// PyTorch's comparisons: false on NaN except `ne`.
fn float_cc(op: CmpOp) -> FloatCC {
    match op {
        CmpOp::Eq => FloatCC::Equal,
        CmpOp::Ne => FloatCC::NotEqual,
        CmpOp::Lt => FloatCC::LessThan,
        CmpOp::Le => FloatCC::LessThanOrEqual,
        CmpOp::Gt => FloatCC::GreaterThan,
        CmpOp::Ge => FloatCC::GreaterThanOrEqual,
    }
}

/// The `mul`s to fold into an FMA: used exactly once, by an `add`/`sub`
/// (at most one per add) that is computed where the `mul` is (both
/// row-uniform or both not), and not an output.
fn fusable_muls(kernel: &Kernel, uniform: &[bool]) -> Vec<bool> {
    let n = kernel.insts.len();
    let mut uses = vec![0usize; n];
    for inst in &kernel.insts {
        for a in inst.operands() {
            uses[a as usize] += 1;
        }
    }
    for &o in &kernel.outputs {
        uses[o as usize] += 2;
    }
    let is_mul = |i: u32| {
        matches!(kernel.insts[i as usize], Inst::Binary(BinaryOp::Mul, ..)) && uses[i as usize] == 1
    };
    let mut fused = vec![false; n];
    for (i, inst) in kernel.insts.iter().enumerate() {
        if let Inst::Binary(BinaryOp::Add | BinaryOp::Sub, a, b) = *inst {
            let with = |m: u32| is_mul(m) && uniform[m as usize] == uniform[i];
            if with(a) {
                fused[a as usize] = true;
            } else if with(b) {
                fused[b as usize] = true;
            }
        }
    }
    fused
}
