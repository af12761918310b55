"""Assignment 18 (capstone 2): a tiny Transformer that reverses digit strings, built from your own pieces.

This module must be self-contained: the grader runs this one file, alone. Paste (or write
again) the pieces you built in earlier assignments into the section below: layer_norm (05),
multi_head_attention and positional_encoding (08), adam and warmup_cosine_lr (09),
masked_cross_entropy and teacher_forcing_inputs (11), and the Transformer blocks of 16
(causal_mask, position_wise_ffn, add_norm, encoder_block, decoder_block, embed_tokens).
Then assemble them into the network of PARAM_SHAPES, decode greedily, and train it.

torch.nn (including torch.nn.functional) and torch.optim are off limits here, and so are
torch's own attention, normalisation, softmax and loss routines; torch.autograd is allowed:
you do not need to write backward passes by hand.

Run `python assignments/18/capstone2.py` to train on the 2000 training strings and print the
exact-match accuracy of greedy decoding on the 500 test strings.
"""

from __future__ import annotations

import math  # noqa: F401 (math.sqrt for the scales, math.cos and math.pi for the schedule)

import torch

# ---------------------------------------------------------------- the task and the architecture (fixed)

PAD, BOS, EOS = 0, 1, 2  # the digits 0..9 are the tokens 3..12
VOCAB_SIZE = 13
MAX_LEN = 7  # 6 digits and EOS: every target has 7 tokens, and greedy_decode emits 7
D_MODEL, NUM_HEADS, FFN_HIDDEN = 32, 4, 64
STEPS = 200  # the grader calls train(seed, src=..., tgt=...) with steps=STEPS

# Parameter names: "embedding.weight" (one table for source and target tokens), then the
# state_dict keys of nn.TransformerEncoderLayer(32, 4, 64) under "encoder." and of
# nn.TransformerDecoderLayer(32, 4, 64) under "decoder.", then the output layer (nn.Linear(32, 13)
# layout: logits = h @ output.weight.T + output.bias).
_E, _F = D_MODEL, FFN_HIDDEN
_ATTENTION = {"in_proj_weight": (3 * _E, _E), "in_proj_bias": (3 * _E,), "out_proj.weight": (_E, _E), "out_proj.bias": (_E,)}
_FFN = {"linear1.weight": (_F, _E), "linear1.bias": (_F,), "linear2.weight": (_E, _F), "linear2.bias": (_E,)}
_NORM = {"weight": (_E,), "bias": (_E,)}
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "embedding.weight": (VOCAB_SIZE, _E),
    **{f"encoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"encoder.{k}": v for k, v in _FFN.items()},
    **{f"encoder.norm{i}.{k}": v for i in (1, 2) for k, v in _NORM.items()},
    **{f"decoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.multihead_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.{k}": v for k, v in _FFN.items()},
    **{f"decoder.norm{i}.{k}": v for i in (1, 2, 3) for k, v in _NORM.items()},
    "output.weight": (VOCAB_SIZE, _E),
    "output.bias": (VOCAB_SIZE,),
}

# The training recipe of the reference solution (yours may differ; only the bar is graded).
BATCH_SIZE = 64
LEARNING_RATE = 5e-3
WARMUP_STEPS = 50
BETAS = (0.9, 0.98)


# ---------------------------------------------------------------- your pieces from earlier assignments


