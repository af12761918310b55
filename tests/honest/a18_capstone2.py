"""Honest rewrites of assignment 18 (capstone 2). The rewrite of multi_head_attention, a piece that
forward, greedy_decode and train all use, is graded in all of them (a full training included)."""

from mutants import Mutant

ATTENTION_BODY = """    q = q.reshape(B, L, H, d).transpose(1, 2)  # (B, H, L, d)
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
"""

# 08's form: three separate projections as einsums, the masks as an additive float bias, heads by einsum
ATTENTION_08 = """    bias = torch.zeros(B, 1, L, S, dtype=query.dtype, device=query.device)
    if attn_mask is not None:
        bias = bias.masked_fill(attn_mask, float("-inf"))
    if key_padding_mask is not None:
        bias = bias.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
    w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q, b_k, b_v = in_proj_bias.chunk(3)
    q = torch.einsum("ble,fe->blf", query, w_q).add(b_q).reshape(B, L, H, d)
    k = torch.einsum("bse,fe->bsf", key, w_k).add(b_k).reshape(B, S, H, d)
    v = torch.einsum("bse,fe->bsf", value, w_v).add(b_v).reshape(B, S, H, d)
    scores = torch.einsum("blhd,bshd->bhls", q, k) / d**0.5 + bias
    top = scores.amax(dim=-1, keepdim=True).nan_to_num(0.0, 0.0, 0.0)
    exps = (scores - top).exp()
    total = exps.sum(dim=-1, keepdim=True)
    weights = exps / total.clamp(min=torch.finfo(total.dtype).tiny)
    merged = torch.einsum("bhls,bshd->blhd", weights, v).reshape(B, L, E)
    return torch.einsum("ble,fe->blf", merged, out_proj_weight) + out_proj_bias, weights.mean(dim=1)
"""

HONEST = [
    Mutant("18", "capstone2", "multi_head_attention", "attention_as_in_08", ATTENTION_BODY, ATTENTION_08),
    # the output layer as an einsum
    Mutant("18", "capstone2", "forward", "einsum_output_layer", 'return h @ p["output.weight"].T + p["output.bias"]',
           'return torch.einsum("nte,ve->ntv", h, p["output.weight"]) + p["output.bias"]'),
    # a finished flag kept over the time steps, PAD fed back once a row has ended
    Mutant("18", "capstone2", "greedy_decode", "finished_flag_per_step",
           "    for _ in range(max_len):\n"
           "        logits = forward(src, dec_in, params)\n"
           "        dec_in = torch.cat([dec_in, logits[:, -1].argmax(dim=-1)[:, None]], dim=1)\n"
           "    tokens = dec_in[:, 1:]\n"
           "    ended_before = (tokens == EOS).long().cumsum(dim=1) - (tokens == EOS).long() > 0  # an EOS at an earlier position\n"
           "    return tokens.masked_fill(ended_before, PAD)\n",
           "    finished = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)\n"
           "    for _ in range(max_len):\n"
           "        logits = forward(src, dec_in, params)\n"
           "        token = torch.where(finished, torch.full_like(finished, PAD, dtype=torch.int64), logits[:, -1].argmax(dim=-1))\n"
           "        finished = finished | (token == EOS)\n"
           "        dec_in = torch.cat([dec_in, token[:, None]], dim=1)\n"
           "    return dec_in[:, 1:]\n"),
    # uniform weights with the same standard deviation (sqrt(3 / fan_in) bounds)
    Mutant("18", "capstone2", "init_params", "uniform_weights", "torch.randn(shape, generator=g) / math.sqrt(shape[1])",
           "(torch.rand(shape, generator=g) * 2 - 1) * math.sqrt(3.0 / shape[1])"),
]
