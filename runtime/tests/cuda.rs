//! The CUDA backend end to end: every kernel-IR operation's generated CUDA C
//! through NVRTC (wherever `libnvrtc.so.13` loads, no GPU needed; row
//! kernels and one-byte mask operands too), and on a GPU the launched
//! elementwise kernels against `Kernel::eval_f64`, plus a timed GELU chain
//! over 16M floats. CUDA tensors and ops are tested in `cuda_tensors.rs`.
//!
//! Without NVRTC or a device the tests print `skipped: no NVRTC (why)` /
//! `skipped: no CUDA device (why)` and pass, unless `TSC_REQUIRE_NVRTC=1` /
//! `TSC_REQUIRE_CUDA=1` make that absence a failure (CI sets the first; the
//! GPU check script the second). Run with `--nocapture` to see the lines.
//!
//! Tolerance: |got - want| <= 1e-6 + 1e-5 * |want| against the float64
//! reference, NaN only where the reference is NaN, infinities exact. For the
//! correctly rounded operations (+ - * /, sqrt, floor, ...) one rounding is
//! 6e-8 relative; CUDA documents expf, logf, tanhf, erff, rsqrtf within
//! 2 ulp (2.4e-7 relative), and the composites (sigmoid, silu, gelu,
//! gelu_tanh, the 13-step GELU chain) stack a few of those, so one bound of
//! rtol 1e-5 covers all of them with margin; the printed max relative error
//! per kernel shows the real figure.

use std::sync::Mutex;
use std::time::Instant;
use tsc_kernels::jit::cuda::{cuda_source, cuda_source_typed, CudaOperand, CudaOutput};
use tsc_kernels::jit::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};
use tsc_runtime::cuda::{self, CudaDevice, GpuBuffer, GpuOperand, Image};

use CudaOperand::{Scalar, Tensor};

const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

/// GPU tests take turns, so the timing runs alone.
static GPU: Mutex<()> = Mutex::new(());

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// Whether NVRTC can be used; prints the skip line otherwise.
fn nvrtc_or_skip() -> bool {
    match cuda::nvrtc_available() {
        Ok(()) => true,
        Err(why) => {
            assert!(!required("TSC_REQUIRE_NVRTC"), "TSC_REQUIRE_NVRTC=1 but NVRTC is unusable: {why}");
            println!("skipped: no NVRTC ({why})");
            false
        }
    }
}

/// Device 0, or `None` after printing the skip line.
fn device_or_skip() -> Option<CudaDevice> {
    match CudaDevice::open(0) {
        Ok(d) => Some(d),
        Err(why) => {
            assert!(!required("TSC_REQUIRE_CUDA"), "TSC_REQUIRE_CUDA=1 but there is no usable CUDA device: {why}");
            println!("skipped: no CUDA device ({why})");
            None
        }
    }
}

// ---- the kernels under test ----

struct Case {
    name: String,
    kernel: Kernel,
    /// Operand kinds to compile and run it with.
    kinds: Vec<Vec<CudaOperand>>,
}

fn unary(op: UnaryOp) -> Kernel {
    Kernel { num_params: 1, insts: vec![Inst::Param(0), Inst::Unary(op, 0)], outputs: vec![1] }
}

fn binary(op: BinaryOp) -> Kernel {
    Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(op, 0, 1)], outputs: vec![2] }
}

/// `where(p0 OP p1, p2, p0)`.
fn compare_select(op: CmpOp) -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 3,
        insts: vec![Param(0), Param(1), Compare(op, 0, 1), Param(2), Select(2, 3, 0)],
        outputs: vec![4],
    }
}

/// `gelu(x, approximate='tanh')` as the chain PyTorch's decomposition
/// records: x*x*x, *0.044715, +x, *sqrt(2/pi), tanh, +1, *0.5*x.
fn gelu_tanh_chain() -> Kernel {
    use BinaryOp::{Add, Mul};
    use Inst::*;
    Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Binary(Mul, 0, 0),
            Binary(Mul, 1, 0),
            Const(0.044715),
            Binary(Mul, 2, 3),
            Binary(Add, 4, 0),
            Const(0.7978845608028654),
            Binary(Mul, 5, 6),
            Unary(UnaryOp::Tanh, 7),
            Const(1.0),
            Binary(Add, 8, 9),
            Const(0.5),
            Binary(Mul, 11, 0),
            Binary(Mul, 12, 10),
        ],
        outputs: vec![13],
    }
}

