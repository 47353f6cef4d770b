//! CUDA tensors through the op registry: each op on `cuda:0` against the
//! same op on the CPU — the ops with device kernels (elementwise math,
//! masks, softmax/log_softmax/layer_norm rows, batch_norm, cuBLAS products,
//! im2col convolution, pooling, triu/tril, fills, joins and copies) and ops
//! that run through host mirrors (reductions, indexing, in-place writes,
//! views that alias) — plus device moves of every dtype and PyTorch's
//! mixed-device error.
//!
//! Without a device each test prints `skipped: no CUDA device (why)` and
//! checks that moving a tensor to CUDA is an error, not a panic;
//! `TSC_REQUIRE_CUDA=1` (the GPU check script) makes the absence a failure.
//!
//! Tolerance: |got - want| <= 1e-5 + 1e-5·|want| (the device kernels use
//! CUDA's libm, within 2 ulp, `jit/cuda.rs`); products 1e-4 relative to
//! the row's magnitude (cuBLAS sums in another order).

use tsc_runtime::{call, DType, Device, Tensor, Value};

const GPU: Device = Device::Cuda(0);

fn device_or_skip() -> bool {
    match tsc_runtime::cuda::device(0) {
        Ok(_) => true,
        Err(why) => {
            let required = std::env::var("TSC_REQUIRE_CUDA").is_ok_and(|v| v == "1");
            assert!(!required, "TSC_REQUIRE_CUDA=1 but there is no usable CUDA device: {why}");
            let e = Tensor::from_vec(vec![1.0f32], &[1]).unwrap().to_device(GPU).unwrap_err();
            assert!(e.to_string().contains("not available"), "{e}");
            println!("skipped: no CUDA device ({why})");
            false
        }
    }
}

/// Deterministic numbers in [-3, 3).
fn rand(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 6.0 - 3.0
        })
        .collect();
    Tensor::from_vec(v, shape).unwrap()
}

fn t(v: &Tensor) -> Value {
    Value::Tensor(v.clone())
}

/// Every tensor in `v` moved to `d`.
fn moved(v: &Value, d: Device) -> Value {
    match v {
        Value::Tensor(x) => Value::Tensor(x.to_device(d).unwrap()),
        Value::List(vs) => Value::List(vs.iter().map(|v| moved(v, d)).collect()),
        v => v.clone(),
    }
}

/// `op` on the CPU and on the GPU agree; tensor results are on the GPU.
fn same(op: &str, args: &[Value], kwargs: &[(&str, Value)], rtol: f64) {
    let want = call(op, args, kwargs).unwrap_or_else(|e| panic!("{op} on the CPU: {e}"));
    let gargs: Vec<Value> = args.iter().map(|v| moved(v, GPU)).collect();
    let gkw: Vec<(&str, Value)> = kwargs.iter().map(|(k, v)| (*k, moved(v, GPU))).collect();
    let got = call(op, &gargs, &gkw).unwrap_or_else(|e| panic!("{op} on the GPU: {e}"));
    compare(op, &got, &want, rtol);
}

fn compare(op: &str, got: &Value, want: &Value, rtol: f64) {
    match (got, want) {
        (Value::Tensor(g), Value::Tensor(w)) => {
            assert_eq!(g.device(), GPU, "{op}: result device");
            assert_eq!((g.shape(), g.dtype()), (w.shape(), w.dtype()), "{op}: shape and dtype");
            let g = g.to_device(Device::Cpu).unwrap().to_vec::<f64>();
            let w = w.to_vec::<f64>();
            let scale = w.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            for (i, (a, b)) in g.iter().zip(&w).enumerate() {
                let ok = a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-5 + rtol * b.abs().max(if rtol > 1e-5 { scale } else { 0.0 });
                assert!(ok, "{op}: element {i}: got {a}, want {b}");
            }
        }
        (Value::List(g), Value::List(w)) | (Value::Tuple(g), Value::Tuple(w)) => {
            assert_eq!(g.len(), w.len(), "{op}");
            g.iter().zip(w).for_each(|(g, w)| compare(op, g, w, rtol));
        }
        _ => assert_eq!(got, want, "{op}"),
    }
}

