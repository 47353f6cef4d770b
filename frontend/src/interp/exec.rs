//! Statements, function calls and class creation.

use super::value::{Class, ClassKind, Func, Value};
use super::{at, err, Exc, Frame, Interp, R};
use crate::syntax::ast::{self, ExprKind, ParamKind, StmtKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// How a statement finished.
pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

impl Interp {
    pub(crate) fn exec_block(&self, f: &mut Frame, body: &[ast::Stmt]) -> R<Flow> {
        for s in body {
            match self.exec(f, s)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub(crate) fn exec(&self, f: &mut Frame, s: &ast::Stmt) -> R<Flow> {
        let file = f.file.clone();
        at(self.exec_inner(f, s), &file, s.span)
    }

    fn exec_inner(&self, f: &mut Frame, s: &ast::Stmt) -> R<Flow> {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(f, e)?;
            }
            StmtKind::Assign { targets, value } => {
                let v = self.eval(f, value)?;
                for t in targets {
                    self.assign(f, t, v.clone())?;
                }
            }
            StmtKind::AnnAssign { target, value, .. } => {
                if let Some(value) = value {
                    let v = self.eval(f, value)?;
                    self.assign(f, target, v)?;
                }
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(f, target, *op, value)?,
            StmtKind::If { test, body, orelse } => {
                let c = self.eval(f, test)?;
                let c = at(c.truthy().or_else(err), &f.file, test.span)?;
                return self.exec_block(f, if c { body } else { orelse });
            }
            StmtKind::While { test, body, orelse } => {
                loop {
                    let c = self.eval(f, test)?;
                    if !at(c.truthy().or_else(err), &f.file, test.span)? {
                        return self.exec_block(f, orelse);
                    }
                    match self.exec_block(f, body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            StmtKind::For { target, iter, body, orelse } => {
                let it = self.eval(f, iter)?;
                let items = at(self.iterate(&it), &f.file, iter.span)?;
                for item in items {
                    self.assign(f, target, item)?;
                    match self.exec_block(f, body)? {
                        Flow::Break => return Ok(Flow::Normal),
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
                return self.exec_block(f, orelse);
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Pass => {}
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(f, e)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Assert { test, msg } => {
                let c = self.eval(f, test)?;
                if !at(c.truthy().or_else(err), &f.file, test.span)? {
                    let m = match msg {
                        Some(m) => format!("AssertionError: {}", super::builtins::to_str(&self.eval(f, m)?)),
                        None => "AssertionError".into(),
                    };
                    return err(m);
                }
            }
            StmtKind::Raise { exc, .. } => {
                let m = match exc {
                    Some(e) => match self.eval(f, e)? {
                        Value::Str(s) => s.to_string(),
                        v => super::builtins::to_str(&v),
                    },
                    None => "RuntimeError: re-raise outside an exception handler".into(),
                };
                return err(m);
            }
            StmtKind::FunctionDef(def) => {
                let func = self.make_func(f, def, def.name.name.clone())?;
                self.bind(f, &def.name.name, Value::Func(func));
            }
            StmtKind::ClassDef(def) => {
                let class = self.make_class(f, def)?;
                self.bind(f, &def.name.name, Value::Class(class));
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let full = a.name.joined();
                    super::namespaces::check_module(&full).or_else(err)?;
                    match &a.asname {
                        Some(n) => self.bind(f, &n.name, Value::Namespace(Rc::from(full.as_str()))),
                        None => {
                            let top = &a.name.parts[0].name;
                            self.bind(f, top, Value::Namespace(Rc::from(top.as_str())));
                        }
                    }
                }
            }
            StmtKind::ImportFrom { module, names } => {
                let m = module.joined();
                if m == "__future__" {
                    return Ok(Flow::Normal);
                }
                super::namespaces::check_module(&m).or_else(err)?;
                for a in names {
                    let n = a.name.joined();
                    let v = self.namespace_attr(&m, &n).ok_or_else(|| Box::new(Exc {
                        message: format!("cannot import name '{n}' from '{m}'"),
                        loc: Some((f.file.clone(), a.span)),
                        trace: Vec::new(),
                    }))?;
                    let name = a.asname.as_ref().map_or(n, |x| x.name.clone());
                    self.bind(f, &name, v);
                }
            }
            StmtKind::Delete(_) => return err("`del` is not supported"),
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => return err("`global`/`nonlocal` are not supported"),
            StmtKind::Try { .. } => return err("`try` is not supported"),
            StmtKind::With { .. } => return err("`with` is not supported"),
            StmtKind::Error => return err("syntax error"),
        }
        Ok(Flow::Normal)
    }

    /// Binds a name in the innermost scope.
    pub(crate) fn bind(&self, f: &mut Frame, name: &str, v: Value) {
        match &mut f.locals {
            Some(l) => {
                l.insert(name.to_string(), v);
            }
            None => {
                f.globals.borrow_mut().insert(name.to_string(), v);
            }
        }
    }

    /// `target = v` for a name, attribute, subscript or tuple/list of targets.
    pub(crate) fn assign(&self, f: &mut Frame, target: &ast::Expr, v: Value) -> R<()> {
        let file = f.file.clone();
        match &target.kind {
            ExprKind::Name(n) => {
                self.bind(f, n, v);
                Ok(())
            }
            ExprKind::Attribute { value, attr } => {
                let obj = self.eval(f, value)?;
                at(self.set_attr(&obj, &attr.name, v), &file, target.span)
            }
            ExprKind::Subscript { value, index } => {
                let obj = self.eval(f, value)?;
                let idx = self.eval_index(f, index)?;
                at(self.set_item(&obj, idx, v), &file, target.span)
            }
            ExprKind::Tuple(ts) | ExprKind::List(ts) => {
                let items = at(self.iterate(&v), &file, target.span)?;
                if items.len() != ts.len() {
                    let msg = if items.len() > ts.len() {
                        format!("too many values to unpack (expected {}, got {})", ts.len(), items.len())
                    } else {
                        format!("not enough values to unpack (expected {}, got {})", ts.len(), items.len())
                    };
                    return at(err(msg), &file, target.span);
                }
                for (t, item) in ts.iter().zip(items) {
                    self.assign(f, t, item)?;
                }
                Ok(())
            }
            _ => at(err("cannot assign to this expression"), &file, target.span),
        }
    }

    fn aug_assign(&self, f: &mut Frame, target: &ast::Expr, op: ast::BinOp, value: &ast::Expr) -> R<()> {
        let file = f.file.clone();
        let rhs = self.eval(f, value)?;
        match &target.kind {
            ExprKind::Name(n) => {
                let cur = self.lookup(f, n, target.span)?;
                let new = at(self.inplace_op(op, cur, rhs), &file, target.span)?;
                self.bind(f, n, new);
            }
            ExprKind::Attribute { value: obj, attr } => {
                let o = self.eval(f, obj)?;
                let cur = at(self.get_attr(&o, &attr.name), &file, target.span)?;
                let new = at(self.inplace_op(op, cur, rhs), &file, target.span)?;
                at(self.set_attr(&o, &attr.name, new), &file, target.span)?;
            }
            ExprKind::Subscript { value: obj, index } => {
                let o = self.eval(f, obj)?;
                let idx = self.eval_index(f, index)?;
                let cur = at(self.get_item(&o, idx.clone()), &file, target.span)?;
                let new = at(self.inplace_op(op, cur, rhs), &file, target.span)?;
                at(self.set_item(&o, idx, new), &file, target.span)?;
            }
            _ => return at(err("illegal target for augmented assignment"), &file, target.span),
        }
        Ok(())
    }

    fn make_func(&self, f: &mut Frame, def: &ast::FunctionDef, qualname: String) -> R<Rc<Func>> {
        let mut defaults = Vec::with_capacity(def.params.len());
        for p in &def.params {
            defaults.push(match &p.default {
                Some(d) => Some(self.eval(f, d)?),
                None => None,
            });
        }
        Ok(Rc::new(Func {
            def: Rc::new(def.clone()),
            file: f.file.clone(),
            globals: Rc::downgrade(&f.globals),
            qualname,
            defaults,
            owner: RefCell::new(std::rc::Weak::new()),
        }))
    }

    fn make_class(&self, f: &mut Frame, def: &ast::ClassDef) -> R<Rc<Class>> {
        let mut base = None;
        for b in &def.bases {
            match self.eval(f, &b.value)? {
                Value::Class(c) => base = Some(c),
                other => return at(err(format!("cannot inherit from a {}", other.type_name())), &f.file, b.span),
            }
        }
        let mut methods = HashMap::new();
        let mut class_attrs = Vec::new();
        for s in &def.body {
            match &s.kind {
                StmtKind::FunctionDef(fd) => {
                    let func = self.make_func(f, fd, format!("{}.{}", def.name.name, fd.name.name))?;
                    methods.insert(fd.name.name.clone(), func);
                }
                StmtKind::Assign { targets, value } => {
                    let v = self.eval(f, value)?;
                    for t in targets {
                        if let ExprKind::Name(n) = &t.kind {
                            class_attrs.push((n.clone(), v.clone()));
                        }
                    }
                }
                StmtKind::AnnAssign { target, value: Some(value), .. } => {
                    if let ExprKind::Name(n) = &target.kind {
                        class_attrs.push((n.clone(), self.eval(f, value)?));
                    }
                }
                // Docstrings, bare annotations (`bias: Optional[Tensor]`) and `pass`.
                StmtKind::Expr(_) | StmtKind::AnnAssign { .. } | StmtKind::Pass => {}
                _ => return at(err("only methods and attribute assignments are supported in a class body"), &f.file, s.span),
            }
        }
        let class = Rc::new(Class {
            name: def.name.name.clone(),
            kind: ClassKind::User,
            base,
            methods,
            class_attrs: RefCell::new(class_attrs),
            def: Some((f.file.clone(), def.header)),
        });
        for m in class.methods.values() {
            *m.owner.borrow_mut() = Rc::downgrade(&class);
        }
        Ok(class)
    }

    /// Calls a user function: binds arguments to parameters, runs the body.
    pub(crate) fn call_func(&self, func: &Rc<Func>, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        let locals = bind_params(func, args, kwargs)?;
        let depth = self.depth.get();
        if depth >= super::MAX_DEPTH {
            return err(format!("maximum call depth ({}) exceeded in `{}`", super::MAX_DEPTH, func.qualname));
        }
        self.depth.set(depth + 1);
        let this = func.def.params.first().and_then(|p| locals.get(&p.name.name).cloned());
        let owner = func.owner.borrow().upgrade();
        let mut frame = Frame {
            file: func.file.clone(),
            globals: match func.globals() {
                Some(g) => g,
                None => return err(format!("`{}` outlived its program", func.qualname)),
            },
            this: if owner.is_some() { this } else { None },
            class: owner,
            locals: Some(locals),
            name: func.qualname.clone(),
        };
        let r = self.exec_block(&mut frame, &func.def.body);
        self.depth.set(depth);
        match r? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::None),
        }
    }
}

/// Python's argument binding: positionals, then keywords, then defaults.
fn bind_params(func: &Func, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<HashMap<String, Value>> {
    let params = &func.def.params;
    let name = &func.qualname;
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    let positional: Vec<usize> = (0..params.len()).filter(|&i| params[i].kind == ParamKind::Normal).collect();
    let varargs = params.iter().position(|p| p.kind == ParamKind::VarArgs);
    let varkw = params.iter().position(|p| p.kind == ParamKind::VarKw);
    let mut extra = Vec::new();
    let nargs = args.len();
    for (i, a) in args.into_iter().enumerate() {
        match positional.get(i) {
            Some(&p) => slots[p] = Some(a),
            None if varargs.is_some() => extra.push(a),
            None => {
                return err(format!("{name}() takes {} positional arguments but {nargs} were given", positional.len()));
            }
        }
    }
    let mut extra_kw = super::value::Dict::default();
    for (k, v) in kwargs {
        match params.iter().position(|p| p.name.name == k && matches!(p.kind, ParamKind::Normal | ParamKind::KwOnly)) {
            Some(p) if slots[p].is_some() => return err(format!("{name}() got multiple values for argument '{k}'")),
            Some(p) => slots[p] = Some(v),
            None if varkw.is_some() => extra_kw.insert(Value::str(&k), v),
            None => return err(format!("{name}() got an unexpected keyword argument '{k}'")),
        }
    }
    let mut locals = HashMap::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        let v = match p.kind {
            ParamKind::VarArgs => Value::tuple(std::mem::take(&mut extra)),
            ParamKind::VarKw => Value::Dict(Rc::new(RefCell::new(std::mem::take(&mut extra_kw)))),
            _ => match slots[i].take().or_else(|| func.defaults[i].clone()) {
                Some(v) => v,
                None => return err(format!("{name}() missing required argument '{}'", p.name.name)),
            },
        };
        locals.insert(p.name.name.clone(), v);
    }
    Ok(locals)
}
