//! AST printers for tests and debugging:
//!
//! - [`unparse`]: back to Python text in a canonical form: 4-space
//!   indentation, every operator expression fully parenthesized (`(a + (b *
//!   c))`), `elif` for an `If` alone in `orelse`. Its output parses back to
//!   the same tree (modulo spans), which the corpus test checks.
//! - [`dump`] (in `dump.rs`): a tree with one node per line and its byte
//!   span, the format of the parser's golden `.ast` files.

use std::fmt::Write;

use super::ast::*;

// ------------------------------------------------------------------ unparse

/// A module as canonical Python text.
pub fn unparse(m: &Module) -> String {
    let mut out = String::new();
    body(&mut out, &m.body, 0);
    out
}

/// One expression as canonical Python text.
pub fn unparse_expr(e: &Expr) -> String {
    expr(e)
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n("    ", level));
}

fn body(out: &mut String, stmts: &[Stmt], level: usize) {
    if stmts.is_empty() {
        indent(out, level);
        out.push_str("pass\n");
    }
    for s in stmts {
        stmt(out, s, level);
    }
}

fn block(out: &mut String, header: &str, stmts: &[Stmt], level: usize) {
    indent(out, level);
    out.push_str(header);
    out.push_str(":\n");
    body(out, stmts, level + 1);
}

fn stmt(out: &mut String, s: &Stmt, level: usize) {
    let line = match &s.kind {
        StmtKind::FunctionDef(f) => return funcdef(out, f, level),
        StmtKind::ClassDef(c) => return classdef(out, c, level),
        StmtKind::If { test, body: b, orelse } => return if_chain(out, "if", test, b, orelse, level),
        StmtKind::For { target, iter, body: b, orelse } => {
            block(out, &format!("for {} in {}", expr(target), expr(iter)), b, level);
            return else_block(out, orelse, level);
        }
        StmtKind::While { test, body: b, orelse } => {
            block(out, &format!("while {}", expr(test)), b, level);
            return else_block(out, orelse, level);
        }
        StmtKind::Try { body: b, handlers, orelse, finalbody } => {
            block(out, "try", b, level);
            for h in handlers {
                let mut head = "except".to_string();
                if let Some(t) = &h.ty {
                    head = format!("except {}", expr(t));
                }
                if let Some(n) = &h.name {
                    head = format!("{head} as {}", n.name);
                }
                block(out, &head, &h.body, level);
            }
            else_block(out, orelse, level);
            if !finalbody.is_empty() {
                block(out, "finally", finalbody, level);
            }
            return;
        }
        StmtKind::With { items, body: b } => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match &i.target {
                    Some(t) => format!("{} as {}", expr(&i.context), expr(t)),
                    None => expr(&i.context),
                })
                .collect();
            return block(out, &format!("with {}", items.join(", ")), b, level);
        }
        StmtKind::Import(names) => format!("import {}", aliases(names)),
        StmtKind::ImportFrom { module, names } => format!("from {} import {}", module.joined(), aliases(names)),
        StmtKind::Assign { targets, value } => {
            let mut parts: Vec<String> = targets.iter().map(expr).collect();
            parts.push(expr(value));
            parts.join(" = ")
        }
        StmtKind::AnnAssign { target, annotation, value } => match value {
            Some(v) => format!("{}: {} = {}", expr(target), expr(annotation), expr(v)),
            None => format!("{}: {}", expr(target), expr(annotation)),
        },
        StmtKind::AugAssign { target, op, value } => format!("{} {}= {}", expr(target), op.symbol(), expr(value)),
        StmtKind::Expr(e) => expr(e),
        StmtKind::Break => "break".to_string(),
        StmtKind::Continue => "continue".to_string(),
        StmtKind::Pass => "pass".to_string(),
        StmtKind::Return(v) => v.as_ref().map_or("return".to_string(), |v| format!("return {}", expr(v))),
        StmtKind::Assert { test, msg } => match msg {
            Some(m) => format!("assert {}, {}", expr(test), expr(m)),
            None => format!("assert {}", expr(test)),
        },
        StmtKind::Raise { exc, cause } => match (exc, cause) {
            (Some(e), Some(c)) => format!("raise {} from {}", expr(e), expr(c)),
            (Some(e), None) => format!("raise {}", expr(e)),
            _ => "raise".to_string(),
        },
        StmtKind::Delete(ts) => format!("del {}", list(ts)),
        StmtKind::Global(ns) => format!("global {}", idents(ns)),
        StmtKind::Nonlocal(ns) => format!("nonlocal {}", idents(ns)),
        StmtKind::Error => "<error>".to_string(),
    };
    indent(out, level);
    out.push_str(&line);
    out.push('\n');
}

