//! The text form, printing side. Grammar in `spec/ir.md`; in short:
//!
//! ```text
//! graph(%x : Tensor<f32, [B, 4]>, %n : int):
//!   @w0 = tensor<f32, [8, 4]>
//!   %2 : Tensor<f32, [8, 4]> = const @w0
//!   %3 : None = const none
//!   %4 : Tensor<f32> = aten.linear(%x, %2, %3)  # mlp.py:12:16
//!   %5 : Tensor = if(%c)
//!     ^1():
//!       -> (%4)
//!     ^2():
//!       -> (%x)
//!   return (%5)
//! ```
//!
//! Values print as `%name` when named, else by number; blocks by number;
//! constants by name. Tensor constants print their type only (`tensor<f32,
//! [8, 4]>`): the data lives beside the text. Output is normalized: the
//! parser accepts exactly this layout back and reprints it unchanged.
//! Printing never panics: a dangling reference in a broken graph prints as
//! a `; <no such ...>` comment.

use crate::entity::{Block, Node, Value};
use crate::graph::{ConstValue, Graph};
use crate::op::{Literal, Op};
use crate::types::dtype_short;
use std::fmt::{self, Write};

/// The text form of `g`.
pub fn print(g: &Graph) -> String {
    g.to_string()
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer { g: self, out: &mut out }.graph()?;
        f.write_str(&out)
    }
}

/// The spelling of a literal after `const`.
pub fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Int(i) => i.to_string(),
        Literal::Float(x) => float_text(*x),
        Literal::Bool(b) => b.to_string(),
        Literal::Str(s) => format!("{s:?}"),
        Literal::None => "none".into(),
        Literal::DType(d) => format!("dtype {}", dtype_short(*d)),
        Literal::Device(d) => format!("device \"{d}\""),
    }
}

/// Shortest text that parses back to the same `f64`, always marked as a
/// float (`1.0`, `1e-5`, `inf`, `-inf`, `nan`).
pub fn float_text(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:?}")
    }
}

struct Printer<'a> {
    g: &'a Graph,
    out: &'a mut String,
}

impl Printer<'_> {
    fn v(&self, v: Value) -> String {
        self.g.value_text(v)
    }
    fn typed(&self, vs: &[Value]) -> String {
        let ty = |v: Value| self.g.values.get(v.index()).map_or_else(|| "<no such value>".to_string(), |d| d.ty.to_string());
        let parts: Vec<String> = vs.iter().map(|&v| format!("{} : {}", self.v(v), ty(v))).collect();
        parts.join(", ")
    }
    fn list(&self, vs: &[Value]) -> String {
        let parts: Vec<String> = vs.iter().map(|&v| self.v(v)).collect();
        parts.join(", ")
    }

    fn graph(&mut self) -> fmt::Result {
        let Some(entry) = self.g.blocks.get(self.g.entry.index()) else { return writeln!(self.out, "; <no entry block>") };
        writeln!(self.out, "graph({}):", self.typed(&entry.params))?;
        for c in &self.g.consts {
            let value = match &c.value {
                ConstValue::Tensor(t) => {
                    let dims: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
                    format!("tensor<{}, [{}]>", dtype_short(t.dtype()), dims.join(", "))
                }
                other => Literal::from_const(other).map_or_else(String::new, |l| literal_text(&l)),
            };
            writeln!(self.out, "  @{} = {value}", c.name)?;
        }
        self.body(self.g.entry, 2)?;
        writeln!(self.out, "  return ({})", self.list(&entry.results))
    }

    fn body(&mut self, b: Block, indent: usize) -> fmt::Result {
        let Some(data) = self.g.blocks.get(b.index()) else { return writeln!(self.out, "{}; <no such block {b}>", " ".repeat(indent)) };
        for &n in &data.nodes {
            self.node(n, indent)?;
        }
        Ok(())
    }

    fn node(&mut self, n: Node, indent: usize) -> fmt::Result {
        let pad = " ".repeat(indent);
        let Some(node) = self.g.nodes.get(n.index()) else { return writeln!(self.out, "{pad}; <no such node {n}>") };
        self.out.push_str(&pad);
        if !node.outputs.is_empty() {
            write!(self.out, "{} = ", self.typed(&node.outputs))?;
        }
        match &node.op {
            Op::Const(c) => {
                let name = self.g.consts.get(c.index()).map_or_else(|| format!("w{}", c.0), |d| d.name.clone());
                write!(self.out, "const @{name}")?
            }
            Op::Literal(l) => write!(self.out, "const {}", literal_text(l))?,
            Op::Uninitialized => self.out.push_str("uninitialized"),
            op => write!(self.out, "{}({})", op.name(), self.list(&node.inputs))?,
        }
        if let Some(loc) = &node.loc {
            write!(self.out, "  # {}:{}:{}", loc.file.replace('\n', " "), loc.line, loc.col)?;
        }
        self.out.push('\n');
        for &b in &node.blocks {
            let Some(data) = self.g.blocks.get(b.index()) else { return writeln!(self.out, "{pad}  ; <no such block {b}>") };
            writeln!(self.out, "{pad}  {b}({}):", self.typed(&data.params))?;
            self.body(b, indent + 4)?;
            writeln!(self.out, "{pad}    -> ({})", self.list(&data.results))?;
        }
        Ok(())
    }
}
