//! Lowering IR to the runtime's program (`emit.rs`), checked by running
//! what it emits: text IR in, `to_program`, `Plan`, run on inputs, outputs
//! compared with values computed independently (by hand, in plain Rust, or,
//! for scalar ops, by `ScalarOp::eval` over a grid of operands). Covers
//! straight-line tensor ops (keyword-only operands, in-place, tuple
//! returns), `if`, a `while`-style `loop`, lists, tuples, optionals,
//! `uninitialized`, device/dtype literals, named tensor constants, `raise`
//! with its source line, the `.tsg` round trip, and the errors.

use std::collections::HashMap;
use tsc_compiler::emit::{to_program, to_program_with_source, Emitted};
use tsc_compiler::runtime::program::{artifact, IoKind, Meta, OpCode, Plan};
use tsc_compiler::runtime::{DType, Tensor, Value};
use tsc_compiler::{parse, parse_with_blobs, Graph, Literal, Op, ScalarOp, Type};

fn names(ns: &[&str]) -> Vec<String> {
    ns.iter().map(|s| s.to_string()).collect()
}

fn emit(ir: &str, ns: &[&str]) -> Emitted {
    let g = parse(ir).unwrap_or_else(|e| panic!("{e}\n{ir}"));
    to_program(&g, &names(ns)).unwrap_or_else(|e| panic!("{e}\n{ir}"))
}

fn plan(e: &Emitted) -> Plan {
    let table: Vec<Tensor> = e.tensors.iter().map(|(_, t)| t.clone()).collect();
    Plan::with_tensors(&e.program, &table).unwrap_or_else(|err| panic!("{err}\n{:#?}", e.program))
}

fn run_plan(p: &Plan, inputs: &[(&str, Value)]) -> Result<Vec<Value>, String> {
    let inputs: Vec<(String, Value)> = inputs.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
    p.run(&inputs).map_err(|e| e.to_string())
}

fn run(ir: &str, ns: &[&str], inputs: &[(&str, Value)]) -> Result<Vec<Value>, String> {
    run_plan(&plan(&emit(ir, ns)), inputs)
}

fn t(v: &[f32]) -> Value {
    Value::Tensor(Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap())
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_tensor().unwrap_or_else(|| panic!("not a tensor: {v}")).to_vec::<f32>()
}

const STRAIGHT: &str = "\
graph(%x : Tensor<f32, [3]>, %y : Tensor<f32, [3]>):
  %two : int = const 2
  %none : None = const none
  %no : bool = const false
  %f64 : dtype = const dtype f64
  %a : Tensor = aten.add.Tensor(%x, %y, %two)
  %b : Tensor = aten.mul.Tensor(%a, %x)
  %m1 : int = const -1
  %one : int = const 1
  %c : Tensor = aten.add.Scalar(%b, %m1, %one)
  %r : Tensor = aten.relu(%c, %no)
  %s : Tensor = aten.sum(%r, %none, %no, %f64)
  %n : Tensor = aten.neg(%x)
  %zero : int = const 0
  %mx : Tensor, %ix : Tensor = aten.max.dim(%x, %zero, %no)
  %cp : Tensor = aten.mul.Scalar(%x, %one)
  %ip : Tensor = aten.add_.Tensor(%cp, %y, %two)
  return (%r, %s, %n, %mx, %ix, %cp)
";

#[test]
fn straight_line_tensor_ops() {
    let e = emit(STRAIGHT, &["x", "y"]);
    let calls: Vec<&str> = e.program.blocks[0].nodes.iter().filter_map(|n| if let OpCode::Call { name } = &n.op { Some(name.as_str()) } else { None }).collect();
    // Exact overloads: `relu` has one, `sum`/`neg` several (`sum.` is the empty-named one).
    assert_eq!(calls, ["add.Tensor", "mul.Tensor", "add.Scalar", "relu", "sum.", "neg.", "max.dim", "mul.Scalar", "add_.Tensor"]);
    let (x, y) = ([1.0f32, -2.0, 3.0], [0.5f32, 1.0, -1.0]);
    let out = run_plan(&plan(&e), &[("x", t(&x)), ("y", t(&y))]).unwrap();
    // r = relu((x + 2y) * x - 1)
    let r: Vec<f32> = x.iter().zip(&y).map(|(a, b)| ((a + 2.0 * b) * a - 1.0).max(0.0)).collect();
    assert_eq!(r, [1.0, 0.0, 2.0]);
    assert_eq!(f32s(&out[0]), r);
    let s = out[1].as_tensor().unwrap();
    assert_eq!((s.dtype(), s.shape().len(), s.item().unwrap().to_f64()), (DType::F64, 0, 3.0));
    assert_eq!(f32s(&out[2]), [-1.0, 2.0, -3.0]);
    assert_eq!(f32s(&out[3]), [3.0]);
    assert_eq!(out[4].as_tensor().unwrap().to_vec::<i64>(), [2]);
    // `add_` wrote x + 2y into its first operand (keyword-only alpha bound by name).
    assert_eq!(f32s(&out[5]), [2.0, 0.0, 1.0]);
}