/// Two outputs from three operands: `(silu(p0) * p1 + p2, min(p0, p2) / p1)`.
fn two_outputs() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 3,
        insts: vec![
            Param(0),
            Param(1),
            Param(2),
            Unary(UnaryOp::Silu, 0),
            Binary(BinaryOp::Mul, 3, 1),
            Binary(BinaryOp::Add, 4, 2),
            Binary(BinaryOp::Min, 0, 2),
            Binary(BinaryOp::Div, 6, 1),
        ],
        outputs: vec![5, 7],
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for op in UnaryOp::ALL {
        v.push(Case { name: op.name().into(), kernel: unary(op), kinds: vec![vec![Tensor], vec![Scalar]] });
    }
    for op in BinaryOp::ALL {
        let kinds = vec![vec![Tensor, Tensor], vec![Tensor, Scalar], vec![Scalar, Tensor]];
        v.push(Case { name: op.name().into(), kernel: binary(op), kinds });
    }
    for op in CmpOp::ALL {
        let kinds = vec![vec![Tensor, Tensor, Tensor], vec![Tensor, Scalar, Tensor], vec![Scalar, Tensor, Scalar]];
        v.push(Case { name: format!("select_{}", op.name()), kernel: compare_select(op), kinds });
    }
    v.push(Case { name: "gelu_tanh_chain".into(), kernel: gelu_tanh_chain(), kinds: vec![vec![Tensor]] });
    let kinds = vec![vec![Tensor, Tensor, Tensor], vec![Tensor, Scalar, Tensor]];
    v.push(Case { name: "two_outputs".into(), kernel: two_outputs(), kinds });
    v
}

/// Row kernels (softmax, layer_norm, per-row sum/mean/amax with a full
/// output, layer_norm then softmax): compiled by NVRTC here; launched on a
/// GPU through the ops in `cuda_tensors.rs`.
fn row_cases() -> Vec<Case> {
    use Inst::*;
    use ReduceOp::{Max, Sum};
    let softmax = |x: u32, at: u32| {
        vec![Reduce(Max, x), Binary(BinaryOp::Sub, x, at), Unary(UnaryOp::Exp, at + 1), Reduce(Sum, at + 2), Binary(BinaryOp::Div, at + 2, at + 3)]
    };
    let mut sm = vec![Param(0)];
    sm.extend(softmax(0, 1));
    let layer_norm = vec![
        Param(0),
        Reduce(Sum, 0),
        RowLen,
        Binary(BinaryOp::Div, 1, 2),
        Binary(BinaryOp::Sub, 0, 3),
        Binary(BinaryOp::Mul, 4, 4),
        Reduce(Sum, 5),
        Binary(BinaryOp::Div, 6, 2),
        Const(1e-5),
        Binary(BinaryOp::Add, 7, 8),
        Unary(UnaryOp::Rsqrt, 9),
        Binary(BinaryOp::Mul, 4, 10),
        Param(1),
        Binary(BinaryOp::Mul, 11, 12),
        Param(2),
        Binary(BinaryOp::Add, 13, 14),
    ];
    let mut norm_softmax = layer_norm.clone();
    norm_softmax.extend(softmax(15, 16));
    let folds = vec![Param(0), Reduce(Sum, 0), RowLen, Binary(BinaryOp::Div, 1, 2), Reduce(Max, 0), Reduce(ReduceOp::Min, 0), Binary(BinaryOp::Sub, 0, 3)];
    let norm_kinds = vec![vec![Tensor, Tensor, Tensor], vec![Tensor, Scalar, Scalar]];
    vec![
        Case { name: "softmax".into(), kernel: Kernel { num_params: 1, insts: sm, outputs: vec![5] }, kinds: vec![vec![Tensor], vec![Scalar]] },
        Case { name: "layer_norm".into(), kernel: Kernel { num_params: 3, insts: layer_norm, outputs: vec![15] }, kinds: norm_kinds.clone() },
        Case { name: "norm_softmax".into(), kernel: Kernel { num_params: 3, insts: norm_softmax, outputs: vec![20] }, kinds: norm_kinds },
        Case { name: "sum_mean_amax_amin".into(), kernel: Kernel { num_params: 1, insts: folds, outputs: vec![1, 3, 4, 5, 6] }, kinds: vec![vec![Tensor]] },
        // A fold of a constant (a formula, no pass) and a uniform select.
        Case {
            name: "uniform_fold".into(),
            kernel: Kernel {
                num_params: 1,
                insts: vec![Param(0), Const(2.5), Reduce(Sum, 1), Reduce(Max, 0), Compare(CmpOp::Gt, 2, 3), Select(4, 2, 3), Binary(BinaryOp::Sub, 0, 5)],
                outputs: vec![5, 6],
            },
            kinds: vec![vec![Tensor], vec![Scalar]],
        },
    ]
}

