//! The `.tsg` artifact end to end: a hand-built program (a linear layer, a
//! loop summing a list, an if) is saved, loaded and run, and agrees with
//! direct op calls; then the loader meets hostile files: every truncation,
//! single flipped bytes everywhere, lying lengths and offsets, a future
//! version, empty and garbage files, and random bytes (proptest). Each must
//! be an error (or, for a flip that keeps the file well-formed, a valid
//! load), never a panic.

use proptest::prelude::*;
use std::path::Path;
use tsc_runtime::ops::call;
use tsc_runtime::program::artifact::{self, assemble, from_bytes, load, save, to_bytes, FORMAT_VERSION};
use tsc_runtime::program::*;
use tsc_runtime::{Tensor, Value};

fn node(op: OpCode, inputs: &[u32], outputs: &[u32]) -> NodeDef {
    NodeDef { op, inputs: inputs.to_vec(), outputs: outputs.to_vec(), blocks: vec![], loc: Some(0) }
}
fn op(name: &str, inputs: &[u32], outputs: &[u32]) -> NodeDef {
    node(OpCode::Call { name: name.into() }, inputs, outputs)
}
fn with_blocks(mut n: NodeDef, blocks: &[u32]) -> NodeDef {
    n.blocks = blocks.to_vec();
    n
}

/// ```python
/// def forward(x, a, b, c, scale: float):
///     y = F.linear(x, W, bias)
///     l = [a, b, c]
///     n = len(l)
///     acc = l[0]
///     for i in range(n - 1):
///         acc = acc + l[i + 1]
///     s = acc * scale
///     s = relu(s) if n > 2 else neg(s)
///     return y, s
/// ```
fn model() -> ProgramDef {
    let entry = BlockDef {
        params: vec![0, 1, 2, 3, 4],
        nodes: vec![
            node(OpCode::Const(0), &[], &[5]),                      // W
            node(OpCode::Const(1), &[], &[6]),                      // bias
            op("linear", &[0, 5, 6], &[7]),                         // y
            node(OpCode::ListConstruct, &[1, 2, 3], &[8]),          // l
            op("len", &[8], &[9]),                                  // n
            node(OpCode::Const(2), &[], &[10]),                     // 1
            op("sub", &[9, 10], &[11]),                             // n - 1
            node(OpCode::Const(3), &[], &[12]),                     // 0
            op("__getitem__", &[8, 12], &[13]),                     // l[0]
            node(OpCode::Const(4), &[], &[14]),                     // True
            with_blocks(node(OpCode::Loop, &[11, 14, 13], &[15]), &[1]),
            op("mul", &[15, 4], &[16]),                             // s
            node(OpCode::Const(5), &[], &[17]),                     // 2
            op("gt", &[9, 17], &[18]),                              // n > 2
            with_blocks(node(OpCode::If, &[18], &[19]), &[2, 3]),
        ],
        results: vec![7, 19],
    };
    let body = BlockDef {
        params: vec![20, 21], // i, acc
        nodes: vec![op("__derive_index", &[20, 10, 10], &[22]), op("__getitem__", &[8, 22], &[23]), op("add", &[21, 23], &[24])],
        results: vec![14, 24],
    };
    let then_b = BlockDef { params: vec![], nodes: vec![op("relu", &[16], &[25])], results: vec![25] };
    let else_b = BlockDef { params: vec![], nodes: vec![op("neg", &[16], &[26])], results: vec![26] };
    let inputs = ["x", "a", "b", "c"].iter().enumerate().map(|(i, n)| IoDef { name: n.to_string(), kind: IoKind::Tensor, slot: i as u32 });
    ProgramDef {
        blocks: vec![entry, body, then_b, else_b],
        inputs: inputs.chain([IoDef { name: "scale".into(), kind: IoKind::Float, slot: 4 }]).collect(),
        outputs: vec![7, 19],
        consts: vec![
            ConstDef::Tensor { table_index: 0 },
            ConstDef::Tensor { table_index: 1 },
            ConstDef::Int(1),
            ConstDef::Int(0),
            ConstDef::Bool(true),
            ConstDef::Int(2),
        ],
        locs: vec!["model.py:7:12: return F.linear(x, W, bias)".into()],
        num_slots: 27,
        kernels: vec![],
    }
}

