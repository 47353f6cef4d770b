//! The verifier: one failing case per invariant of `verify.rs` (numbered as
//! in its module doc), plus graphs that pass.

use tsc_compiler::{parse, verify, Block, ConstId, ConstValue, Graph, Literal, Op, ScalarOp, Type, Value, ValueDef};

fn fails(text: &str, needle: &str) {
    let g = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let e = verify(&g).expect_err(text).to_string();
    assert!(e.contains(needle), "expected `{needle}` in `{e}`");
}

fn built_fails(g: &Graph, needle: &str) {
    let e = verify(g).expect_err("should fail").to_string();
    assert!(e.contains(needle), "expected `{needle}` in `{e}`");
}

/// `%0 : int = const 1; %1 : int = scalar.neg(%0)`, returning `%1`.
fn small() -> (Graph, Value, Value) {
    let mut g = Graph::new();
    let e = g.entry;
    let a = g.append_node(e, Op::Literal(Literal::Int(1)), vec![], vec![Type::Int])[0];
    let b = g.append_node(e, Op::Scalar(ScalarOp::Neg), vec![a], vec![Type::Int])[0];
    g.set_results(e, vec![b]);
    (g, a, b)
}

#[test]
fn accepts_a_valid_graph() {
    let (g, ..) = small();
    verify(&g).unwrap();
}

// 1. Structure.
#[test]
fn node_in_two_places() {
    let (mut g, ..) = small();
    let n = g.block(g.entry).nodes[0];
    let e = g.entry;
    g.block_mut(e).nodes.push(n);
    built_fails(&g, "more than one place");
}

#[test]
fn block_owned_twice_and_entry_owned() {
    let mut g = Graph::new();
    let e = g.entry;
    let c = g.append_node(e, Op::Literal(Literal::Bool(true)), vec![], vec![Type::Bool])[0];
    let b = g.add_block();
    g.append_node_with_blocks(e, Op::If, vec![c], vec![], vec![b, b]);
    built_fails(&g, "owned by both");
    let mut g2 = Graph::new();
    let c = g2.append_node(e, Op::Literal(Literal::Bool(true)), vec![], vec![Type::Bool])[0];
    let b = g2.add_block();
    g2.append_node_with_blocks(e, Op::If, vec![c], vec![], vec![b, e]);
    built_fails(&g2, "entry block is owned");
}

#[test]
fn wrong_number_of_blocks() {
    let mut g = Graph::new();
    let e = g.entry;
    let c = g.append_node(e, Op::Literal(Literal::Bool(true)), vec![], vec![Type::Bool])[0];
    let b = g.add_block();
    g.append_node_with_blocks(e, Op::If, vec![c], vec![], vec![b]);
    built_fails(&g, "has 1 blocks, needs 2");
}

// 2. Single definition.
#[test]
fn value_defined_twice() {
    let (mut g, a, b) = small();
    let n = g.def_node(b).unwrap();
    g.node_mut(n).outputs.push(a);
    built_fails(&g, "defined more than once");
}

#[test]
fn definition_record_disagrees() {
    let (mut g, a, _) = small();
    g.values[a.index()].def = ValueDef::Param(Block(0), 0);
    built_fails(&g, "records its definition");
}

// 3. Dominance.
#[test]
fn use_before_definition() {
    let (mut g, ..) = small();
    let e = g.entry;
    g.block_mut(e).nodes.reverse();
    built_fails(&g, "used before its definition");
}

#[test]
fn use_of_undefined_value() {
    let (mut g, _, b) = small();
    let n = g.def_node(b).unwrap();
    let e = g.entry;
    g.block_mut(e).nodes.retain(|&m| m != n);
    g.detach_node(n);
    built_fails(&g, "used but not defined");
}

#[test]
fn if_branch_value_used_outside() {
    fails(
        "graph(%c : bool):\n  if(%c)\n    ^1():\n      %2 : int = const 1\n      -> ()\n    ^2():\n      -> ()\n  %3 : int = scalar.neg(%2)\n  return (%3)\n",
        "defined inside ^1 and not visible here",
    );
}

#[test]
fn loop_body_value_used_outside() {
    fails(
        "graph(%n : int, %c : bool):\n  loop(%n, %c)\n    ^1(%i : int):\n      %k : int = scalar.add(%i, %i)\n      -> (%c)\n  return (%k)\n",
        "%k is defined inside ^1",
    );
}

#[test]
fn block_sees_outer_values() {
    let t = "graph(%n : int, %c : bool):\n  %2 : int = const 0\n  %3 : int = loop(%n, %c, %2)\n    ^1(%i : int, %acc : int):\n      %5 : int = scalar.add(%acc, %n)\n      -> (%c, %5)\n  return (%3)\n";
    verify(&parse(t).unwrap()).unwrap();
}

