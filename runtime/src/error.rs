//! The runtime's error type. Every failure of an op on bad input is a value
//! that names the op and what was wrong (shapes, dims, dtypes, argument);
//! a panic in this crate means a broken internal invariant.

use std::fmt;

/// Result alias used throughout the runtime.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A runtime error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An op rejected its arguments (shape mismatch, bad dim, bad dtype ...).
    #[error("{op}: {msg}")]
    Op { op: String, msg: String },
    /// Arguments did not match any overload of an op's schema.
    #[error("{0}")]
    Signature(String),
    /// Reading or writing a file failed.
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
}

impl Error {
    /// An error raised by op `op`.
    pub fn op(op: impl fmt::Display, msg: impl fmt::Display) -> Error {
        Error::Op { op: op.to_string(), msg: msg.to_string() }
    }
}

/// `bail!(op, "fmt", args..)` returns `Err(Error::Op{..})` from the current function.
#[macro_export]
macro_rules! bail {
    ($op:expr, $($fmt:tt)+) => {
        return Err($crate::Error::op($op, format!($($fmt)+)))
    };
}

/// `ensure!(cond, op, "fmt", args..)`: `bail!` unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $op:expr, $($fmt:tt)+) => {
        if !$cond {
            $crate::bail!($op, $($fmt)+);
        }
    };
}