const BRANCHES: &str = "\
graph(%n : int, %x : Tensor):
  %two : int = const 2
  %c : bool = scalar.gt(%n, %two)
  %r : Tensor, %k : int = if(%c)
    ^1():
      %a : Tensor = aten.neg(%x)
      -> (%a, %n)
    ^2():
      %m : int = scalar.mul(%n, %two)
      -> (%x, %m)
  return (%r, %k)
";

#[test]
fn if_takes_either_branch() {
    let p = plan(&emit(BRANCHES, &["n", "x"]));
    let out = run_plan(&p, &[("n", Value::Int(5)), ("x", t(&[1.0, -2.0]))]).unwrap();
    assert_eq!((f32s(&out[0]), &out[1]), (vec![-1.0, 2.0], &Value::Int(5)));
    let out = run_plan(&p, &[("n", Value::Int(2)), ("x", t(&[1.0, -2.0]))]).unwrap();
    assert_eq!((f32s(&out[0]), &out[1]), (vec![1.0, -2.0], &Value::Int(4)));
}

/// `i = 0; acc = x; while i < n: acc = acc * 2 + i; i += 1; return acc, i`
const WHILE: &str = "\
graph(%n : int, %x : Tensor):
  %big : int = const 9223372036854775807
  %zero : int = const 0
  %one : int = const 1
  %c0 : bool = scalar.lt(%zero, %n)
  %acc : Tensor, %i : int = loop(%big, %c0, %x, %zero)
    ^1(%it : int, %a : Tensor, %j : int):
      %two : int = const 2
      %m : Tensor = aten.mul.Scalar(%a, %two)
      %s : Tensor = aten.add.Scalar(%m, %j, %one)
      %j2 : int = scalar.add(%j, %one)
      %c : bool = scalar.lt(%j2, %n)
      -> (%c, %s, %j2)
  return (%acc, %i)
";

#[test]
fn while_loop_carries_values() {
    let p = plan(&emit(WHILE, &["n", "x"]));
    for n in [-1i64, 0, 1, 5] {
        let x = [0.5f32, -1.0];
        let out = run_plan(&p, &[("n", Value::Int(n)), ("x", t(&x))]).unwrap();
        let mut acc = x.to_vec();
        for j in 0..n.max(0) {
            acc.iter_mut().for_each(|a| *a = *a * 2.0 + j as f32);
        }
        assert_eq!(f32s(&out[0]), acc, "n = {n}");
        assert_eq!(out[1], Value::Int(n.max(0)), "n = {n}");
    }
}

const LISTS: &str = "\
graph(%x : Tensor, %y : Tensor, %k : int):
  %l : List[Tensor] = list_construct(%x, %y)
  %l2 : List[Tensor] = aten.append.t(%l, %x)
  %n : int = list_len(%l2)
  %m1 : int = const -1
  %last : Tensor = list_index(%l2, %m1)
  %e : Tensor = list_index(%l2, %k)
  %none : None = const none
  %rev : List[Tensor] = list_slice(%l2, %none, %none, %m1)
  %a : Tensor, %b : Tensor, %c : Tensor = list_unpack(%rev)
  %one : int = const 1
  %tail : List[Tensor] = list_slice(%l2, %one, %none, %one)
  %zero : int = const 0
  %cat : Tensor = aten.cat(%tail, %zero)
  %nl : int = list_len(%l)
  return (%n, %last, %e, %b, %cat, %nl)
";

#[test]
fn lists_construct_index_slice_append() {
    let p = plan(&emit(LISTS, &["x", "y", "k"]));
    let ins = |k: i64| [("x", t(&[1.0])), ("y", t(&[2.0, 3.0])), ("k", Value::Int(k))];
    let out = run_plan(&p, &ins(1)).unwrap();
    assert_eq!(out[0], Value::Int(3));
    assert_eq!(f32s(&out[1]), [1.0]);
    assert_eq!(f32s(&out[2]), [2.0, 3.0]);
    assert_eq!(f32s(&out[3]), [2.0, 3.0]); // reversed [x, y, x] unpacks to (x, y, x)
    assert_eq!(f32s(&out[4]), [2.0, 3.0, 1.0]); // cat([y, x])
    assert_eq!(out[5], Value::Int(2), "append.t returns a new list; the old one is unchanged");
    let e = run_plan(&p, &ins(3)).unwrap_err();
    assert!(e.contains("IndexError: list index 3 out of range"), "{e}");
}

