//! The CUDA backend's emitter: a [`Kernel`] specialized for which operands
//! are tensors and which are scalars, as CUDA C source for NVRTC. Pure text:
//! no CUDA is needed here; `tsc-runtime`'s `cuda` module compiles and
//! launches what this writes.
//!
//! # The emitted kernels' ABI
//!
//! One source holds two `extern "C" __global__` kernels that compute in
//! float32 (operands and outputs may be stored narrower, below). For an
//! elementwise kernel they run over the output's `n` elements (a
//! grid-stride loop: any grid covers all of them; `n == 0` must not be
//! launched, a zero grid is a launch error):
//!
//! ```text
//! NAME(long long n, TscIndex idx, OPERANDS..., OUT* out0, OUT* out1, ...)
//! NAME_contig(long long n, OPERANDS..., OUT* out0, OUT* out1, ...)
//! ```
//!
//! - `OPERANDS` are the kernel's operands in order: a tensor is a
//!   `const float*` to its element at index (0, ..., 0) (its storage offset
//!   already added), a one-byte tensor (`CudaOperand::Bytes`) a `const
//!   unsigned char*` likewise, a float16 or bfloat16 tensor
//!   (`CudaOperand::Half`, `BFloat16`) a `const unsigned short*` of its
//!   bits; a scalar is a `float` passed by value.
//! - `idx` is passed by value:
//!   `struct TscIndex { long long rank; long long shape[8]; long long strides[T][8]; }`
//!   with `T = max(1, number of tensor operands)`. `shape[0..rank]` is the
//!   output's shape (`rank <= 8`; rank 0 is one element), `strides[t][d]` the
//!   element stride of the `t`-th *tensor* operand (scalars skipped) along
//!   output dim `d`, 0 where that operand is broadcast. All fields are 8 bytes,
//!   so a `#[repr(C)]` struct of `i64`s with room for at least `T` rows (see
//!   [`MAX_TENSOR_OPERANDS`]) matches it; the driver copies only the first
//!   `size_of(TscIndex)` bytes.
//! - outputs are contiguous (row-major in the output's shape), one per
//!   kernel output, `n` elements each; `OUT` is `float`, `unsigned short`
//!   (float16/bfloat16 bits) or `unsigned char` (`bool`) as
//!   [`CudaOutput`] says ([`cuda_source`]: all `float`).
//! - `NAME_contig` is the fast path, valid when every tensor operand is
//!   contiguous with exactly the output's shape: element `i` of each operand
//!   is `p[i]`. It loads and stores four elements at a time (`float4`,
//!   `ushort4`, `uchar4`) when every pointer is aligned to four of its
//!   elements, which the kernel checks itself: any pointers are valid.
//!
//! ## Row kernels
//!
//! A row kernel (`Kernel::is_row`) gets the same two names with the row
//! count and length first:
//!
//! ```text
//! NAME(long long rows, long long n, TscIndex idx, OPERANDS..., OUT* out0, ...)
//! NAME_contig(long long rows, long long n, OPERANDS..., OUT* out0, ...)
//! ```
//!
//! - `idx.shape[0..rank]` is the full iteration shape and `idx.strides`
//!   each tensor operand's strides over it, as above; its last dim is the
//!   row: `n = shape[rank - 1]` and `rows = numel(shape[..rank - 1])` (rank
//!   0: `rows = n = 1`). `NAME_contig` is valid when every tensor operand
//!   is contiguous with exactly that shape (element (r, c) at `r·n + c`).
//! - Launch: a 1-d grid of any number of blocks (`gridDim.x >= 1`; block
//!   `b` does rows `b, b + gridDim.x, ...`, so `min(rows, a few per SM)` is
//!   enough); 1-d blocks of `blockDim.x` threads, a multiple of 32 from 32
//!   to 1024 ([`ROW_BLOCK`] is the default); no dynamic shared memory (the
//!   kernel has 32 static floats). `rows == 0` must not be launched;
//!   `n == 0` is valid and writes only the per-row outputs (the folds of
//!   nothing: sum 0, max -inf, min +inf, and what follows from them).
//! - Outputs are contiguous: a per-row output (`Kernel::per_row_outputs`)
//!   has `rows` elements (row-major over the outer dims), the others
//!   `rows·n`.
//! - Each block walks its row in the passes of the plan
//!   (`jit/plan.rs`): every pass is a loop whose threads stride over the
//!   row recomputing the values it needs, folding them in a per-thread
//!   accumulator, then reduced over the block (`__shfl_xor_sync` warp
//!   butterflies, warp partials through shared memory); every thread then
//!   computes the row-uniform values from the same folded number; thread 0
//!   writes the per-row outputs.
//!
//! Semantics are `ir.rs`'s on float32: CUDA's IEEE float functions (`expf`,
//! `logf`, `tanhf`, `erff`, ...; compile without `--use_fast_math`, and the
//! runtime passes `--fmad=false` so each operation rounds as it would
//! eagerly); `max`, `min` and `relu` propagate NaN (CUDA's `fmaxf` does not,
//! so they test for it). The text is a pure function of the arguments.