def layer_norm(X: torch.Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalisation over the trailing dims, like F.layer_norm (biased variance)."""
    ### BEGIN SOLUTION
    dims = tuple(range(-len(normalized_shape), 0))
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
    Y = (X - mean) / torch.sqrt(var + eps)
    if weight is not None:
        Y = Y * weight
    if bias is not None:
        Y = Y + bias
    return Y
    ### END SOLUTION


def multi_head_attention(
    query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, key_padding_mask=None, attn_mask=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.MultiheadAttention(E, num_heads, batch_first=True) with the given weights -> (output (B, L, E), mean weights (B, L, S)).

    Boolean masks are True where attending is NOT allowed: key_padding_mask (B, S), attn_mask (L, S).
    """
    ### BEGIN SOLUTION
    B, L, E = query.shape
    S = key.shape[1]
    H = num_heads
    d = E // H
    if query is key and key is value:  # self-attention: one projection for q, k and v
        q, k, v = (query @ in_proj_weight.T + in_proj_bias).chunk(3, dim=-1)
    else:
        w_q, w_kv = in_proj_weight.split([E, 2 * E])
        b_q, b_kv = in_proj_bias.split([E, 2 * E])
        q = query @ w_q.T + b_q
        k, v = (key @ w_kv.T + b_kv).chunk(2, dim=-1)
    q = q.reshape(B, L, H, d).transpose(1, 2)  # (B, H, L, d)
    k = k.reshape(B, S, H, d).transpose(1, 2)
    v = v.reshape(B, S, H, d).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, H, L, S)
    forbidden = torch.zeros((), dtype=torch.bool, device=query.device)
    if attn_mask is not None:
        forbidden = forbidden | attn_mask
    if key_padding_mask is not None:
        forbidden = forbidden | key_padding_mask[:, None, None, :]
    scores = scores.masked_fill(forbidden, float("-inf"))
    top = scores.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # a row with no allowed key
    exps = (scores - top).exp()
    total = exps.sum(dim=-1, keepdim=True)
    weights = exps / torch.where(total > 0, total, torch.ones_like(total))
    merged = (weights @ v).transpose(1, 2).reshape(B, L, E)
    return merged @ out_proj_weight.T + out_proj_bias, weights.mean(dim=1)
    ### END SOLUTION


def positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal table (max_len, d_model), float32: P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...)."""
    ### BEGIN SOLUTION
    positions = torch.arange(max_len, dtype=torch.float64)[:, None]
    even = torch.arange(0, d_model, 2, dtype=torch.float64)
    angles = positions / 10000 ** (even / d_model)
    P = torch.zeros(max_len, d_model, dtype=torch.float64)
    P[:, 0::2] = angles.sin()
    P[:, 1::2] = angles[:, : d_model // 2].cos()
    return P.float()
    ### END SOLUTION


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """One Adam step, as torch.optim.Adam: returns (next_w, new config with the updated state).

    config: "lr" (1e-3), "betas" ((0.9, 0.999)), "eps" (1e-8), "weight_decay" (0.0); state
    "exp_avg", "exp_avg_sq" (zeros at first), "step" (t).
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    beta1, beta2 = config["betas"]
    step = config.get("step", 0) + 1
    m = beta1 * config.get("exp_avg", torch.zeros_like(w)) + (1 - beta1) * grad
    v = beta2 * config.get("exp_avg_sq", torch.zeros_like(w)) + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
    config.update(exp_avg=m, exp_avg_sq=v, step=step)
    return w - config["lr"] * m_hat / (v_hat.sqrt() + config["eps"]), config
    ### END SOLUTION


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Linear warm-up from 0 to base_lr over warmup_steps, then cosine decay to min_lr at total_steps."""
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
    ### END SOLUTION


def masked_cross_entropy(logits: torch.Tensor, target: torch.Tensor, valid_len: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Per-token cross-entropy, zero at the padding: logits (B, T, V), target (B, T), valid_len (B,) (EOS counted).

    "mean" divides the sum by valid_len.sum() (a token-level mean; 0.0 when there is no real token).
    """
    ### BEGIN SOLUTION
    valid = torch.arange(logits.shape[1], device=logits.device)[None, :] < valid_len[:, None]  # (B, T)
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()  # log_softmax over V
    nll = -log_p.gather(-1, target.masked_fill(~valid, 0)[..., None])[..., 0]
    losses = torch.where(valid, nll, torch.zeros_like(nll))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / valid.sum().clamp(min=1)
    ### END SOLUTION


