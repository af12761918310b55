"""Assignment 08: attention.

Build masked softmax, scaled dot-product attention, multi-head attention and the sinusoidal
positional encoding from elementary tensor operations. Do not call
F.scaled_dot_product_attention, F.multi_head_attention_forward or nn.MultiheadAttention
(torch.softmax is allowed, but read the docstrings about fully masked rows first).
"""

import torch


def masked_softmax(X: torch.Tensor, valid_lens: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis of X (B, Q, K) that only looks at the first valid_lens keys.

    valid_lens: None (every key is valid), an int64 tensor (B,) (one length per batch
    element, shared by its Q rows) or (B, Q) (one length per row).
    For a row with valid length n:  out[b, q, k] = exp(X[b, q, k]) / sum_{j<n} exp(X[b, q, j])
    for k < n, and out[b, q, k] = 0 for k >= n. A row with n = 0 has no valid key: it is all
    zeros (never NaN, never a uniform 1/K). Returns a tensor of X's shape, dtype and device.
    Stay finite for large scores: subtract the row maximum over the valid keys before exp.
    """
    ### BEGIN SOLUTION
    if valid_lens is None:
        allowed = torch.ones_like(X, dtype=torch.bool)
    else:
        lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None]  # (B, Q) or (B, 1)
        positions = torch.arange(X.shape[-1], device=X.device)
        allowed = positions < lens[..., None]  # (B, Q or 1, K)
    scores = X.masked_fill(~allowed, float("-inf"))
    top = scores.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # rows with no valid key
    exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys
    total = exps.sum(dim=-1, keepdim=True)
    return exps / torch.where(total > 0, total, torch.ones_like(total))
    ### END SOLUTION


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    is_causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(query key^T / sqrt(E) + mask) value, like F.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev); the leading dims broadcast.
    attn_mask, broadcastable to (..., L, S):
      - boolean: True where query l MAY attend to key s (masked scores become -inf);
      - float: added to the scores (use -inf to forbid a position).
    is_causal=True (with attn_mask None): query l may attend to keys s <= l only (the
    top-left lower triangle of an (L, S) matrix).
    Returns (output (..., L, Ev), weights (..., L, S)). Each weights row sums to 1 over its
    allowed keys and is exactly 0 at forbidden ones; a row with no allowed key is all zeros,
    so its output row is 0 (as in PyTorch).
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
    """nn.MultiheadAttention(E, num_heads, batch_first=True) with the given weights.

    query (B, L, E), key (B, S, E), value (B, S, E); H = num_heads divides E; d = E / H.
    in_proj_weight (3E, E) stacks W_q, W_k, W_v (in that order), in_proj_bias (3E,) or None;
    out_proj_weight (E, E), out_proj_bias (E,) or None. A linear map is x W^T + b.
      1. q, k, v = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v     (B, *, E)
      2. split heads: (B, L, E) -> (B, L, H, d) -> (B, H, L, d)  (head h owns the columns
         h*d ... (h+1)*d - 1 of the projection)
      3. per head: softmax(q k^T / sqrt(d) + mask) v                          (B, H, L, d)
      4. merge heads: (B, H, L, d) -> (B, L, H, d) -> (B, L, E), then the output projection.
    Masks use nn.MultiheadAttention's convention, the OPPOSITE of
    scaled_dot_product_attention's: a boolean mask is True where attending is NOT allowed.
      key_padding_mask (B, S): True (or a float added to the scores) for padding keys;
      attn_mask (L, S) or (B*H, L, S) (batch-major: index b*H + h): True where query l must
      not see key s, or a float added to the scores.
    Returns (output (B, L, E), weights (B, L, S) averaged over the H heads).
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


def positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal position table of "Attention is all you need", float32 (max_len, d_model).

    P[p, 2i] = sin(p / 10000^(2i / d_model)),  P[p, 2i+1] = cos(p / 10000^(2i / d_model)).
    Column pairs (2i, 2i+1) share one frequency. An odd d_model is allowed: its last column
    (index d_model - 1, even) is a sine without a cosine partner.
    """
    ### BEGIN SOLUTION
    positions = torch.arange(max_len, dtype=torch.float64)[:, None]
    even = torch.arange(0, d_model, 2, dtype=torch.float64)  # the 2i of each column pair
    angles = positions / 10000 ** (even / d_model)  # (max_len, ceil(d_model / 2))
    P = torch.zeros(max_len, d_model, dtype=torch.float64)
    P[:, 0::2] = angles.sin()
    P[:, 1::2] = angles[:, : d_model // 2].cos()
    return P.float()
    ### END SOLUTION
