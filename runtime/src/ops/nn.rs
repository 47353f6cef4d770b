//! Ops: the nn layer functions of `torch.nn.functional` that are not
//! normalizations or losses: `softmax`/`log_softmax`/`softmin`, the dropout
//! family, `embedding`, `one_hot`, `pixel_shuffle`/`pixel_unshuffle`,
//! `cosine_similarity`, `pairwise_distance`, `pad`/`constant_pad_nd` and
//! `scaled_dot_product_attention`.
//!
//! Schemas follow `F.*` (argument `input`); where `torch.*` orders or
//! names arguments differently (`torch.embedding(weight, indices)`,
//! `torch.dropout(input, p, train)`, `Tensor.softmax(self, dim)`) a second
//! overload accepts that spelling. Implementations live in `nn/`:
//! `common.rs` (float trait, lanes, loss reductions, shared with `norm` and
//! `loss`), `softmax.rs`, `dropout.rs`, `embedding.rs`, `distance.rs`,
//! `pad.rs`, `attention.rs`.

pub(crate) mod common;

mod attention;
mod distance;
mod dropout;
mod embedding;
mod pad;
mod softmax;

pub use attention::{scaled_dot_product_attention, SdpaOptions};
pub use distance::{cosine_similarity, pairwise_distance};
pub use dropout::{alpha_dropout, dropout, feature_alpha_dropout, feature_dropout};
pub use embedding::{embedding, one_hot, pixel_shuffle, pixel_unshuffle};
pub use pad::{constant_pad_nd, pad};
pub use softmax::{log_softmax, softmax, softmin};

use super::{Args, OpDef};
use crate::{DType, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", run: softmax_self },
    OpDef { schema: "softmax(Tensor input, int? dim=None, int _stacklevel=3, ScalarType? dtype=None) -> Tensor", run: softmax_f },
    OpDef { schema: "log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", run: log_softmax_self },
    OpDef { schema: "log_softmax(Tensor input, int? dim=None, int _stacklevel=3, ScalarType? dtype=None) -> Tensor", run: log_softmax_f },
    OpDef { schema: "softmin(Tensor input, int? dim=None, int _stacklevel=3, ScalarType? dtype=None) -> Tensor", run: softmin_f },
    OpDef { schema: "dropout(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor", run: dropout_f },
    OpDef { schema: "dropout.native(Tensor input, float p, bool train) -> Tensor", run: dropout_native },
    OpDef { schema: "alpha_dropout(Tensor input, float p=0.5, bool training=False, bool inplace=False) -> Tensor", run: alpha_dropout_f },
    OpDef { schema: "alpha_dropout.native(Tensor input, float p, bool train) -> Tensor", run: alpha_dropout_native },
    OpDef { schema: "feature_alpha_dropout(Tensor input, float p=0.5, bool training=False, bool inplace=False) -> Tensor", run: feature_alpha_dropout_f },
    OpDef { schema: "feature_alpha_dropout.native(Tensor input, float p, bool train) -> Tensor", run: feature_alpha_dropout_native },
    OpDef { schema: "feature_dropout(Tensor input, float p, bool train) -> Tensor", run: feature_dropout_native },
    OpDef { schema: "dropout1d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor", run: dropout1d },
    OpDef { schema: "dropout2d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor", run: dropout2d },
    OpDef { schema: "dropout3d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor", run: dropout3d },
    OpDef {
        schema: "embedding(Tensor input, Tensor weight, int? padding_idx=None, float? max_norm=None, float norm_type=2.0, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
        run: embedding_f,
    },
    OpDef {
        schema: "embedding.native(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
        run: embedding_native,
    },
    OpDef { schema: "one_hot(Tensor self, int num_classes=-1) -> Tensor", run: one_hot_op },
    OpDef { schema: "one_hot.tensor(Tensor tensor, int num_classes=-1) -> Tensor", run: one_hot_op },
    OpDef { schema: "pixel_shuffle(Tensor input, int upscale_factor) -> Tensor", run: pixel_shuffle_op },
    OpDef { schema: "pixel_unshuffle(Tensor input, int downscale_factor) -> Tensor", run: pixel_unshuffle_op },
    OpDef { schema: "cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08) -> Tensor", run: cosine_similarity_op },
    OpDef { schema: "pairwise_distance(Tensor x1, Tensor x2, float p=2.0, float eps=1e-06, bool keepdim=False) -> Tensor", run: pairwise_distance_op },
    OpDef { schema: "pad(Tensor input, int[] pad, str mode='constant', float? value=None) -> Tensor", run: pad_op },
    OpDef { schema: "constant_pad_nd(Tensor input, int[] pad, Scalar value=0) -> Tensor", run: constant_pad_nd_op },
    OpDef {
        schema: "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor",
        run: sdpa_op,
    },
];

fn ok(t: Tensor) -> Result<Value> {
    Ok(Value::Tensor(t))
}

/// The dim of `F.softmax(input, dim=None)`: PyTorch's legacy implicit choice.
fn f_dim(a: &Args) -> Result<i64> {
    Ok(match a.opt_int(1)? {
        Some(d) => d,
        None => softmax::legacy_softmax_dim(a.tensor(0)?.ndim()),
    })
}