#[test]
fn elementwise_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let (a, b, c) = (rand(&[4, 1, 5], 1), rand(&[3, 5], 2), rand(&[2, 7, 9], 3));
    for op in ["add", "sub", "mul", "div", "maximum", "minimum"] {
        same(op, &[t(&a), t(&b)], &[], 1e-5);
    }
    same("add", &[t(&a), Value::Float(0.5)], &[], 1e-5);
    same("mul", &[t(&a), Value::Int(3)], &[], 1e-5);
    for op in ["relu", "tanh", "exp", "sigmoid", "neg", "abs", "silu", "erf", "floor"] {
        same(op, &[t(&c)], &[], 1e-5);
    }
    same("gelu", &[t(&c)], &[], 1e-5);
    same("gelu", &[t(&c)], &[("approximate", Value::from("tanh"))], 1e-5);
    // A transposed (non-contiguous) operand, and its contiguous copy.
    let ct = call("transpose", &[t(&c), Value::Int(0), Value::Int(2)], &[]).unwrap();
    same("mul", &[ct.clone(), ct.clone()], &[], 1e-5);
    same("contiguous", &[ct.clone()], &[], 0.0);
    same("reshape", &[ct, Value::List(vec![Value::Int(-1)])], &[], 0.0);
}

#[test]
fn rows_on_the_device() {
    if !device_or_skip() {
        return;
    }
    for (k, n) in [1usize, 7, 33, 256, 1025].into_iter().enumerate() {
        let x = rand(&[5, n], 10 + k as u64);
        same("softmax", &[t(&x), Value::Int(-1)], &[], 1e-5);
        same("log_softmax", &[t(&x), Value::Int(1)], &[], 1e-5);
        let (w, b) = (rand(&[n], 20), rand(&[n], 21));
        let shape = Value::List(vec![Value::Int(n as i64)]);
        same("layer_norm", &[t(&x), shape.clone(), t(&w), t(&b), Value::Float(1e-5)], &[], 1e-4);
        same("layer_norm", &[t(&x), shape, Value::None, Value::None, Value::Float(1e-5)], &[], 1e-4);
    }
}

#[test]
fn products_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let x = rand(&[2, 3, 4, 5], 30);
    same("matmul", &[t(&x), t(&rand(&[5, 6], 31))], &[], 1e-4);
    same("matmul", &[t(&rand(&[3, 4, 5], 32)), t(&rand(&[3, 5, 2], 33))], &[], 1e-4);
    same("matmul", &[t(&rand(&[3, 4, 5], 32)), t(&rand(&[5, 2], 33))], &[], 1e-4);
    same("mm", &[t(&rand(&[64, 32], 34)), t(&rand(&[32, 48], 35))], &[], 1e-4);
    same("bmm", &[t(&rand(&[2, 8, 16], 36)), t(&rand(&[2, 16, 4], 37))], &[], 1e-4);
    let w = rand(&[32, 16], 38);
    same("linear", &[t(&rand(&[4, 8, 16], 39)), t(&w), t(&rand(&[32], 40))], &[], 1e-4);
    same("linear", &[t(&rand(&[1, 16], 41)), t(&w), Value::None], &[], 1e-4);
    // A transposed right operand (cuBLAS's T flag) and a sliced one (copied).
    let wt = call("t", &[t(&w)], &[]).unwrap();
    same("matmul", &[t(&rand(&[7, 16], 42)), wt], &[], 1e-4);
    let every_other = call("slice", &[t(&rand(&[16, 12], 43)), Value::Int(1), Value::None, Value::None, Value::Int(2)], &[]).unwrap();
    same("matmul", &[t(&rand(&[3, 16], 44)), every_other], &[], 1e-4);
}