fn f32s(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn weights() -> Vec<(String, Tensor)> {
    vec![
        ("fc.weight".into(), f32s(&[0.5, -1.0, 2.0, 0.25, 1.5, -0.5], &[2, 3])),
        ("fc.bias".into(), f32s(&[0.1, -0.2], &[2])),
    ]
}

fn inputs() -> Vec<(String, Value)> {
    let t = |v: &[f32]| Value::Tensor(f32s(v, &[2]));
    vec![
        ("x".into(), Value::Tensor(f32s(&[1.0, 2.0, 3.0, -1.0, 0.0, 1.0], &[2, 3]))),
        ("a".into(), t(&[1.0, -2.0])),
        ("b".into(), t(&[0.5, -0.5])),
        ("c".into(), t(&[2.0, -4.0])),
        ("scale".into(), Value::Float(2.0)),
    ]
}

fn meta() -> Meta {
    Meta { producer: "tsc 0.1.0".into(), source_hash: "abc123".into(), entry: "Model()".into() }
}

fn good_file() -> Vec<u8> {
    to_bytes(&model(), &meta(), &weights()).unwrap()
}

fn tensor(v: &Value) -> Vec<f32> {
    v.as_tensor().unwrap().to_vec::<f32>()
}

/// The model computed with direct op calls.
fn expected() -> (Vec<f32>, Vec<f32>) {
    let w = weights();
    let ins = inputs();
    let arg = |i: usize| ins[i].1.clone();
    let y = call("linear", &[arg(0), Value::Tensor(w[0].1.clone()), Value::Tensor(w[1].1.clone())], &[]).unwrap();
    let acc = call("add", &[call("add", &[arg(1), arg(2)], &[]).unwrap(), arg(3)], &[]).unwrap();
    let s = call("relu", &[call("mul", &[acc, arg(4)], &[]).unwrap()], &[]).unwrap();
    (tensor(&y), tensor(&s))
}

#[test]
fn saved_program_loads_and_agrees_with_direct_calls() {
    let path = std::env::temp_dir().join(format!("tsc-program-test-{}.tsg", std::process::id()));
    save(&path, &model(), &meta(), &weights()).unwrap();
    let loaded = load(&path);
    let _ = std::fs::remove_file(&path);
    let loaded = loaded.unwrap();
    assert_eq!(loaded.header.meta, meta());
    assert_eq!(loaded.header.program, model());
    assert_eq!(loaded.header.tensors.iter().map(|t| t.offset % 64).collect::<Vec<_>>(), vec![0, 0]);
    let out = loaded.plan.run(&inputs()).unwrap();
    let (y, s) = expected();
    assert_eq!(tensor(&out[0]), y);
    assert_eq!(tensor(&out[1]), s);
    // The same plan runs again (the plan is immutable; state is per run).
    assert_eq!(tensor(&loaded.plan.run(&inputs()).unwrap()[1]), s);
}

#[test]
fn the_else_branch_and_short_lists() {
    // With two list items the loop runs once and `n > 2` is false.
    let mut p = model();
    p.blocks[0].nodes[3].inputs.pop();
    let plan = Plan::with_tensors(&p, &weights().into_iter().map(|w| w.1).collect::<Vec<_>>()).unwrap();
    let out = plan.run(&inputs()).unwrap();
    assert_eq!(tensor(&out[1]), vec![-3.0, 5.0]);
}

#[test]
fn errors_name_the_source_line() {
    let bad_x = vec![("x".to_string(), Value::Tensor(f32s(&[1.0, 2.0], &[1, 2])))];
    let ins: Vec<(String, Value)> = bad_x.into_iter().chain(inputs().into_iter().skip(1)).collect();
    let loaded = from_bytes(&good_file(), Path::new("m.tsg")).unwrap();
    let e = loaded.plan.run(&ins).unwrap_err().to_string();
    assert!(e.starts_with("linear: "), "{e}");
    assert!(e.ends_with(" at model.py:7:12: return F.linear(x, W, bias)"), "{e}");
}

#[test]
fn an_invalid_program_is_not_written() {
    let mut p = model();
    p.blocks[0].nodes[2] = op("no_such_op", &[0, 5, 6], &[7]);
    let e = to_bytes(&p, &meta(), &weights()).unwrap_err().to_string();
    assert!(e.contains("unknown op `no_such_op`"), "{e}");
}

/// The weights plus one tensor of every other kind the loader treats
/// differently (bool is copied; the rest are windows into the map).
fn many_weights() -> Vec<(String, Tensor)> {
    let mut w = weights();
    w.push(("steps".into(), Tensor::from_vec(vec![3i64, -4, 5], &[3]).unwrap()));
    w.push(("mask".into(), Tensor::from_vec(vec![true, false, true], &[3]).unwrap()));
    w.push(("half".into(), Tensor::from_vec(vec![half::f16::from_f32(1.5)], &[1]).unwrap()));
    w.push(("bytes".into(), Tensor::from_vec(vec![7u8; 5], &[5]).unwrap()));
    w.push(("empty".into(), Tensor::from_vec(Vec::<f64>::new(), &[0, 2]).unwrap()));
    w
}

#[test]
fn loaded_weights_are_windows_into_the_map() {
    let path = std::env::temp_dir().join(format!("tsc-mmap-test-{}.tsg", std::process::id()));
    let saved = many_weights();
    save(&path, &model(), &meta(), &saved).unwrap();
    let file = std::fs::read(&path).unwrap();
    let hlen = u64::from_le_bytes(file[8..16].try_into().unwrap()) as usize;
    let data_start = (16 + hlen).next_multiple_of(64);

    let loaded = load(&path).unwrap();
    for ((name, want), (t, e)) in saved.iter().zip(loaded.tensors.iter().zip(&loaded.header.tensors)) {
        assert_eq!((t.dtype(), t.shape()), (want.dtype(), want.shape()), "{name}");
        assert_eq!(t.to_vec::<f64>(), want.to_vec::<f64>(), "{name}");
        let expect_mapped = !matches!(name.as_str(), "mask" | "empty");
        assert_eq!(t.is_mapped(), expect_mapped, "{name}");
        let g = t.storage().read();
        match g.map_location() {
            Some((map, off)) => {
                // The elements are read where they lie in the mapped file.
                assert_eq!(map, &file[..], "{name}: the map holds the file");
                assert_eq!(off, data_start + e.offset as usize, "{name}");
                let ptr = tsc_runtime::with_buffer!(&*g, v => v.as_ptr() as usize);
                let base = map.as_ptr() as usize;
                assert_eq!(ptr, base + off, "{name}: the data pointer is in the map");
                assert!(ptr + e.nbytes as usize <= base + map.len());
            }
            None => assert!(!expect_mapped, "{name}"),
        }
    }

    // The program runs on the mapped weights.
    let (y, s) = expected();
    let out = loaded.plan.run(&inputs()).unwrap();
    assert_eq!((tensor(&out[0]), tensor(&out[1])), (y.clone(), s));

    // An in-place op on a weight (through a view) changes that weight, for
    // every tensor sharing its storage (the plan's constant too), but not
    // the other weights, the file, or a second load of it.
    let w = loaded.tensors[0].clone();
    let row0 = w.as_strided(&[3], &[1], 0).unwrap();
    call("add_", &[Value::Tensor(row0), Value::Float(1.0)], &[]).unwrap();
    assert!(!w.is_mapped() && !loaded.tensors[0].is_mapped());
    assert_eq!(loaded.tensors[0].to_vec::<f32>(), vec![1.5, 0.0, 3.0, 0.25, 1.5, -0.5]);
    assert!(loaded.tensors[1].is_mapped(), "the bias is still a window");
    let out = loaded.plan.run(&inputs()).unwrap();
    assert_ne!(tensor(&out[0]), y, "the plan uses the updated weight");
    call("mul_", &[Value::Tensor(loaded.tensors[2].clone()), Value::Int(2)], &[]).unwrap();
    assert_eq!(loaded.tensors[2].to_vec::<i64>(), vec![6, -8, 10]);

    assert_eq!(std::fs::read(&path).unwrap(), file, "the file is untouched");
    let again = load(&path).unwrap();
    for ((name, want), t) in saved.iter().zip(&again.tensors) {
        assert_eq!(t.to_vec::<f64>(), want.to_vec::<f64>(), "{name} in a second load");
    }
    assert!(again.tensors[0].is_mapped());
    let out = again.plan.run(&inputs()).unwrap();
    assert_eq!(tensor(&out[0]), y);

    // Saving over a loaded file replaces it (rename) instead of rewriting
    // it under the map: the loaded tensors keep the old values.
    let mut other = weights();
    other[1].1 = f32s(&[9.0, 8.0], &[2]);
    save(&path, &model(), &meta(), &other).unwrap();
    assert_eq!(again.tensors[1].to_vec::<f32>(), vec![0.1, -0.2]);
    assert_eq!(load(&path).unwrap().tensors[1].to_vec::<f32>(), vec![9.0, 8.0]);

    // The map outlives the loader and the file's name: tensors (and clones)
    // keep it alive.
    let bias = again.tensors[1].clone();
    drop(again);
    std::fs::remove_file(&path).unwrap();
    assert!(bias.is_mapped());
    assert_eq!(bias.to_vec::<f32>(), vec![0.1, -0.2]);
    let dir = std::env::temp_dir();
    let stray = std::fs::read_dir(&dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(&format!(".tsc-mmap-test-{}", std::process::id())));
    assert!(!stray, "save leaves no temporary file behind");
}

fn load_err(bytes: &[u8]) -> String {
    match from_bytes(bytes, Path::new("t.tsg")) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = good_file();
    for n in 0..bytes.len() {
        assert!(from_bytes(&bytes[..n], Path::new("t.tsg")).is_err(), "truncated at {n} of {}", bytes.len());
    }
    // One extra byte is rejected too.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(load_err(&longer).contains("after the last tensor"));
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = good_file();
    let mut ok = 0;
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            if let Ok(l) = from_bytes(&b, Path::new("t.tsg")) {
                ok += 1;
                // A file that still validates runs or fails cleanly.
                let _ = l.plan.run(&inputs());
            }
        }
    }
    // Flips in the weights (24 + 8 bytes of float32) keep the file valid.
    assert!(ok >= 3 * (24 + 8), "{ok}");
}

