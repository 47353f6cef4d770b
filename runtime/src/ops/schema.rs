//! Op schemas: the one source of truth for every op's name, overloads,
//! argument names, types and defaults, written in PyTorch's own schema
//! syntax (`native_functions.yaml`):
//!
//! ```text
//! add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor
//! max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)
//! ```
//!
//! The interpreter, the type checker and the compiler read the same parsed
//! schemas; `bind` turns positional and keyword arguments into the full
//! parameter list (defaults filled, numbers coerced) or says why not.

use crate::Value;
use std::fmt;

/// A type in a schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Tensor,
    /// `bool | int | float`.
    Scalar,
    Int,
    Float,
    Bool,
    Str,
    /// `ScalarType` (a dtype).
    DType,
    Device,
    /// Anything (used sparingly, e.g. `tolist` results).
    Any,
    None,
    /// `T[]`, or `T[N]` where a single `T` is repeated N times.
    List(Box<Ty>, Option<usize>),
    Optional(Box<Ty>),
    Tuple(Vec<Ty>),
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Tensor => f.write_str("Tensor"),
            Ty::Scalar => f.write_str("Scalar"),
            Ty::Int => f.write_str("int"),
            Ty::Float => f.write_str("float"),
            Ty::Bool => f.write_str("bool"),
            Ty::Str => f.write_str("str"),
            Ty::DType => f.write_str("ScalarType"),
            Ty::Device => f.write_str("Device"),
            Ty::Any => f.write_str("Any"),
            Ty::None => f.write_str("None"),
            Ty::List(t, None) => write!(f, "{t}[]"),
            Ty::List(t, Some(n)) => write!(f, "{t}[{n}]"),
            Ty::Optional(t) => write!(f, "{t}?"),
            Ty::Tuple(ts) => {
                f.write_str("(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// One parameter of a schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub default: Option<Value>,
    pub kw_only: bool,
}

/// A parsed schema.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Op name without the overload suffix (`max`).
    pub name: String,
    /// Overload name (`dim` in `max.dim`), empty when none.
    pub overload: String,
    pub params: Vec<Param>,
    pub ret: Ty,
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::DType(a), Value::DType(b)) => a == b,
            (Value::Device(a), Value::Device(b)) => a == b,
            (Value::Tensor(a), Value::Tensor(b)) => a.same_storage(b) && a.shape() == b.shape() && a.strides() == b.strides() && a.offset() == b.offset(),
            _ => false,
        }
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.overload.is_empty() {
            write!(f, ".{}", self.overload)?;
        }
        f.write_str("(")?;
        let mut star = false;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if p.kw_only && !star {
                f.write_str("*, ")?;
                star = true;
            }
            write!(f, "{} {}", p.ty, p.name)?;
            if let Some(d) = &p.default {
                write!(f, "={}", default_text(d))?;
            }
        }
        write!(f, ") -> {}", self.ret)
    }
}

fn default_text(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

// ----- parsing ----------------------------------------------------------

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while self.s[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &str) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(format!("expected `{t}` at byte {} of `{}`", self.pos, self.s))
        }
    }
    fn ident(&mut self) -> Result<&'a str, String> {
        self.ws();
        let rest = &self.s[self.pos..];
        let n = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if n == 0 {
            return Err(format!("expected a name at byte {} of `{}`", self.pos, self.s));
        }
        self.pos += n;
        Ok(&rest[..n])
    }
    /// Raw text up to a top-level `,` or `)`.
    fn default_text(&mut self) -> &'a str {
        self.ws();
        let rest = &self.s[self.pos..];
        let mut depth = 0i32;
        let mut quote = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '\'' | '"' => quote = !quote,
                '[' | '(' if !quote => depth += 1,
                ']' if !quote => depth -= 1,
                ')' if !quote && depth == 0 => {
                    end = i;
                    break;
                }
                ')' if !quote => depth -= 1,
                ',' if !quote && depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        self.pos += end;
        rest[..end].trim()
    }
}