// ---- NVRTC, no GPU needed ----

#[test]
fn nvrtc_compiles_every_generated_kernel() {
    if !nvrtc_or_skip() {
        return;
    }
    let version = cuda::nvrtc_version().expect("NVRTC answered once");
    let (mut count, start) = (0, Instant::now());
    for case in cases().into_iter().chain(row_cases()) {
        for kinds in &case.kinds {
            let src = cuda_source(&case.kernel, "tsc_elementwise", kinds).expect("valid kernel");
            let out = cuda::compile(&src, "sm_90").unwrap_or_else(|e| panic!("{} {kinds:?}: {e}\n{src}", case.name));
            match out.image {
                Image::Cubin(bytes) => assert!(bytes.starts_with(b"\x7fELF"), "{}: not an ELF cubin", case.name),
                Image::Ptx(_) => panic!("sm_90 gave PTX"),
            }
            count += 1;
        }
    }
    // float16 and bfloat16 storage: every row kernel and a few elementwise
    // ones with their tensors in the narrow type and outputs stored in it;
    // comparisons stored as `bool`.
    let narrow = [(CudaOperand::Half, CudaOutput::F16), (CudaOperand::BFloat16, CudaOutput::BF16)];
    for case in row_cases().into_iter().chain(cases().into_iter().filter(|c| ["gelu_tanh_chain", "two_outputs", "exp", "add"].contains(&c.name.as_str()))) {
        for (operand, output) in narrow {
            let kinds: Vec<CudaOperand> = case.kinds[0].iter().map(|&k| if k == Tensor { operand } else { k }).collect();
            let outs = vec![output; case.kernel.outputs.len()];
            let src = cuda_source_typed(&case.kernel, "tsc_elementwise", &kinds, &outs).expect("valid kernel");
            cuda::compile(&src, "sm_90").unwrap_or_else(|e| panic!("{} {kinds:?} -> {outs:?}: {e}\n{src}", case.name));
            count += 1;
        }
    }
    let src = cuda_source_typed(&compare_select(CmpOp::Lt), "tsc_elementwise", &[CudaOperand::Half, CudaOperand::BFloat16, Scalar], &[CudaOutput::Bool]).expect("valid kernel");
    cuda::compile(&src, "sm_90").unwrap_or_else(|e| panic!("bool output: {e}\n{src}"));
    count += 1;
    // Masks from outside a kernel: one-byte operands (`masked_fill`, `where`).
    for op in [CmpOp::Ne, CmpOp::Gt] {
        let src = cuda_source(&compare_select(op), "tsc_elementwise", &[CudaOperand::Bytes, Scalar, Tensor]).expect("valid kernel");
        cuda::compile(&src, "sm_90").unwrap_or_else(|e| panic!("byte operand: {e}\n{src}"));
        count += 1;
    }
    // Attention's softmax(masked_fill(x * s, mask, -inf)): a row kernel
    // with a `bool` mask operand, in float32 and bfloat16.
    let masked_softmax = {
        use Inst::*;
        let insts = vec![
            Param(0),
            Param(1),
            Param(2),
            Const(0.0),
            Compare(CmpOp::Ne, 1, 3),
            Const(0.125),
            Binary(BinaryOp::Mul, 0, 5),
            Select(4, 2, 6),
            Reduce(ReduceOp::Max, 7),
            Binary(BinaryOp::Sub, 7, 8),
            Unary(UnaryOp::Exp, 9),
            Reduce(ReduceOp::Sum, 10),
            Binary(BinaryOp::Div, 10, 11),
        ];
        Kernel { num_params: 3, insts, outputs: vec![12] }
    };
    for (x, out) in [(Tensor, CudaOutput::F32), (CudaOperand::BFloat16, CudaOutput::BF16)] {
        let src = cuda_source_typed(&masked_softmax, "tsc_rows", &[x, CudaOperand::Bytes, Scalar], &[out]).expect("valid kernel");
        cuda::compile(&src, "sm_90").unwrap_or_else(|e| panic!("masked softmax: {e}\n{src}"));
        count += 1;
    }
    let ms = start.elapsed().as_secs_f64() * 1e3;
    println!("nvrtc {}.{}: compiled {count} generated kernels for sm_90 in {ms:.0} ms ({:.1} ms each)", version.0, version.1, ms / count as f64);
}