/// The good file's header and data section, to rebuild with lies.
fn parts() -> (Header, Vec<u8>) {
    let bytes = good_file();
    let header = from_bytes(&bytes, Path::new("t.tsg")).unwrap().header;
    let hlen = u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize;
    (header, bytes[(16 + hlen).div_ceil(64) * 64..].to_vec())
}

#[test]
fn lying_tables_are_errors() {
    let (h, data) = parts();
    type Lie = Box<dyn Fn(&mut Header, &mut Vec<u8>)>;
    let cases: Vec<(&str, Lie)> = vec![
        ("not a multiple of 64", Box::new(|h, _| h.tensors[1].offset += 4)),
        ("does not take", Box::new(|h, _| h.tensors[0].nbytes -= 4)),
        ("does not take", Box::new(|h, _| h.tensors[0].shape = vec![u64::MAX, u64::MAX, 2])),
        ("outside the", Box::new(|h, _| h.tensors[1].offset = 1 << 40)),
        ("outside the", Box::new(|h, _| h.tensors[1].offset = u64::MAX - 63)),
        ("overlap", Box::new(|h, _| {
            h.tensors[1].offset = 0;
            h.tensors[1].shape = vec![2];
        })),
        ("unknown dtype `float`", Box::new(|h, _| h.tensors[0].dtype = "float".into())),
        ("appears twice", Box::new(|h, _| h.tensors[1].name = h.tensors[0].name.clone())),
        ("not valid bool", Box::new(|h, d| {
            h.tensors[1].dtype = "bool".into();
            h.tensors[1].shape = vec![8];
            d[64] = 2;
        })),
        ("after the last tensor", Box::new(|_, d| d.extend_from_slice(&[0; 64]))),
        ("padding before byte 64", Box::new(|_, d| d[30] = 1)),
        ("invalid program: program: const 1: tensor 1 is not in the tensor table", Box::new(|h, d| {
            h.tensors.pop();
            d.truncate(24);
        })),
        ("invalid program", Box::new(|h, _| h.program.num_slots += 1)),
    ];
    for (want, lie) in cases {
        let (mut h, mut d) = (h.clone(), data.clone());
        lie(&mut h, &mut d);
        let e = load_err(&assemble(&h, &d).unwrap());
        assert!(e.contains(want), "wanted `{want}` in: {e}");
    }
}