#[test]
fn tuples_construct_unpack_index() {
    let ir = "\
graph(%x : Tensor, %n : int):
  %t : Tuple[Tensor, int] = tuple_construct(%x, %n)
  %a : Tensor, %b : int = tuple_unpack(%t)
  %c : int = tuple_index[1](%t)
  %s : int = scalar.add(%b, %c)
  return (%a, %s, %t)
";
    let out = run(ir, &["x", "n"], &[("x", t(&[4.0])), ("n", Value::Int(21))]).unwrap();
    assert_eq!((f32s(&out[0]), &out[1]), (vec![4.0], &Value::Int(42)));
    assert!(matches!(&out[2], Value::Tuple(v) if v.len() == 2 && v[1] == Value::Int(21)));
}

const OPTIONAL: &str = "\
graph(%c : bool, %x : Tensor):
  %none : None = const none
  %o : Optional[Tensor] = if(%c)
    ^1():
      -> (%x)
    ^2():
      -> (%none)
  %isn : bool = is_none(%o)
  %r : Tensor = if(%isn)
    ^3():
      %z : Tensor = aten.neg(%x)
      -> (%z)
    ^4():
      %u : Tensor = optional_unwrap(%o)
      -> (%u)
  return (%isn, %r)
";

#[test]
fn optionals_unwrap_and_is_none() {
    let p = plan(&emit(OPTIONAL, &["c", "x"]));
    let out = run_plan(&p, &[("c", Value::Bool(true)), ("x", t(&[1.0]))]).unwrap();
    assert_eq!((&out[0], f32s(&out[1])), (&Value::Bool(false), vec![1.0]));
    let out = run_plan(&p, &[("c", Value::Bool(false)), ("x", t(&[1.0]))]).unwrap();
    assert_eq!((&out[0], f32s(&out[1])), (&Value::Bool(true), vec![-1.0]));
    let unwrap_none = "\
graph(%x : Tensor):
  %none : None = const none
  %f : bool = const false
  %o : Optional[Tensor] = if(%f)
    ^1():
      -> (%x)
    ^2():
      -> (%none)
  %u : Tensor = optional_unwrap(%o)  # m.py:4:12
  return (%u)
";
    let e = run(unwrap_none, &["x"], &[("x", t(&[1.0]))]).unwrap_err();
    assert!(e.contains("unwrapping a None value at m.py:4:12"), "{e}");
}

/// A branch that raises yields `uninitialized`; the other branch's value is used.
const RAISES: &str = "\
graph(%n : int):
  %zero : int = const 0
  %c : bool = scalar.lt(%n, %zero)
  %r : int = if(%c)
    ^1():
      %msg : str = const \"ValueError: n must be non-negative\"
      raise(%msg)  # f.py:3:9
      %u : int = uninitialized
      -> (%u)
    ^2():
      %d : int = scalar.floordiv(%n, %zero)  # f.py:4:16
      -> (%n)
  return (%r)
";

#[test]
fn raise_reports_its_source_line() {
    let g = parse(RAISES).unwrap();
    let lines = |l: &tsc_compiler::Loc| Some(format!("    {}    ", ["", "", "", "raise ValueError(\"n must be non-negative\")", "d = n // 0"][l.line as usize]));
    let e = to_program_with_source(&g, &names(&["n"]), &lines).unwrap();
    assert_eq!(e.program.locs, ["f.py:3:9: raise ValueError(\"n must be non-negative\")", "f.py:4:16: d = n // 0"]);
    let p = plan(&e);
    let err = run_plan(&p, &[("n", Value::Int(-1))]).unwrap_err();
    assert_eq!(err, "raise: ValueError: n must be non-negative at f.py:3:9: raise ValueError(\"n must be non-negative\")");
    let err = run_plan(&p, &[("n", Value::Int(1))]).unwrap_err();
    assert!(err.contains("ZeroDivisionError") && err.ends_with("at f.py:4:16: d = n // 0"), "{err}");
    // Without a source the location is `file:line:col`.
    assert_eq!(emit(RAISES, &["n"]).program.locs, ["f.py:3:9", "f.py:4:16"]);
}