#[test]
fn nvrtc_ptx_for_a_virtual_arch() {
    if !nvrtc_or_skip() {
        return;
    }
    let src = cuda_source(&gelu_tanh_chain(), "tsc_elementwise", &[Tensor]).expect("valid kernel");
    let out = cuda::compile(&src, "compute_90").expect("compiles");
    let Image::Ptx(ptx) = out.image else { panic!("compute_90 gave a cubin") };
    assert!(ptx.contains(".entry tsc_elementwise(") && ptx.contains(".entry tsc_elementwise_contig("), "{ptx}");
    // No fast math: tanhf is the accurate one, not tanh.approx.
    assert!(!ptx.contains("tanh.approx"), "{ptx}");
}

#[test]
fn nvrtc_errors_carry_the_log() {
    assert!(cuda::compile("", "gfx90a").unwrap_err().contains("neither sm_XX nor compute_XX"));
    if !nvrtc_or_skip() {
        return;
    }
    let err = cuda::compile("extern \"C\" __global__ void k() { undefined_thing(); }", "sm_90").unwrap_err();
    assert!(err.contains("undefined_thing") && err.contains("sm_90"), "{err}");
}

#[test]
fn absence_is_an_error_not_a_panic() {
    // Whatever this machine has, these return; without CUDA they say why.
    let dev = cuda::available();
    let nv = cuda::nvrtc_available();
    println!("cuda::available() = {dev:?}; cuda::nvrtc_available() = {nv:?}; driver = {:?}", cuda::driver_version());
    if let Err(why) = dev {
        assert!(!why.is_empty());
        assert_eq!(CudaDevice::open(0).err(), Some(why));
    }
}

// ---- on a GPU ----

/// A deterministic xorshift generator (no dependency, same data every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Mostly uniform in [-4, 4); some halves (ties for comparisons) and specials.
    fn value(&mut self) -> f32 {
        const SPECIAL: [f32; 9] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e-30, 88.0, -88.0, 1.0];
        let r = self.next();
        let x = ((r >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0) as f32;
        match r % 16 {
            0 => SPECIAL[(r >> 4) as usize % SPECIAL.len()],
            1..=3 => (x * 2.0).round() / 2.0,
            _ => x,
        }
    }

    fn values(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.value()).collect()
    }
}

/// How a layout places each tensor operand.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major with exactly the output's shape.
    Contiguous,
    /// Operand `k` broadcasts along dims `d` with `(k + d) % 2 == 0` (size-1 there).
    Broadcast,
    /// The dims reversed in memory (a transpose), after 3 elements of padding.
    Transposed,
    /// The last dim walked backwards.
    Flipped,
    /// Row-major, after `(k + 1) % 2` elements of padding: operand 0 is
    /// misaligned for the four-wide path, operand 1 is not.
    Shifted,
}

/// One operand's host data, offset and strides.
struct HostTensor {
    data: Vec<f32>,
    offset: usize,
    strides: Vec<i64>,
}

