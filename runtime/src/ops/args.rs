//! `Args`: the bound arguments of one op call, in schema order, with typed
//! accessors. Binding already checked every type, so an accessor failing
//! means the op's code disagrees with its schema; it still returns an error
//! (naming the op and the argument) rather than panicking.

use crate::{DType, Error, Result, Scalar, Tensor, Value};

/// A tensor or a Python number: the two shapes of a binary op's operand.
#[derive(Clone, Debug)]
pub enum Operand {
    Tensor(Tensor),
    Scalar(Scalar),
}

pub struct Args<'a> {
    pub op: &'a str,
    pub vals: Vec<Value>,
}

impl<'a> Args<'a> {
    fn get(&self, i: usize) -> Result<&Value> {
        self.vals.get(i).ok_or_else(|| Error::op(self.op, format!("internal: no argument {i}")))
    }
    fn bad(&self, i: usize, want: &str) -> Error {
        let got = self.vals.get(i).map(|v| v.type_name()).unwrap_or_default();
        Error::op(self.op, format!("internal: argument {i} should be {want}, got {got}"))
    }
    pub fn value(&self, i: usize) -> Result<&Value> {
        self.get(i)
    }
    pub fn tensor(&self, i: usize) -> Result<&Tensor> {
        self.get(i)?.as_tensor().ok_or_else(|| self.bad(i, "a Tensor"))
    }
    pub fn opt_tensor(&self, i: usize) -> Result<Option<&Tensor>> {
        match self.get(i)? {
            Value::None => Ok(None),
            Value::Tensor(t) => Ok(Some(t)),
            _ => Err(self.bad(i, "a Tensor or None")),
        }
    }
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v),
            _ => Err(self.bad(i, "an int")),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Value::None => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn float(&self, i: usize) -> Result<f64> {
        match self.get(i)? {
            Value::Float(v) => Ok(*v),
            Value::Int(v) => Ok(*v as f64),
            _ => Err(self.bad(i, "a float")),
        }
    }
    pub fn opt_float(&self, i: usize) -> Result<Option<f64>> {
        match self.get(i)? {
            Value::None => Ok(None),
            _ => self.float(i).map(Some),
        }
    }
    pub fn bool(&self, i: usize) -> Result<bool> {
        match self.get(i)? {
            Value::Bool(v) => Ok(*v),
            _ => Err(self.bad(i, "a bool")),
        }
    }
    pub fn opt_bool(&self, i: usize) -> Result<Option<bool>> {
        match self.get(i)? {
            Value::None => Ok(None),
            _ => self.bool(i).map(Some),
        }
    }
    pub fn str(&self, i: usize) -> Result<&str> {
        match self.get(i)? {
            Value::Str(s) => Ok(s),
            _ => Err(self.bad(i, "a str")),
        }
    }
    pub fn opt_str(&self, i: usize) -> Result<Option<&str>> {
        match self.get(i)? {
            Value::None => Ok(None),
            Value::Str(s) => Ok(Some(s)),
            _ => Err(self.bad(i, "a str or None")),
        }
    }
    pub fn scalar(&self, i: usize) -> Result<Scalar> {
        self.get(i)?.as_scalar().ok_or_else(|| self.bad(i, "a number"))
    }
    pub fn opt_scalar(&self, i: usize) -> Result<Option<Scalar>> {
        match self.get(i)? {
            Value::None => Ok(None),
            v => v.as_scalar().map(Some).ok_or_else(|| self.bad(i, "a number or None")),
        }
    }
    /// A tensor or a number.
    pub fn operand(&self, i: usize) -> Result<Operand> {
        match self.get(i)? {
            Value::Tensor(t) => Ok(Operand::Tensor(t.clone())),
            v => v.as_scalar().map(Operand::Scalar).ok_or_else(|| self.bad(i, "a Tensor or a number")),
        }
    }
    pub fn ints(&self, i: usize) -> Result<Vec<i64>> {
        let seq = self.get(i)?.as_seq().ok_or_else(|| self.bad(i, "a list of ints"))?;
        seq.iter()
            .map(|v| match v {
                Value::Int(x) => Ok(*x),
                _ => Err(self.bad(i, "a list of ints")),
            })
            .collect()
    }
    pub fn opt_ints(&self, i: usize) -> Result<Option<Vec<i64>>> {
        match self.get(i)? {
            Value::None => Ok(None),
            _ => self.ints(i).map(Some),
        }
    }
    pub fn floats(&self, i: usize) -> Result<Vec<f64>> {
        let seq = self.get(i)?.as_seq().ok_or_else(|| self.bad(i, "a list of floats"))?;
        seq.iter().map(|v| v.as_scalar().map(|s| s.to_f64()).ok_or_else(|| self.bad(i, "a list of floats"))).collect()
    }
    pub fn tensors(&self, i: usize) -> Result<Vec<Tensor>> {
        let seq = self.get(i)?.as_seq().ok_or_else(|| self.bad(i, "a list of Tensors"))?;
        seq.iter().map(|v| v.as_tensor().cloned().ok_or_else(|| self.bad(i, "a list of Tensors"))).collect()
    }
    /// A `Tensor?[]` (indices of `index`/`index_put_`).
    pub fn opt_tensors(&self, i: usize) -> Result<Vec<Option<Tensor>>> {
        let seq = self.get(i)?.as_seq().ok_or_else(|| self.bad(i, "a list of optional Tensors"))?;
        seq.iter()
            .map(|v| match v {
                Value::None => Ok(None),
                Value::Tensor(t) => Ok(Some(t.clone())),
                _ => Err(self.bad(i, "a list of optional Tensors")),
            })
            .collect()
    }
    pub fn opt_dtype(&self, i: usize) -> Result<Option<DType>> {
        match self.get(i)? {
            Value::None => Ok(None),
            Value::DType(d) => Ok(Some(*d)),
            _ => Err(self.bad(i, "a dtype or None")),
        }
    }
    pub fn dtype(&self, i: usize) -> Result<DType> {
        self.opt_dtype(i)?.ok_or_else(|| self.bad(i, "a dtype"))
    }
}
