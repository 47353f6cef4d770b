//! The text form, parsing side: the inverse of `print.rs`, so that
//! `parse(print(g)) == g` and `print(parse(t)) == t` for printed `t`.
//!
//! Entity numbers are kept: `%7` is `Value(7)` and `^3` is `Block(3)` in the
//! parsed graph (skipped numbers become detached placeholder slots); named
//! values are numbered after the largest numbered one. Every value must be
//! defined (textually) before its use; dominance and types are left to the
//! verifier. Tensor constants get their data from a blob map or, without
//! one, become zero-filled (a broadcast view: no memory per element).
//! Errors carry `line:col`; no input panics (nesting is bounded).

use crate::aten::AtenOp;
use crate::entity::{Block, ConstId, Node, Value};
use crate::error::ParseError;
use crate::graph::{BlockData, ConstData, ConstValue, Graph, Loc, NodeData, ValueData, ValueDef};
use crate::lex::{lex, Tok, Token};
use crate::op::Op;
use crate::types::Type;
use std::collections::HashMap;
use tsc_runtime::Tensor;

/// Value and block numbers must be below this.
pub const MAX_ENTITY: usize = 1 << 20;
/// Nesting limit for types and blocks.
const MAX_DEPTH: usize = 64;
/// A synthesized (zero) blob may have at most this many elements.
const MAX_SYNTH_NUMEL: usize = 1 << 31;

/// Parses a graph; tensor constants become zeros of their declared type.
pub fn parse(text: &str) -> Result<Graph, ParseError> {
    Parser::new(text, None)?.graph()
}

/// Parses a graph whose tensor constants are taken from `blobs` by name
/// (each must be present with the declared dtype and shape).
pub fn parse_with_blobs(text: &str, blobs: &HashMap<String, Tensor>) -> Result<Graph, ParseError> {
    Parser::new(text, Some(blobs))?.graph()
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    g: Graph,
    blobs: Option<&'a HashMap<String, Tensor>>,
    /// Spelling → value, for values defined so far.
    defined: HashMap<String, Value>,
    next_named: usize,
    depth: usize,
}

type R<T> = Result<T, ParseError>;

mod terms;

fn placeholder() -> ValueData {
    ValueData { ty: Type::None, def: ValueDef::Detached, name: None }
}