#[test]
fn lying_preambles_are_errors() {
    let bytes = good_file();
    let with = |range: std::ops::Range<usize>, v: &[u8]| {
        let mut b = bytes.clone();
        b[range].copy_from_slice(v);
        load_err(&b)
    };
    assert_eq!(with(4..8, &7u32.to_le_bytes()), "t.tsg: file format version 7 is newer than this tsc (supports up to 3)");
    assert!(with(4..8, &0u32.to_le_bytes()).contains("version 0"));
    assert!(with(0..4, b"TSG1").contains("bad magic"));
    assert!(with(8..16, &u64::MAX.to_le_bytes()).contains("exceeds"));
    assert!(with(8..16, &(bytes.len() as u64 - 16).to_le_bytes()).contains("corrupt header"));
    assert!(with(8..16, &3u64.to_le_bytes()).contains("corrupt header"));
    assert_eq!(FORMAT_VERSION, 3);
    // Nonzero padding between the header and the data.
    let hlen = u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize;
    if !(16 + hlen).is_multiple_of(64) {
        assert!(with(16 + hlen..17 + hlen, &[1]).contains("padding"));
    }
}

#[test]
fn empty_and_garbage_files_are_errors() {
    assert!(load_err(&[]).contains("too short"));
    assert!(load_err(b"TSG\0").contains("too short"));
    assert!(load_err(&[0xff; 4096]).contains("bad magic"));
    let mut g = b"TSG\0\x01\0\0\0\x40\0\0\0\0\0\0\0".to_vec();
    g.extend((0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert!(load_err(&g).contains("corrupt header"));
    let path = std::env::temp_dir().join(format!("tsc-empty-test-{}.tsg", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let r = load(&path);
    let _ = std::fs::remove_file(&path);
    assert!(r.is_err());
    assert!(load(Path::new("/nonexistent/x.tsg")).is_err());
}

#[test]
fn a_program_without_tensors_round_trips() {
    let p = ProgramDef {
        blocks: vec![BlockDef { params: vec![0], nodes: vec![op("neg", &[0], &[1])], results: vec![1] }],
        inputs: vec![IoDef { name: "n".into(), kind: IoKind::Int, slot: 0 }],
        outputs: vec![1],
        consts: vec![],
        locs: vec!["f.py:1:1: -n".into()],
        num_slots: 2,
        kernels: vec![],
    };
    let bytes = to_bytes(&p, &Meta::default(), &[]).unwrap();
    assert_eq!(bytes.len() % 64, 0);
    let l = from_bytes(&bytes, Path::new("t.tsg")).unwrap();
    assert_eq!(l.plan.run(&[("n".into(), Value::Int(3))]).unwrap(), vec![Value::Int(-3)]);
    for n in 0..bytes.len() {
        assert!(from_bytes(&bytes[..n], Path::new("t.tsg")).is_err());
    }
    let _ = artifact::ALIGN;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = from_bytes(&bytes, Path::new("r.tsg"));
    }

    #[test]
    fn random_bodies_after_a_good_preamble_never_panic(hlen in 0u64..600, body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let mut bytes = b"TSG\0\x01\0\0\0".to_vec();
        bytes.extend_from_slice(&hlen.to_le_bytes());
        bytes.extend_from_slice(&body);
        let _ = from_bytes(&bytes, Path::new("r.tsg"));
    }

    #[test]
    fn random_edits_of_a_good_file_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = good_file();
        let n = bytes.len();
        for (i, v) in edits {
            bytes[i % n] = v;
        }
        if let Ok(l) = from_bytes(&bytes, Path::new("r.tsg")) {
            let _ = l.plan.run(&inputs());
        }
    }
}

#[test]
fn future_versions_name_both_versions() {
    let bytes = good_file();
    for v in [FORMAT_VERSION + 1, u32::MAX] {
        let mut b = bytes.clone();
        b[4..8].copy_from_slice(&v.to_le_bytes());
        // The version is checked before the header: garbage after it does not matter.
        b[20] ^= 0xff;
        assert_eq!(load_err(&b), format!("t.tsg: file format version {v} is newer than this tsc (supports up to {FORMAT_VERSION})"));
    }
}

#[test]
fn every_truncation_on_disk_is_an_error() {
    // `load` maps the file (or reads it when shorter than the preamble).
    let bytes = good_file();
    let path = std::env::temp_dir().join(format!("tsc-trunc-test-{}.tsg", std::process::id()));
    let mut failures = Vec::new();
    for n in 0..bytes.len() {
        std::fs::write(&path, &bytes[..n]).unwrap();
        if load(&path).is_ok() {
            failures.push(n);
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    let whole = load(&path);
    let _ = std::fs::remove_file(&path);
    assert!(failures.is_empty(), "loaded truncated at {failures:?}");
    assert!(whole.is_ok());
}

#[test]
fn every_bit_of_the_header_flipped_never_panics() {
    let bytes = good_file();
    let hend = 16 + u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize;
    for i in 0..hend {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            // An error, or a file that still validates and runs or fails cleanly.
            if let Ok(l) = from_bytes(&b, Path::new("t.tsg")) {
                let _ = l.plan.run(&inputs());
            }
        }
    }
}

#[test]
fn lying_lengths_at_the_limits_are_errors() {
    let (h, data) = parts();
    let lie = |f: &dyn Fn(&mut Header)| {
        let (mut h, mut d) = (h.clone(), data.clone());
        f(&mut h);
        if h.tensors[0].nbytes == 0 {
            d[..24].fill(0); // keep the zero-padding rule so the lie is what is checked
        }
        match from_bytes(&assemble(&h, &d).unwrap(), Path::new("t.tsg")) {
            Ok(_) => "loaded".to_string(),
            Err(e) => e.to_string(),
        }
    };
    assert!(lie(&|h| h.tensors[0].nbytes = u64::MAX).contains("does not take"));
    // Zero elements, but strides that overflow.
    let e = lie(&|h| {
        h.tensors[0].shape = vec![0, u64::MAX, u64::MAX];
        h.tensors[0].nbytes = 0;
    });
    assert!(e.contains("tensor `fc.weight`"), "{e}");
    let e = lie(&|h| h.tensors[1].offset = (data.len() as u64).next_multiple_of(64));
    assert!(e.contains("outside the"), "{e}");
    assert!(lie(&|h| h.program.blocks[0].nodes[0].op = OpCode::Const(u32::MAX)).contains("invalid program"));
    assert!(lie(&|h| h.program.locs.clear()).contains("loc 0 is out of range"));
}

/// In-place calls with an overload and a keyword-only operand, the empty
/// overload (`sum.`), and the list/optional builtins compiled programs use.
#[test]
fn calls_bind_overloads_keywords_and_builtins() {
    let x = Value::Tensor(f32s(&[1.0, 2.0, 3.0], &[3]));
    let p = ProgramDef {
        blocks: vec![BlockDef {
            params: vec![0, 1],
            nodes: vec![
                node(OpCode::Const(0), &[], &[2]),                       // 2
                op("mul.Scalar", &[0, 2], &[3]),                         // t = 2x (a copy)
                op("add_.Tensor", &[3, 1, 2], &[4]),                     // t += 2 * y
                node(OpCode::Const(1), &[], &[5]),                       // None
                node(OpCode::Const(2), &[], &[6]),                       // False
                node(OpCode::Const(3), &[], &[7]),                       // float64
                op("sum.", &[3, 5, 6, 7], &[8]),                         // sum(t, dtype=f64)
                node(OpCode::ListConstruct, &[0, 1, 3], &[9]),
                node(OpCode::Const(4), &[], &[10]),                      // -1
                op("slice.t", &[9, 5, 5, 10], &[11]),                    // l[::-1]
                op("__getitem__.t", &[11, 10], &[12]),                   // == x
                op("_unwrap_optional", &[12], &[13]),
            ],
            results: vec![3, 8, 13],
        }],
        inputs: vec![IoDef { name: "x".into(), kind: IoKind::Tensor, slot: 0 }, IoDef { name: "y".into(), kind: IoKind::Tensor, slot: 1 }],
        outputs: vec![3, 8, 13],
        consts: vec![ConstDef::Int(2), ConstDef::None, ConstDef::Bool(false), ConstDef::DType("float64".into()), ConstDef::Int(-1)],
        locs: vec!["f.py:1:1: t".into()],
        num_slots: 14,
        kernels: vec![],
    };
    let plan = Plan::new(&p).unwrap();
    let out = plan.run(&[("x".into(), x.clone()), ("y".into(), Value::Tensor(f32s(&[0.5, 0.5, -1.0], &[3])))]).unwrap();
    assert_eq!(tensor(&out[0]), vec![3.0, 5.0, 4.0]);
    let s = out[1].as_tensor().unwrap();
    assert_eq!((s.dtype(), s.to_vec::<f64>()), (tsc_runtime::DType::F64, vec![12.0]));
    assert_eq!(tensor(&out[2]), vec![1.0, 2.0, 3.0]);
    // An in-place call names an overload of the base op; a bad one is refused at load.
    let mut q = p.clone();
    q.blocks[0].nodes[2] = op("add_.Nope", &[3, 1, 2], &[4]);
    assert!(Plan::new(&q).err().unwrap().to_string().contains("op `add` has no overload `Nope`"));
}