use super::ir::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};
use super::plan::{Pass, Plan};
use std::fmt::Write;

/// The most output dims a launch may have (`TscIndex::shape`'s length).
pub const MAX_RANK: usize = 8;

/// The most tensor operands one kernel may take: keeps `TscIndex` (and so
/// the launch's parameters) well under the 4 KiB a CUDA launch can pass.
pub const MAX_TENSOR_OPERANDS: usize = 32;

/// What an operand is in one specialization.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CudaOperand {
    /// A float32 tensor, read at the current element through its strides.
    Tensor,
    /// A float32 number, the same at every element.
    Scalar,
    /// A tensor of one-byte elements (`bool`, `uint8`), read like `Tensor`
    /// and converted to float32 (a `bool` is 0 or 1): a `const unsigned
    /// char*` parameter. Masks from outside a kernel enter this way.
    Bytes,
    /// A float16 tensor, read like `Tensor` and widened to float32 (exact):
    /// a `const unsigned short*` parameter holding the IEEE binary16 bits.
    Half,
    /// A bfloat16 tensor, likewise (the upper 16 bits of a float32).
    BFloat16,
}

impl CudaOperand {
    /// Whether the operand is read through a pointer and strides.
    pub fn is_tensor(self) -> bool {
        !matches!(self, CudaOperand::Scalar)
    }
}

/// The element type of one kernel output. Values are computed in float32
/// and rounded once, when stored.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CudaOutput {
    /// `float*`.
    F32,
    /// `unsigned short*` of binary16 bits, rounded to nearest even.
    F16,
    /// `unsigned short*` of bfloat16 bits, rounded to nearest even (NaN
    /// becomes the quiet NaN `0x7fc0`, as PyTorch's conversion gives).
    BF16,
    /// `unsigned char*`: 1 where the value is nonzero (NaN included), else 0,
    /// as PyTorch's conversion to `bool`.
    Bool,
}