const NAMED: &str = "\
graph(%x : Tensor<f32, [2]>):
  @fc1.weight = tensor<f32, [2, 2]>
  @scale = 0.5
  %w : Tensor<f32, [2, 2]> = const @fc1.weight
  %w2 : Tensor<f32, [2, 2]> = const @fc1.weight
  %none : None = const none
  %y : Tensor = aten.linear(%x, %w, %none)
  %s : float = const @scale
  %z : Tensor = aten.mul.Scalar(%y, %s)
  %cpu : Device = const device \"cpu\"
  %f64 : dtype = const dtype f64
  %no : bool = const false
  %d : Tensor = aten.to.device(%z, %cpu, %f64, %no, %no)
  %same : bool = scalar.eq(%cpu, %cpu)
  %q : Tensor = aten.add.Tensor(%w, %w2, %s)
  return (%d, %same, %q)
";

fn named_blobs() -> HashMap<String, Tensor> {
    HashMap::from([("fc1.weight".to_string(), Tensor::from_vec(vec![1.0f32, 2.0, -1.0, 0.5], &[2, 2]).unwrap())])
}

fn check_named(out: &[Value]) {
    // y = W x = [1*3 + 2*4, -1*3 + 0.5*4] = [11, -1]; z = y / 2; as float64.
    let d = out[0].as_tensor().unwrap();
    assert_eq!((d.dtype(), d.to_vec::<f64>()), (DType::F64, vec![5.5, -0.5]));
    assert_eq!(out[1], Value::Bool(true));
    assert_eq!(f32s(&out[2]), [1.5, 3.0, -1.5, 0.75]);
}

#[test]
fn named_tensor_constants_and_literals() {
    let g = parse_with_blobs(NAMED, &named_blobs()).unwrap();
    let e = to_program(&g, &names(&["x"])).unwrap();
    assert_eq!(e.tensors.len(), 1, "one table entry per constant, however often it is used");
    assert_eq!(e.tensors[0].0, "fc1.weight");
    assert!(e.program.consts.contains(&tsc_compiler::runtime::program::ConstDef::DType("float64".into())));
    check_named(&run_plan(&plan(&e), &[("x", t(&[3.0, 4.0]))]).unwrap());
}

