//! The parser's terms: types (`Tensor<f32, [B, 4]>`, `List[int]` ...),
//! literals (`3`, `1e-5`, `"s"`, `none`, `dtype f32`, `device "cpu"`) and
//! tensor blob declarations (`tensor<f32, [8, 4]>`).

use super::{describe, Parser, R, MAX_SYNTH_NUMEL};
use crate::lex::Tok;
use crate::op::Literal;
use crate::types::{dtype_from_short, Dim, TensorType, Type};
use tsc_runtime::{DType, Device, Tensor};

impl Parser<'_> {
    pub(super) fn ty(&mut self) -> R<Type> {
        self.enter()?;
        let t = self.ty_inner();
        self.depth -= 1;
        t
    }
    fn ty_inner(&mut self) -> R<Type> {
        let name = self.ident()?;
        let bracketed = |p: &mut Self, n: usize| -> R<Vec<Type>> {
            p.expect('[')?;
            let mut ts = Vec::new();
            if !p.eat(']') {
                loop {
                    ts.push(p.ty()?);
                    if p.eat(']') {
                        break;
                    }
                    p.expect(',')?;
                }
            }
            if n != usize::MAX && ts.len() != n {
                return p.err(format!("`{name}` takes {n} type argument(s)"));
            }
            Ok(ts)
        };
        Ok(match name.as_str() {
            "Tensor" => Type::Tensor(self.tensor_type()?),
            "int" => Type::Int,
            "float" => Type::Float,
            "bool" => Type::Bool,
            "str" => Type::Str,
            "None" => Type::None,
            "Device" => Type::Device,
            "dtype" => Type::DType,
            "List" => Type::list(bracketed(self, 1)?.remove(0)),
            "Optional" => Type::optional(bracketed(self, 1)?.remove(0)),
            "Tuple" => Type::Tuple(bracketed(self, usize::MAX)?),
            "Dict" => {
                let mut kv = bracketed(self, 2)?;
                let v = kv.remove(1);
                Type::Dict(Box::new(kv.remove(0)), Box::new(v))
            }
            other => {
                self.pos -= 1;
                return self.err(format!("unknown type `{other}`"));
            }
        })
    }
    fn dtype(&mut self) -> R<DType> {
        let s = self.ident()?;
        match dtype_from_short(&s) {
            Some(d) => Ok(d),
            None => {
                self.pos -= 1;
                self.err(format!("unknown dtype `{s}` (f32, f64, f16, bf16, i64, i32, i16, i8, u8, bool)"))
            }
        }
    }
    fn tensor_type(&mut self) -> R<TensorType> {
        if !self.eat('<') {
            return Ok(TensorType::default());
        }
        let dtype = if self.eat('?') { None } else { Some(self.dtype()?) };
        let mut shape = None;
        if self.eat(',') {
            self.expect('[')?;
            let mut dims = Vec::new();
            if !self.eat(']') {
                loop {
                    dims.push(match self.next() {
                        Tok::Punct('?') => Dim::Unknown,
                        Tok::Ident(s) => Dim::Sym(s),
                        Tok::Number(n) => match n.parse::<u64>() {
                            Ok(n) => Dim::Const(n),
                            Err(_) => {
                                self.pos -= 1;
                                return self.err(format!("bad dimension `{n}`"));
                            }
                        },
                        t => {
                            self.pos -= 1;
                            return self.err(format!("expected a dimension, found {}", describe(&t)));
                        }
                    });
                    if self.eat(']') {
                        break;
                    }
                    self.expect(',')?;
                }
            }
            shape = Some(dims);
        } else if dtype.is_none() {
            return self.err("`Tensor<?>` says nothing: write `Tensor`");
        }
        self.expect('>')?;
        Ok(TensorType { dtype, shape })
    }

    pub(super) fn literal(&mut self) -> R<Literal> {
        let at = self.pos;
        let lit = match self.next() {
            Tok::Number(n) => number(&n),
            Tok::Str(s) => Some(Literal::Str(s)),
            Tok::Ident(s) => match s.as_str() {
                "true" => Some(Literal::Bool(true)),
                "false" => Some(Literal::Bool(false)),
                "none" => Some(Literal::None),
                "inf" => Some(Literal::Float(f64::INFINITY)),
                "nan" => Some(Literal::Float(f64::NAN)),
                "dtype" => Some(Literal::DType(self.dtype()?)),
                "device" => match self.next() {
                    Tok::Str(d) => Device::parse(&d).map(Literal::Device),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        match lit {
            Some(l) => Ok(l),
            None => {
                self.pos = at;
                self.err(format!("expected a literal, found {}", describe(self.peek())))
            }
        }
    }

    /// `tensor<f32, [8, 4]>` for constant `name`.
    pub(super) fn blob(&mut self, name: &str) -> R<Tensor> {
        self.expect('<')?;
        let dtype = self.dtype()?;
        self.expect(',')?;
        self.expect('[')?;
        let mut shape = Vec::new();
        if !self.eat(']') {
            loop {
                match self.next() {
                    Tok::Number(n) => match n.parse::<usize>() {
                        Ok(d) => shape.push(d),
                        Err(_) => return self.err(format!("bad blob dimension `{n}`")),
                    },
                    _ => return self.err("blob dimensions are integers"),
                }
                if self.eat(']') {
                    break;
                }
                self.expect(',')?;
            }
        }
        self.expect('>')?;
        if let Some(blobs) = self.blobs {
            return match blobs.get(name) {
                Some(t) if t.dtype() == dtype && t.shape() == shape.as_slice() => Ok(t.clone()),
                Some(t) => self.err(format!("blob @{name} is {}{:?}, the text says {dtype}{shape:?}", t.dtype(), t.shape())),
                None => self.err(format!("no data for blob @{name}")),
            };
        }
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).filter(|&n| n <= MAX_SYNTH_NUMEL);
        if numel.is_none() {
            return self.err(format!("blob @{name} is too large to synthesize"));
        }
        let zero = Tensor::zeros(&[], dtype).and_then(|z| z.broadcast_to(&shape));
        match zero {
            Ok(t) => Ok(t),
            Err(e) => self.err(format!("blob @{name}: {e}")),
        }
    }
}

fn number(n: &str) -> Option<Literal> {
    match n {
        "-inf" => return Some(Literal::Float(f64::NEG_INFINITY)),
        "inf" => return Some(Literal::Float(f64::INFINITY)),
        _ => {}
    }
    if n.contains(['.', 'e']) {
        n.parse::<f64>().ok().map(Literal::Float)
    } else {
        n.parse::<i64>().ok().map(Literal::Int)
    }
}