def teacher_forcing_inputs(Y: torch.Tensor, bos_id: int) -> torch.Tensor:
    """<bos>, then Y shifted right by one: (B, T) -> (B, T)."""
    ### BEGIN SOLUTION
    return torch.cat([torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype, device=Y.device), Y[:, :-1]], dim=1)
    ### END SOLUTION


def causal_mask(L: int, *, device=None) -> torch.Tensor:
    """(L, L) bool, True above the diagonal (query i must not see key j > i)."""
    ### BEGIN SOLUTION
    return torch.ones(L, L, dtype=torch.bool, device=device).triu(1)
    ### END SOLUTION


def position_wise_ffn(X, W1, b1, W2, b2) -> torch.Tensor:
    """relu(X @ W1.T + b1) @ W2.T + b2."""
    ### BEGIN SOLUTION
    return (X @ W1.T + b1).clamp(min=0) @ W2.T + b2
    ### END SOLUTION


def add_norm(X, Y, weight, bias, eps: float = 1e-5) -> torch.Tensor:
    """layer_norm(X + Y) over the last axis."""
    ### BEGIN SOLUTION
    return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)
    ### END SOLUTION


def encoder_block(X, params, num_heads, key_padding_mask=None, attn_mask=None) -> torch.Tensor:
    """nn.TransformerEncoderLayer (post-norm, ReLU, no dropout) with the state_dict `params`."""
    ### BEGIN SOLUTION
    p = params
    attended, _ = multi_head_attention(
        X, X, X, num_heads, p["self_attn.in_proj_weight"], p["self_attn.in_proj_bias"],
        p["self_attn.out_proj.weight"], p["self_attn.out_proj.bias"], key_padding_mask, attn_mask,
    )
    Y = add_norm(X, attended, p["norm1.weight"], p["norm1.bias"])
    ffn = position_wise_ffn(Y, p["linear1.weight"], p["linear1.bias"], p["linear2.weight"], p["linear2.bias"])
    return add_norm(Y, ffn, p["norm2.weight"], p["norm2.bias"])
    ### END SOLUTION


def decoder_block(X, memory, params, num_heads, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None) -> torch.Tensor:
    """nn.TransformerDecoderLayer (post-norm, ReLU, no dropout) with the state_dict `params`."""
    ### BEGIN SOLUTION
    p = params
    attended, _ = multi_head_attention(
        X, X, X, num_heads, p["self_attn.in_proj_weight"], p["self_attn.in_proj_bias"],
        p["self_attn.out_proj.weight"], p["self_attn.out_proj.bias"], tgt_key_padding_mask, tgt_mask,
    )
    Y = add_norm(X, attended, p["norm1.weight"], p["norm1.bias"])
    crossed, _ = multi_head_attention(
        Y, memory, memory, num_heads, p["multihead_attn.in_proj_weight"], p["multihead_attn.in_proj_bias"],
        p["multihead_attn.out_proj.weight"], p["multihead_attn.out_proj.bias"], memory_key_padding_mask,
    )
    Z = add_norm(Y, crossed, p["norm2.weight"], p["norm2.bias"])
    ffn = position_wise_ffn(Z, p["linear1.weight"], p["linear1.bias"], p["linear2.weight"], p["linear2.bias"])
    return add_norm(Z, ffn, p["norm3.weight"], p["norm3.bias"])
    ### END SOLUTION


def embed_tokens(tokens: torch.Tensor, table: torch.Tensor, pos_table: torch.Tensor) -> torch.Tensor:
    """table[tokens] * sqrt(E) + pos_table[:L]: (B, L) int64 -> (B, L, E)."""
    ### BEGIN SOLUTION
    return table[tokens] * math.sqrt(table.shape[1]) + pos_table[: tokens.shape[1]]
    ### END SOLUTION


# ---------------------------------------------------------------- graded functions


