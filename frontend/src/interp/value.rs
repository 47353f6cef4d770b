//! The interpreter's values: Python objects of the subset. Lists, dicts and
//! module objects are shared by reference (`Rc`), as in Python; tensors
//! share storage through the runtime's `Tensor`.

use crate::syntax::ast;
use crate::syntax::span::{SourceFile, Span};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use tsc_runtime::{DType, Device, Tensor};

/// A Python value.
#[derive(Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Tensor(Tensor),
    DType(DType),
    Device(Device),
    List(Rc<RefCell<Vec<Value>>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<RefCell<Dict>>),
    /// An `nn.Module` instance (user, prelude or container class).
    Object(Rc<Object>),
    /// A `def` (module-level function or unbound method).
    Func(Rc<Func>),
    /// `obj.method` for a `def` method.
    Method(Rc<Object>, Rc<Func>),
    Class(Rc<Class>),
    /// A builtin function or op, by qualified name (`len`, `torch.relu`, `F.softmax`).
    Builtin(Rc<str>),
    /// `receiver.name` for a builtin method (`x.view`, `xs.append`, `s.split`).
    BoundBuiltin(Box<Value>, Rc<str>),
    /// An imported module namespace (`torch`, `torch.nn`, `math`, ...), by dotted name.
    Namespace(Rc<str>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(v)))
    }

    pub fn tuple(v: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(v))
    }

    /// The Python type name, for messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "str".into(),
            Value::Tensor(_) => "Tensor".into(),
            Value::DType(_) => "dtype".into(),
            Value::Device(_) => "device".into(),
            Value::List(v) => match v.borrow().first() {
                Some(x) => format!("List[{}]", x.type_name()),
                None => "List".into(),
            },
            Value::Tuple(v) => format!("Tuple[{}]", v.iter().map(Value::type_name).collect::<Vec<_>>().join(", ")),
            Value::Dict(_) => "Dict".into(),
            Value::Object(o) => o.class.name.clone(),
            Value::Func(_) | Value::Method(..) | Value::Builtin(_) | Value::BoundBuiltin(..) => "function".into(),
            Value::Class(_) => "type".into(),
            Value::Namespace(_) => "module".into(),
        }
    }

    /// Python truthiness (`if x:`); a tensor must have one element.
    pub fn truthy(&self) -> Result<bool, String> {
        Ok(match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(v) => !v.borrow().is_empty(),
            Value::Tuple(v) => !v.is_empty(),
            Value::Dict(d) => !d.borrow().entries.is_empty(),
            Value::Tensor(t) => {
                if t.numel() != 1 {
                    return Err(format!(
                        "Boolean value of Tensor with more than one value is ambiguous (shape {:?})",
                        t.shape()
                    ));
                }
                t.item().map_err(|e| e.to_string())?.to_f64() != 0.0
            }
            _ => true,
        })
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", super::builtins::repr(self))
    }
}

/// A dict: insertion-ordered, keys are `str`/`int`/`float`/`bool` (compared by
/// value) or tensors (compared by identity), as in TorchScript.
#[derive(Clone, Default)]
pub struct Dict {
    pub entries: Vec<(Value, Value)>,
}

impl Dict {
    pub fn position(&self, key: &Value) -> Option<usize> {
        self.entries.iter().position(|(k, _)| key_eq(k, key))
    }
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }
    pub fn insert(&mut self, key: Value, value: Value) {
        match self.position(&key) {
            Some(i) => self.entries[i].1 = value,
            None => self.entries.push((key, value)),
        }
    }
}