/// Device functions shared by every emitted source, one per IR operation
/// whose CUDA spelling is more than an operator or one library call.
const PRELUDE: &str = r#"// Generated by tsc-kernels jit/cuda.rs. Do not edit.
#define TSC_MAX_RANK 8
__device__ __forceinline__ bool tsc_isnan(float a) { return a != a; }
// float16 and bfloat16 bits to and from float32, without cuda_fp16.h.
__device__ __forceinline__ float tsc_from_f16(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ unsigned short tsc_to_f16(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
__device__ __forceinline__ float tsc_from_bf16(unsigned short b) { return __uint_as_float(((unsigned int)b) << 16); }
__device__ __forceinline__ unsigned short tsc_to_bf16(float f) {
  const unsigned int u = __float_as_uint(f);
  if (tsc_isnan(f)) return (unsigned short)0x7fc0u;
  return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
__device__ __forceinline__ float tsc_max(float a, float b) { return tsc_isnan(a) ? a : (tsc_isnan(b) ? b : fmaxf(a, b)); }
__device__ __forceinline__ float tsc_min(float a, float b) { return tsc_isnan(a) ? a : (tsc_isnan(b) ? b : fminf(a, b)); }
__device__ __forceinline__ float tsc_relu(float a) { return (a > 0.0f || tsc_isnan(a)) ? a : 0.0f; }
__device__ __forceinline__ float tsc_sigmoid(float a) { return 1.0f / (1.0f + expf(-a)); }
__device__ __forceinline__ float tsc_silu(float a) { return a / (1.0f + expf(-a)); }
__device__ __forceinline__ float tsc_gelu(float a) { return 0.5f * a * (1.0f + erff(a * 0.707106781186547524f)); }
__device__ __forceinline__ float tsc_gelu_tanh(float a) {
  const float beta = 0.797884560802865356f;
  const float kappa = 0.044715f;
  float inner = beta * (a + kappa * (a * a * a));
  return 0.5f * a * (1.0f + tanhf(inner));
}
"#;

/// What a row kernel's source adds to [`PRELUDE`]: folds and the block
/// reduction (warp butterflies with `__shfl_xor_sync`, warp partials through
/// shared memory, and a second butterfly so that every thread gets the same
/// result).
const ROW_PRELUDE: &str = r#"#define TSC_SUM 0
#define TSC_MAX 1
#define TSC_MIN 2
template <int OP> __device__ __forceinline__ float tsc_fold(float a, float b) {
  return OP == TSC_SUM ? a + b : (OP == TSC_MAX ? tsc_max(a, b) : tsc_min(a, b));
}
// The fold of every thread's x over the block, returned to every thread
// (bitwise the same in each). blockDim.x is a multiple of 32, at most 1024;
// sh holds 32 floats; every thread of the block calls it.
template <int OP> __device__ float tsc_block_fold(float x, float id, float* sh) {
  for (int o = 16; o > 0; o >>= 1) x = tsc_fold<OP>(x, __shfl_xor_sync(0xffffffffu, x, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) sh[warp] = x;
  __syncthreads();
  x = lane < (int)(blockDim.x >> 5) ? sh[lane] : id;
  for (int o = 16; o > 0; o >>= 1) x = tsc_fold<OP>(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
"#;

/// The threads per block the row kernels are written for (any multiple of
/// 32 up to 1024 works; the runtime may pick fewer for short rows).
pub const ROW_BLOCK: u32 = 256;

/// The CUDA C source of `kernel` with operand `k` being `operands[k]`: the
/// two kernels `name` and `name_contig` of the module doc. Errors: the
/// kernel fails [`Kernel::check`], `operands` has the wrong length or more
/// than [`MAX_TENSOR_OPERANDS`] tensors, or `name` is not a C identifier.
pub fn cuda_source(
    kernel: &Kernel,
    name: &str,
    operands: &[CudaOperand],
) -> Result<String, String> {
    let outputs = vec![CudaOutput::F32; kernel.outputs.len()];
    cuda_source_typed(kernel, name, operands, &outputs)
}

/// [`cuda_source`] with output `j` stored as `outputs[j]` (one per kernel
/// output). Errors as `cuda_source`, and when `outputs` has the wrong length.
pub fn cuda_source_typed(
    kernel: &Kernel,
    name: &str,
    operands: &[CudaOperand],
    outputs: &[CudaOutput],
) -> Result<String, String> {
    kernel.check()?;
    check_name(name)?;
    if operands.len() != kernel.num_params as usize {
        return Err(format!(
            "cuda: kernel takes {} operands, {} given",
            kernel.num_params,
            operands.len()
        ));
    }
    if outputs.len() != kernel.outputs.len() {
        return Err(format!(
            "cuda: kernel has {} outputs, {} output types given",
            kernel.outputs.len(),
            outputs.len()
        ));
    }
    let sig = Sig { operands, outputs };
    let tensors = operands
        .iter()
        .filter(|o| o.is_tensor())
        .count();
    if tensors > MAX_TENSOR_OPERANDS {
        return Err(format!(
            "cuda: {tensors} tensor operands, at most {MAX_TENSOR_OPERANDS}"
        ));
    }
    let mut s = String::from(PRELUDE);
    // `write!` into a String cannot fail; the results are ignored below.
    let _ = writeln!(
        s,
        "struct TscIndex {{ long long rank; long long shape[TSC_MAX_RANK]; long long strides[{}][TSC_MAX_RANK]; }};",
        tensors.max(1)
    );
    let _ = writeln!(
        s,
        "\n// kernel:\n// {}",
        kernel.to_string().replace('\n', "\n// ")
    );
    if kernel.is_row() {
        s.insert_str(PRELUDE.len(), ROW_PRELUDE);
        let plan = Plan::new(kernel);
        emit_rows(&mut s, kernel, &plan, name, sig, false);
        emit_rows(&mut s, kernel, &plan, name, sig, true);
        return Ok(s);
    }
    let body = emit_body(kernel, sig);
    emit_strided(&mut s, name, sig, &body);
    emit_contig(&mut s, kernel, name, sig, &body);
    Ok(s)
}

/// The element types of one specialization: operands and outputs.
#[derive(Copy, Clone)]
struct Sig<'a> {
    operands: &'a [CudaOperand],
    outputs: &'a [CudaOutput],
}

impl Sig<'_> {
    /// The statement storing value `v` as output `j` at index `at`.
    fn store(&self, j: usize, at: &str, v: u32) -> String {
        self.store_to(j, &format!("out{j}[{at}]"), v)
    }

    /// The statement storing value `v`, converted to output `j`'s type, in
    /// the lvalue `place`.
    fn store_to(&self, j: usize, place: &str, v: u32) -> String {
        let x = match self.outputs[j] {
            CudaOutput::F32 => format!("v{v}"),
            CudaOutput::F16 => format!("tsc_to_f16(v{v})"),
            CudaOutput::BF16 => format!("tsc_to_bf16(v{v})"),
            CudaOutput::Bool => format!("(unsigned char)(v{v} != 0.0f)"),
        };
        format!("{place} = {x};")
    }
}

/// Whether `name` can name a C function (and its `_contig` twin).
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!("cuda: kernel name {name:?} is not a C identifier"))
    }
}

/// The parameter list after `n` (and `idx`): operands, then outputs.
fn params(sig: Sig) -> String {
    let mut ps: Vec<String> = sig
        .operands
        .iter()
        .enumerate()
        .map(|(k, &o)| match o {
            CudaOperand::Scalar => format!("float p{k}"),
            _ => format!("const {}* __restrict__ p{k}", storage(operand_bytes(o)).0),
        })
        .collect();
    ps.extend(sig.outputs.iter().enumerate().map(|(j, &o)| {
        format!("{}* __restrict__ out{j}", storage(output_bytes(o)).0)
    }));
    ps.join(", ")
}

/// The loop body after operand offsets are known: a tensor operand `k` is
/// read as `p{k}[o{k}]` (`o{k}` is defined by the caller), values are
/// `v{i}`, and the outputs are stored at element `i`.
fn emit_body(kernel: &Kernel, sig: Sig) -> String {
    let mut b = String::new();
    for (i, inst) in kernel.insts.iter().enumerate() {
        stmt(&mut b, "    ", i, *inst, sig.operands);
    }
    for (j, &o) in kernel.outputs.iter().enumerate() {
        let _ = writeln!(b, "    {}", sig.store(j, "i", o));
    }
    b
}

/// The statement defining value `i` (a tensor operand `k` is read as
/// `p{k}[o{k}]`). `rowlen` is `n`; a reduction here is one of a row-uniform
/// value (`n·v` for a sum, `v` for max/min, the identity when `n == 0`): the
/// folds of varying values come from the passes of [`emit_rows`].
fn stmt(b: &mut String, indent: &str, i: usize, inst: Inst, operands: &[CudaOperand]) {
    stmt_from(b, indent, "p", i, inst, operands)
}

/// [`stmt`] reading tensor operand `k` as `{src}{k}[o{k}]`.
fn stmt_from(b: &mut String, indent: &str, src: &str, i: usize, inst: Inst, operands: &[CudaOperand]) {
    let v = |x: u32| format!("v{x}");
    let _ = match inst {
        Inst::Param(k) => match operands[k as usize] {
            CudaOperand::Tensor => writeln!(b, "{indent}float v{i} = {src}{k}[o{k}];"),
            CudaOperand::Bytes => writeln!(b, "{indent}float v{i} = (float){src}{k}[o{k}];"),
            CudaOperand::Half => writeln!(b, "{indent}float v{i} = tsc_from_f16({src}{k}[o{k}]);"),
            CudaOperand::BFloat16 => {
                writeln!(b, "{indent}float v{i} = tsc_from_bf16({src}{k}[o{k}]);")
            }
            CudaOperand::Scalar => writeln!(b, "{indent}float v{i} = p{k};"),
        },
        Inst::Const(c) => writeln!(b, "{indent}float v{i} = {};", float_literal(c as f32)),
        Inst::Unary(op, a) => writeln!(b, "{indent}float v{i} = {};", unary(op, &v(a))),
        Inst::Binary(op, a, c) => {
            writeln!(b, "{indent}float v{i} = {};", binary(op, &v(a), &v(c)))
        }
        Inst::Compare(op, a, c) => {
            writeln!(b, "{indent}bool v{i} = {} {} {};", v(a), cmp(op), v(c))
        }
        Inst::Select(m, a, c) => writeln!(b, "{indent}float v{i} = v{m} ? {} : {};", v(a), v(c)),
        Inst::RowLen => writeln!(b, "{indent}float v{i} = (float)n;"),
        Inst::Reduce(op, a) => {
            let id = float_literal(op.identity() as f32);
            let x = match op {
                ReduceOp::Sum => format!("(float)n * v{a}"),
                ReduceOp::Max | ReduceOp::Min => v(a),
            };
            writeln!(b, "{indent}float v{i} = n == 0 ? {id} : {x};")
        }
    };
}

/// The general kernel: offsets from the n-d index of element `i`.
fn emit_strided(s: &mut String, name: &str, sig: Sig, body: &str) {
    let tensors: Vec<usize> = (0..sig.operands.len())
        .filter(|&k| sig.operands[k].is_tensor())
        .collect();
    let mut ps = String::from("long long n, TscIndex idx");
    let rest = params(sig);
    if !rest.is_empty() {
        ps.push_str(", ");
        ps.push_str(&rest);
    }
    let _ = writeln!(s, "\nextern \"C\" __global__ void {name}({ps}) {{");
    let _ = writeln!(
        s,
        "  const long long step = (long long)gridDim.x * blockDim.x;"
    );
    let _ = writeln!(s, "  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {{");
    if !tensors.is_empty() {
        let decl: Vec<String> = tensors.iter().map(|k| format!("o{k} = 0")).collect();
        let _ = writeln!(s, "    long long rem = i, {};", decl.join(", "));
        let _ = writeln!(s, "    for (int d = (int)idx.rank - 1; d >= 0; --d) {{");
        let _ = writeln!(s, "      const long long c = rem % idx.shape[d];");
        let _ = writeln!(s, "      rem /= idx.shape[d];");
        for (t, k) in tensors.iter().enumerate() {
            let _ = writeln!(s, "      o{k} += c * idx.strides[{t}][d];");
        }
        let _ = writeln!(s, "    }}");
    }
    s.push_str(body);
    let _ = writeln!(s, "  }}\n}}");
}

/// The fast path: every tensor operand is read at element `i`. When every
/// tensor operand and output is aligned to four of its elements (checked in
/// the kernel, the same branch in every thread), each thread loads and
/// stores four elements at a time (`float4`, `ushort4`, `uchar4`) and a
/// grid-stride tail does the last `n % 4`; otherwise one at a time.
fn emit_contig(s: &mut String, kernel: &Kernel, name: &str, sig: Sig, body: &str) {
    let mut ps = String::from("long long n");
    let rest = params(sig);
    if !rest.is_empty() {
        ps.push_str(", ");
        ps.push_str(&rest);
    }
    let tensors: Vec<usize> = (0..sig.operands.len())
        .filter(|&k| sig.operands[k].is_tensor())
        .collect();
    let _ = writeln!(s, "\nextern \"C\" __global__ void {name}_contig({ps}) {{");
    let _ = writeln!(
        s,
        "  const long long step = (long long)gridDim.x * blockDim.x, t = (long long)blockIdx.x * blockDim.x + threadIdx.x;"
    );
    let mut aligned: Vec<String> = tensors
        .iter()
        .map(|&k| format!("((unsigned long long)p{k} % {})", 4 * operand_bytes(sig.operands[k])))
        .collect();
    aligned.extend(
        sig.outputs
            .iter()
            .enumerate()
            .map(|(j, &o)| format!("((unsigned long long)out{j} % {})", 4 * output_bytes(o))),
    );
    let _ = writeln!(s, "  long long i0 = 0;");
    let _ = writeln!(s, "  if ({} == 0) {{", aligned.join(" + "));
    let _ = writeln!(s, "    for (long long g = t; g < n / 4; g += step) {{");
    for &k in &tensors {
        let (ty, vt) = storage(operand_bytes(sig.operands[k]));
        let _ = writeln!(
            s,
            "      const {vt}4 w{k} = reinterpret_cast<const {vt}4*>(p{k})[g];\n      const {ty} x{k}[4] = {{w{k}.x, w{k}.y, w{k}.z, w{k}.w}};"
        );
    }
    for (j, &o) in sig.outputs.iter().enumerate() {
        let (ty, _) = storage(output_bytes(o));
        let _ = writeln!(s, "      {ty} y{j}[4];");
    }
    let _ = writeln!(s, "      #pragma unroll\n      for (int e = 0; e < 4; ++e) {{");
    for &k in &tensors {
        let _ = writeln!(s, "        const int o{k} = e;");
    }
    for (i, inst) in kernel.insts.iter().enumerate() {
        stmt_from(s, "        ", "x", i, *inst, sig.operands);
    }
    for (j, &o) in kernel.outputs.iter().enumerate() {
        let _ = writeln!(s, "        {}", sig.store_to(j, &format!("y{j}[e]"), o));
    }
    let _ = writeln!(s, "      }}");
    for (j, &o) in sig.outputs.iter().enumerate() {
        let (_, vt) = storage(output_bytes(o));
        let _ = writeln!(
            s,
            "      {vt}4 z{j}; z{j}.x = y{j}[0]; z{j}.y = y{j}[1]; z{j}.z = y{j}[2]; z{j}.w = y{j}[3];\n      reinterpret_cast<{vt}4*>(out{j})[g] = z{j};"
        );
    }
    let _ = writeln!(s, "    }}\n    i0 = n / 4 * 4;\n  }}");
    let _ = writeln!(s, "  for (long long i = i0 + t; i < n; i += step) {{");
    for &k in &tensors {
        let _ = writeln!(s, "    const long long o{k} = i;");
    }
    s.push_str(body);
    let _ = writeln!(s, "  }}\n}}");
}

/// The bytes of one element of a tensor operand.
fn operand_bytes(o: CudaOperand) -> usize {
    match o {
        CudaOperand::Tensor | CudaOperand::Scalar => 4,
        CudaOperand::Half | CudaOperand::BFloat16 => 2,
        CudaOperand::Bytes => 1,
    }
}

/// The bytes of one element of an output.
fn output_bytes(o: CudaOutput) -> usize {
    match o {
        CudaOutput::F32 => 4,
        CudaOutput::F16 | CudaOutput::BF16 => 2,
        CudaOutput::Bool => 1,
    }
}

/// The C element type of `bytes`-wide storage (the parameters' pointee),
/// and its vector-of-4 name's stem (`float4`, `ushort4`, `uchar4`).
fn storage(bytes: usize) -> (&'static str, &'static str) {
    match bytes {
        4 => ("float", "float"),
        2 => ("unsigned short", "ushort"),
        _ => ("unsigned char", "uchar"),
    }
}

/// A row kernel: one block per row (grid-stride over rows), each pass of the
/// plan a block-strided loop over the row, each fold a block reduction; the
/// row-uniform values are computed by every thread from the folded values;
/// thread 0 writes the per-row outputs. `contig`: the `_contig` twin (every
/// tensor operand contiguous with the iteration shape).
fn emit_rows(
    s: &mut String,
    kernel: &Kernel,
    plan: &Plan,
    name: &str,
    sig: Sig,
    contig: bool,
) {
    let operands = sig.operands;
    let tensors: Vec<usize> = (0..operands.len())
        .filter(|&k| operands[k].is_tensor())
        .collect();
    let mut ps = String::from("long long rows, long long n");
    if !contig {
        ps.push_str(", TscIndex idx");
    }
    let rest = params(sig);
    if !rest.is_empty() {
        ps.push_str(", ");
        ps.push_str(&rest);
    }
    let suffix = if contig { "_contig" } else { "" };
    let _ = writeln!(s, "\nextern \"C\" __global__ void {name}{suffix}({ps}) {{");
    if !plan.stages.is_empty() {
        let _ = writeln!(s, "  __shared__ float tsc_red[32];");
    }
    let _ = writeln!(
        s,
        "  for (long long r = blockIdx.x; r < rows; r += gridDim.x) {{"
    );
    // Each tensor operand's row start b{k} and stride along the row s{k}.
    if contig {
        for k in &tensors {
            let _ = writeln!(s, "    const long long b{k} = r * n, s{k} = 1;");
        }
    } else if !tensors.is_empty() {
        let decl: Vec<String> = tensors.iter().map(|k| format!("b{k} = 0")).collect();
        let _ = writeln!(s, "    long long rem = r, {};", decl.join(", "));
        let _ = writeln!(s, "    for (int d = (int)idx.rank - 2; d >= 0; --d) {{");
        let _ = writeln!(s, "      const long long c = rem % idx.shape[d];");
        let _ = writeln!(s, "      rem /= idx.shape[d];");
        for (t, k) in tensors.iter().enumerate() {
            let _ = writeln!(s, "      b{k} += c * idx.strides[{t}][d];");
        }
        let _ = writeln!(s, "    }}");
        for (t, k) in tensors.iter().enumerate() {
            let _ = writeln!(
                s,
                "    const long long s{k} = idx.rank > 0 ? idx.strides[{t}][idx.rank - 1] : 0;"
            );
        }
    }
    scalar_phase(s, kernel, plan, 0, operands);
    for (k, stage) in plan.stages.iter().enumerate() {
        for &r in &stage.reduces {
            let id = float_literal(reduce_op(kernel, r).identity() as f32);
            let _ = writeln!(s, "    float a{r} = {id};");
        }
        row_loop(s, kernel, stage, sig);
        for &r in &stage.reduces {
            let op = reduce_op(kernel, r);
            let id = float_literal(op.identity() as f32);
            let _ = writeln!(
                s,
                "    const float v{r} = tsc_block_fold<{}>(a{r}, {id}, tsc_red);",
                fold_name(op)
            );
        }
        scalar_phase(s, kernel, plan, k + 1, operands);
    }
    if let Some(last) = &plan.last {
        row_loop(s, kernel, last, sig);
    }
    let per_row: Vec<String> = kernel
        .outputs
        .iter()
        .enumerate()
        .filter(|&(j, _)| plan.per_row[j])
        .map(|(j, &o)| sig.store(j, "r", o))
        .collect();
    if !per_row.is_empty() {
        let _ = writeln!(s, "    if (threadIdx.x == 0) {{ {} }}", per_row.join(" "));
    }
    let _ = writeln!(s, "  }}\n}}");
}

/// The row-uniform values of scalar phase `k`, computed by every thread.
fn scalar_phase(s: &mut String, kernel: &Kernel, plan: &Plan, k: usize, operands: &[CudaOperand]) {
    for (i, &c) in plan.scalar_phase(kernel, k).iter().enumerate() {
        if c {
            stmt(s, "    ", i, kernel.insts[i], operands);
        }
    }
}

/// One pass: threads stride over the row computing the pass's values,
/// folding them into `a{r}` and storing the row-varying outputs.
fn row_loop(s: &mut String, kernel: &Kernel, pass: &Pass, sig: Sig) {
    let operands = sig.operands;
    let _ = writeln!(
        s,
        "    for (long long c = threadIdx.x; c < n; c += blockDim.x) {{"
    );
    let mut offset = vec![false; operands.len()];
    for (i, inst) in kernel.insts.iter().enumerate() {
        if let (true, Inst::Param(k)) = (pass.compute[i], *inst) {
            offset[k as usize] = operands[k as usize].is_tensor();
        }
    }
    for (k, _) in offset.iter().enumerate().filter(|(_, &o)| o) {
        let _ = writeln!(s, "      const long long o{k} = b{k} + c * s{k};");
    }
    for (i, &c) in pass.compute.iter().enumerate() {
        if c {
            stmt(s, "      ", i, kernel.insts[i], operands);
        }
    }
    for &r in &pass.reduces {
        let a = kernel.insts[r as usize].operands()[0];
        let op = fold_name(reduce_op(kernel, r));
        let _ = writeln!(s, "      a{r} = tsc_fold<{op}>(a{r}, v{a});");
    }
    for &(j, o) in &pass.stores {
        let _ = writeln!(s, "      {}", sig.store(j, "r * n + c", o));
    }
    let _ = writeln!(s, "    }}");
}

fn reduce_op(kernel: &Kernel, r: u32) -> ReduceOp {
    match kernel.insts[r as usize] {
        Inst::Reduce(op, _) => op,
        _ => unreachable!("plan: passes fold reductions only"),
    }
}

fn fold_name(op: ReduceOp) -> &'static str {
    match op {
        ReduceOp::Sum => "TSC_SUM",
        ReduceOp::Max => "TSC_MAX",
        ReduceOp::Min => "TSC_MIN",
    }
}