def _block(params: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of `params` under `prefix` ("encoder." or "decoder."), with the prefix removed."""
    return {name[len(prefix) :]: value for name, value in params.items() if name.startswith(prefix)}


def init_params(seed: int = 0) -> dict[str, torch.Tensor]:
    """Fresh parameters for the network of PARAM_SHAPES, float32 on the CPU, from `seed` alone.

    Every name and shape of PARAM_SHAPES. Every weight matrix random with a standard deviation
    of about 1/sqrt(fan_in), fan_in being its number of columns (in_features; for the
    embedding table, E = 32: then the embedded tokens, scaled by sqrt(E), have a standard
    deviation about 1, the scale of the positional encoding); every bias 0; every layer
    norm at weight 1 and bias 0. Draw from a torch.Generator seeded with `seed`: the same seed
    gives the same parameters whatever the state of torch's global generator.
    """
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    params = {}
    for name, shape in PARAM_SHAPES.items():
        if len(shape) == 2:  # a weight matrix (out, in), or the embedding table (V, E)
            params[name] = torch.randn(shape, generator=g) / math.sqrt(shape[1])
        elif ".norm" in name and name.endswith(".weight"):
            params[name] = torch.ones(shape)
        else:  # biases, layer norms' shifts
            params[name] = torch.zeros(shape)
    return params
    ### END SOLUTION


def forward(src: torch.Tensor, dec_in: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """The whole network under teacher forcing: src (N, S), dec_in (N, T) int64 -> logits (N, T, 13).

    1. Embed both sequences with the one table: embedding[tokens] * sqrt(32) plus the
       positional encoding of their positions 0, 1, ... (embed_tokens, positional_encoding).
    2. memory = encoder_block(source embeddings), with key_padding_mask = (src == PAD).
    3. h = decoder_block(target embeddings, memory), with tgt_mask = causal_mask(T) and
       memory_key_padding_mask = (src == PAD); 4 heads in both blocks.
    4. logits = h @ output.weight.T + output.bias.
    Logit t is the prediction of the token after dec_in[:, :t+1]: with dec_in =
    teacher_forcing_inputs(tgt, BOS) it is scored against tgt[:, t]. Works in the params'
    dtype and on src's device (params must be there too).
    """
    ### BEGIN SOLUTION
    p = params
    table = p["embedding.weight"]
    pos_table = positional_encoding(max(src.shape[1], dec_in.shape[1]), table.shape[1]).to(device=table.device, dtype=table.dtype)
    padding = src == PAD
    memory = encoder_block(embed_tokens(src, table, pos_table), _block(p, "encoder."), NUM_HEADS, key_padding_mask=padding)
    h = decoder_block(
        embed_tokens(dec_in, table, pos_table), memory, _block(p, "decoder."), NUM_HEADS,
        tgt_mask=causal_mask(dec_in.shape[1], device=src.device), memory_key_padding_mask=padding,
    )
    return h @ p["output.weight"].T + p["output.bias"]
    ### END SOLUTION


def greedy_decode(src: torch.Tensor, params: dict[str, torch.Tensor], max_len: int = MAX_LEN) -> torch.Tensor:
    """Greedy decoding: src (N, S) int64 -> tokens (N, max_len) int64, on src's device.

    Start every row's decoder input with BOS; at each of max_len steps, run the network on
    the input so far and append the argmax of the LAST position's logits (the lowest token id
    wins a tie, as torch.argmax). Exactly max_len tokens per row, BOS not included. A row that
    has emitted EOS is finished: every position after its first EOS is PAD, so that a decoded
    row equals its target (digits reversed, EOS, then padding) token for token.
    """
    ### BEGIN SOLUTION
    dec_in = torch.full((src.shape[0], 1), BOS, dtype=torch.int64, device=src.device)
    for _ in range(max_len):
        logits = forward(src, dec_in, params)
        dec_in = torch.cat([dec_in, logits[:, -1].argmax(dim=-1)[:, None]], dim=1)
    tokens = dec_in[:, 1:]
    ended_before = (tokens == EOS).long().cumsum(dim=1) - (tokens == EOS).long() > 0  # an EOS at an earlier position
    return tokens.masked_fill(ended_before, PAD)
    ### END SOLUTION


def train(seed: int = 0, src: torch.Tensor | None = None, tgt: torch.Tensor | None = None, steps: int = STEPS) -> dict[str, torch.Tensor]:
    """Train the network on the pairs (src (N, S), tgt (N, T), int64) for `steps` updates -> params.

    Without src and tgt it trains on the 2000 training strings, datasets.reversal_tensors("train");
    the grader always passes the data (its sandbox has no datasets package), also a few strings
    for a few steps in the quick checks.

    Start from init_params(seed) and seed torch's global generator with `seed` (your batches
    draw from it), so a run is reproducible. Each step: a random minibatch of pairs, the
    decoder's input teacher_forcing_inputs(tgt, BOS), forward, masked_cross_entropy over the
    real target tokens (EOS included, padding not), gradients with torch.autograd, and your
    Adam's update with a warm-up (a learning rate growing linearly over the first steps, then
    decaying). Choose the batch size, learning rate and schedule yourself; `steps` is given.

    Returns the final params (every key of PARAM_SHAPES, float32, detached, on src's device).
    The grader runs them through its own reference network: greedy decoding of the 500 test
    strings must reverse enough of them exactly (the bar in the README).
    """
    ### BEGIN SOLUTION
    if src is None or tgt is None:
        from datasets import reversal_tensors

        src, tgt = reversal_tensors("train")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is fastest, and unaffected by a busy machine
    try:
        torch.manual_seed(seed)
        params = {k: v.to(src.device) for k, v in init_params(seed).items()}
        configs = {k: {"betas": BETAS} for k in params}
        dec_in, valid_len = teacher_forcing_inputs(tgt, BOS), (tgt != PAD).sum(dim=1)
        for step in range(steps):
            index = torch.randint(0, src.shape[0], (BATCH_SIZE,), device=src.device)
            leaves = {k: v.detach().requires_grad_() for k, v in params.items()}
            logits = forward(src[index], dec_in[index], leaves)
            loss = masked_cross_entropy(logits, tgt[index], valid_len[index])
            grads = torch.autograd.grad(loss, list(leaves.values()))
            lr = warmup_cosine_lr(step + 1, LEARNING_RATE, min(WARMUP_STEPS, steps), steps)  # 09 wants warm-up <= total
            with torch.no_grad():
                for (k, w), g in zip(params.items(), grads, strict=True):
                    params[k], configs[k] = adam(w, g, {**configs[k], "lr": lr})
        return {k: v.detach() for k, v in params.items()}
    finally:
        torch.set_num_threads(threads)
    ### END SOLUTION


def exact_match(predicted: torch.Tensor, tgt: torch.Tensor) -> float:
    """Fraction of rows decoded exactly: every token equal, EOS and padding included."""
    return (predicted == tgt).all(dim=1).double().mean().item()


if __name__ == "__main__":  # python assignments/18/capstone2.py (with the kit installed: ./setup.sh)
    import time

    from datasets import reversal_tensors

    src_train, tgt_train = reversal_tensors("train")
    src_test, tgt_test = reversal_tensors("test")
    started = time.perf_counter()
    params = train(0, src_train, tgt_train)
    print(f"trained {STEPS} steps in {time.perf_counter() - started:.1f} s")
    with torch.no_grad():
        predicted = greedy_decode(src_test, params)
    print(f"exact match on the {len(src_test)} test strings: {exact_match(predicted, tgt_test):.1%}")
    for s, p in zip(src_test[:3].tolist(), predicted[:3].tolist(), strict=True):
        print(f"  {s} -> {p}")