/// Key equality for dict lookups and `in` on lists of scalars.
pub fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Tensor(x), Value::Tensor(y)) => x.same_storage(y) && x.offset() == y.offset() && x.shape() == y.shape(),
        (Value::None, Value::None) => true,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn num(v: &Value) -> Option<f64> {
    match *v {
        Value::Bool(b) => Some(b as i64 as f64),
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

/// What an attribute of a module is, which decides `state_dict` membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    Parameter,
    Buffer,
    /// `register_buffer(..., persistent=False)`: not in `state_dict`.
    TransientBuffer,
    Module,
    Plain,
}

/// An `nn.Module` instance. Attributes keep insertion order, as PyTorch's
/// `_parameters`/`_buffers`/`_modules` dicts do, so `state_dict` order matches.
pub struct Object {
    pub class: Rc<Class>,
    pub attrs: RefCell<Vec<(String, AttrKind, Value)>>,
    pub training: Cell<bool>,
}

impl Object {
    pub fn new(class: Rc<Class>) -> Rc<Object> {
        Rc::new(Object { class, attrs: RefCell::new(Vec::new()), training: Cell::new(true) })
    }

    pub fn get(&self, name: &str) -> Option<(AttrKind, Value)> {
        self.attrs.borrow().iter().find(|(n, _, _)| n == name).map(|(_, k, v)| (*k, v.clone()))
    }

    /// Sets an attribute, keeping its position when it exists.
    pub fn set(&self, name: &str, kind: AttrKind, value: Value) {
        let mut attrs = self.attrs.borrow_mut();
        match attrs.iter_mut().find(|(n, _, _)| n == name) {
            Some(slot) => {
                slot.1 = kind;
                slot.2 = value;
            }
            None => attrs.push((name.to_string(), kind, value)),
        }
    }

    /// Submodules in order (`named_children`).
    pub fn children(&self) -> Vec<(String, Rc<Object>)> {
        self.attrs
            .borrow()
            .iter()
            .filter_map(|(n, k, v)| match (k, v) {
                (AttrKind::Module, Value::Object(o)) => Some((n.clone(), o.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Which builtin behaviour a class has beyond its methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassKind {
    /// `nn.Module` itself.
    ModuleBase,
    /// A class written in Python (user file or the nn prelude).
    User,
    Sequential,
    ModuleList,
    ModuleDict,
}

/// A class: its methods and class-level attributes.
pub struct Class {
    pub name: String,
    pub kind: ClassKind,
    pub base: Option<Rc<Class>>,
    pub methods: HashMap<String, Rc<Func>>,
    pub class_attrs: RefCell<Vec<(String, Value)>>,
    /// Where the class was defined (for the checker's messages).
    pub def: Option<(Rc<SourceFile>, Span)>,
}

impl Class {
    /// A method, searching base classes.
    pub fn method(&self, name: &str) -> Option<Rc<Func>> {
        self.methods.get(name).cloned().or_else(|| self.base.as_ref().and_then(|b| b.method(name)))
    }

    /// Whether this class derives from `nn.Module`.
    pub fn is_module(&self) -> bool {
        self.kind != ClassKind::User || self.base.as_ref().is_some_and(|b| b.is_module())
    }

    pub fn class_attr(&self, name: &str) -> Option<Value> {
        let own = self.class_attrs.borrow().iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        own.or_else(|| self.base.as_ref().and_then(|b| b.class_attr(name)))
    }
}

/// A `def`: its syntax, the file it lives in and that file's globals
/// (held weakly: the globals hold the function, and the program owns both).
pub struct Func {
    pub def: Rc<ast::FunctionDef>,
    pub file: Rc<SourceFile>,
    pub globals: std::rc::Weak<RefCell<HashMap<String, Value>>>,
    /// `Class.method` or `function`, for stack traces.
    pub qualname: String,
    /// Default values, evaluated when the `def` ran (one per parameter).
    pub defaults: Vec<Option<Value>>,
    /// The class that defines this method (for `super()`).
    pub owner: RefCell<std::rc::Weak<Class>>,
}

impl Func {
    /// The globals of the file that defines this function (gone only after
    /// the program itself was dropped).
    pub fn globals(&self) -> Option<Rc<RefCell<HashMap<String, Value>>>> {
        self.globals.upgrade()
    }
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", self.qualname)
    }
}