fn host_tensor(rng: &mut Rng, shape: &[usize], k: usize, layout: Layout) -> HostTensor {
    let rank = shape.len();
    let mut strides = vec![0i64; rank];
    let (mut size, mut offset) = (1usize, 0usize);
    match layout {
        Layout::Contiguous | Layout::Broadcast | Layout::Flipped => {
            for d in (0..rank).rev() {
                let broadcast = matches!(layout, Layout::Broadcast) && (k + d) % 2 == 0;
                if !broadcast {
                    strides[d] = size as i64;
                    size *= shape[d];
                }
            }
            if let (Layout::Flipped, Some(&last)) = (layout, shape.last()) {
                if last > 0 {
                    offset = last - 1;
                    strides[rank - 1] = -1;
                }
            }
        }
        Layout::Shifted => {
            offset = (k + 1) % 2;
            size = shape.iter().product::<usize>() + offset;
            for d in (0..rank).rev() {
                strides[d] = shape[d + 1..].iter().product::<usize>() as i64;
            }
        }
        Layout::Transposed => {
            offset = 3;
            for d in 0..rank {
                strides[d] = size as i64;
                size *= shape[d];
            }
            size += 3;
        }
    }
    HostTensor { data: rng.values(size.max(1)), offset, strides }
}

/// The element of `t` at output multi-index `ix`.
fn at(t: &HostTensor, ix: &[usize]) -> f32 {
    let off = t.offset as i64 + ix.iter().zip(&t.strides).map(|(&i, &s)| i as i64 * s).sum::<i64>();
    t.data[off as usize]
}

fn close(got: f32, want: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    let w32 = want as f32;
    if w32.is_infinite() || got.is_infinite() {
        return got == w32;
    }
    (got as f64 - want).abs() <= ATOL + RTOL * want.abs()
}

/// Runs `kernel` with operand `kinds` over `shape` in `layout`, checks every
/// element against the reference; returns the max relative error seen.
fn check_one(dev: &CudaDevice, rng: &mut Rng, name: &str, kernel: &Kernel, kinds: &[CudaOperand], shape: &[usize], layout: Layout) -> f64 {
    let hosts: Vec<Option<HostTensor>> =
        kinds.iter().enumerate().map(|(k, kind)| (*kind == Tensor).then(|| host_tensor(rng, shape, k, layout))).collect();
    let scalars: Vec<f32> = kinds.iter().map(|_| rng.value()).collect();
    let bufs: Vec<Option<GpuBuffer>> =
        hosts.iter().map(|h| h.as_ref().map(|h| dev.upload(&h.data).expect("upload"))).collect();
    let operands: Vec<GpuOperand> = (0..kinds.len())
        .map(|k| match (&hosts[k], &bufs[k]) {
            (Some(h), Some(b)) => GpuOperand::Tensor { buf: b, offset: h.offset, strides: &h.strides },
            _ => GpuOperand::Scalar(scalars[k]),
        })
        .collect();
    let what = format!("{name} {kinds:?} {shape:?} {layout:?}");
    let outs = dev.launch_elementwise(kernel, shape, &operands).unwrap_or_else(|e| panic!("{what}: {e}"));
    let got: Vec<Vec<f32>> = outs.iter().map(|o| dev.download(o).expect("download")).collect();
    let n: usize = shape.iter().product();
    let mut worst = 0.0f64;
    let mut ix = vec![0usize; shape.len()];
    for i in 0..n {
        let params: Vec<f64> =
            (0..kinds.len()).map(|k| hosts[k].as_ref().map_or(scalars[k], |h| at(h, &ix)) as f64).collect();
        for (j, want) in kernel.eval_f64(&params).into_iter().enumerate() {
            let g = got[j][i];
            assert!(close(g, want), "{what}: element {i} ({ix:?}) output {j}: got {g:e}, want {want:e}, operands {params:?}");
            if want.is_finite() && want.abs() > 1e-3 {
                worst = worst.max((g as f64 - want).abs() / want.abs());
            }
        }
        for d in (0..shape.len()).rev() {
            ix[d] += 1;
            if ix[d] < shape[d] {
                break;
            }
            ix[d] = 0;
        }
    }
    worst
}

