//! `nn.Module` behaviour: attribute registration (parameters, buffers,
//! submodules, plain attributes, as `nn.Module.__setattr__` does), the
//! containers `Sequential`/`ModuleList`/`ModuleDict`, `train`/`eval`,
//! `state_dict` and strict weight loading with PyTorch's key names.

use super::eval::{Index, IndexPart};
use super::value::{AttrKind, Class, ClassKind, Object, Value};
use super::{err, rt, Interp, R};
use std::collections::HashMap;
use std::rc::Rc;
use tsc_runtime::{DType, Device, Tensor};

const MODULE_METHODS: &[&str] = &[
    "eval", "train", "forward", "parameters", "named_parameters", "buffers", "named_buffers", "children",
    "named_children", "modules", "state_dict", "register_buffer", "register_parameter", "add_module", "append",
    "extend", "insert", "keys", "values", "items", "requires_grad_", "zero_grad", "to", "float", "double", "half",
    "bfloat16", "cuda", "cpu",
];

impl Interp {
    /// Creates an instance of a class and runs its `__init__`.
    pub(crate) fn instantiate(&self, class: &Rc<Class>, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        let obj = Object::new(class.clone());
        match class.kind {
            ClassKind::Sequential | ClassKind::ModuleList => {
                let items = match (class.kind, args.as_slice()) {
                    (ClassKind::ModuleList, []) => Vec::new(),
                    (ClassKind::ModuleList, [it]) => self.iterate(it)?,
                    (ClassKind::ModuleList, _) => return err("ModuleList() takes one iterable of modules"),
                    _ => args,
                };
                for (i, m) in items.into_iter().enumerate() {
                    self.add_child(&obj, &i.to_string(), m)?;
                }
            }
            ClassKind::ModuleDict => {
                if let Some(d) = args.first() {
                    let items = match d {
                        Value::Dict(d) => d.borrow().entries.clone(),
                        other => self.iterate(other)?.into_iter().map(|kv| self.pair(kv)).collect::<R<_>>()?,
                    };
                    for (k, m) in items {
                        self.add_child(&obj, &super::builtins::to_str(&k), m)?;
                    }
                }
            }
            ClassKind::ModuleBase => {}
            ClassKind::User => {
                if let Some(init) = class.method("__init__") {
                    let mut all = vec![Value::Object(obj.clone())];
                    all.extend(args);
                    self.call_func(&init, all, kwargs)?;
                } else if !args.is_empty() || !kwargs.is_empty() {
                    return err(format!("{}() takes no arguments", class.name));
                }
            }
        }
        Ok(Value::Object(obj))
    }

    fn pair(&self, kv: Value) -> R<(Value, Value)> {
        let v = self.iterate(&kv)?;
        match <[Value; 2]>::try_from(v) {
            Ok([k, m]) => Ok((k, m)),
            Err(_) => err("expected (name, module) pairs"),
        }
    }

    fn add_child(&self, obj: &Rc<Object>, name: &str, m: Value) -> R<()> {
        match m {
            Value::Object(_) => {
                obj.set(name, AttrKind::Module, m);
                Ok(())
            }
            other => err(format!("{} is not a Module subclass", other.type_name())),
        }
    }

    /// Calling a module runs its `forward` (`Sequential` chains its children).
    pub(crate) fn call_module(&self, o: &Rc<Object>, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        match o.class.kind {
            ClassKind::Sequential => {
                let mut x = match <[Value; 1]>::try_from(args) {
                    Ok([x]) if kwargs.is_empty() => x,
                    _ => return err("Sequential takes exactly one input"),
                };
                for (_, m) in o.children() {
                    x = self.call_module(&m, vec![x], Vec::new())?;
                }
                Ok(x)
            }
            _ => match o.class.method("forward") {
                Some(f) => self.call(&Value::Method(o.clone(), f), args, kwargs),
                None => err(format!("module '{}' has no forward()", o.class.name)),
            },
        }
    }

    /// `self.name` on a module object.
    pub(crate) fn object_attr(&self, o: &Rc<Object>, name: &str) -> R<Value> {
        if let Some((_, v)) = o.get(name) {
            return Ok(v);
        }
        if name == "training" {
            return Ok(Value::Bool(o.training.get()));
        }
        if let Some(f) = o.class.method(name) {
            return Ok(Value::Method(o.clone(), f));
        }
        if let Some(v) = o.class.class_attr(name) {
            return Ok(v);
        }
        if o.class.is_module() && MODULE_METHODS.contains(&name) {
            return Ok(Value::BoundBuiltin(Box::new(Value::Object(o.clone())), Rc::from(name)));
        }
        let known: Vec<String> = o.attrs.borrow().iter().map(|(n, _, _)| n.clone()).collect();
        let hint = crate::hint::did_you_mean(name, known.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `self.{s}`?)"))
            .unwrap_or_default();
        err(format!("'{}' object has no attribute '{name}'{hint}", o.class.name))
    }