impl<'a> Parser<'a> {
    fn new(text: &str, blobs: Option<&'a HashMap<String, Tensor>>) -> R<Parser<'a>> {
        let toks = lex(text)?;
        let mut max_value = 0usize;
        let mut max_block = 0usize;
        let mut names = std::collections::HashSet::new();
        for t in &toks {
            let (text, max) = match &t.tok {
                Tok::Value(s) => (s, &mut max_value),
                Tok::BlockRef(s) => (s, &mut max_block),
                _ => continue,
            };
            if text.starts_with(|c: char| c.is_ascii_digit()) {
                match text.parse::<usize>() {
                    Ok(n) if n < MAX_ENTITY => *max = (*max).max(n + 1),
                    _ => return Err(ParseError { line: t.line, col: t.col, msg: format!("number `{text}` must be an integer below {MAX_ENTITY}") }),
                }
            } else if matches!(t.tok, Tok::Value(_)) {
                if !crate::types::is_name(text) {
                    return Err(ParseError { line: t.line, col: t.col, msg: format!("`%{text}`: a value is a number or a name starting with a letter or `_`") });
                }
                names.insert(text.clone());
            } else {
                return Err(ParseError { line: t.line, col: t.col, msg: "block references are numbers (`^1`)".into() });
            }
        }
        let mut g = Graph::new();
        g.values = vec![placeholder(); max_value + names.len()];
        g.blocks = vec![BlockData::default(); max_block.max(1)];
        Ok(Parser { toks, pos: 0, g, blobs, defined: HashMap::new(), next_named: max_value, depth: 0 })
    }

    // ----- token helpers -------------------------------------------------

    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }
    fn here(&self) -> (u32, u32) {
        let t = &self.toks[self.pos.min(self.toks.len() - 1)];
        (t.line, t.col)
    }
    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        let (line, col) = self.here();
        Err(ParseError { line, col, msg: msg.into() })
    }
    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }
    fn eat(&mut self, c: char) -> bool {
        if *self.peek() == Tok::Punct(c) {
            self.next();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: char) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            self.err(format!("expected `{c}`, found {}", describe(self.peek())))
        }
    }
    fn keyword(&mut self, k: &str) -> R<()> {
        match self.peek() {
            Tok::Ident(s) if s == k => {
                self.next();
                Ok(())
            }
            t => self.err(format!("expected `{k}`, found {}", describe(t))),
        }
    }
    fn ident(&mut self) -> R<String> {
        match self.next() {
            Tok::Ident(s) => Ok(s),
            t => {
                self.pos -= 1;
                self.err(format!("expected a name, found {}", describe(&t)))
            }
        }
    }
    fn newline(&mut self) -> R<()> {
        match self.peek() {
            Tok::Newline => {
                while *self.peek() == Tok::Newline {
                    self.next();
                }
                Ok(())
            }
            Tok::Eof => Ok(()),
            t => self.err(format!("expected end of line, found {}", describe(t))),
        }
    }
    fn skip_newlines(&mut self) {
        while *self.peek() == Tok::Newline {
            self.next();
        }
    }
    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nesting deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    // ----- values ---------------------------------------------------------

    /// Reserves the slot for a value spelled `s` being defined.
    fn slot(&mut self, s: &str) -> R<Value> {
        if self.defined.contains_key(s) {
            return self.err(format!("%{s} is defined twice"));
        }
        let v = match s.parse::<usize>() {
            Ok(n) => Value::new(n),
            Err(_) => {
                self.next_named += 1;
                Value::new(self.next_named - 1)
            }
        };
        Ok(v)
    }
    fn define(&mut self, s: String, v: Value, ty: Type, def: ValueDef) {
        let name = (!s.starts_with(|c: char| c.is_ascii_digit())).then(|| s.clone());
        self.g.values[v.index()] = ValueData { ty, def, name };
        self.defined.insert(s, v);
    }
    fn use_value(&mut self) -> R<Value> {
        match self.next() {
            Tok::Value(s) => match self.defined.get(&s) {
                Some(&v) => Ok(v),
                None => {
                    self.pos -= 1;
                    self.err(format!("%{s} is used before it is defined"))
                }
            },
            t => {
                self.pos -= 1;
                self.err(format!("expected a value, found {}", describe(&t)))
            }
        }
    }
    /// `(%a, %b)`
    fn use_list(&mut self) -> R<Vec<Value>> {
        self.expect('(')?;
        let mut vs = Vec::new();
        if !self.eat(')') {
            loop {
                vs.push(self.use_value()?);
                if self.eat(')') {
                    break;
                }
                self.expect(',')?;
            }
        }
        Ok(vs)
    }
    /// `%a : T` (spelling and type, not yet defined).
    fn typed_name(&mut self) -> R<(String, Type, (u32, u32))> {
        let at = self.here();
        let s = match self.next() {
            Tok::Value(s) => s,
            t => {
                self.pos -= 1;
                return self.err(format!("expected a value, found {}", describe(&t)));
            }
        };
        self.expect(':')?;
        Ok((s, self.ty()?, at))
    }
    /// Block params `(%a : T, ...)`, defined as params of `b`.
    fn params(&mut self, b: Block) -> R<()> {
        self.expect('(')?;
        if self.eat(')') {
            return Ok(());
        }
        loop {
            let (s, ty, _) = self.typed_name()?;
            let v = self.slot(&s)?;
            let i = self.g.blocks[b.index()].params.len() as u32;
            self.define(s, v, ty, ValueDef::Param(b, i));
            self.g.blocks[b.index()].params.push(v);
            if self.eat(')') {
                return Ok(());
            }
            self.expect(',')?;
        }
    }

    fn const_line(&mut self, name: String) -> R<()> {
        self.expect('=')?;
        if self.g.consts.iter().any(|c| c.name == name) {
            return self.err(format!("constant @{name} is defined twice"));
        }
        let value = match self.peek() {
            Tok::Ident(s) if s == "tensor" => {
                self.next();
                ConstValue::Tensor(self.blob(&name)?)
            }
            _ => self.literal()?.to_const(),
        };
        self.g.consts.push(ConstData { name, value });
        self.newline()
    }

    // ----- graph, blocks, nodes -------------------------------------------

    fn graph(mut self) -> R<Graph> {
        self.skip_newlines();
        self.keyword("graph")?;
        let entry = self.g.entry;
        self.params(entry)?;
        self.expect(':')?;
        self.newline()?;
        while let Tok::ConstRef(name) = self.peek().clone() {
            self.next();
            self.const_line(name)?;
        }
        self.body(entry)?;
        self.keyword("return")?;
        let results = self.use_list()?;
        self.g.blocks[entry.index()].results = results;
        self.newline()?;
        if *self.peek() != Tok::Eof {
            return self.err(format!("expected end of input, found {}", describe(self.peek())));
        }
        Ok(self.g)
    }

    /// Nodes until `return` or `->`.
    fn body(&mut self, b: Block) -> R<()> {
        loop {
            match self.peek() {
                Tok::Arrow | Tok::Eof => return Ok(()),
                Tok::Ident(s) if s == "return" => return Ok(()),
                _ => {
                    let n = self.node()?;
                    self.g.blocks[b.index()].nodes.push(n);
                }
            }
        }
    }

    fn node(&mut self) -> R<Node> {
        let mut outs = Vec::new();
        if matches!(self.peek(), Tok::Value(_)) {
            loop {
                outs.push(self.typed_name()?);
                if self.eat('=') {
                    break;
                }
                self.expect(',')?;
            }
        }
        let (op, inputs) = self.op_and_inputs()?;
        let loc = match self.peek().clone() {
            Tok::Loc(s) => {
                let l = parse_loc(&s);
                if l.is_none() {
                    return self.err("a location is `# file:line:col`");
                }
                self.next();
                l
            }
            _ => None,
        };
        self.newline()?;
        let n = Node::new(self.g.nodes.len());
        self.g.nodes.push(NodeData { op: op.clone(), inputs, outputs: Vec::new(), blocks: Vec::new(), loc });
        let mut blocks = Vec::new();
        for _ in 0..op.num_blocks() {
            blocks.push(self.block()?);
        }
        let mut outputs = Vec::new();
        for (i, (s, ty, at)) in outs.into_iter().enumerate() {
            let v = self.slot(&s).map_err(|e| ParseError { line: at.0, col: at.1, ..e })?;
            self.define(s, v, ty, ValueDef::Node(n, i as u32));
            outputs.push(v);
        }
        let data = &mut self.g.nodes[n.index()];
        data.outputs = outputs;
        data.blocks = blocks;
        Ok(n)
    }

    fn op_and_inputs(&mut self) -> R<(Op, Vec<Value>)> {
        let name = self.ident()?;
        if name == "const" {
            if let Tok::ConstRef(c) = self.peek().clone() {
                let Some(i) = self.g.consts.iter().position(|d| d.name == c) else {
                    return self.err(format!("unknown constant @{c}"));
                };
                self.next();
                return Ok((Op::Const(ConstId::new(i)), Vec::new()));
            }
            return Ok((Op::Literal(self.literal()?), Vec::new()));
        }
        if name == "uninitialized" {
            return Ok((Op::Uninitialized, Vec::new()));
        }
        let op = if let Some(rest) = name.strip_prefix("aten.") {
            let (n, o) = rest.split_once('.').unwrap_or((rest, ""));
            match AtenOp::new(n, o) {
                Ok(a) => Op::Aten(a),
                Err(e) => {
                    self.pos -= 1;
                    return self.err(e);
                }
            }
        } else if name == "tuple_index" {
            self.expect('[')?;
            let i = match self.next() {
                Tok::Number(n) => n.parse::<u32>().ok(),
                _ => None,
            };
            let Some(i) = i else { return self.err("expected a tuple index") };
            self.expect(']')?;
            Op::TupleIndex(i)
        } else if let Some(op) = Op::from_simple_name(&name) {
            op
        } else {
            self.pos -= 1;
            return self.err(format!("unknown op `{name}`"));
        };
        Ok((op, self.use_list()?))
    }

    fn block(&mut self) -> R<Block> {
        self.enter()?;
        let b = match self.next() {
            Tok::BlockRef(s) => match s.parse::<usize>() {
                Ok(n) if n > 0 => Block::new(n),
                _ => return self.err("block numbers start at 1 (^0 is the graph)"),
            },
            t => {
                self.pos -= 1;
                return self.err(format!("expected a block `^N(...):`, found {}", describe(&t)));
            }
        };
        let used = &self.g.blocks[b.index()];
        if !used.params.is_empty() || !used.nodes.is_empty() || self.g.nodes.iter().any(|n| n.blocks.contains(&b)) {
            return self.err(format!("{b} is defined twice"));
        }
        self.params(b)?;
        self.expect(':')?;
        self.newline()?;
        self.body(b)?;
        if *self.peek() != Tok::Arrow {
            return self.err(format!("expected `-> (...)` ending {b}, found {}", describe(self.peek())));
        }
        self.next();
        let results = self.use_list()?;
        self.g.blocks[b.index()].results = results;
        self.newline()?;
        self.depth -= 1;
        Ok(b)
    }
}

/// `file:line:col`, split at the last two colons.
fn parse_loc(s: &str) -> Option<Loc> {
    let (rest, col) = s.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    Some(Loc { file: file.to_string(), line: line.parse().ok()?, col: col.parse().ok()? })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Newline => "end of line".into(),
        Tok::Eof => "end of input".into(),
        Tok::Value(s) => format!("`%{s}`"),
        Tok::BlockRef(s) => format!("`^{s}`"),
        Tok::ConstRef(s) => format!("`@{s}`"),
        Tok::Ident(s) | Tok::Number(s) => format!("`{s}`"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Loc(_) => "a location".into(),
        Tok::Arrow => "`->`".into(),
        Tok::Punct(c) => format!("`{c}`"),
    }
}
