//! Ops: random (being written). The global generator lives here.

use super::OpDef;

pub(crate) const OPS: &[OpDef] = &[];

/// `n` uniform floats in [0, 1) from the global generator (seeded by
/// `manual_seed`). Used by `dropout` in training mode.
pub fn uniform_f32(n: usize) -> Vec<f32> {
    // Placeholder until the generator lands: a fixed LCG.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32) / (1u64 << 24) as f32
        })
        .collect()
}
