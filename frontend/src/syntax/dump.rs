//! The debug tree dump: one AST node per line, two-space indentation, each
//! with its role in the parent (`left:`, `test:`), its kind, its details
//! and its byte span (`@3..7`). This is the format of the parser's golden
//! `.ast` files, so every field of every node shows.

use super::ast::*;
use super::span::Span;

/// The tree of a module.
pub fn dump(m: &Module) -> String {
    let mut d = Dump { out: String::new(), level: 0 };
    d.line("Module".to_string());
    d.nested(|d| m.body.iter().for_each(|s| d.stmt("", s)));
    d.out
}

struct Dump {
    out: String,
    level: usize,
}

fn at(s: Span) -> String {
    format!("@{}..{}", s.start, s.end)
}

fn role(r: &str) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!("{r}: ")
    }
}

impl Dump {
    fn line(&mut self, s: String) {
        self.out.extend(std::iter::repeat_n("  ", self.level));
        self.out.push_str(&s);
        self.out.push('\n');
    }

    fn nested(&mut self, f: impl FnOnce(&mut Dump)) {
        self.level += 1;
        f(self);
        self.level -= 1;
    }

    fn block(&mut self, label: &str, body: &[Stmt]) {
        if body.is_empty() {
            return;
        }
        self.nested(|d| {
            d.line(format!("{label}:"));
            d.nested(|d| body.iter().for_each(|s| d.stmt("", s)));
        });
    }

    fn child(&mut self, r: &str, e: &Expr) {
        self.nested(|d| d.expr(r, e));
    }

    fn child_opt(&mut self, r: &str, e: Option<&Expr>) {
        if let Some(e) = e {
            self.child(r, e);
        }
    }

    fn children(&mut self, r: &str, es: &[Expr]) {
        es.iter().for_each(|e| self.child(r, e));
    }

    fn stmt(&mut self, r: &str, s: &Stmt) {
        let head = |name: &str| format!("{}{name} {}", role(r), at(s.span));
        match &s.kind {
            StmtKind::Import(names) => {
                self.line(head("Import"));
                self.nested(|d| names.iter().for_each(|a| d.alias(a)));
            }
            StmtKind::ImportFrom { module, names } => {
                self.line(format!("{}ImportFrom {} {}", role(r), module.joined(), at(s.span)));
                self.nested(|d| names.iter().for_each(|a| d.alias(a)));
            }
            StmtKind::FunctionDef(f) => self.funcdef(r, f, s.span),
            StmtKind::ClassDef(c) => {
                self.line(format!("{}ClassDef {} {} header={}", role(r), c.name.name, at(s.span), at(c.header)));
                self.children("decorator", &c.decorators);
                self.nested(|d| c.bases.iter().for_each(|a| d.arg("base", a)));
                self.block("body", &c.body);
            }
            StmtKind::Assign { targets, value } => {
                self.line(head("Assign"));
                self.children("target", targets);
                self.child("value", value);
            }
            StmtKind::AnnAssign { target, annotation, value } => {
                self.line(head("AnnAssign"));
                self.child("target", target);
                self.child("annotation", annotation);
                self.child_opt("value", value.as_ref());
            }
            StmtKind::AugAssign { target, op, value } => {
                self.line(format!("{}AugAssign {:?} {}", role(r), op, at(s.span)));
                self.child("target", target);
                self.child("value", value);
            }
            StmtKind::Expr(e) => {
                self.line(head("Expr"));
                self.child("", e);
            }
            StmtKind::If { test, body, orelse } => self.test_block(head("If"), test, body, orelse),
            StmtKind::While { test, body, orelse } => self.test_block(head("While"), test, body, orelse),
            StmtKind::For { target, iter, body, orelse } => {
                self.line(head("For"));
                self.child("target", target);
                self.child("iter", iter);
                self.block("body", body);
                self.block("orelse", orelse);
            }
            StmtKind::Break => self.line(head("Break")),
            StmtKind::Continue => self.line(head("Continue")),
            StmtKind::Pass => self.line(head("Pass")),
            StmtKind::Error => self.line(head("Error")),
            StmtKind::Return(v) => {
                self.line(head("Return"));
                self.child_opt("value", v.as_ref());
            }
            StmtKind::Assert { test, msg } => {
                self.line(head("Assert"));
                self.child("test", test);
                self.child_opt("msg", msg.as_ref());
            }
            StmtKind::Raise { exc, cause } => {
                self.line(head("Raise"));
                self.child_opt("exc", exc.as_ref());
                self.child_opt("cause", cause.as_ref());
            }
            StmtKind::Delete(ts) => {
                self.line(head("Delete"));
                self.children("target", ts);
            }
            StmtKind::Global(ns) | StmtKind::Nonlocal(ns) => {
                let kw = if matches!(s.kind, StmtKind::Global(_)) { "Global" } else { "Nonlocal" };
                let names: Vec<String> = ns.iter().map(|n| format!("{} {}", n.name, at(n.span))).collect();
                self.line(format!("{}{kw} {} [{}]", role(r), at(s.span), names.join(", ")));
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.line(head("Try"));
                self.block("body", body);
                for h in handlers {
                    self.nested(|d| {
                        let name = h.name.as_ref().map_or(String::new(), |n| format!(" as {} {}", n.name, at(n.span)));
                        d.line(format!("handler: ExceptHandler{name} {}", at(h.span)));
                        d.child_opt("type", h.ty.as_ref());
                        d.block("body", &h.body);
                    });
                }
                self.block("orelse", orelse);
                self.block("finalbody", finalbody);
            }
            StmtKind::With { items, body } => {
                self.line(head("With"));
                for i in items {
                    self.child("context", &i.context);
                    self.child_opt("as", i.target.as_ref());
                }
                self.block("body", body);
            }
        }
    }