fn softmax_self(a: &Args) -> Result<Value> {
    ok(softmax(a.tensor(0)?, a.int(1)?, a.opt_dtype(2)?)?)
}
fn softmax_f(a: &Args) -> Result<Value> {
    ok(softmax(a.tensor(0)?, f_dim(a)?, a.opt_dtype(3)?)?)
}
fn log_softmax_self(a: &Args) -> Result<Value> {
    ok(log_softmax(a.tensor(0)?, a.int(1)?, a.opt_dtype(2)?)?)
}
fn log_softmax_f(a: &Args) -> Result<Value> {
    ok(log_softmax(a.tensor(0)?, f_dim(a)?, a.opt_dtype(3)?)?)
}
fn softmin_f(a: &Args) -> Result<Value> {
    ok(softmin(a.tensor(0)?, f_dim(a)?, a.opt_dtype(3)?)?)
}

/// Runs a dropout variant; `inplace=True` writes the result into the input.
fn dropout_with(a: &Args, f: impl Fn(&Tensor, f64, bool) -> Result<Tensor>, has_inplace: bool) -> Result<Value> {
    let x = a.tensor(0)?;
    let y = f(x, a.float(1)?, a.bool(2)?)?;
    if has_inplace && a.bool(3)? && !y.same_storage(x) {
        x.assign(&y)?;
        return ok(x.clone());
    }
    ok(y)
}

fn dropout_f(a: &Args) -> Result<Value> {
    dropout_with(a, dropout, true)
}
fn dropout_native(a: &Args) -> Result<Value> {
    dropout_with(a, dropout, false)
}
fn alpha_dropout_f(a: &Args) -> Result<Value> {
    dropout_with(a, alpha_dropout, true)
}
fn alpha_dropout_native(a: &Args) -> Result<Value> {
    dropout_with(a, alpha_dropout, false)
}
fn feature_alpha_dropout_f(a: &Args) -> Result<Value> {
    dropout_with(a, feature_alpha_dropout, true)
}
fn feature_alpha_dropout_native(a: &Args) -> Result<Value> {
    dropout_with(a, feature_alpha_dropout, false)
}
fn feature_dropout_native(a: &Args) -> Result<Value> {
    dropout_with(a, feature_dropout, false)
}
fn dropout1d(a: &Args) -> Result<Value> {
    dropout_with(a, |x, p, t| dropout::channel_dropout("dropout1d", x, p, t, 1), true)
}
fn dropout2d(a: &Args) -> Result<Value> {
    dropout_with(a, |x, p, t| dropout::channel_dropout("dropout2d", x, p, t, 2), true)
}
fn dropout3d(a: &Args) -> Result<Value> {
    dropout_with(a, |x, p, t| dropout::channel_dropout("dropout3d", x, p, t, 3), true)
}

/// `F.embedding(input, weight, ...)`. The frontend maps `torch.embedding`
/// to the same op, so a positional `(float weight, int indices)` call (an
/// error in the `F` order) is read as `torch.embedding(weight, indices)`.
fn embedding_f(a: &Args) -> Result<Value> {
    let (x, w) = (a.tensor(0)?, a.tensor(1)?);
    let is_index = |t: &Tensor| matches!(t.dtype(), DType::I32 | DType::I64);
    if !is_index(x) && is_index(w) {
        return ok(embedding(w, x, None, None, 2.0)?);
    }
    ok(embedding(x, w, a.opt_int(2)?, a.opt_float(3)?, a.float(4)?)?)
}
fn embedding_native(a: &Args) -> Result<Value> {
    // torch.embedding's padding_idx -1 means "none"; it never range-checks.
    ok(embedding(a.tensor(1)?, a.tensor(0)?, None, None, 2.0)?)
}
fn one_hot_op(a: &Args) -> Result<Value> {
    ok(one_hot(a.tensor(0)?, a.int(1)?)?)
}
fn pixel_shuffle_op(a: &Args) -> Result<Value> {
    ok(pixel_shuffle(a.tensor(0)?, a.int(1)?)?)
}
fn pixel_unshuffle_op(a: &Args) -> Result<Value> {
    ok(pixel_unshuffle(a.tensor(0)?, a.int(1)?)?)
}
fn cosine_similarity_op(a: &Args) -> Result<Value> {
    ok(cosine_similarity(a.tensor(0)?, a.tensor(1)?, a.int(2)?, a.float(3)?)?)
}
fn pairwise_distance_op(a: &Args) -> Result<Value> {
    ok(pairwise_distance(a.tensor(0)?, a.tensor(1)?, a.float(2)?, a.float(3)?, a.bool(4)?)?)
}
fn pad_op(a: &Args) -> Result<Value> {
    ok(pad(a.tensor(0)?, &a.ints(1)?, a.str(2)?, a.opt_float(3)?)?)
}
fn constant_pad_nd_op(a: &Args) -> Result<Value> {
    ok(constant_pad_nd(a.tensor(0)?, &a.ints(1)?, a.scalar(2)?)?)
}
fn sdpa_op(a: &Args) -> Result<Value> {
    let o = SdpaOptions {
        attn_mask: a.opt_tensor(3)?.cloned(),
        dropout_p: a.float(4)?,
        is_causal: a.bool(5)?,
        scale: a.opt_float(6)?,
        enable_gqa: a.bool(7)?,
    };
    ok(scaled_dot_product_attention(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, &o)?)
}
