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
    raise NotImplementedError("TODO: implement this function")


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
    raise NotImplementedError("TODO: implement this function")


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
    raise NotImplementedError("TODO: implement this function")


def positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal position table of "Attention is all you need", float32 (max_len, d_model).

    P[p, 2i] = sin(p / 10000^(2i / d_model)),  P[p, 2i+1] = cos(p / 10000^(2i / d_model)).
    Column pairs (2i, 2i+1) share one frequency. An odd d_model is allowed: its last column
    (index d_model - 1, even) is a sine without a cosine partner.
    """
    raise NotImplementedError("TODO: implement this function")