#[test]
fn saved_and_loaded_program_gives_the_same_result() {
    let g = parse_with_blobs(NAMED, &named_blobs()).unwrap();
    let e = to_program(&g, &names(&["x"])).unwrap();
    let dir = std::env::temp_dir().join(format!("tsc-emit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("named.tsg");
    let meta = Meta { producer: "tsc test".into(), source_hash: String::new(), entry: "f".into() };
    artifact::save(&path, &e.program, &meta, &e.tensors).unwrap();
    let loaded = artifact::load(&path);
    let _ = std::fs::remove_dir_all(&dir);
    let loaded = loaded.unwrap();
    assert_eq!(loaded.header.program, e.program);
    assert_eq!(loaded.header.tensors[0].name, "fc1.weight");
    let inputs = [("x", t(&[3.0, 4.0]))];
    let (a, b) = (run_plan(&loaded.plan, &inputs).unwrap(), run_plan(&plan(&e), &inputs).unwrap());
    check_named(&a);
    check_named(&b);
}

#[test]
fn inputs_are_named_and_typed() {
    let e = emit(BRANCHES, &["n", "x"]);
    let kinds: Vec<(&str, IoKind, u32)> = e.program.inputs.iter().map(|i| (i.name.as_str(), i.kind, i.slot)).collect();
    assert_eq!(kinds, [("n", IoKind::Int, 0), ("x", IoKind::Tensor, 1)]);
    assert_eq!(e.program.outputs, e.program.blocks[0].results);
}

#[test]
fn what_has_no_program_is_an_error() {
    let g = parse(BRANCHES).unwrap();
    assert!(to_program(&g, &names(&["n"])).unwrap_err().to_string().contains("takes 2 inputs but 1 names"));
    assert!(to_program(&g, &names(&["n", "n"])).unwrap_err().to_string().contains("`n` is given twice"));
    let opt = parse("graph(%o : Optional[Tensor]):\n  return (%o)\n").unwrap();
    let e = to_program(&opt, &names(&["o"])).unwrap_err().to_string();
    assert_eq!(e, "input 0 (`o`): a program input is a Tensor, int, float or bool, not Optional[Tensor]");
    let append = "graph(%x : int):\n  %l : List[int] = list_construct(%x)\n  list_append(%l, %x)  # a.py:2:5\n  return (%l)\n";
    let e = to_program(&parse(append).unwrap(), &names(&["x"])).unwrap_err().to_string();
    assert!(e.starts_with("a.py:2:5: list_append: mutating list op must be functionalized"), "{e}");
    let mut bad = parse(BRANCHES).unwrap();
    bad.block_mut(bad.entry).results.reverse();
    assert!(to_program(&bad, &names(&["n", "x"])).is_ok(), "swapping two valid results is still valid");
    let unverified = parse("graph(%x : int):\n  %y : float = scalar.neg(%x)\n  return (%y)\n").unwrap();
    assert!(to_program(&unverified, &names(&["x"])).unwrap_err().to_string().starts_with("invalid graph:"));
}

#[test]
fn print_and_strings_run() {
    let ir = "\
graph(%a : str, %n : int):
  %s : str = const \"b\"
  %lt : bool = scalar.lt(%s, %s)
  %le : bool = scalar.le(%s, %s)
  %none : None = const none
  %nn : bool = scalar.eq(%none, %none)
  print(%s, %n, %lt)
  return (%lt, %le, %nn)
";
    let g = parse(ir).unwrap();
    assert!(to_program(&g, &names(&["a", "n"])).is_err(), "a str input is not a program input");
    let ir = ir.replace("%a : str, ", "");
    let out = run(&ir, &["n"], &[("n", Value::Int(1))]).unwrap();
    assert_eq!(out, [Value::Bool(false), Value::Bool(true), Value::Bool(true)]);
}

/// Operand values per type for the scalar grid.
fn samples(t: &Type) -> Vec<Literal> {
    match t {
        Type::Int => [-7, -2, -1, 0, 1, 3, 7, 64, i64::MAX, i64::MIN].map(Literal::Int).to_vec(),
        Type::Float => [-7.5, -2.0, -0.0, 0.0, 0.5, 1.0 / 3.0, 2.0, 3.0, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN].map(Literal::Float).to_vec(),
        _ => [false, true].map(Literal::Bool).to_vec(),
    }
}

fn value(l: &Literal) -> Value {
    match *l {
        Literal::Int(i) => Value::Int(i),
        Literal::Float(f) => Value::Float(f),
        Literal::Bool(b) => Value::Bool(b),
        _ => unreachable!("numbers only"),
    }
}

fn same(got: &Value, want: &Literal) -> bool {
    match (got, want) {
        (Value::Float(a), Literal::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
        (got, want) => *got == value(want),
    }
}

/// Every scalar op on every combination of `int`/`float`/`bool` operands
/// it accepts agrees with `ScalarOp::eval`: the same value, or an error
/// where eval raises.
#[test]
fn scalar_ops_agree_with_eval() {
    let types = [Type::Int, Type::Float, Type::Bool];
    let mut checked = 0;
    for op in ScalarOp::ALL {
        let combos: Vec<Vec<Type>> = match op.arity() {
            1 => types.iter().map(|t| vec![t.clone()]).collect(),
            _ => types.iter().flat_map(|a| types.iter().map(move |b| vec![a.clone(), b.clone()])).collect(),
        };
        for tys in combos {
            let refs: Vec<&Type> = tys.iter().collect();
            let Ok(ret) = op.result_type(&refs) else { continue };
            let mut g = Graph::new();
            let e = g.entry;
            let params: Vec<_> = tys.iter().map(|t| g.add_block_param(e, t.clone())).collect();
            let out = g.append_node(e, Op::Scalar(op), params, vec![ret]);
            g.set_results(e, out);
            let ns: Vec<String> = (0..tys.len()).map(|i| format!("a{i}")).collect();
            let p = plan(&to_program(&g, &ns).unwrap());
            let grid: Vec<Vec<Literal>> = match tys.as_slice() {
                [a] => samples(a).into_iter().map(|x| vec![x]).collect(),
                [a, b] => samples(a).into_iter().flat_map(|x| samples(b).into_iter().map(move |y| vec![x.clone(), y])).collect(),
                _ => unreachable!("arity 1 or 2"),
            };
            for args in grid {
                let inputs: Vec<(String, Value)> = ns.iter().cloned().zip(args.iter().map(value)).collect();
                let got = p.run(&inputs);
                let want = op.eval(&args);
                let ok = match (&got, &want) {
                    (Ok(g), Ok(w)) => g.len() == 1 && same(&g[0], w),
                    (Err(_), Err(_)) => true,
                    _ => false,
                };
                assert!(ok, "scalar.{}{args:?}: program gave {got:?}, eval {want:?}", op.name());
                checked += 1;
            }
        }
    }
    assert!(checked > 2000, "{checked}");
}
