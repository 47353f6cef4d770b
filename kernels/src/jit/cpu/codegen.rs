//! Compiles one specialization of a kernel (a stride class per operand) to
//! a row function with Cranelift:
//!
//! ```text
//! extern "C" fn row(n: usize, ins: *const *const f32, strides: *const isize,
//!                   scalars: *const f32, outs: *const *mut f32)
//! ```
//!
//! It computes `n` consecutive elements of every output. `ins[k]` is operand
//! k's first element (contiguous, strided and broadcast operands),
//! `strides[k]` its stride in elements (strided operands), `scalars[k]` its
//! value (scalar operands); unused slots are never read. Base pointers,
//! strides, broadcast and scalar values are loaded (and splatted) once in the
//! entry block; then three loops run: f32x4 ×`unroll` (the copies
//! interleaved instruction by instruction), single f32x4, and a scalar
//! tail, each with the same body (`Row::emit_body`).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F32X4, I64};
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Value};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use std::sync::Mutex;

use super::math::{Emit, Mask, MAX_COPIES, V};
use crate::jit::ir::{BinaryOp, CmpOp, Inst, Kernel};

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
pub(super) type RowFn =
    unsafe extern "C" fn(usize, *const *const f32, *const isize, *const f32, *const *mut f32);

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

/// Compiles `kernel` for operands of `classes` (one per operand).
pub(super) fn compile(
    kernel: &Kernel,
    classes: &[Class],
    unroll: usize,
) -> Result<Compiled, String> {
    let (isa, has_fma) = host_isa()?;
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut ctx = module.make_context();
    for _ in 0..5 {
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
    );
    b.finalize(module.target_config());
    let err = |e: cranelift_module::ModuleError| format!("cranelift: {e:?}");
    let id = module
        .declare_function("row", Linkage::Local, &ctx.func.signature)
        .map_err(err)?;
    module.define_function(id, &mut ctx).map_err(err)?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(err)?;
    let code = module.get_finalized_function(id);
    // SAFETY: the function was declared with five pointer-sized parameters,
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
    /// Streamed from the pointer in the variable; `Some(bytes)`: strided.
    Stream(Variable, Option<Value>),
    /// One value: (scalar, f32x4 splat).
    Uniform(Value, Value),
}

