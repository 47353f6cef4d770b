//! Convolution and pooling on the device: `conv2d` (groups 1) as im2col +
//! one batched cuBLAS product, and `adaptive_avg_pool2d` to 1×1 as a row
//! kernel.
//!
//! im2col: the input is zero-padded into a fresh buffer by one 3-d copy
//! (`cuMemcpy3DAsync`: every (n, c) plane's rows land inside a larger
//! plane), then the patches are a strided *view* of it, shape
//! `[N, C, kh, kw, OH, OW]`, which the copy kernel makes contiguous
//! (`[N, C·kh·kw, OH·OW]`); the weight `[O, C·kh·kw]` times each batch's
//! columns is `[N, O, OH·OW]`. A 1×1 convolution with stride 1 and no
//! padding multiplies the input directly.

use super::blas::MatLayout;
use super::device::{drv, CudaDevice, GpuBuffer};
use super::guard;
use super::native::{bias_accumulator, copy, float_cuda, launch, narrowed, In};
use super::tensor::{err, from_gpu};
use crate::ops::Args;
use crate::{Result, Tensor, Value};
use tsc_kernels::jit::{BinaryOp, Inst, Kernel, ReduceOp};

/// A `int[2]` argument (one int means both).
fn pair(a: &Args, i: usize) -> Option<(usize, usize)> {
    let v = a.ints(i).ok()?;
    let (x, y) = match v.as_slice() {
        [x] => (*x, *x),
        [x, y] => (*x, *y),
        _ => return None,
    };
    Some((usize::try_from(x).ok()?, usize::try_from(y).ok()?))
}

/// `conv2d(x, w, b, stride, padding, dilation, groups=1)` on float CUDA
/// tensors of one dtype with integer padding; `None` for anything else. A
/// bias is broadcast into an accumulator first and the product added to it
/// (one rounding, as `linear`).
pub(super) fn conv2d(a: &Args) -> Result<Option<Tensor>> {
    let (Some(x), Some(w)) = (float_cuda(a.vals.first()), float_cuda(a.vals.get(1))) else { return Ok(None) };
    let (Some(stride), Some(pad), Some(dil), Ok(1)) = (pair(a, 3), pair(a, 4), pair(a, 5), a.int(6)) else { return Ok(None) };
    let bias = match a.vals.get(2) {
        None | Some(Value::None) => None,
        v => match float_cuda(v) {
            Some(b) if b.dtype() == x.dtype() => Some(b),
            _ => return Ok(None),
        },
    };
    if w.dtype() != x.dtype() {
        return Ok(None);
    }
    let ([n, c, h, wd], [o, cw, kh, kw]) = (x.shape(), w.shape()) else { return Ok(None) };
    let (n, c, h, wd, o, kh, kw) = (*n, *c, *h, *wd, *o, *kh, *kw);
    if *cw != c || stride.0 == 0 || stride.1 == 0 || dil.0 == 0 || dil.1 == 0 || bias.is_some_and(|b| b.shape() != [o]) {
        return Ok(None);
    }
    let (hp, wp) = (h + 2 * pad.0, wd + 2 * pad.1);
    let (span_h, span_w) = (dil.0 * (kh.max(1) - 1) + 1, dil.1 * (kw.max(1) - 1) + 1);
    if kh == 0 || kw == 0 || hp < span_h || wp < span_w || n * c * h * wd == 0 {
        return Ok(None);
    }
    let (oh, ow) = ((hp - span_h) / stride.0 + 1, (wp - span_w) / stride.1 + 1);
    let x = if x.is_contiguous() { x.clone() } else { copy(x)? };
    let w = if w.is_contiguous() { w.clone() } else { copy(w)? };
    let Some(gx) = x.gpu() else { return Ok(None) };
    let dev = gx.dev.clone();
    let kdim = c * kh * kw;
    let cols = if kh == 1 && kw == 1 && stride == (1, 1) && pad == (0, 0) {
        x.clone()
    } else {
        let padded = if pad == (0, 0) {
            x.clone()
        } else {
            let mut buf = dev.alloc_zeros(x.dtype(), n * c * hp * wp).map_err(|e| err("conv2d", e))?;
            dev.copy_planes(&gx.read(), x.offset(), &mut buf, n * c, h, wd, (hp, wp), pad).map_err(|e| err("conv2d", e))?;
            from_gpu(dev.clone(), buf, &[n, c, hp, wp])?
        };
        let view = padded.as_strided(&[n, c, kh, kw, oh, ow], &[c * hp * wp, hp * wp, dil.0 * wp, dil.1, stride.0 * wp, stride.1], padded.offset())?;
        copy(&view)?
    };
    let (Some(gc), Some(gw)) = (cols.gpu(), w.gpu()) else { return Ok(None) };
    let npix = oh * ow;
    let lay_w = MatLayout::of(o, kdim, kdim, 1, w.offset(), 0).ok_or_else(|| err("conv2d", "internal: weight layout"))?;
    let lay_c = MatLayout::of(kdim, npix, npix, 1, cols.offset(), kdim * npix).ok_or_else(|| err("conv2d", "internal: column layout"))?;
    let acc = match bias {
        Some(b) => {
            let bv = b.as_strided(&[1, o, 1, 1], &[0, b.strides()[0], 0, 0], b.offset())?;
            Some(bias_accumulator(&bv, &[n, o, oh, ow])?)
        }
        None => None,
    };
    let out = {
        let (bw, bc) = (gw.read(), gc.read());
        dev.matmul(n, o, kdim, npix, (&bw, lay_w), (&bc, lay_c), acc).map_err(|e| err("conv2d", e))?
    };
    narrowed(dev, out, &[n, o, oh, ow], x.dtype()).map(Some)
}