fn parse_ty(c: &mut Cursor) -> Result<Ty, String> {
    if c.eat("(") {
        let mut ts = Vec::new();
        if !c.eat(")") {
            loop {
                ts.push(parse_ty(c)?);
                if c.eat(")") {
                    break;
                }
                c.expect(",")?;
            }
        }
        return Ok(Ty::Tuple(ts));
    }
    let base = match c.ident()? {
        "Tensor" => Ty::Tensor,
        "Scalar" => Ty::Scalar,
        "int" | "SymInt" => Ty::Int,
        "float" => Ty::Float,
        "bool" => Ty::Bool,
        "str" => Ty::Str,
        "ScalarType" => Ty::DType,
        "Device" => Ty::Device,
        "Any" => Ty::Any,
        "None" => Ty::None,
        other => return Err(format!("unknown type `{other}` in `{}`", c.s)),
    };
    let mut ty = base;
    loop {
        if c.eat("?") {
            ty = Ty::Optional(Box::new(ty));
        } else if c.eat("[") {
            let n = if c.eat("]") {
                None
            } else {
                let t = c.ident()?;
                c.expect("]")?;
                Some(t.parse::<usize>().map_err(|_| format!("bad list size `{t}` in `{}`", c.s))?)
            };
            ty = Ty::List(Box::new(ty), n);
        } else {
            return Ok(ty);
        }
    }
}

/// Parses a default value literal in the context of its type.
fn parse_default(text: &str, ty: &Ty) -> Result<Value, String> {
    let t = text.trim();
    if t == "None" {
        return Ok(Value::None);
    }
    let inner = match ty {
        Ty::Optional(inner) => inner.as_ref(),
        other => other,
    };
    let num = |t: &str| -> Result<Value, String> {
        match t {
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "inf" => Ok(Value::Float(f64::INFINITY)),
            "-inf" => Ok(Value::Float(f64::NEG_INFINITY)),
            _ => {
                if let Ok(i) = t.parse::<i64>() {
                    Ok(Value::Int(i))
                } else {
                    t.parse::<f64>().map(Value::Float).map_err(|_| format!("bad default `{t}`"))
                }
            }
        }
    };
    match inner {
        Ty::Str => Ok(Value::Str(t.trim_matches(|c| c == '\'' || c == '"').to_string())),
        Ty::List(elem, n) => {
            let body = t.strip_prefix('[').and_then(|b| b.strip_suffix(']'));
            match body {
                Some(b) => {
                    let items: Result<Vec<Value>, String> =
                        b.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| parse_default(s, elem)).collect();
                    Ok(Value::List(items?))
                }
                None => {
                    let v = parse_default(t, elem)?;
                    Ok(Value::List(vec![v; n.unwrap_or(1)]))
                }
            }
        }
        Ty::Float => match num(t)? {
            Value::Int(i) => Ok(Value::Float(i as f64)),
            v => Ok(v),
        },
        Ty::DType => crate::DType::from_name(t).map(Value::DType).ok_or(format!("bad dtype default `{t}`")),
        _ => num(t),
    }
}

impl Schema {
    /// Parses `name[.overload](params) -> ret`.
    pub fn parse(s: &str) -> Result<Schema, String> {
        let mut c = Cursor { s, pos: 0 };
        let full = c.ident()?;
        let overload = if c.eat(".") { c.ident()?.to_string() } else { String::new() };
        let name = full.to_string();
        c.expect("(")?;
        let mut params = Vec::new();
        let mut kw_only = false;
        if !c.eat(")") {
            loop {
                if c.eat("*") {
                    kw_only = true;
                } else {
                    let ty = parse_ty(&mut c)?;
                    let pname = c.ident()?.to_string();
                    let default = if c.eat("=") { Some(parse_default(c.default_text(), &ty)?) } else { None };
                    params.push(Param { name: pname, ty, default, kw_only });
                }
                if c.eat(")") {
                    break;
                }
                c.expect(",")?;
            }
        }
        c.expect("->")?;
        let ret = parse_ty(&mut c)?;
        c.ws();
        if c.pos != s.len() {
            return Err(format!("trailing text at byte {} of `{s}`", c.pos));
        }
        Ok(Schema { name, overload, params, ret })
    }