#[test]
fn masks_norms_and_joins_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let x = rand(&[2, 3, 5, 5], 80);
    let mask = call("gt", &[t(&rand(&[5, 5], 81)), Value::Float(0.0)], &[]).unwrap();
    same("masked_fill", &[t(&x), mask.clone(), Value::Float(f64::NEG_INFINITY)], &[], 0.0);
    same("masked_fill", &[t(&x), mask.clone(), Value::Int(7)], &[], 0.0);
    same("where", &[mask.clone(), t(&rand(&[5, 5], 82)), Value::Float(-1.0)], &[], 0.0);
    same("where", &[mask, t(&rand(&[3, 1, 5], 83)), t(&rand(&[5], 84))], &[], 0.0);
    let (c, v) = (3usize, rand(&[3], 85));
    let var = call("abs", &[t(&v)], &[]).unwrap();
    let bn = |w: Value, b: Value| {
        vec![t(&x), t(&rand(&[c], 86)), var.clone(), w, b, Value::Bool(false), Value::Float(0.1), Value::Float(1e-5)]
    };
    same("batch_norm", &bn(t(&rand(&[c], 87)), t(&rand(&[c], 88))), &[], 1e-4);
    same("batch_norm", &bn(Value::None, Value::None), &[], 1e-4);
    same("relu", &[t(&x), Value::Bool(false)], &[], 0.0);
    let (a, b) = (rand(&[2, 3, 4], 89), rand(&[2, 5, 4], 90));
    same("cat", &[Value::List(vec![t(&a), t(&b)]), Value::Int(1)], &[], 0.0);
    same("cat", &[Value::List(vec![t(&a), t(&a)]), Value::Int(-1)], &[], 0.0);
    same("stack", &[Value::List(vec![t(&a), t(&a), t(&a)]), Value::Int(0)], &[], 0.0);
    same("stack", &[Value::List(vec![t(&a), t(&a)]), Value::Int(2)], &[], 0.0);
    let bools = call("lt", &[t(&a), Value::Float(0.0)], &[]).unwrap();
    same("cat", &[Value::List(vec![bools.clone(), bools]), Value::Int(0)], &[], 0.0);
}

#[test]
fn triangles_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let before = tsc_runtime::cuda::host_runs();
    let x = rand(&[2, 4, 6], 95);
    let xt = call("transpose", &[t(&rand(&[6, 4], 96)), Value::Int(0), Value::Int(1)], &[]).unwrap();
    let ones = call("gt", &[t(&rand(&[5, 5], 97)), Value::Float(-9.0)], &[]).unwrap();
    for k in [-7, -2, 0, 1, 3, 9] {
        for op in ["triu", "tril"] {
            same(op, &[t(&x), Value::Int(k)], &[], 0.0);
            same(op, &[xt.clone(), Value::Int(k)], &[], 0.0);
            same(op, &[ones.clone(), Value::Int(k)], &[], 0.0);
        }
    }
    same("triu", &[t(&rand(&[1, 5], 98)), Value::Int(1)], &[], 0.0);
    same("tril", &[t(&rand(&[3, 0], 99)), Value::Int(0)], &[], 0.0);
    assert_eq!(tsc_runtime::cuda::host_runs(), before, "triu/tril ran through the host");
}

#[test]
fn fills_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let ints = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    let on = |op: &str, args: &[Value], kw: &[(&str, Value)]| {
        let Value::Tensor(t) = call(op, args, kw).unwrap_or_else(|e| panic!("{op}: {e}")) else { panic!("{op}: not a tensor") };
        t
    };
    let check = |what: &str, got: &Tensor, want: &Tensor| {
        assert_eq!((got.device(), got.dtype(), got.shape()), (GPU, want.dtype(), want.shape()), "{what}");
        assert_eq!(got.to_device(Device::Cpu).unwrap().to_vec::<f64>(), want.to_vec::<f64>(), "{what}");
    };
    let size = ints(&[3, 5]);
    // Factories with device=cuda: every element width, and a float64 whose
    // halves differ (no memset writes it: made on the host and moved).
    for d in [DType::F32, DType::F16, DType::BF16, DType::Bool, DType::U8, DType::I32, DType::I64, DType::F64] {
        for (op, args) in [("zeros", vec![size.clone()]), ("ones", vec![size.clone()]), ("full", vec![size.clone(), Value::Float(0.1)])] {
            let kw = [("dtype", Value::DType(d))];
            let want = on(op, &args, &kw);
            let got = on(op, &args, &[("dtype", Value::DType(d)), ("device", Value::Device(GPU))]);
            check(&format!("{op} {d}"), &got, &want);
        }
    }
    let empty = on("zeros", &[ints(&[0, 4])], &[("device", Value::Device(GPU))]);
    assert_eq!((empty.device(), empty.shape()), (GPU, &[0usize, 4][..]));
    // `*_like` and `new_*` of a CUDA tensor run on the device.
    let x = rand(&[2, 3], 100);
    let g = x.to_device(GPU).unwrap();
    let before = tsc_runtime::cuda::host_runs();
    for (op, extra) in [
        ("zeros_like", vec![]),
        ("ones_like", vec![]),
        ("full_like", vec![Value::Float(-2.5)]),
        ("new_zeros", vec![ints(&[4])]),
        ("new_ones", vec![ints(&[2, 2])]),
        ("new_full", vec![ints(&[3]), Value::Int(7)]),
    ] {
        let args = |t: &Tensor| [vec![Value::Tensor(t.clone())], extra.clone()].concat();
        check(op, &on(op, &args(&g), &[]), &on(op, &args(&x), &[]));
        let kw = [("dtype", Value::DType(DType::F16))];
        check(op, &on(op, &args(&g), &kw), &on(op, &args(&x), &kw));
    }
    assert_eq!(tsc_runtime::cuda::host_runs(), before, "fills ran through the host");
}

