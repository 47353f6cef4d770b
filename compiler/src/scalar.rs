//! `Op::Scalar`: arithmetic, comparison and conversion of Python numbers,
//! with TorchScript's semantics (64-bit wrapping `int`, `float` = f64,
//! `bool` counts as an int in arithmetic, `/` always gives a float, `//`
//! and `%` floor, `int ** negative int` is a float). Name, type rule and
//! reference evaluation of each op live here together.

use crate::op::Literal;
use crate::types::Type;
use tsc_runtime::ops::prim;
use tsc_runtime::Scalar;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScalarOp {
    Add,
    Sub,
    Mul,
    TrueDiv,
    FloorDiv,
    Mod,
    Pow,
    Neg,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    IntCast,
    FloatCast,
    BoolCast,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

use ScalarOp as S;

impl ScalarOp {
    pub const ALL: [ScalarOp; 25] = [
        S::Add, S::Sub, S::Mul, S::TrueDiv, S::FloorDiv, S::Mod, S::Pow, S::Neg, S::Eq, S::Ne, S::Lt, S::Le, S::Gt,
        S::Ge, S::And, S::Or, S::Not, S::IntCast, S::FloatCast, S::BoolCast, S::BitAnd, S::BitOr, S::BitXor, S::Shl,
        S::Shr,
    ];

    /// The name after `scalar.` in the text form.
    pub fn name(self) -> &'static str {
        match self {
            S::Add => "add",
            S::Sub => "sub",
            S::Mul => "mul",
            S::TrueDiv => "truediv",
            S::FloorDiv => "floordiv",
            S::Mod => "mod",
            S::Pow => "pow",
            S::Neg => "neg",
            S::Eq => "eq",
            S::Ne => "ne",
            S::Lt => "lt",
            S::Le => "le",
            S::Gt => "gt",
            S::Ge => "ge",
            S::And => "and",
            S::Or => "or",
            S::Not => "not",
            S::IntCast => "int_cast",
            S::FloatCast => "float_cast",
            S::BoolCast => "bool_cast",
            S::BitAnd => "bitand",
            S::BitOr => "bitor",
            S::BitXor => "bitxor",
            S::Shl => "lshift",
            S::Shr => "rshift",
        }
    }

    pub fn from_name(s: &str) -> Option<ScalarOp> {
        ScalarOp::ALL.into_iter().find(|o| o.name() == s)
    }

    pub fn arity(self) -> usize {
        match self {
            S::Neg | S::Not | S::IntCast | S::FloatCast | S::BoolCast => 1,
            _ => 2,
        }
    }

    /// The result type for operand types `ins`, or why they do not fit.
    pub fn result_type(self, ins: &[&Type]) -> Result<Type, String> {
        if ins.len() != self.arity() {
            return Err(format!("takes {} operands, got {}", self.arity(), ins.len()));
        }
        let int_like = |t: &Type| matches!(t, Type::Int | Type::Bool);
        let bad = || Err(format!("does not apply to ({})", ins.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")));
        match self {
            S::Add | S::Sub | S::Mul | S::FloorDiv | S::Mod | S::Pow => match (ins[0], ins[1]) {
                (a, b) if int_like(a) && int_like(b) => Ok(Type::Int),
                (a, b) if a.is_number() && b.is_number() => Ok(Type::Float),
                _ => bad(),
            },
            S::TrueDiv if ins[0].is_number() && ins[1].is_number() => Ok(Type::Float),
            S::Neg if int_like(ins[0]) => Ok(Type::Int),
            S::Neg if *ins[0] == Type::Float => Ok(Type::Float),
            S::Eq | S::Ne => match (ins[0], ins[1]) {
                (a, b) if a.is_number() && b.is_number() => Ok(Type::Bool),
                (a, b) if a == b && matches!(a, Type::Str | Type::None | Type::DType | Type::Device) => Ok(Type::Bool),
                _ => bad(),
            },
            S::Lt | S::Le | S::Gt | S::Ge => match (ins[0], ins[1]) {
                (a, b) if a.is_number() && b.is_number() => Ok(Type::Bool),
                (Type::Str, Type::Str) => Ok(Type::Bool),
                _ => bad(),
            },
            S::And | S::Or if *ins[0] == Type::Bool && *ins[1] == Type::Bool => Ok(Type::Bool),
            S::BitAnd | S::BitOr | S::BitXor | S::Shl | S::Shr if int_like(ins[0]) && int_like(ins[1]) => Ok(Type::Int),
            S::Not if *ins[0] == Type::Bool => Ok(Type::Bool),
            S::IntCast if ins[0].is_number() => Ok(Type::Int),
            S::FloatCast if ins[0].is_number() => Ok(Type::Float),
            S::BoolCast if ins[0].is_number() => Ok(Type::Bool),
            _ => bad(),
        }
    }

    /// Reference evaluation. An error is what Python would raise
    /// (`ZeroDivisionError`, a non-finite float to `int`, ...).
    pub fn eval(self, args: &[Literal]) -> Result<Literal, String> {
        use Literal as L;
        if args.len() != self.arity() {
            return Err(format!("scalar.{} takes {} operands", self.name(), self.arity()));
        }
        let a = &args[0];
        match self {
            S::Neg => match *a {
                L::Int(i) => Ok(L::Int(i.wrapping_neg())),
                L::Bool(b) => Ok(L::Int(-(b as i64))),
                L::Float(f) => Ok(L::Float(-f)),
                _ => Err("bad operand for neg".into()),
            },
            S::Not => truth(a).map(|b| L::Bool(!b)),
            S::BoolCast => truth(a).map(L::Bool),
            S::FloatCast => num_f64(a).map(L::Float),
            S::IntCast => match *a {
                L::Int(i) => Ok(L::Int(i)),
                L::Bool(b) => Ok(L::Int(b as i64)),
                L::Float(f) => prim::to_int(Scalar::Float(f)).map(L::Int).map_err(|e| e.to_string()),
                _ => Err("bad operand for int".into()),
            },
            _ => binary(self, a, &args[1]),
        }
    }
}

fn truth(v: &Literal) -> Result<bool, String> {
    match *v {
        Literal::Bool(b) => Ok(b),
        Literal::Int(i) => Ok(i != 0),
        Literal::Float(f) => Ok(f != 0.0),
        _ => Err("not a number".into()),
    }
}

fn num_f64(v: &Literal) -> Result<f64, String> {
    match *v {
        Literal::Bool(b) => Ok(b as i64 as f64),
        Literal::Int(i) => Ok(i as f64),
        Literal::Float(f) => Ok(f),
        _ => Err("not a number".into()),
    }
}

fn as_int(v: &Literal) -> Option<i64> {
    match *v {
        Literal::Bool(b) => Some(b as i64),
        Literal::Int(i) => Some(i),
        _ => None,
    }
}

fn binary(op: ScalarOp, a: &Literal, b: &Literal) -> Result<Literal, String> {
    use Literal as L;
    let cmp = |o: Option<std::cmp::Ordering>| -> Result<Literal, String> {
        use std::cmp::Ordering::*;
        Ok(L::Bool(match op {
            S::Lt => o == Some(Less),
            S::Le => matches!(o, Some(Less | Equal)),
            S::Gt => o == Some(Greater),
            S::Ge => matches!(o, Some(Greater | Equal)),
            S::Eq => o == Some(Equal),
            _ => o != Some(Equal),
        }))
    };
    match op {
        S::And => return Ok(L::Bool(truth(a)? && truth(b)?)),
        S::Or => return Ok(L::Bool(truth(a)? || truth(b)?)),
        S::Eq | S::Ne | S::Lt | S::Le | S::Gt | S::Ge => {
            return match (a, b) {
                (L::Str(x), L::Str(y)) => cmp(Some(x.cmp(y))),
                (L::None, L::None) if matches!(op, S::Eq | S::Ne) => cmp(Some(std::cmp::Ordering::Equal)),
                (L::DType(x), L::DType(y)) if matches!(op, S::Eq | S::Ne) => cmp(Some(x.cmp(y))),
                (L::Device(x), L::Device(y)) if matches!(op, S::Eq | S::Ne) => cmp((x == y).then_some(std::cmp::Ordering::Equal)),
                _ => match (as_int(a), as_int(b)) {
                    (Some(x), Some(y)) => cmp(Some(x.cmp(&y))),
                    _ => cmp(num_f64(a)?.partial_cmp(&num_f64(b)?)),
                },
            };
        }
        _ => {}
    }
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        return int_binary(op, x, y);
    }
    let (x, y) = (num_f64(a)?, num_f64(b)?);
    Ok(L::Float(match op {
        S::Add => x + y,
        S::Sub => x - y,
        S::Mul => x * y,
        S::Pow => float_pow(x, y)?,
        S::TrueDiv | S::FloorDiv | S::Mod if y == 0.0 => return Err("ZeroDivisionError: float division by zero".into()),
        S::TrueDiv => x / y,
        // CPython's `float_divmod` (signs of zeros and infinities included).
        S::FloorDiv => prim::py_divmod_float(x, y).map_or(f64::NAN, |(q, _)| q),
        _ => prim::py_divmod_float(x, y).map_or(f64::NAN, |(_, m)| m),
    }))
}

/// `x ** y` on floats, raising where Python does instead of giving a
/// special value (or a complex number).
fn float_pow(x: f64, y: f64) -> Result<f64, String> {
    if x == 0.0 && y < 0.0 {
        return Err("ZeroDivisionError: 0.0 cannot be raised to a negative power".into());
    }
    if x < 0.0 && x.is_finite() && y.is_finite() && y.fract() != 0.0 {
        return Err(format!("a negative number raised to a fractional power is complex ({x} ** {y})"));
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(format!("OverflowError: ({x} ** {y}) is out of the float range"));
    }
    Ok(r)
}

fn int_binary(op: ScalarOp, a: i64, b: i64) -> Result<Literal, String> {
    use Literal as L;
    Ok(match op {
        S::Add => L::Int(a.wrapping_add(b)),
        S::Sub => L::Int(a.wrapping_sub(b)),
        S::Mul => L::Int(a.wrapping_mul(b)),
        S::TrueDiv | S::FloorDiv | S::Mod if b == 0 => return Err("ZeroDivisionError: division by zero".into()),
        S::TrueDiv => L::Float(a as f64 / b as f64),
        S::FloorDiv | S::Mod => {
            let (q, r) = (a.wrapping_div(b), a.wrapping_rem(b));
            let (q, r) = if r != 0 && ((r < 0) != (b < 0)) { (q - 1, r + b) } else { (q, r) };
            L::Int(if op == S::FloorDiv { q } else { r })
        }
        S::Pow => match prim::py_pow_int(a, b).map_err(|e| e.to_string())? {
            Scalar::Int(i) => L::Int(i),
            s => L::Float(s.to_f64()),
        },
        S::BitAnd => L::Int(a & b),
        S::BitOr => L::Int(a | b),
        S::BitXor => L::Int(a ^ b),
        S::Shl | S::Shr => L::Int(prim::py_shift(a, b, op == S::Shl).map_err(|e| e.to_string())?),
        _ => return Err(format!("scalar.{} is not arithmetic", op.name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Literal as L;

    #[test]
    fn python_semantics() {
        assert_eq!(S::FloorDiv.eval(&[L::Int(-7), L::Int(2)]), Ok(L::Int(-4)));
        assert_eq!(S::Mod.eval(&[L::Int(-7), L::Int(2)]), Ok(L::Int(1)));
        assert_eq!(S::Mod.eval(&[L::Float(-7.0), L::Float(2.0)]), Ok(L::Float(1.0)));
        assert_eq!(S::TrueDiv.eval(&[L::Int(7), L::Int(2)]), Ok(L::Float(3.5)));
        assert_eq!(S::Add.eval(&[L::Bool(true), L::Bool(true)]), Ok(L::Int(2)));
        assert_eq!(S::Pow.eval(&[L::Int(2), L::Int(-1)]), Ok(L::Float(0.5)));
        assert!(S::FloorDiv.eval(&[L::Int(1), L::Int(0)]).is_err());
        assert_eq!(S::Lt.eval(&[L::Int(1), L::Float(1.5)]), Ok(L::Bool(true)));
        assert_eq!(S::IntCast.eval(&[L::Float(-2.7)]), Ok(L::Int(-2)));
        assert_eq!(S::Shl.eval(&[L::Int(1), L::Int(7)]), Ok(L::Int(128)));
        assert_eq!(S::Shl.eval(&[L::Int(3), L::Int(64)]), Ok(L::Int(0)), "the low 64 bits, as `*` wraps");
        assert_eq!(S::Shr.eval(&[L::Int(-5), L::Int(1)]), Ok(L::Int(-3)), "floors, as Python");
        assert_eq!(S::Shr.eval(&[L::Int(-5), L::Int(99)]), Ok(L::Int(-1)));
        assert!(S::Shl.eval(&[L::Int(1), L::Int(-1)]).unwrap_err().contains("negative shift count"));
        assert_eq!(S::BitXor.eval(&[L::Int(5), L::Bool(true)]), Ok(L::Int(4)));
        assert_eq!(S::BitAnd.result_type(&[&Type::Int, &Type::Bool]), Ok(Type::Int));
        assert!(S::BitOr.result_type(&[&Type::Float, &Type::Int]).is_err());
        assert!(S::IntCast.eval(&[L::Float(f64::NAN)]).is_err());
        // Python raises where C would give a special value.
        assert!(S::Pow.eval(&[L::Int(0), L::Int(-1)]).is_err());
        assert!(S::Pow.eval(&[L::Float(0.0), L::Float(-1.0)]).is_err());
        assert!(S::Pow.eval(&[L::Float(10.0), L::Float(400.0)]).is_err());
        assert_eq!(S::Pow.eval(&[L::Int(3), L::Int(1 << 33)]), Ok(L::Int(prim::py_pow_int(3, 1 << 33).unwrap().to_i64())));
        // `-1.0 // inf == -1.0` and `-1.0 % inf == inf` (CPython's divmod).
        assert_eq!(S::FloorDiv.eval(&[L::Float(-1.0), L::Float(f64::INFINITY)]), Ok(L::Float(-1.0)));
        assert_eq!(S::Mod.eval(&[L::Float(-1.0), L::Float(f64::INFINITY)]), Ok(L::Float(f64::INFINITY)));
    }

    #[test]
    fn type_rule() {
        assert_eq!(S::Add.result_type(&[&Type::Int, &Type::Bool]), Ok(Type::Int));
        assert_eq!(S::Add.result_type(&[&Type::Int, &Type::Float]), Ok(Type::Float));
        assert_eq!(S::TrueDiv.result_type(&[&Type::Int, &Type::Int]), Ok(Type::Float));
        assert!(S::And.result_type(&[&Type::Int, &Type::Bool]).is_err());
        assert!(S::Neg.result_type(&[&Type::Str]).is_err());
    }
}