    fn test_block(&mut self, head: String, test: &Expr, body: &[Stmt], orelse: &[Stmt]) {
        self.line(head);
        self.child("test", test);
        self.block("body", body);
        self.block("orelse", orelse);
    }

    fn funcdef(&mut self, r: &str, f: &FunctionDef, span: Span) {
        self.line(format!("{}FunctionDef {} {} header={}", role(r), f.name.name, at(span), at(f.header)));
        self.children("decorator", &f.decorators);
        self.nested(|d| f.params.iter().for_each(|p| d.param(p)));
        self.child_opt("returns", f.returns.as_ref());
        self.block("body", &f.body);
    }

    fn param(&mut self, p: &Param) {
        self.line(format!("param: {} {:?} {}", p.name.name, p.kind, at(p.span)));
        self.child_opt("annotation", p.annotation.as_ref());
        self.child_opt("default", p.default.as_ref());
    }

    fn alias(&mut self, a: &Alias) {
        let asname = a.asname.as_ref().map_or(String::new(), |n| format!(" as {} {}", n.name, at(n.span)));
        self.line(format!("alias: {} {}{asname} {}", a.name.joined(), at(a.name.span), at(a.span)));
    }

    fn arg(&mut self, r: &str, a: &Arg) {
        let kw = a.keyword.as_ref().map_or(String::new(), |k| format!(" {}= {}", k.name, at(k.span)));
        let star = match a.star {
            ArgStar::None => "",
            ArgStar::Single => " *",
            ArgStar::Double => " **",
        };
        self.line(format!("{r}: Arg{star}{kw} {}", at(a.span)));
        self.child("", &a.value);
    }

    fn generators(&mut self, gens: &[Comprehension]) {
        for g in gens {
            self.nested(|d| {
                d.line(format!("for: Comprehension {}", at(g.span)));
                d.child("target", &g.target);
                d.child("iter", &g.iter);
                d.children("if", &g.ifs);
            });
        }
    }

