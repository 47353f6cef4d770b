//! The engine behind every random op: PyTorch's `CPUGeneratorImpl`, an
//! mt19937 with `random()`, `random64()` and the cached Box–Muller value,
//! bit for bit.
//!
//! Besides the one-draw-at-a-time API, [`Mt19937::fill`] draws a whole
//! buffer: the state refill runs as three loops without index wrap-around
//! (the first two vectorize) and the tempering of a block of draws is one
//! straight loop. That is what initializing a model's weights costs: a
//! GPT block draws 7M values at `tsc compile`.

const MT_N: usize = 624;
const MT_M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;

/// The 32-bit Mersenne Twister (identical output to `std::mt19937` and ATen's `at::mt19937`).
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; MT_N],
    next: usize,
}

impl Mt19937 {
    /// Seeds as ATen does: only the low 32 bits of the seed are used.
    pub fn new(seed: u64) -> Mt19937 {
        let mut state = [0u32; MT_N];
        state[0] = seed as u32;
        for j in 1..MT_N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(j as u32);
        }
        Mt19937 { state, next: MT_N }
    }

    /// The next 624 words. Word `k` reads words `k + 1` and `k + 397`
    /// (mod 624): the first 227 read only old words, the next 396 read a
    /// word written 227 steps before, the last reads the new word 0.
    #[inline(always)]
    fn twist(&mut self) {
        let s = &mut self.state;
        for k in 0..MT_N - MT_M {
            s[k] = s[k + MT_M] ^ mix(s[k], s[k + 1]);
        }
        for k in MT_N - MT_M..MT_N - 1 {
            s[k] = s[k + MT_M - MT_N] ^ mix(s[k], s[k + 1]);
        }
        s[MT_N - 1] = s[MT_M - 1] ^ mix(s[MT_N - 1], s[0]);
        self.next = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.next >= MT_N {
            self.twist();
        }
        let y = self.state[self.next];
        self.next += 1;
        temper(y)
    }

    /// `out[i] = map(draw i)`: the draws `next_u32` would give one by one.
    #[inline(always)]
    pub fn fill<T>(&mut self, out: &mut [T], map: impl Fn(u32) -> T) {
        let mut out = out;
        while !out.is_empty() {
            if self.next >= MT_N {
                self.twist();
            }
            let take = (MT_N - self.next).min(out.len());
            let (head, rest) = std::mem::take(&mut out).split_at_mut(take);
            for (o, &y) in head.iter_mut().zip(&self.state[self.next..self.next + take]) {
                *o = map(temper(y));
            }
            self.next += take;
            out = rest;
        }
    }
}

/// The twist of the top bit of `upper` and the low 31 bits of `lower`.
fn mix(upper: u32, lower: u32) -> u32 {
    let y = (upper & 0x8000_0000) | (lower & 0x7fff_ffff);
    (y >> 1) ^ (0u32.wrapping_sub(y & 1) & MATRIX_A)
}

fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

/// `uniform_real_distribution<float>(0, 1)` of a draw: its low 24 bits.
fn unit_f32(r: u32) -> f32 {
    (r & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0)
}

/// [`Generator::fill_uniform_f32`]'s pass, inlined into each caller so it
/// is compiled for the caller's target features (`mul_add` is one
/// instruction with FMA, a libm call without).
#[inline(always)]
fn fill_uniform(e: &mut Mt19937, out: &mut [f32], from: f32, to: f32) {
    let span = to - from;
    e.fill(out, |r| {
        let x = unit_f32(r).mul_add(span, from);
        if x == to {
            from
        } else {
            x
        }
    })
}

/// PyTorch's CPU generator: the engine, its seed and the cached normal sample.
#[derive(Clone)]
pub struct Generator {
    engine: Mt19937,
    seed: u64,
    next_double_normal: Option<f64>,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { engine: Mt19937::new(seed), seed, next_double_normal: None }
    }
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }
    /// `random()`: one 32-bit draw.
    pub fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }
    /// `random64()`: two draws, the first in the high half.
    pub fn random64(&mut self) -> u64 {
        let hi = self.random() as u64;
        (hi << 32) | self.random() as u64
    }
    /// `uniform_real_distribution<float>(0, 1)`: 24 random bits.
    pub fn uniform_f32(&mut self) -> f32 {
        unit_f32(self.random())
    }
    /// `uniform_(from, to)` of float32 into `out`, in order: per draw
    /// `unit·(to - from) + from` rounded once (PyTorch's FMA), and a value
    /// that rounds to `to` wraps to `from`. With AVX2+FMA the draws, the
    /// map and the wrap run as one vectorized pass.
    pub fn fill_uniform_f32(&mut self, out: &mut [f32], from: f32, to: f32) {
        #[cfg(target_arch = "x86_64")]
        if tsc_kernels::simd::has_avx2_fma() {
            #[target_feature(enable = "avx2,fma")]
            fn go(e: &mut Mt19937, out: &mut [f32], from: f32, to: f32) {
                fill_uniform(e, out, from, to)
            }
            // SAFETY: the CPU has AVX2 and FMA (checked).
            return unsafe { go(&mut self.engine, out, from, to) };
        }
        fill_uniform(&mut self.engine, out, from, to)
    }
    /// `uniform_real_distribution<double>(0, 1)`: 53 random bits.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.random64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
    /// `normal_distribution<double>(0, 1)`: Box–Muller, the sine half cached.
    pub fn normal_f64(&mut self) -> f64 {
        if let Some(v) = self.next_double_normal.take() {
            return v;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_double_normal = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference mt19937: the textbook loop with index wrap-around.
    fn reference(seed: u64, n: usize) -> Vec<u32> {
        let mut st = Mt19937::new(seed).state;
        let mut out = Vec::new();
        while out.len() < n {
            for k in 0..MT_N {
                let y = (st[k] & 0x8000_0000) | (st[(k + 1) % MT_N] & 0x7fff_ffff);
                let mut v = st[(k + MT_M) % MT_N] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= MATRIX_A;
                }
                st[k] = v;
            }
            out.extend(st.iter().map(|&y| temper(y)));
        }
        out.truncate(n);
        out
    }

    #[test]
    fn block_fill_and_single_draws_match_the_reference() {
        // std::mt19937's 10000th output for the default seed 5489.
        let mut g = Mt19937::new(5489);
        let mut v = vec![0u32; 10_000];
        g.fill(&mut v, |r| r);
        assert_eq!(v[9_999], 4_123_659_995);
        for seed in [0, 1, 42, 5489, u32::MAX as u64] {
            let want = reference(seed, 3 * MT_N + 5);
            let mut one = Mt19937::new(seed);
            assert!(want.iter().all(|&w| one.next_u32() == w), "seed {seed}: next_u32");
            // Fills of uneven lengths, interleaved with single draws.
            let mut g = Mt19937::new(seed);
            let mut got = Vec::new();
            for len in [0, 1, 623, 2, 700, 1] {
                let mut buf = vec![0u32; len];
                g.fill(&mut buf, |r| r);
                got.extend(buf);
                got.push(g.next_u32());
            }
            assert_eq!(got, want[..got.len()], "seed {seed}: fill");
        }
    }
}