#[test]
fn convolutions_on_the_device() {
    if !device_or_skip() {
        return;
    }
    let ints = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    // (input, weight, bias, stride, padding, dilation)
    type Conv<'a> = (&'a [usize], &'a [usize], bool, [i64; 2], [i64; 2], [i64; 2]);
    let cases: [Conv; 5] = [
        (&[2, 3, 9, 9], &[4, 3, 3, 3], true, [1, 1], [1, 1], [1, 1]),
        (&[2, 3, 9, 8], &[5, 3, 3, 3], false, [2, 2], [0, 0], [1, 1]),
        (&[1, 2, 11, 10], &[3, 2, 3, 3], true, [1, 1], [2, 2], [2, 2]),
        (&[2, 6, 5, 5], &[4, 6, 1, 1], true, [1, 1], [0, 0], [1, 1]),
        (&[2, 3, 7, 6], &[2, 3, 3, 2], true, [2, 1], [0, 1], [1, 1]),
    ];
    for (k, (xs, ws, bias, stride, pad, dil)) in cases.into_iter().enumerate() {
        let b = if bias { t(&rand(&[ws[0]], 100 + k as u64)) } else { Value::None };
        let args = [t(&rand(xs, 110 + k as u64)), t(&rand(ws, 120 + k as u64)), b, ints(&stride), ints(&pad), ints(&dil), Value::Int(1)];
        same("conv2d", &args, &[], 1e-4);
    }
    for shape in [&[2usize, 5, 4, 3][..], &[5, 4, 3]] {
        same("adaptive_avg_pool2d", &[t(&rand(shape, 130)), ints(&[1, 1])], &[], 1e-5);
    }
}

#[test]
fn other_ops_through_the_host() {
    if !device_or_skip() {
        return;
    }
    let x = rand(&[4, 6], 50);
    same("sum", &[t(&x), Value::List(vec![Value::Int(1)]), Value::Bool(true)], &[], 1e-5);
    same("argmax", &[t(&x), Value::Int(1)], &[], 0.0);
    same("cat", &[Value::List(vec![t(&x), t(&x)]), Value::Int(0)], &[], 0.0);
    same("cumsum", &[t(&x), Value::Int(0)], &[], 1e-5);
    let mask = call("gt", &[t(&x), Value::Float(0.0)], &[]).unwrap();
    same("where", &[mask, t(&x), Value::Float(0.0)], &[], 0.0);
    // A 0-d CPU tensor goes with a CUDA tensor, as in PyTorch.
    let g = x.to_device(GPU).unwrap();
    let two = Tensor::from_vec(vec![2.0f32], &[]).unwrap();
    let r = call("mul", &[t(&g), t(&two)], &[]).unwrap();
    let Value::Tensor(r) = r else { panic!("mul: not a tensor") };
    assert_eq!(r.device(), GPU);
    // A CPU tensor with more dims does not.
    let e = call("add", &[t(&g), t(&x)], &[]).unwrap_err().to_string();
    assert!(e.contains("Expected all tensors to be on the same device") && e.contains("cuda:0") && e.contains("cpu"), "{e}");
}