    fn expr(&mut self, r: &str, e: &Expr) {
        let head = |name: &str| format!("{}{name} {}", role(r), at(e.span));
        match &e.kind {
            ExprKind::Name(n) => self.line(head(&format!("Name {n}"))),
            ExprKind::Int(v) => self.line(head(&format!("Int {v}"))),
            ExprKind::Float(v) => self.line(head(&format!("Float {v:?}"))),
            ExprKind::Str(s) => self.line(head(&format!("Str {s:?}"))),
            ExprKind::FString(s) => self.line(head(&format!("FString {s:?}"))),
            ExprKind::Bool(b) => self.line(head(&format!("Bool {b}"))),
            ExprKind::None => self.line(head("None")),
            ExprKind::Ellipsis => self.line(head("Ellipsis")),
            ExprKind::Error => self.line(head("Error")),
            ExprKind::Attribute { value, attr } => {
                self.line(head(&format!("Attribute .{} {}", attr.name, at(attr.span))));
                self.child("value", value);
            }
            ExprKind::Call { func, args } => {
                self.line(head("Call"));
                self.child("func", func);
                self.nested(|d| args.iter().for_each(|a| d.arg("arg", a)));
            }
            ExprKind::Subscript { value, index } => {
                self.line(head("Subscript"));
                self.child("value", value);
                self.child("index", index);
            }
            ExprKind::Slice { lower, upper, step } => {
                self.line(head("Slice"));
                self.child_opt("lower", lower.as_deref());
                self.child_opt("upper", upper.as_deref());
                self.child_opt("step", step.as_deref());
            }
            ExprKind::Unary { op, operand } => {
                self.line(head(&format!("Unary {op:?}")));
                self.child("operand", operand);
            }
            ExprKind::Binary { op, left, right } => {
                self.line(head(&format!("Binary {op:?}")));
                self.child("left", left);
                self.child("right", right);
            }
            ExprKind::BoolOp { op, values } => {
                self.line(head(&format!("BoolOp {op:?}")));
                self.children("value", values);
            }
            ExprKind::Compare { left, ops } => {
                self.line(head("Compare"));
                self.child("left", left);
                for (op, x) in ops {
                    self.child(&format!("{op:?}"), x);
                }
            }
            ExprKind::IfExp { test, body, orelse } => {
                self.line(head("IfExp"));
                self.child("test", test);
                self.child("body", body);
                self.child("orelse", orelse);
            }
            ExprKind::List(xs) => self.seq(head("List"), xs),
            ExprKind::Tuple(xs) => self.seq(head("Tuple"), xs),
            ExprKind::Set(xs) => self.seq(head("Set"), xs),
            ExprKind::Dict(entries) => {
                self.line(head("Dict"));
                for (k, v) in entries {
                    match k {
                        Some(k) => self.child("key", k),
                        None => self.nested(|d| d.line("key: **".to_string())),
                    }
                    self.child("value", v);
                }
            }
            ExprKind::ListComp { elt, generators } => self.comp(head("ListComp"), elt, None, generators),
            ExprKind::SetComp { elt, generators } => self.comp(head("SetComp"), elt, None, generators),
            ExprKind::GeneratorExp { elt, generators } => self.comp(head("GeneratorExp"), elt, None, generators),
            ExprKind::DictComp { key, value, generators } => self.comp(head("DictComp"), key, Some(value), generators),
            ExprKind::Lambda { params, body } => {
                self.line(head("Lambda"));
                self.nested(|d| params.iter().for_each(|p| d.param(p)));
                self.child("body", body);
            }
            ExprKind::Starred(x) => {
                self.line(head("Starred"));
                self.child("value", x);
            }
            ExprKind::Yield(x) => {
                self.line(head("Yield"));
                self.child_opt("value", x.as_deref());
            }
        }
    }

    fn seq(&mut self, head: String, xs: &[Expr]) {
        self.line(head);
        self.children("elt", xs);
    }

    fn comp(&mut self, head: String, elt: &Expr, value: Option<&Expr>, gens: &[Comprehension]) {
        self.line(head);
        self.child(if value.is_some() { "key" } else { "elt" }, elt);
        self.child_opt("value", value);
        self.generators(gens);
    }
}