struct Row<'k> {
    kernel: &'k Kernel,
    srcs: Vec<Src>,
    outs: Vec<Variable>,
    rem: Variable,
    has_fma: bool,
    /// `fused[i]`: value i is a one-use `mul` folded into its add/sub.
    fused: Vec<bool>,
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
    ) {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let p = b.block_params(entry).to_vec();
        let (n, ins, strides, scalars, outs) = (p[0], p[1], p[2], p[3], p[4]);
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
                    b.def_var(v, base);
                    let bytes = (class == Class::Strided).then(|| {
                        let s = b.ins().load(I64, flags(), strides, off);
                        b.ins().ishl_imm_u(s, 2)
                    });
                    Src::Stream(v, bytes)
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
                b.def_var(v, o);
                v
            })
            .collect();
        let rem = b.declare_var(I64);
        b.def_var(rem, n);
        let fused = if has_fma {
            fusable_muls(kernel)
        } else {
            vec![false; kernel.insts.len()]
        };
        let row = Row {
            kernel,
            srcs,
            outs,
            rem,
            has_fma,
            fused,
        };
        row.emit_loop(b, 4, unroll);
        if unroll > 1 {
            row.emit_loop(b, 4, 1);
        }
        row.emit_loop(b, 1, 1);
        b.ins().return_(&[]);
    }

    /// `while rem >= lanes·copies { body ×copies; advance }`.
    fn emit_loop(&self, b: &mut FunctionBuilder, lanes: usize, copies: usize) {
        let step = (lanes * copies) as i64;
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
            .map(|&s| {
                let per_copy: Option<Vec<Value>> = (0..copies)
                    .map(|u| self.load(b, s, lanes, (u * lanes) as i64))
                    .collect();
                per_copy.map(|c| V::new(&c))
            })
            .collect();
        let mut em = Emit {
            b: &mut *b,
            vector: lanes > 1,
            n: copies,
            has_fma: self.has_fma,
        };
        let vals = self.emit_body(&mut em, &params);
        for (&o, v) in self.outs.iter().zip(&vals) {
            let p = b.use_var(o);
            for (u, &x) in v.copies().iter().enumerate() {
                b.ins().store(flags(), x, p, (4 * u * lanes) as i32);
            }
        }
        for src in &self.srcs {
            if let Src::Stream(var, bytes) = *src {
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
        for &o in &self.outs {
            let p = b.use_var(o);
            let p = b.ins().iadd_imm_s(p, 4 * step);
            b.def_var(o, p);
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
            Src::Stream(var, None) => {
                let p = b.use_var(var);
                let ty = if vector { F32X4 } else { F32 };
                Some(b.ins().load(ty, flags(), p, (4 * first) as i32))
            }
            Src::Stream(var, Some(bytes)) => {
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

    /// The kernel body on one set of lanes; returns the outputs.
    fn emit_body(&self, em: &mut Emit, params: &[Option<V>]) -> Vec<V> {
        let insts = &self.kernel.insts;
        let mut vals: Vec<Option<V>> = vec![None; insts.len()];
        let mut masks: Vec<Option<Mask>> = vec![None; insts.len()];
        // `check` guarantees operands are defined earlier and of the right
        // kind; a `None` here would be a bug in this file.
        let v =
            |vals: &[Option<V>], i: u32| vals[i as usize].expect("kernel checked: operand defined");
        let mul_of = |i: u32| match insts[i as usize] {
            Inst::Binary(BinaryOp::Mul, x, y) if self.fused[i as usize] => Some((x, y)),
            _ => None,
        };
        for (i, inst) in insts.iter().enumerate() {
            if self.fused[i] {
                continue;
            }
            let r = match *inst {
                Inst::Param(k) => params[k as usize].expect("used operands are loaded"),
                Inst::Const(c) => em.c(c as f32),
                Inst::Unary(op, a) => em.unary(op, v(&vals, a)),
                Inst::Binary(op, a, c) => match (op, mul_of(a), mul_of(c)) {
                    (BinaryOp::Add, Some((x, y)), _) => {
                        em.mul_add(v(&vals, x), v(&vals, y), v(&vals, c))
                    }
                    (BinaryOp::Add, None, Some((x, y))) => {
                        em.mul_add(v(&vals, x), v(&vals, y), v(&vals, a))
                    }
                    (BinaryOp::Sub, Some((x, y)), _) => {
                        let nc = em.neg(v(&vals, c));
                        em.mul_add(v(&vals, x), v(&vals, y), nc)
                    }
                    (BinaryOp::Sub, None, Some((x, y))) => {
                        let nx = em.neg(v(&vals, x));
                        em.mul_add(nx, v(&vals, y), v(&vals, a))
                    }
                    _ => binary(em, op, v(&vals, a), v(&vals, c)),
                },
                Inst::Compare(op, a, c) => {
                    masks[i] = Some(em.cmp(float_cc(op), v(&vals, a), v(&vals, c)));
                    continue;
                }
                Inst::Select(m, a, c) => {
                    let m = masks[m as usize].expect("kernel checked: select takes a mask");
                    em.select(m, v(&vals, a), v(&vals, c))
                }
                // `CpuKernel::new` turns row kernels away before this.
                Inst::Reduce(..) | Inst::RowLen => em.c(0.0),
            };
            vals[i] = Some(r);
        }
        self.kernel.outputs.iter().map(|&o| v(&vals, o)).collect()
    }
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
/// (at most one per add), and not an output.
fn fusable_muls(kernel: &Kernel) -> Vec<bool> {
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
    for inst in &kernel.insts {
        if let Inst::Binary(BinaryOp::Add | BinaryOp::Sub, a, b) = *inst {
            if is_mul(a) {
                fused[a as usize] = true;
            } else if is_mul(b) {
                fused[b as usize] = true;
            }
        }
    }
    fused
}