#[test]
fn in_place_writes_reach_device_memory() {
    if !device_or_skip() {
        return;
    }
    let x = rand(&[3, 4], 60);
    let g = x.to_device(GPU).unwrap();
    // A view of `g`: writes through it show in `g`.
    let row = call("select", &[t(&g), Value::Int(0), Value::Int(1)], &[]).unwrap();
    call("add_", &[row, Value::Float(10.0)], &[]).unwrap();
    call("mul_", &[t(&g), Value::Float(2.0)], &[]).unwrap();
    let got = g.to_device(Device::Cpu).unwrap().to_vec::<f32>();
    let want: Vec<f32> = x.to_vec::<f32>().iter().enumerate().map(|(i, &v)| if (4..8).contains(&i) { (v + 10.0) * 2.0 } else { v * 2.0 }).collect();
    assert_eq!(got, want);
}

#[test]
fn every_dtype_moves_and_comes_back() {
    if !device_or_skip() {
        return;
    }
    let x = rand(&[2, 3], 70);
    for d in [DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64, DType::I32, DType::U8, DType::Bool] {
        let h = x.to_dtype(d);
        let g = h.to_device(GPU).unwrap();
        assert_eq!((g.device(), g.dtype(), g.shape()), (GPU, d, h.shape()));
        let back = g.to_device(Device::Cpu).unwrap();
        assert_eq!(back.to_vec::<f64>(), h.to_vec::<f64>(), "{d}");
    }
    // `to(device, dtype)` and `.cpu()` through the registry.
    let g = call("to", &[t(&x), Value::Device(GPU), Value::DType(DType::F16)], &[]).unwrap();
    let Value::Tensor(g) = g else { panic!("to: not a tensor") };
    assert_eq!((g.device(), g.dtype()), (GPU, DType::F16));
    let Value::Tensor(c) = call("cpu", &[t(&g)], &[]).unwrap() else { panic!("cpu: not a tensor") };
    assert_eq!(c.device(), Device::Cpu);
    assert_eq!(c.to_vec::<f64>(), x.to_dtype(DType::F16).to_vec::<f64>());
    // A one-element CUDA tensor reads back as a number.
    assert_eq!(g.to_device(GPU).unwrap().numel(), 6);
    let one = Tensor::from_vec(vec![4.5f32], &[1]).unwrap().to_device(GPU).unwrap();
    assert_eq!(one.item().unwrap().to_f64(), 4.5);
}

/// Every float16/bfloat16 tensor in `v` widened to float32 (exactly).
fn widened(v: &Value) -> Value {
    match v {
        Value::Tensor(x) if matches!(x.dtype(), DType::F16 | DType::BF16) => Value::Tensor(x.to_dtype(DType::F32)),
        Value::List(vs) => Value::List(vs.iter().map(widened).collect()),
        v => v.clone(),
    }
}

/// `op` on float16/bfloat16 CUDA tensors against PyTorch's CUDA numerics:
/// the op computed in float32 on the widened operands, rounded once to the
/// result dtype (which the CPU op on the narrow operands gives). Elements
/// agree within `atol + ulps·2⁻ᵖ·|want|` (p = 10 for float16, 7 for
/// bfloat16: one unit in the last place of `want` is at most 2⁻ᵖ·|want|);
/// the op must run on the device, not through the host. Without
/// `on_device`, only the CPU side runs.
fn same_narrow(on_device: bool, op: &str, args: &[Value], kwargs: &[(&str, Value)], ulps: f64, atol: f64) {
    let Value::Tensor(cpu) = call(op, args, kwargs).unwrap_or_else(|e| panic!("{op} on the CPU: {e}")) else { panic!("{op}: not a tensor") };
    let wide: Vec<Value> = args.iter().map(widened).collect();
    let Value::Tensor(want) = call(op, &wide, kwargs).unwrap_or_else(|e| panic!("{op} in float32: {e}")) else { panic!("{op}: not a tensor") };
    let want = want.to_dtype(cpu.dtype());
    if !on_device {
        return;
    }
    let gargs: Vec<Value> = args.iter().map(|v| moved(v, GPU)).collect();
    let before = tsc_runtime::cuda::host_runs();
    let got = call(op, &gargs, kwargs).unwrap_or_else(|e| panic!("{op} on the GPU: {e}"));
    assert_eq!(tsc_runtime::cuda::host_runs(), before, "{op}: ran through the host");
    let Value::Tensor(got) = got else { panic!("{op}: not a tensor") };
    assert_eq!((got.device(), got.dtype(), got.shape()), (GPU, cpu.dtype(), cpu.shape()), "{op}: device, dtype, shape");
    let rel = match cpu.dtype() {
        DType::F16 => 2f64.powi(-10),
        DType::BF16 => 2f64.powi(-7),
        _ => 0.0,
    };
    let (g, w) = (got.to_device(Device::Cpu).unwrap().to_vec::<f64>(), want.to_vec::<f64>());
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let ok = a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= atol + ulps * rel * b.abs();
        assert!(ok, "{op} ({}): element {i}: got {a}, want {b}", cpu.dtype());
    }
}