    /// Binds call arguments to parameters: positional first, then keywords,
    /// then defaults; every value is checked (and numbers coerced) against
    /// its parameter type. The error says what did not fit.
    pub fn bind(&self, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Vec<Value>, String> {
        let positional = self.params.iter().filter(|p| !p.kw_only).count();
        if args.len() > positional {
            return Err(format!("takes {positional} positional arguments but {} were given", args.len()));
        }
        let mut slots: Vec<Option<Value>> = vec![None; self.params.len()];
        for (i, a) in args.iter().enumerate() {
            slots[i] = Some(a.clone());
        }
        for (k, v) in kwargs {
            let Some(i) = self.params.iter().position(|p| p.name == *k) else {
                return Err(format!("got an unexpected keyword argument `{k}`"));
            };
            if slots[i].is_some() {
                return Err(format!("got multiple values for argument `{k}`"));
            }
            slots[i] = Some(v.clone());
        }
        let mut out = Vec::with_capacity(self.params.len());
        for (p, slot) in self.params.iter().zip(slots) {
            let v = match slot {
                Some(v) => {
                    let got = v.type_name();
                    coerce(&p.ty, v).ok_or_else(|| format!("argument `{}` must be {}, not {got}", p.name, p.ty))?
                }
                None => match &p.default {
                    Some(d) => d.clone(),
                    None => return Err(format!("missing argument `{}`", p.name)),
                },
            };
            out.push(v);
        }
        Ok(out)
    }
}

/// Checks `v` against `ty`, converting where Python/TorchScript would
/// (int → float, a single int → `int[N]`, tuple → list).
pub fn coerce(ty: &Ty, v: Value) -> Option<Value> {
    match (ty, v) {
        (Ty::Any, v) => Some(v),
        (Ty::Optional(_), Value::None) => Some(Value::None),
        (Ty::Optional(t), v) => coerce(t, v),
        (Ty::None, Value::None) => Some(Value::None),
        (Ty::Tensor, v @ Value::Tensor(_)) => Some(v),
        (Ty::Scalar, v @ (Value::Bool(_) | Value::Int(_) | Value::Float(_))) => Some(v),
        (Ty::Int, v @ Value::Int(_)) => Some(v),
        (Ty::Float, Value::Int(i)) => Some(Value::Float(i as f64)),
        (Ty::Float, v @ Value::Float(_)) => Some(v),
        (Ty::Bool, v @ Value::Bool(_)) => Some(v),
        (Ty::Str, v @ Value::Str(_)) => Some(v),
        (Ty::DType, v @ Value::DType(_)) => Some(v),
        (Ty::Device, v @ Value::Device(_)) => Some(v),
        (Ty::Device, Value::Str(s)) => crate::Device::parse(&s).map(Value::Device),
        (Ty::List(elem, Some(n)), v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_))) => {
            let x = coerce(elem, v)?;
            Some(Value::List(vec![x; *n]))
        }
        (Ty::List(elem, n), Value::List(items) | Value::Tuple(items)) => {
            if let Some(n) = n {
                if items.len() != *n && items.len() != 1 {
                    return None;
                }
                if items.len() == 1 && *n > 1 {
                    let x = coerce(elem, items.into_iter().next()?)?;
                    return Some(Value::List(vec![x; *n]));
                }
            }
            let items: Option<Vec<Value>> = items.into_iter().map(|x| coerce(elem, x)).collect();
            Some(Value::List(items?))
        }
        (Ty::Tuple(ts), Value::Tuple(items) | Value::List(items)) if ts.len() == items.len() => {
            let items: Option<Vec<Value>> = ts.iter().zip(items).map(|(t, x)| coerce(t, x)).collect();
            Some(Value::Tuple(items?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for s in [
            "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
            "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)",
            "conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=[1, 1], int[2] padding=[0, 0]) -> Tensor",
            "sum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
            "gelu(Tensor self, *, str approximate='none') -> Tensor",
            "layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-5) -> Tensor",
        ] {
            let sc = Schema::parse(s).unwrap();
            assert_eq!(sc.to_string(), s);
        }
    }

    #[test]
    fn binds_with_defaults_keywords_and_coercion() {
        let s = Schema::parse("f(Tensor self, int[2] k, float eps=1e-05, *, bool flag=False) -> Tensor").unwrap();
        let t = crate::Tensor::zeros(&[1], crate::DType::F32).unwrap();
        let b = s.bind(&[Value::Tensor(t.clone()), Value::Int(3)], &[("flag", Value::Bool(true))]).unwrap();
        assert_eq!(b[1], Value::List(vec![Value::Int(3), Value::Int(3)]));
        assert_eq!(b[2], Value::Float(1e-5));
        assert_eq!(b[3], Value::Bool(true));
        assert!(s.bind(&[Value::Tensor(t.clone()), Value::Int(3), Value::Float(1.0), Value::Bool(true)], &[]).is_err());
        assert!(s.bind(&[Value::Tensor(t.clone())], &[]).unwrap_err().contains("missing argument `k`"));
        assert!(s.bind(&[Value::Tensor(t), Value::Str("x".into())], &[]).unwrap_err().contains("`k`"));
    }
}