fn if_chain(out: &mut String, kw: &str, test: &Expr, b: &[Stmt], orelse: &[Stmt], level: usize) {
    block(out, &format!("{kw} {}", expr(test)), b, level);
    match orelse {
        [Stmt { kind: StmtKind::If { test, body, orelse }, .. }] => if_chain(out, "elif", test, body, orelse, level),
        _ => else_block(out, orelse, level),
    }
}

fn else_block(out: &mut String, orelse: &[Stmt], level: usize) {
    if !orelse.is_empty() {
        block(out, "else", orelse, level);
    }
}

fn funcdef(out: &mut String, f: &FunctionDef, level: usize) {
    decorators(out, &f.decorators, level);
    let mut head = format!("def {}({})", f.name.name, params(&f.params));
    if let Some(r) = &f.returns {
        let _ = write!(head, " -> {}", expr(r));
    }
    block(out, &head, &f.body, level);
}

fn classdef(out: &mut String, c: &ClassDef, level: usize) {
    decorators(out, &c.decorators, level);
    let head = if c.bases.is_empty() { format!("class {}", c.name.name) } else { format!("class {}({})", c.name.name, args(&c.bases)) };
    block(out, &head, &c.body, level);
}

fn decorators(out: &mut String, decs: &[Expr], level: usize) {
    for d in decs {
        indent(out, level);
        let _ = writeln!(out, "@{}", expr(d));
    }
}

fn params(ps: &[Param]) -> String {
    let mut parts = Vec::new();
    let mut star_done = false;
    for p in ps {
        let mut s = match p.kind {
            ParamKind::Normal => p.name.name.clone(),
            ParamKind::KwOnly => {
                if !star_done {
                    parts.push("*".to_string());
                    star_done = true;
                }
                p.name.name.clone()
            }
            ParamKind::VarArgs => {
                star_done = true;
                format!("*{}", p.name.name)
            }
            ParamKind::VarKw => format!("**{}", p.name.name),
        };
        if let Some(a) = &p.annotation {
            let _ = write!(s, ": {}", expr(a));
        }
        if let Some(d) = &p.default {
            let _ = write!(s, " = {}", expr(d));
        }
        parts.push(s);
    }
    parts.join(", ")
}

fn aliases(names: &[Alias]) -> String {
    let parts: Vec<String> = names
        .iter()
        .map(|a| match &a.asname {
            Some(n) => format!("{} as {}", a.name.joined(), n.name),
            None => a.name.joined(),
        })
        .collect();
    parts.join(", ")
}