#[test]
fn half_and_bfloat16_on_the_device() {
    // Without a device the float32 references still run (the CPU ops on
    // narrow dtypes and the oracle), and the device half is skipped.
    let dev = device_or_skip();
    let ints = |v: &[i64]| Value::List(v.iter().map(|&i| Value::Int(i)).collect());
    for d in [DType::F16, DType::BF16] {
        let h = |shape: &[usize], seed| t(&rand(shape, seed).to_dtype(d));
        let (a, b, c) = (h(&[4, 1, 5], 1), h(&[3, 5], 2), h(&[2, 7, 9], 3));
        // Elementwise: exact but for libm's last bit in float32.
        for op in ["add", "sub", "mul", "div", "maximum", "minimum"] {
            same_narrow(dev, op, &[a.clone(), b.clone()], &[], 1.0, 0.0);
        }
        same_narrow(dev, "mul", &[a.clone(), Value::Float(0.1)], &[], 1.0, 0.0);
        same_narrow(dev, "add", &[c.clone(), Value::Int(3)], &[], 1.0, 0.0);
        for op in ["relu", "tanh", "exp", "sigmoid", "silu", "erf", "neg"] {
            same_narrow(dev, op, &[c.clone()], &[], 1.0, 1e-7);
        }
        same_narrow(dev, "gelu", &[c.clone()], &[("approximate", Value::from("tanh"))], 1.0, 1e-7);
        // Mixed float dtypes promote (float16 with bfloat16 gives float32).
        same_narrow(dev, "add", &[a.clone(), t(&rand(&[3, 5], 4))], &[], 1.0, 0.0);
        same_narrow(dev, "mul", &[a.clone(), t(&rand(&[3, 5], 5).to_dtype(DType::F16))], &[], 1.0, 0.0);
        // Comparisons give bool; casts round to nearest even.
        for op in ["lt", "eq", "ge"] {
            same_narrow(dev, op, &[a.clone(), b.clone()], &[], 0.0, 0.0);
        }
        same_narrow(dev, "gt", &[c.clone(), Value::Float(0.5)], &[], 0.0, 0.0);
        same_narrow(dev, "float", &[c.clone()], &[], 0.0, 0.0);
        let name = if d == DType::F16 { "half" } else { "bfloat16" };
        same_narrow(dev, name, &[t(&rand(&[5, 33], 6))], &[], 0.0, 0.0);
        same_narrow(dev, "to", &[c.clone(), Value::DType(DType::F32)], &[], 0.0, 0.0);
        // Rows and products sum in float32 (in another order than the CPU).
        let x = h(&[6, 70], 7);
        same_narrow(dev, "softmax", &[x.clone(), Value::Int(-1)], &[], 1.0, 1e-4);
        same_narrow(dev, "log_softmax", &[x.clone(), Value::Int(-1)], &[], 1.0, 1e-3);
        same_narrow(dev, "layer_norm", &[x.clone(), ints(&[70]), h(&[70], 8), h(&[70], 9), Value::Float(1e-5)], &[], 1.0, 1e-3);
        same_narrow(dev, "matmul", &[h(&[2, 3, 4, 40], 10), h(&[40, 6], 11)], &[], 2.0, 1e-3);
        same_narrow(dev, "bmm", &[h(&[2, 8, 16], 12), h(&[2, 16, 4], 13)], &[], 2.0, 1e-3);
        same_narrow(dev, "linear", &[h(&[4, 8, 16], 14), h(&[32, 16], 15), h(&[32], 16)], &[], 2.0, 1e-3);
        let conv = [h(&[2, 3, 9, 9], 17), h(&[4, 3, 3, 3], 18), h(&[4], 19), ints(&[1, 1]), ints(&[1, 1]), ints(&[1, 1]), Value::Int(1)];
        same_narrow(dev, "conv2d", &conv, &[], 2.0, 1e-3);
        // Masks select without arithmetic: exact.
        let mask = call("gt", &[t(&rand(&[3, 5], 20)), Value::Float(0.0)], &[]).unwrap();
        same_narrow(dev, "masked_fill", &[b.clone(), mask.clone(), Value::Float(f64::NEG_INFINITY)], &[], 0.0, 0.0);
        same_narrow(dev, "where", &[mask, b.clone(), a.clone()], &[], 0.0, 0.0);
    }
}