// 4. Op types.
#[test]
fn operand_types_must_fit() {
    fails("graph(%s : str, %i : int):\n  %2 : int = scalar.add(%s, %i)\n  return (%2)\n", "scalar.add: does not apply to (str, int)");
    fails("graph(%x : Tensor):\n  %1 : Tensor = aten.add.Tensor(%x, %x)\n  return (%1)\n", "takes 3 operands");
    fails("graph(%x : Tensor, %s : str):\n  %2 : Tensor = aten.neg(%s)\n  return (%2)\n", "operand `self` must be Tensor, got str");
    fails("graph(%x : Tensor):\n  %1 : int = aten.neg(%x)\n  return (%1)\n", "output 0 must be Tensor");
    fails("graph():\n  %0 : float = const 1\n  return (%0)\n", "output must be int");
    fails("graph():\n  @w = tensor<f32, [2]>\n  %0 : Tensor<f32, [3]> = const @w\n  return (%0)\n", "constant @w is Tensor<f32, [2]>");
    fails("graph(%l : List[int]):\n  %1 : Tensor = list_index(%l, %l)\n  return (%1)\n", "takes (List[T], int) -> T");
}

#[test]
fn tensor_refinements_in_outputs() {
    let ok = "graph(%x : Tensor<f32, [2]>):\n  %1 : Tuple[Tensor] = tuple_construct(%x)\n  return (%1)\n";
    verify(&parse(ok).unwrap()).unwrap();
    fails("graph(%x : Tensor):\n  %1 : Tuple[Tensor<f32>] = tuple_construct(%x)\n  return (%1)\n", "Tuple of the operands");
}

// 5. if.
#[test]
fn if_results_must_match_outputs() {
    let head = "graph(%c : bool, %i : int, %f : float):\n  %3 : int = if(%c)\n";
    fails(&format!("{head}    ^1():\n      -> (%i)\n    ^2():\n      -> ()\n  return (%3)\n"), "^2 yields 0 values for 1 outputs");
    fails(&format!("{head}    ^1():\n      -> (%i)\n    ^2():\n      -> (%f)\n  return (%3)\n"), "yields %f : float for output %3 : int");
    fails(&format!("{head}    ^1(%p : int):\n      -> (%i)\n    ^2():\n      -> (%i)\n  return (%3)\n"), "must have no params");
    fails("graph(%i : int):\n  if(%i)\n    ^1():\n      -> ()\n    ^2():\n      -> ()\n  return ()\n", "condition must be bool");
}

// 6. loop.
#[test]
fn loop_block_shape() {
    let g = |params: &str, results: &str, out: &str| {
        format!("graph(%n : int, %c : bool, %x : int):\n  %3 : {out} = loop(%n, %c, %x)\n    ^1({params}):\n      -> ({results})\n  return (%3)\n")
    };
    fails(&g("%i : int", "%c", "int"), "needs 2 params");
    fails(&g("%i : bool, %a : int", "%c, %a", "int"), "iteration param %i must be int");
    fails(&g("%i : int, %a : int", "%i, %a", "int"), "continue condition %i must be bool");
    fails(&g("%i : int, %a : int", "%c, %c", "int"), "carried result %c : bool does not fit");
    fails(&g("%i : int, %a : float", "%c, %a", "int"), "differs from output");
    fails(&g("%i : int, %a : int", "%c, %a", "float"), "carried value 0 is int, output declared float");
    fails("graph(%n : float, %c : bool):\n  loop(%n, %c)\n    ^1(%i : int):\n      -> (%c)\n  return ()\n", "max_trip_count must be int");
}

// 7. Names and constants.
#[test]
fn names_unique_and_valid() {
    let (mut g, a, b) = small();
    g.values[a.index()].name = Some("x".into());
    g.values[b.index()].name = Some("x".into());
    built_fails(&g, "two values are named `x`");
    g.values[b.index()].name = Some("9lives".into());
    built_fails(&g, "not a valid text-form name");
    let (mut g, ..) = small();
    g.add_const("k", ConstValue::Int(1));
    g.consts.push(tsc_compiler::ConstData { name: "k".into(), value: ConstValue::Int(2) });
    built_fails(&g, "two constants are named `@k`");
}

// 8. Types.
#[test]
fn types_well_formed() {
    fails("graph(%d : Dict[List[int], int]):\n  return ()\n", "dict key type List[int]");
    let (mut g, a, _) = small();
    g.values[a.index()].ty = Type::Tensor(tsc_compiler::TensorType { dtype: None, shape: Some(vec![tsc_compiler::Dim::Sym("1x".into())]) });
    built_fails(&g, "symbolic dim `1x` is not a name");
}

#[test]
fn const_must_exist() {
    let mut g = Graph::new();
    let e = g.entry;
    let v = g.append_node(e, Op::Const(ConstId(3)), vec![], vec![Type::Int])[0];
    g.set_results(e, vec![v]);
    built_fails(&g, "no constant @w3");
}

// 9. Graph outputs.
#[test]
fn graph_outputs_must_exist() {
    let (mut g, ..) = small();
    let e = g.entry;
    g.set_results(e, vec![Value(40)]);
    built_fails(&g, "%40 does not exist");
    let stray = g.create_node(Op::Literal(Literal::Int(2)), vec![], vec![Type::Int]);
    let out = g.node(stray).outputs[0];
    g.set_results(e, vec![out]);
    built_fails(&g, "used but not defined");
}