/// `x` as a CUDA float expression that denotes exactly `x`.
fn float_literal(x: f32) -> String {
    if x.is_nan() {
        "__int_as_float(0x7fc00000)".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "__int_as_float(0x7f800000)"
        } else {
            "__int_as_float(0xff800000)"
        }
        .into()
    } else {
        // `{:e}` is the shortest text that reads back as the same f32.
        format!("{x:e}f")
    }
}

fn unary(op: UnaryOp, a: &str) -> String {
    match op {
        UnaryOp::Neg => format!("-{a}"),
        UnaryOp::Abs => format!("fabsf({a})"),
        UnaryOp::Exp => format!("expf({a})"),
        UnaryOp::Log => format!("logf({a})"),
        UnaryOp::Sqrt => format!("sqrtf({a})"),
        UnaryOp::Rsqrt => format!("rsqrtf({a})"),
        UnaryOp::Reciprocal => format!("1.0f / {a}"),
        UnaryOp::Tanh => format!("tanhf({a})"),
        UnaryOp::Sigmoid => format!("tsc_sigmoid({a})"),
        UnaryOp::Relu => format!("tsc_relu({a})"),
        UnaryOp::Erf => format!("erff({a})"),
        UnaryOp::Gelu => format!("tsc_gelu({a})"),
        UnaryOp::GeluTanh => format!("tsc_gelu_tanh({a})"),
        UnaryOp::Silu => format!("tsc_silu({a})"),
        UnaryOp::Floor => format!("floorf({a})"),
        UnaryOp::Ceil => format!("ceilf({a})"),
        UnaryOp::Trunc => format!("truncf({a})"),
    }
}