/// Host time per call of the pieces of a device op (the launches are
/// asynchronous, so on a host-bound workload this is the op's cost),
/// printed as `timing:` lines for the GPU check; the results are checked.
#[test]
fn host_cost_of_device_calls() {
    if !device_or_skip() {
        return;
    }
    let dev = tsc_runtime::cuda::device(0).unwrap();
    let (ha, hb) = (rand(&[128, 768], 110), rand(&[128, 768], 111));
    let (a, b) = (ha.to_device(GPU).unwrap(), hb.to_device(GPU).unwrap());
    let n = a.numel();
    let per_call_us = |iters: u32, f: &mut dyn FnMut()| {
        f();
        dev.synchronize().unwrap();
        let t0 = std::time::Instant::now();
        for _ in 0..iters {
            f();
        }
        let host = t0.elapsed().as_secs_f64() * 1e6 / f64::from(iters);
        dev.synchronize().unwrap();
        host
    };
    let alloc = per_call_us(2000, &mut || drop(dev.alloc_zeros(DType::F32, n).unwrap()));
    let fill = per_call_us(2000, &mut || drop(dev.filled(DType::F32, n, &1.5f32.to_ne_bytes()).unwrap()));
    use tsc_kernels::jit::{BinaryOp, Inst, Kernel};
    let k = Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(BinaryOp::Add, 0, 1)], outputs: vec![2] };
    let (ga, gb) = (a.gpu().unwrap().read(), b.gpu().unwrap().read());
    let strides = [768i64, 1];
    let ops = [&*ga, &*gb].map(|buf| tsc_runtime::cuda::GpuOperand::Tensor { buf, offset: 0, strides: &strides });
    let mut out = vec![dev.alloc_zeros(DType::F32, n).unwrap()];
    let launch = per_call_us(2000, &mut || dev.launch_elementwise_into(&k, &[128, 768], &ops, &mut out).unwrap());
    let launch_alloc = per_call_us(2000, &mut || drop(dev.launch_as(&k, &[128, 768], &ops, DType::F32).unwrap()));
    drop((ga, gb));
    let mut sum = None;
    let add = per_call_us(2000, &mut || sum = Some(call("add", &[t(&a), t(&b)], &[]).unwrap()));
    let w = rand(&[768, 768], 112).to_device(GPU).unwrap();
    let bias = rand(&[768], 113).to_device(GPU).unwrap();
    let linear = per_call_us(500, &mut || drop(call("linear", &[t(&a), t(&w), t(&bias)], &[]).unwrap()));
    let mut tri = None;
    let triu = per_call_us(500, &mut || tri = Some(call("triu", &[t(&a), Value::Int(1)], &[]).unwrap()));
    println!(
        "timing: host µs per call: alloc+free {alloc:.2}, memset fill {fill:.2}, launch {launch:.2}, launch+alloc {launch_alloc:.2}, add op {add:.2}, linear op 128x768x768 {linear:.2}, triu op {triu:.2}"
    );
    // The timed calls computed the right things.
    let want = call("add", &[t(&ha), t(&hb)], &[]).unwrap();
    compare("add", &sum.unwrap(), &want, 1e-5);
    compare("triu", &tri.unwrap(), &call("triu", &[t(&ha), Value::Int(1)], &[]).unwrap(), 0.0);
    let Value::Tensor(want) = want else { panic!("add: not a tensor") };
    assert_eq!(dev.download(&out[0]).unwrap(), want.to_vec::<f32>());
}