/// `adaptive_avg_pool2d(x, [1, 1])` of a float CUDA tensor: the mean of
/// each (n, c) plane, a row kernel over `[..., H·W]`.
pub(super) fn adaptive_avg_pool2d(a: &Args) -> Result<Option<Tensor>> {
    let Some(x) = float_cuda(a.vals.first()) else { return Ok(None) };
    let (Some((1, 1)), Some((&w, outer))) = (pair(a, 1), x.shape().split_last()) else { return Ok(None) };
    let Some((&h, lead)) = outer.split_last() else { return Ok(None) };
    if !(3..=4).contains(&x.ndim()) || h * w == 0 {
        return Ok(None);
    }
    let x = if x.is_contiguous() { x.clone() } else { copy(x)? };
    let rows: Vec<usize> = lead.iter().copied().chain([h * w]).collect();
    let flat = x.as_strided(&rows, &crate::shape::contiguous_strides(&rows), x.offset())?;
    use Inst::*;
    let k = Kernel { num_params: 1, insts: vec![Param(0), Reduce(ReduceOp::Sum, 0), RowLen, Binary(BinaryOp::Div, 1, 2)], outputs: vec![3] };
    let m = launch(&k, &rows, &[In::T(&flat)], x.dtype())?.pop().ok_or_else(|| err("adaptive_avg_pool2d", "internal: no output"))?;
    let shape: Vec<usize> = lead.iter().copied().chain([1, 1]).collect();
    m.as_strided(&shape, &crate::shape::contiguous_strides(&shape), 0).map(Some)
}

impl CudaDevice {
    /// Copies `planes` planes of `rows × cols` elements, contiguous in
    /// `src` from `so`, into `dst` whose planes are `dims = (rows', cols')`
    /// with the copy starting at row `at.0`, column `at.1` of each plane
    /// (zero padding around it stays as `dst` had it). One 3-d copy.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn copy_planes(&self, src: &GpuBuffer, so: usize, dst: &mut GpuBuffer, planes: usize, rows: usize, cols: usize, dims: (usize, usize), at: (usize, usize)) -> std::result::Result<(), String> {
        use cudarc::driver::sys::{self, CUmemorytype};
        let f = src.dtype().size();
        let (drows, dcols) = dims;
        if src.dtype() != dst.dtype() || at.0 + rows > drows || at.1 + cols > dcols || so + planes * rows * cols > src.len() || planes * drows * dcols > dst.len() {
            return Err("cuda: plane copy out of bounds".into());
        }
        if planes * rows * cols == 0 {
            return Ok(());
        }
        let (sp, dp) = (src.raw_ptr(&self.stream), dst.raw_ptr(&self.stream));
        let p = sys::CUDA_MEMCPY3D {
            srcXInBytes: 0,
            srcY: 0,
            srcZ: 0,
            srcLOD: 0,
            srcMemoryType: CUmemorytype::CU_MEMORYTYPE_DEVICE,
            srcHost: std::ptr::null(),
            srcDevice: sp + (so * f) as u64,
            srcArray: std::ptr::null_mut(),
            reserved0: std::ptr::null_mut(),
            srcPitch: cols * f,
            srcHeight: rows,
            dstXInBytes: at.1 * f,
            dstY: at.0,
            dstZ: 0,
            dstLOD: 0,
            dstMemoryType: CUmemorytype::CU_MEMORYTYPE_DEVICE,
            dstHost: std::ptr::null_mut(),
            dstDevice: dp,
            dstArray: std::ptr::null_mut(),
            reserved1: std::ptr::null_mut(),
            dstPitch: dcols * f,
            dstHeight: drows,
            WidthInBytes: cols * f,
            Height: rows,
            Depth: planes,
        };
        guard("cuda: copy", || {
            // SAFETY: both regions were checked to lie inside their buffers;
            // the stream orders the copy after the work that wrote `src`.
            drv("3-d copy", unsafe { sys::cuMemcpy3DAsync_v2(&p, self.stream.cu_stream()) }.result())
        })
    }
}
