"""Assignment 16: Transformer blocks.

The pieces of "Attention is all you need" built on your own multi-head attention: the causal
mask of a decoder, the position-wise feed-forward network, "add & norm", a whole encoder
layer and a whole decoder layer, the scaled token embedding with positions added, and the
label-smoothed cross-entropy the Transformer is trained with.

Conventions: batch-first (B, L, E) tensors; the parameter dicts use the state_dict keys of
nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (post-norm, ReLU), so those layers,
built with dropout=0.0 and batch_first=True, loaded with the same tensors and run in
training mode, are the references. Masks follow nn.MultiheadAttention (and your 08
multi_head_attention): a boolean mask is True where attending is NOT allowed, a float mask
is added to the scores.

Do not call nn.Transformer, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer (or any
nn.Transformer* class), nn.MultiheadAttention, F.multi_head_attention_forward,
F.scaled_dot_product_attention, F.layer_norm, nn.LayerNorm, F.linear, nn.Linear,
F.cross_entropy, F.nll_loss, torch.softmax / torch.log_softmax (or their F. and Tensor forms),
nn.Embedding or F.embedding. Reuse your own pieces instead: layer_norm (05) and
scaled_dot_product_attention with multi_head_attention (08): paste them below. Elementary
operations (matmul, exp, log, amax, gather, masked_fill, where, triu, relu, indexing a table
with a tensor of ids, ...) are fine.
"""

import torch

# ---------------------------------------------------------------- your pieces from assignments 05 and 08