#[test]
fn gpu_kernels_match_the_reference() {
    let _turn = GPU.lock().unwrap_or_else(|p| p.into_inner());
    let Some(dev) = device_or_skip() else { return };
    println!("gpu device: {} ({})", dev.name(), dev.arch());
    let shapes: [(&[usize], Layout); 13] = [
        (&[1027], Layout::Contiguous),
        (&[4096], Layout::Contiguous),
        (&[2, 3], Layout::Contiguous),
        (&[1025], Layout::Shifted),
        (&[3, 4, 5], Layout::Broadcast),
        (&[6, 7], Layout::Transposed),
        (&[5, 9], Layout::Flipped),
        (&[2, 1, 2, 1, 3, 1, 2, 3], Layout::Broadcast),
        (&[2, 3, 2, 1, 3, 1, 2, 2], Layout::Transposed),
        (&[1], Layout::Contiguous),
        (&[], Layout::Contiguous),
        (&[0, 3], Layout::Broadcast),
        (&[300_001], Layout::Flipped),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in cases() {
        let mut worst = 0.0f64;
        for kinds in &case.kinds {
            for (shape, layout) in shapes {
                worst = worst.max(check_one(&dev, &mut rng, &case.name, &case.kernel, kinds, shape, layout));
            }
        }
        println!("gpu check {}: ok, max relative error {worst:.2e}", case.name);
    }
    let before = dev.loaded_kernels();
    check_one(&dev, &mut rng, "again", &unary(UnaryOp::Exp), &[Tensor], &[64], Layout::Contiguous);
    assert_eq!(dev.loaded_kernels(), before, "a second launch of the same source compiles nothing");
}

#[test]
fn gpu_launch_errors() {
    let _turn = GPU.lock().unwrap_or_else(|p| p.into_inner());
    let Some(dev) = device_or_skip() else { return };
    let buf = dev.upload(&[1.0; 6]).expect("upload");
    let k = unary(UnaryOp::Neg);
    let t = |strides: &'static [i64], offset| GpuOperand::Tensor { buf: &buf, offset, strides };
    assert!(dev.launch_elementwise(&k, &[2, 3], &[t(&[3, 1], 0)]).is_ok());
    assert!(dev.launch_elementwise(&k, &[2, 3], &[t(&[3, 1], 1)]).unwrap_err().contains("reads elements"));
    assert!(dev.launch_elementwise(&k, &[2, 3], &[t(&[3], 0)]).unwrap_err().contains("strides"));
    assert!(dev.launch_elementwise(&k, &[7], &[t(&[-1], 0)]).is_err());
    assert!(dev.launch_elementwise(&k, &[2, 3], &[]).is_err());
    assert!(dev.launch_elementwise(&k, &[1; 9], &[GpuOperand::Scalar(1.0)]).unwrap_err().contains("rank"));
}

#[test]
fn gpu_gelu_chain_16m_timed() {
    let _turn = GPU.lock().unwrap_or_else(|p| p.into_inner());
    let Some(dev) = device_or_skip() else { return };
    const N: usize = 1 << 24;
    let mut rng = Rng(42);
    let host: Vec<f32> = (0..N).map(|_| rng.value()).collect();
    let input = dev.upload(&host).expect("upload");
    for (label, kernel) in [("gelu_tanh chain (13 ops)", gelu_tanh_chain()), ("gelu_tanh op", unary(UnaryOp::GeluTanh))] {
        for (layout, shape, strides) in [("contiguous", [N, 1], [1i64, 0]), ("transposed", [4096, 4096], [1, 4096])] {
            let op = [GpuOperand::Tensor { buf: &input, offset: 0, strides: &strides }];
            let mut out = vec![dev.alloc(N).expect("alloc")];
            let t0 = Instant::now();
            dev.launch_elementwise_into(&kernel, &shape, &op, &mut out).expect("first launch");
            dev.synchronize().expect("sync");
            let first_ms = t0.elapsed().as_secs_f64() * 1e3;
            const REPS: usize = 20;
            let ms = dev
                .time_ms(|d| (0..REPS).try_for_each(|_| d.launch_elementwise_into(&kernel, &shape, &op, &mut out)))
                .expect("timed launches")
                / REPS as f32;
            let gbs = (2 * 4 * N) as f64 / (ms as f64 * 1e-3) / 1e9;
            println!("timing: {label}, {N} f32, {layout}: {ms:.3} ms/launch, {gbs:.0} GB/s (read+write); first launch incl. compile {first_ms:.0} ms");
            let got = dev.download(&out[0]).expect("download");
            for i in (0..N).step_by(4099) {
                let src = if layout == "contiguous" { host[i] } else { host[(i % 4096) * 4096 + i / 4096] };
                let want = kernel.eval_f64(&[src as f64])[0];
                assert!(close(got[i], want), "{label} {layout} element {i}: got {}, want {want}", got[i]);
            }
        }
    }
}