fn idents(ns: &[Ident]) -> String {
    ns.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn list(es: &[Expr]) -> String {
    es.iter().map(expr).collect::<Vec<_>>().join(", ")
}

fn args(a: &[Arg]) -> String {
    let parts: Vec<String> = a
        .iter()
        .map(|a| {
            let v = expr(&a.value);
            match (&a.keyword, a.star) {
                (Some(k), _) => format!("{}={v}", k.name),
                (None, ArgStar::Single) => format!("*{v}"),
                (None, ArgStar::Double) => format!("**{v}"),
                (None, ArgStar::None) => v,
            }
        })
        .collect();
    parts.join(", ")
}

fn generators(gens: &[Comprehension]) -> String {
    let mut s = String::new();
    for g in gens {
        let _ = write!(s, " for {} in {}", expr(&g.target), expr(&g.iter));
        for c in &g.ifs {
            let _ = write!(s, " if {}", expr(c));
        }
    }
    s
}

/// A Python string literal with the value `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn float(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "1e999".to_string() } else { "-1e999".to_string() };
    }
    format!("{v:?}")
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => float(*v),
        ExprKind::Str(s) => quote(s),
        ExprKind::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        ExprKind::None => "None".to_string(),
        ExprKind::Ellipsis => "...".to_string(),
        ExprKind::Attribute { value, attr } => match value.kind {
            ExprKind::Int(_) | ExprKind::Float(_) => format!("({}).{}", expr(value), attr.name),
            _ => format!("{}.{}", expr(value), attr.name),
        },
        ExprKind::Call { func, args: a } => format!("{}({})", expr(func), args(a)),
        ExprKind::Subscript { value, index } => {
            let idx = match &index.kind {
                ExprKind::Tuple(xs) if !xs.is_empty() => list(xs) + if xs.len() == 1 { "," } else { "" },
                _ => expr(index),
            };
            format!("{}[{idx}]", expr(value))
        }
        ExprKind::Slice { lower, upper, step } => {
            let part = |x: &Option<Box<Expr>>| x.as_ref().map_or(String::new(), |x| expr(x));
            match step {
                Some(s) => format!("{}:{}:{}", part(lower), part(upper), expr(s)),
                None => format!("{}:{}", part(lower), part(upper)),
            }
        }
        ExprKind::Unary { op: UnaryOp::Not, operand } => format!("(not {})", expr(operand)),
        ExprKind::Unary { op, operand } => format!("({}{})", op.symbol(), expr(operand)),
        ExprKind::Binary { op, left, right } => format!("({} {} {})", expr(left), op.symbol(), expr(right)),
        ExprKind::BoolOp { op, values } => {
            let sep = match op {
                BoolOp::And => " and ",
                BoolOp::Or => " or ",
            };
            format!("({})", values.iter().map(expr).collect::<Vec<_>>().join(sep))
        }
        ExprKind::Compare { left, ops } => {
            let mut s = format!("({}", expr(left));
            for (op, r) in ops {
                let _ = write!(s, " {} {}", op.symbol(), expr(r));
            }
            s + ")"
        }
        ExprKind::IfExp { test, body, orelse } => format!("({} if {} else {})", expr(body), expr(test), expr(orelse)),
        ExprKind::List(xs) => format!("[{}]", list(xs)),
        ExprKind::Tuple(xs) if xs.len() == 1 => format!("({},)", expr(&xs[0])),
        ExprKind::Tuple(xs) => format!("({})", list(xs)),
        ExprKind::Dict(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| match k {
                    Some(k) => format!("{}: {}", expr(k), expr(v)),
                    None => format!("**{}", expr(v)),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        ExprKind::Set(xs) => format!("{{{}}}", list(xs)),
        ExprKind::ListComp { elt, generators: g } => format!("[{}{}]", expr(elt), generators(g)),
        ExprKind::SetComp { elt, generators: g } => format!("{{{}{}}}", expr(elt), generators(g)),
        ExprKind::GeneratorExp { elt, generators: g } => format!("({}{})", expr(elt), generators(g)),
        ExprKind::DictComp { key, value, generators: g } => format!("{{{}: {}{}}}", expr(key), expr(value), generators(g)),
        ExprKind::Lambda { params: p, body } => {
            let ps = params(p);
            if ps.is_empty() {
                format!("(lambda: {})", expr(body))
            } else {
                format!("(lambda {ps}: {})", expr(body))
            }
        }
        ExprKind::Starred(x) => format!("*{}", expr(x)),
        ExprKind::Yield(x) => x.as_ref().map_or("(yield)".to_string(), |x| format!("(yield {})", expr(x))),
        ExprKind::FString(raw) => raw.clone(),
        ExprKind::Error => "<error>".to_string(),
    }
}

pub use super::dump::dump;