def layer_norm(
    X: torch.Tensor,
    normalized_shape: tuple[int, ...] | list[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Layer normalisation over the trailing dimensions, as F.layer_norm: paste your layer_norm from assignment 05.

    Each slice over the last len(normalized_shape) dimensions is standardised with its own
    mean and BIASED variance, Y = (X - mu) / sqrt(sigma2 + eps), then Y * weight + bias.
    Not graded on its own here: add_norm uses it.
    """
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


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    is_causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(query key^T / sqrt(E) + mask) value: paste your scaled_dot_product_attention from assignment 08.

    A boolean attn_mask here is True where attending is ALLOWED (F.scaled_dot_product_attention's
    convention); a float one is added to the scores. Returns (output, weights); a row that
    allows no key is all zeros. Not graded on its own here: multi_head_attention uses it.
    """
    ### BEGIN SOLUTION
    scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5
    if is_causal:
        L, S = scores.shape[-2:]
        attn_mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril()
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    top = scores.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # fully masked rows
    exps = (scores - top).exp()
    total = exps.sum(dim=-1, keepdim=True)
    weights = exps / torch.where(total > 0, total, torch.ones_like(total))
    return weights @ value, weights
    ### END SOLUTION


def multi_head_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    num_heads: int,
    in_proj_weight: torch.Tensor,
    in_proj_bias: torch.Tensor | None,
    out_proj_weight: torch.Tensor,
    out_proj_bias: torch.Tensor | None,
    key_padding_mask: torch.Tensor | None = None,
    attn_mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.MultiheadAttention(E, num_heads, batch_first=True): paste your multi_head_attention from assignment 08.

    query (B, L, E), key and value (B, S, E); in_proj_weight (3E, E) stacks W_q, W_k, W_v.
    Masks in nn.MultiheadAttention's convention: a boolean mask is True where attending is
    NOT allowed; key_padding_mask (B, S), attn_mask (L, S) or (B*H, L, S); float masks are
    added. Returns (output (B, L, E), weights (B, L, S) averaged over the heads).
    Not graded on its own here: encoder_block and decoder_block use it.
    """
    ### BEGIN SOLUTION
    B, L, E = query.shape
    S = key.shape[1]
    H = num_heads
    d = E // H
    w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)

    def project(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        y = x @ w.T
        return y if b is None else y + b

    def split(x: torch.Tensor) -> torch.Tensor:  # (B, n, E) -> (B, H, n, d)
        return x.reshape(B, x.shape[1], H, d).transpose(1, 2)

    q = split(project(query, w_q, b_q))
    k = split(project(key, w_k, b_k))
    v = split(project(value, w_v, b_v))

    def additive(mask: torch.Tensor) -> torch.Tensor:  # True = forbidden -> -inf
        if mask.dtype == torch.bool:
            return torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill(mask, float("-inf"))
        return mask.to(q.dtype)

    bias = torch.zeros(B, H, L, S, dtype=q.dtype, device=q.device)
    if attn_mask is not None:
        mask = additive(attn_mask)
        bias = bias + (mask.reshape(B, H, L, S) if mask.dim() == 3 else mask)
    if key_padding_mask is not None:
        bias = bias + additive(key_padding_mask).reshape(B, 1, 1, S)
    heads, weights = scaled_dot_product_attention(q, k, v, attn_mask=bias)
    merged = heads.transpose(1, 2).reshape(B, L, E)
    return project(merged, out_proj_weight, out_proj_bias), weights.mean(dim=1)
    ### END SOLUTION


# ---------------------------------------------------------------- graded functions


def causal_mask(L: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """The (L, L) boolean mask of a decoder's self-attention: True where attending is NOT allowed.

        mask[i, j] = True   for j > i   (query i must not see the later positions j)
        mask[i, j] = False  for j <= i  (itself and everything before it)

    i.e. True strictly ABOVE the diagonal, in nn.MultiheadAttention's convention (the
    opposite of F.scaled_dot_product_attention's boolean mask, which is True where attending
    is allowed). Equals nn.Transformer.generate_square_subsequent_mask(L) == -inf, which is
    the same mask as a float tensor (0 and -inf). Build it on `device` (None: the default
    device, the CPU) with a factory that takes device=, so that causal_mask(L, device=x.device)
    lives where x does.
    """
    ### BEGIN SOLUTION
    return torch.ones(L, L, dtype=torch.bool, device=device).triu(diagonal=1)
    ### END SOLUTION


def position_wise_ffn(X: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """The Transformer's feed-forward sub-layer, the same two-layer MLP at every position.

    X (..., E); W1 (F, E), b1 (F,), W2 (E, F), b2 (E,) (nn.Linear's layouts: a linear map is
    x W^T + b; F is the hidden width, dim_feedforward).
        out = relu(X W1^T + b1) W2^T + b2                                     (..., E)
    A ReLU between the two layers and none after the second. Positions never mix: any
    number of leading axes, each last-axis vector transformed on its own.
    """
    ### BEGIN SOLUTION
    hidden = torch.relu(X @ W1.T + b1)  # (..., F)
    return hidden @ W2.T + b2
    ### END SOLUTION


def add_norm(X: torch.Tensor, Y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """'Add & norm': the residual sum, then layer normalisation over the last axis.

    X: a sub-layer's input, Y: its output, both (..., E); weight, bias (E,).
        out = layer_norm(X + Y) * weight + bias    over the last axis (biased variance, eps inside the sqrt)
    (d2l's AddNorm without dropout; the post-norm of nn.TransformerEncoderLayer). Use your
    layer_norm. With weight 1 and bias 0 each row of the output has mean 0 and variance ~1.
    """
    ### BEGIN SOLUTION
    return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)
    ### END SOLUTION


def encoder_block(
    X: torch.Tensor,
    params: dict[str, torch.Tensor],
    num_heads: int,
    key_padding_mask: torch.Tensor | None = None,
    attn_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """One Transformer encoder layer: nn.TransformerEncoderLayer(E, num_heads, F, dropout=0.0, batch_first=True).

    X (B, L, E). params holds the layer's state_dict: 'self_attn.in_proj_weight' (3E, E),
    'self_attn.in_proj_bias' (3E,), 'self_attn.out_proj.weight' (E, E),
    'self_attn.out_proj.bias' (E,), 'linear1.weight' (F, E), 'linear1.bias' (F,),
    'linear2.weight' (E, F), 'linear2.bias' (E,), 'norm1.weight', 'norm1.bias',
    'norm2.weight', 'norm2.bias' (E,).
        A = multi_head_attention(X, X, X) with the self_attn weights and both masks
        Y = add_norm(X, A) with norm1                         (post-norm: normalise AFTER the sum)
        out = add_norm(Y, position_wise_ffn(Y)) with linear1, linear2 and norm2     (B, L, E)
    key_padding_mask (B, L) and attn_mask (L, L) or (B*H, L, L) go to the self-attention
    unchanged, in nn.MultiheadAttention's convention (boolean True = NOT allowed). The
    pre-norm variant, X + MHA(layer_norm(X)), is another layer (norm_first=True).
    """
    ### BEGIN SOLUTION
    attended, _ = multi_head_attention(
        X, X, X, num_heads,
        params["self_attn.in_proj_weight"], params["self_attn.in_proj_bias"],
        params["self_attn.out_proj.weight"], params["self_attn.out_proj.bias"],
        key_padding_mask=key_padding_mask, attn_mask=attn_mask,
    )
    Y = add_norm(X, attended, params["norm1.weight"], params["norm1.bias"])
    fed = position_wise_ffn(Y, params["linear1.weight"], params["linear1.bias"], params["linear2.weight"], params["linear2.bias"])
    return add_norm(Y, fed, params["norm2.weight"], params["norm2.bias"])
    ### END SOLUTION


def decoder_block(
    X: torch.Tensor,
    memory: torch.Tensor,
    params: dict[str, torch.Tensor],
    num_heads: int,
    tgt_mask: torch.Tensor | None = None,
    tgt_key_padding_mask: torch.Tensor | None = None,
    memory_key_padding_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """One Transformer decoder layer: nn.TransformerDecoderLayer(E, num_heads, F, dropout=0.0, batch_first=True).

    X (B, L, E): the target side; memory (B, S, E): the encoder's output. params holds the
    layer's state_dict: the encoder's keys plus 'multihead_attn.*' (the cross-attention,
    same shapes as 'self_attn.*') and 'norm3.weight', 'norm3.bias'.
        A = multi_head_attention(X, X, X) with self_attn, tgt_mask, tgt_key_padding_mask
        Y = add_norm(X, A) with norm1                           (masked self-attention)
        C = multi_head_attention(Y, memory, memory) with multihead_attn, memory_key_padding_mask
        Z = add_norm(Y, C) with norm2                           (cross-attention: queries from Y)
        out = add_norm(Z, position_wise_ffn(Z)) with norm3                       (B, L, E)
    tgt_mask=causal_mask(L) gives the training-time decoder: position i sees targets 0..i
    only, so out[:, :t] does not depend on X[:, t:].
    """
    ### BEGIN SOLUTION
    attended, _ = multi_head_attention(
        X, X, X, num_heads,
        params["self_attn.in_proj_weight"], params["self_attn.in_proj_bias"],
        params["self_attn.out_proj.weight"], params["self_attn.out_proj.bias"],
        key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,
    )
    Y = add_norm(X, attended, params["norm1.weight"], params["norm1.bias"])
    crossed, _ = multi_head_attention(
        Y, memory, memory, num_heads,
        params["multihead_attn.in_proj_weight"], params["multihead_attn.in_proj_bias"],
        params["multihead_attn.out_proj.weight"], params["multihead_attn.out_proj.bias"],
        key_padding_mask=memory_key_padding_mask,
    )
    Z = add_norm(Y, crossed, params["norm2.weight"], params["norm2.bias"])
    fed = position_wise_ffn(Z, params["linear1.weight"], params["linear1.bias"], params["linear2.weight"], params["linear2.bias"])
    return add_norm(Z, fed, params["norm3.weight"], params["norm3.bias"])
    ### END SOLUTION


def embed_tokens(tokens: torch.Tensor, table: torch.Tensor, pos_table: torch.Tensor) -> torch.Tensor:
    """The Transformer's input: token embeddings scaled by sqrt(E), plus the positional encoding.

    tokens (B, L) int64 ids in [0, V); table (V, E): one embedding row per token id;
    pos_table (max_len, E) with max_len >= L (08's positional_encoding(max_len, E)).
        out[b, l] = table[tokens[b, l]] * sqrt(E) + pos_table[l]                 (B, L, E)
    The EMBEDDING is scaled (d2l's Transformer: the embeddings are small, the positions are
    in [-1, 1]), not the positional encoding; only the first L rows of pos_table are used.
    """
    ### BEGIN SOLUTION
    L, E = tokens.shape[-1], table.shape[-1]
    embedded = table[tokens] * E**0.5  # (B, L, E): one row of the table per token
    return embedded + pos_table[:L]
    ### END SOLUTION


def label_smoothing_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    smoothing: float = 0.0,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    """Cross-entropy against a smoothed target, as F.cross_entropy(..., label_smoothing=smoothing).

    logits (N, C) float; target (N,) int64 class ids in [0, C), or ignore_index.
    The target distribution of row i puts 1 - eps + eps / C on its class and eps / C on every
    other class (eps = smoothing in [0, 1]; eps / C on EVERY class, the true one included):
        loss_i = (1 - eps) * (-log p_i[target_i]) + eps * mean_c(-log p_i[c]),   p_i = softmax(logits_i)
    Rows whose target is ignore_index contribute 0 and do not count.
    reduction: "none" -> (N,) (0 at ignored rows); "sum" -> their sum; "mean" -> the sum
    divided by the number of rows NOT ignored (NaN, as in PyTorch, when all are ignored).
    Any other value raises ValueError. Stay finite for logits of +-1e4: use a stable log-softmax.
    """
    ### BEGIN SOLUTION
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()  # log_softmax over C
    keep = target != ignore_index
    safe = target.masked_fill(~keep, 0)  # an ignored target may be any id, even -100
    nll = -log_p.gather(-1, safe[:, None])[:, 0]  # (N,)
    smooth = -log_p.mean(dim=-1)  # (N,): the cross-entropy against the uniform distribution
    losses = (1 - smoothing) * nll + smoothing * smooth
    losses = torch.where(keep, losses, torch.zeros_like(losses))
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
    ### END SOLUTION
