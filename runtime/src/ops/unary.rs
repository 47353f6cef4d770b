//! Ops: unary (being written).

use super::OpDef;

pub(crate) const OPS: &[OpDef] = &[];