fn binary(op: BinaryOp, a: &str, b: &str) -> String {
    match op {
        BinaryOp::Add => format!("{a} + {b}"),
        BinaryOp::Sub => format!("{a} - {b}"),
        BinaryOp::Mul => format!("{a} * {b}"),
        BinaryOp::Div => format!("{a} / {b}"),
        BinaryOp::Max => format!("tsc_max({a}, {b})"),
        BinaryOp::Min => format!("tsc_min({a}, {b})"),
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neg() -> Kernel {
        Kernel {
            num_params: 1,
            insts: vec![Inst::Param(0), Inst::Unary(UnaryOp::Neg, 0)],
            outputs: vec![1],
        }
    }

    #[test]
    fn rejects_bad_calls() {
        assert!(cuda_source(&neg(), "k", &[])
            .unwrap_err()
            .contains("1 operands, 0 given"));
        assert!(cuda_source(&neg(), "1k", &[CudaOperand::Tensor])
            .unwrap_err()
            .contains("not a C identifier"));
        assert!(cuda_source(&neg(), "", &[CudaOperand::Tensor]).is_err());
        let bad = Kernel {
            num_params: 1,
            insts: vec![Inst::Param(3)],
            outputs: vec![0],
        };
        assert!(cuda_source(&bad, "k", &[CudaOperand::Tensor]).is_err());
        let wide = Kernel {
            num_params: 33,
            insts: vec![Inst::Param(0)],
            outputs: vec![0],
        };
        assert!(cuda_source(&wide, "k", &[CudaOperand::Tensor; 33])
            .unwrap_err()
            .contains("at most 32"));
    }

    #[test]
    fn literals_are_exact() {
        assert_eq!(float_literal(0.5), "5e-1f");
        assert_eq!(float_literal(-0.0), "-0e0f");
        assert_eq!(float_literal(0.044715), "4.4715e-2f");
        assert_eq!(float_literal(f32::INFINITY), "__int_as_float(0x7f800000)");
        assert_eq!(float_literal(f32::NAN), "__int_as_float(0x7fc00000)");
        for x in [0.1f32, 1e-40, 3.4028235e38, 0.7978846] {
            let text = float_literal(x);
            assert_eq!(text.trim_end_matches('f').parse::<f32>().unwrap(), x);
        }
    }

    /// A fold of a uniform value is a formula (no pass), per-row outputs
    /// are written by thread 0, full ones at `r * n + c`.
    #[test]
    fn row_kernel_uniform_folds_and_per_row_outputs() {
        use crate::jit::ir::ReduceOp;
        let k = Kernel {
            num_params: 1,
            insts: vec![
                Inst::Param(0),
                Inst::Const(2.5),
                Inst::Reduce(ReduceOp::Sum, 1),
                Inst::Reduce(ReduceOp::Max, 0),
                Inst::Binary(BinaryOp::Sub, 0, 2),
            ],
            outputs: vec![2, 3, 4],
        };
        let src = cuda_source(&k, "k", &[CudaOperand::Tensor]).unwrap();
        assert!(
            src.contains("float v2 = n == 0 ? 0e0f : (float)n * v1;"),
            "{src}"
        );
        assert!(src.contains("if (threadIdx.x == 0) { out0[r] = v2; out1[r] = v3; }"));
        assert!(src.contains("out2[r * n + c] = v4;"));
        assert_eq!(src.matches("= tsc_block_fold<TSC_MAX>(a3, ").count(), 2);
        assert_eq!(src.matches("tsc_block_fold<TSC_SUM>").count(), 0);
        assert!(src.contains("void k(long long rows, long long n, TscIndex idx, "));
        assert!(src.contains("void k_contig(long long rows, long long n, const float*"));
        let elementwise = cuda_source(&neg(), "k", &[CudaOperand::Tensor]).unwrap();
        assert!(!elementwise.contains("tsc_block_fold"));
    }

    #[test]
    fn deterministic_and_all_scalar_ok() {
        let a = cuda_source(&neg(), "k", &[CudaOperand::Scalar]).unwrap();
        assert_eq!(a, cuda_source(&neg(), "k", &[CudaOperand::Scalar]).unwrap());
        assert!(a.contains("long long strides[1][TSC_MAX_RANK]"));
        assert!(!a.contains("rem"));
    }

    #[test]
    fn byte_operands_are_read_as_floats() {
        // select(mask != 0, value, x) with a bool mask.
        let k = Kernel {
            num_params: 3,
            insts: vec![Inst::Param(0), Inst::Const(0.0), Inst::Compare(CmpOp::Ne, 0, 1), Inst::Param(1), Inst::Param(2), Inst::Select(2, 3, 4)],
            outputs: vec![5],
        };
        let src = cuda_source(&k, "k", &[CudaOperand::Bytes, CudaOperand::Scalar, CudaOperand::Tensor]).unwrap();
        assert!(src.contains("const unsigned char* __restrict__ p0"), "{src}");
        assert!(src.contains("float v0 = (float)p0[o0];"), "{src}");
        // Both tensor operands get strides in TscIndex (rows 0 and 1).
        assert!(src.contains("idx.strides[1]"), "{src}");
    }

    /// The contiguous kernel's four-wide path: vector loads and stores of
    /// each storage type, taken only when every pointer is aligned to four
    /// of its elements, with the scalar loop finishing the rest.
    #[test]
    fn contiguous_kernels_load_four_at_a_time() {
        let k = Kernel {
            num_params: 3,
            insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(BinaryOp::Add, 0, 1), Inst::Param(2), Inst::Binary(BinaryOp::Mul, 2, 3)],
            outputs: vec![4],
        };
        let kinds = [CudaOperand::Half, CudaOperand::Bytes, CudaOperand::Tensor];
        let src = cuda_source_typed(&k, "k", &kinds, &[CudaOutput::BF16]).unwrap();
        let contig = &src[src.find("void k_contig(").unwrap()..];
        let aligned = "if (((unsigned long long)p0 % 8) + ((unsigned long long)p1 % 4) + ((unsigned long long)p2 % 16) + ((unsigned long long)out0 % 8) == 0) {";
        assert!(contig.contains(aligned), "{contig}");
        for load in ["const ushort4 w0 = reinterpret_cast<const ushort4*>(p0)[g];", "const uchar4 w1 =", "const float4 w2 ="] {
            assert!(contig.contains(load), "{load}: {contig}");
        }
        assert!(contig.contains("float v0 = tsc_from_f16(x0[o0]);"), "{contig}");
        assert!(contig.contains("y0[e] = tsc_to_bf16(v4);"), "{contig}");
        assert!(contig.contains("reinterpret_cast<ushort4*>(out0)[g] = z0;"), "{contig}");
        assert!(contig.contains("i0 = n / 4 * 4;") && contig.contains("for (long long i = i0 + t; i < n; i += step) {"), "{contig}");
        assert!(contig.contains("out0[i] = tsc_to_bf16(v4);"), "{contig}");
        // Scalars stay by-value parameters in both paths.
        let scaled = cuda_source(&k, "k", &[CudaOperand::Tensor, CudaOperand::Scalar, CudaOperand::Tensor]).unwrap();
        assert_eq!(scaled.matches("float v1 = p1;").count(), 3, "{scaled}");
    }
}