    /// `self.name = v`, registering parameters, buffers and submodules.
    pub(crate) fn set_object_attr(&self, o: &Rc<Object>, name: &str, v: Value) -> R<()> {
        if name == "training" {
            o.training.set(v.truthy().or_else(err)?);
            return Ok(());
        }
        let kind = match (&v, o.get(name)) {
            (Value::Object(m), _) if m.class.is_module() => AttrKind::Module,
            (Value::Tensor(t), _) if self.take_pending_param(t) => AttrKind::Parameter,
            (Value::Tensor(_) | Value::None, Some((k @ (AttrKind::Parameter | AttrKind::Buffer | AttrKind::TransientBuffer), _))) => k,
            _ => AttrKind::Plain,
        };
        o.set(name, kind, v);
        Ok(())
    }

    fn take_pending_param(&self, t: &Tensor) -> bool {
        let mut p = self.pending_params.borrow_mut();
        match p.iter().position(|x| x.same_storage(t) && x.shape() == t.shape() && x.offset() == t.offset()) {
            Some(i) => {
                p.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// `container[i]` / `moduledict[key]`.
    pub(crate) fn container_item(&self, o: &Rc<Object>, idx: &Index) -> R<Value> {
        let children = o.children();
        match (o.class.kind, idx.parts.as_slice()) {
            (ClassKind::ModuleDict, [IndexPart::Value(Value::Str(k))]) => {
                children.into_iter().find(|(n, _)| **n == **k).map(|(_, m)| Value::Object(m)).map_or_else(|| err(format!("KeyError: '{k}'")), Ok)
            }
            (ClassKind::Sequential | ClassKind::ModuleList, [IndexPart::Value(i)]) => {
                let n = children.len() as i64;
                let Some(i) = super::builtins::as_index(i) else { return err("a ModuleList index must be an int") };
                let j = if i < 0 { i + n } else { i };
                if !(0..n).contains(&j) {
                    return err(format!("index {i} is out of range for a {} of length {n}", o.class.name));
                }
                Ok(Value::Object(children[j as usize].1.clone()))
            }
            (ClassKind::Sequential | ClassKind::ModuleList, [IndexPart::Slice(a, b, c)]) => {
                let pos = super::operators::slice_positions(children.len(), *a, *b, *c)?;
                let out = Object::new(o.class.clone());
                for (k, p) in pos.into_iter().enumerate() {
                    out.set(&k.to_string(), AttrKind::Module, Value::Object(children[p].1.clone()));
                }
                Ok(Value::Object(out))
            }
            _ => err(format!("'{}' object is not subscriptable", o.class.name)),
        }
    }

    /// Builtin methods of modules (`eval`, `state_dict`, `append`, ...).
    pub(crate) fn module_method(&self, o: &Rc<Object>, name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        let arg = |i: usize| args.get(i).cloned().map_or_else(|| err(format!("{name}() is missing an argument")), Ok);
        let tensors = |v: Vec<(String, Tensor)>, named: bool| {
            Value::list(
                v.into_iter()
                    .map(|(n, t)| if named { Value::tuple(vec![Value::str(&n), Value::Tensor(t)]) } else { Value::Tensor(t) })
                    .collect(),
            )
        };
        Ok(match name {
            "eval" | "train" => {
                let mode = name == "train" && args.first().map_or(Ok(true), |v| v.truthy().or_else(err))?;
                set_training(o, mode);
                Value::Object(o.clone())
            }
            "forward" => self.call_module(o, args, kwargs)?,
            "parameters" | "named_parameters" => tensors(collect(o, "", &[AttrKind::Parameter]), name.starts_with("named")),
            "buffers" | "named_buffers" => {
                tensors(collect(o, "", &[AttrKind::Buffer, AttrKind::TransientBuffer]), name.starts_with("named"))
            }
            "state_dict" => {
                let d = state_dict(o).into_iter().map(|(k, t)| (Value::str(&k), Value::Tensor(t))).collect();
                Value::Dict(Rc::new(std::cell::RefCell::new(super::value::Dict { entries: d })))
            }
            "children" | "named_children" => Value::list(
                o.children()
                    .into_iter()
                    .map(|(n, m)| if name == "children" { Value::Object(m) } else { Value::tuple(vec![Value::str(&n), Value::Object(m)]) })
                    .collect(),
            ),
            "modules" => {
                let mut all = Vec::new();
                walk(o, &mut |m| all.push(Value::Object(m.clone())));
                Value::list(all)
            }
            "register_buffer" | "register_parameter" => {
                let n = super::builtins::to_str(&arg(0)?);
                let v = arg(1)?;
                if !matches!(v, Value::Tensor(_) | Value::None) {
                    return err(format!("{name}: expected a tensor or None for '{n}', got {}", v.type_name()));
                }
                let persistent = args.get(2).or(kwargs.iter().find(|(k, _)| k == "persistent").map(|(_, v)| v)).map_or(true, |v| v.truthy().unwrap_or(true));
                let kind = match (name, persistent) {
                    ("register_parameter", _) => AttrKind::Parameter,
                    (_, true) => AttrKind::Buffer,
                    _ => AttrKind::TransientBuffer,
                };
                if let Value::Tensor(t) = &v {
                    self.take_pending_param(t);
                }
                o.set(&n, kind, v);
                Value::None
            }
            "add_module" => {
                self.add_child(o, &super::builtins::to_str(&arg(0)?), arg(1)?)?;
                Value::None
            }
            "append" => {
                let n = o.children().len();
                self.add_child(o, &n.to_string(), arg(0)?)?;
                Value::Object(o.clone())
            }
            "extend" => {
                for m in self.iterate(&arg(0)?)? {
                    let n = o.children().len();
                    self.add_child(o, &n.to_string(), m)?;
                }
                Value::Object(o.clone())
            }
            "keys" => Value::list(o.children().into_iter().map(|(n, _)| Value::str(&n)).collect()),
            "values" => Value::list(o.children().into_iter().map(|(_, m)| Value::Object(m)).collect()),
            "items" => Value::list(o.children().into_iter().map(|(n, m)| Value::tuple(vec![Value::str(&n), Value::Object(m)])).collect()),
            "requires_grad_" | "zero_grad" => Value::Object(o.clone()),
            "to" | "float" | "double" | "half" | "bfloat16" | "cuda" | "cpu" => {
                let (device, dtype) = conversion(name, &args, &kwargs)?;
                if let Some(d) = device {
                    to_device(o, d).or_else(err)?;
                }
                if let Some(d) = dtype {
                    to_dtype(o, d).or_else(err)?;
                }
                Value::Object(o.clone())
            }
            _ => return err(format!("module method '{name}' is not supported")),
        })
    }
}

fn set_training(o: &Rc<Object>, mode: bool) {
    walk(o, &mut |m| m.training.set(mode));
}

/// Visits a module and all its submodules, depth first (`modules()` order).
fn walk(o: &Rc<Object>, f: &mut dyn FnMut(&Rc<Object>)) {
    f(o);
    for (_, c) in o.children() {
        walk(&c, f);
    }
}

fn collect(o: &Rc<Object>, prefix: &str, kinds: &[AttrKind]) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    for (n, k, v) in o.attrs.borrow().iter() {
        if let (true, Value::Tensor(t)) = (kinds.contains(k), v) {
            out.push((format!("{prefix}{n}"), t.clone()));
        }
    }
    for (n, c) in o.children() {
        out.extend(collect(&c, &format!("{prefix}{n}."), kinds));
    }
    out
}

/// PyTorch's `state_dict()`: per module its parameters, then its persistent
/// buffers, then each child's entries under `child.`.
pub fn state_dict(o: &Rc<Object>) -> Vec<(String, Tensor)> {
    fn rec(o: &Rc<Object>, prefix: &str, out: &mut Vec<(String, Tensor)>) {
        for kind in [AttrKind::Parameter, AttrKind::Buffer] {
            for (n, k, v) in o.attrs.borrow().iter() {
                if let (true, Value::Tensor(t)) = (*k == kind, v) {
                    out.push((format!("{prefix}{n}"), t.clone()));
                }
            }
        }
        for (n, c) in o.children() {
            rec(&c, &format!("{prefix}{n}."), out);
        }
    }
    let mut out = Vec::new();
    rec(o, "", &mut out);
    out
}

/// PyTorch's `module.to(device)`: every tensor attribute of the module
/// and its submodules moves to `device`.
pub fn to_device(o: &Rc<Object>, device: tsc_runtime::Device) -> Result<(), String> {
    let mut result = Ok(());
    walk(o, &mut |m| {
        for (n, _, v) in m.attrs.borrow_mut().iter_mut() {
            if let Value::Tensor(t) = v {
                match t.to_device(device) {
                    Ok(moved) => *t = moved,
                    Err(e) if result.is_ok() => result = Err(format!("moving \"{n}\" to {device}: {e}")),
                    Err(_) => {}
                }
            }
        }
    });
    result
}

/// The device and dtype a module conversion method asks for:
/// `float()`/`double()`/`half()`/`bfloat16()`, `cuda(device=None)`,
/// `cpu()`, and `to(...)` with a device, a dtype, both, or a tensor whose
/// device and dtype it takes (`non_blocking`/`copy` are accepted and mean
/// nothing here).
fn conversion(name: &str, args: &[Value], kwargs: &[(String, Value)]) -> R<(Option<Device>, Option<DType>)> {
    let device_of = |v: &Value| -> R<Option<Device>> {
        Ok(match v {
            Value::Device(d) => Some(*d),
            Value::Str(s) => Some(Device::parse(s).map_or_else(|| err(format!("{name}(): unknown device '{s}'")), Ok)?),
            Value::Int(i) if name == "cuda" => Some(Device::Cuda(usize::try_from(*i).map_or_else(|_| err("cuda(): a negative device index"), Ok)?)),
            Value::None => None,
            other => return err(format!("{name}(): expected a device, got {}", other.type_name())),
        })
    };
    Ok(match name {
        "float" => (None, Some(DType::F32)),
        "double" => (None, Some(DType::F64)),
        "half" => (None, Some(DType::F16)),
        "bfloat16" => (None, Some(DType::BF16)),
        "cpu" => (Some(Device::Cpu), None),
        "cuda" => {
            let given = args.first().or(kwargs.iter().find(|(k, _)| k == "device").map(|(_, v)| v));
            (Some(given.map_or(Ok(None), device_of)?.unwrap_or(Device::Cuda(0))), None)
        }
        _ => {
            let (mut device, mut dtype) = (None, None);
            let named = kwargs.iter().filter(|(k, _)| k != "non_blocking" && k != "copy");
            for (key, v) in args.iter().map(|v| (None, v)).chain(named.map(|(k, v)| (Some(k.as_str()), v))) {
                match (key, v) {
                    (None | Some("dtype"), Value::DType(d)) => dtype = Some(*d),
                    (None | Some("tensor"), Value::Tensor(t)) => (device, dtype) = (Some(t.device()), Some(t.dtype())),
                    (None, Value::Bool(_)) => {} // a positional `non_blocking`
                    (None | Some("device"), v) => device = device_of(v)?,
                    (Some(k), _) => return err(format!("to() got an unexpected keyword argument '{k}'")),
                }
            }
            (device, dtype)
        }
    })
}

/// PyTorch's `module.to(dtype)`: every floating-point parameter and
/// buffer of the module and its submodules becomes `dtype` (integer and
/// `bool` buffers, such as `num_batches_tracked`, are kept).
fn to_dtype(o: &Rc<Object>, dtype: DType) -> Result<(), String> {
    if !dtype.is_float() {
        return Err(format!("nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.{dtype}"));
    }
    let mut result = Ok(());
    walk(o, &mut |m| {
        for (n, _, v) in m.attrs.borrow_mut().iter_mut() {
            let Value::Tensor(t) = v else { continue };
            if !t.dtype().is_float() || t.dtype() == dtype {
                continue;
            }
            // The registry's `to`, so a CUDA tensor converts on its device.
            match tsc_runtime::call("to", &[tsc_runtime::Value::Tensor(t.clone()), tsc_runtime::Value::DType(dtype)], &[]) {
                Ok(tsc_runtime::Value::Tensor(c)) => *t = c,
                Ok(_) => {}
                Err(e) if result.is_ok() => result = Err(format!("converting \"{n}\" to {dtype}: {e}")),
                Err(_) => {}
            }
        }
    });
    result
}

/// Strict `load_state_dict`: every key of the model must be given with its
/// shape (BatchNorm's `num_batches_tracked` may be absent), and no other
/// key may be present. Values are copied into the existing tensors.
pub fn load_state_dict(o: &Rc<Object>, weights: &HashMap<String, Tensor>) -> Result<(), String> {
    let own = state_dict(o);
    let mut problems = Vec::new();
    for (k, t) in &own {
        match weights.get(k) {
            None if k.ends_with("num_batches_tracked") => {}
            None => problems.push(format!("missing key \"{k}\" (shape {:?})", t.shape())),
            Some(w) if w.shape() != t.shape() => problems.push(format!(
                "size mismatch for \"{k}\": the weights file has shape {:?}, the model has shape {:?}",
                w.shape(),
                t.shape()
            )),
            Some(_) => {}
        }
    }
    let mut unexpected: Vec<&String> = weights.keys().filter(|k| !own.iter().any(|(n, _)| n == *k)).collect();
    unexpected.sort();
    for k in unexpected {
        problems.push(format!("unexpected key \"{k}\" (shape {:?})", weights[k].shape()));
    }
    if !problems.is_empty() {
        return Err(format!("error loading the weights (strict, as load_state_dict):\n  {}", problems.join("\n  ")));
    }
    for (k, t) in &own {
        if let Some(w) = weights.get(k) {
            rt(t.assign(w)).map_err(|e| format!("loading \"{k}\": {}", e.message))?;
        }
    }
    Ok(())
}
