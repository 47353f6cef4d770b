//! Ops: reduce (being written).

use super::OpDef;

pub(crate) const OPS: &[OpDef] = &[];
