"""Honest rewrites of assignment 16 (Transformer blocks)."""

from mutants import Mutant

HONEST = [
    # the mask as a comparison of column and row indices
    Mutant("16", "transformer", "causal_mask", "causal_mask_from_index_comparison",
           "return torch.ones(L, L, dtype=torch.bool, device=device).triu(diagonal=1)",
           "positions = torch.arange(L, device=device)\n"
           "    return positions[None, :] > positions[:, None]  # key j after query i"),
    # both layers as einsum, the ReLU as clamp
    Mutant("16", "transformer", "position_wise_ffn", "ffn_einsum_and_clamp",
           "    hidden = torch.relu(X @ W1.T + b1)  # (..., F)\n    return hidden @ W2.T + b2\n",
           "    hidden = (torch.einsum(\"...e,fe->...f\", X, W1) + b1).clamp(min=0)\n"
           "    return torch.einsum(\"...f,ef->...e\", hidden, W2) + b2\n"),
    # the statistics in float64 with var_mean, cast back at the end
    Mutant("16", "transformer", "add_norm", "add_norm_float64_var_mean",
           "    return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)\n",
           "    total = X.double() + Y.double()\n"
           "    var, mean = torch.var_mean(total, dim=-1, keepdim=True, correction=0)\n"
           "    return ((total - mean) * torch.rsqrt(var + eps) * weight.double() + bias.double()).to(X.dtype)\n"),
    # the whole layer in float64 (a more accurate answer than PyTorch's float32 layer), cast back
    Mutant("16", "transformer", "encoder_block", "encoder_in_float64",
           "    attended, _ = multi_head_attention(\n",
           "    if X.dtype != torch.float64:\n"
           "        wide = {k: v.double() for k, v in params.items()}\n"
           "        mask = attn_mask if attn_mask is None or attn_mask.dtype == torch.bool else attn_mask.double()\n"
           "        padding = key_padding_mask if key_padding_mask is None or key_padding_mask.dtype == torch.bool else key_padding_mask.double()\n"
           "        return encoder_block(X.double(), wide, num_heads, padding, mask).to(X.dtype)\n"
           "    attended, _ = multi_head_attention(\n"),
    # the three projections of the self-attention as one product with in_proj_weight, split afterwards, heads by einsum
    Mutant("16", "transformer", "encoder_block", "encoder_fused_projection",
           "    attended, _ = multi_head_attention(\n"
           "        X, X, X, num_heads,\n"
           "        params[\"self_attn.in_proj_weight\"], params[\"self_attn.in_proj_bias\"],\n"
           "        params[\"self_attn.out_proj.weight\"], params[\"self_attn.out_proj.bias\"],\n"
           "        key_padding_mask=key_padding_mask, attn_mask=attn_mask,\n"
           "    )\n",
           "    B, L, E = X.shape\n"
           "    H, d = num_heads, E // num_heads\n"
           "    qkv = X @ params[\"self_attn.in_proj_weight\"].T + params[\"self_attn.in_proj_bias\"]  # (B, L, 3E)\n"
           "    q, k, v = qkv.reshape(B, L, 3, H, d).permute(2, 0, 3, 1, 4)  # each (B, H, L, d)\n"
           "    scores = torch.einsum(\"bhld,bhsd->bhls\", q, k) / d ** 0.5\n"
           "    for mask in (attn_mask, key_padding_mask):\n"
           "        if mask is None:\n"
           "            continue\n"
           "        if mask is key_padding_mask:\n"
           "            mask = mask[:, None, None, :]\n"
           "        elif mask.dim() == 3:\n"
           "            mask = mask.reshape(B, H, L, L)\n"
           "        scores = scores.masked_fill(mask, float(\"-inf\")) if mask.dtype == torch.bool else scores + mask\n"
           "    weights = (scores - scores.amax(dim=-1, keepdim=True)).exp()\n"
           "    weights = weights / weights.sum(dim=-1, keepdim=True)  # the tests never forbid a whole row\n"
           "    heads = torch.einsum(\"bhls,bhsd->blhd\", weights, v).reshape(B, L, E)\n"
           "    attended = heads @ params[\"self_attn.out_proj.weight\"].T + params[\"self_attn.out_proj.bias\"]\n"),
    # the whole layer in float64, cast back
    Mutant("16", "transformer", "decoder_block", "decoder_in_float64",
           "    attended, _ = multi_head_attention(\n        X, X, X, num_heads,\n",
           "    if X.dtype != torch.float64:\n"
           "        def wide(mask):\n"
           "            return mask if mask is None or mask.dtype == torch.bool else mask.double()\n\n"
           "        return decoder_block(\n"
           "            X.double(), memory.double(), {k: v.double() for k, v in params.items()}, num_heads,\n"
           "            wide(tgt_mask), wide(tgt_key_padding_mask), wide(memory_key_padding_mask),\n"
           "        ).to(X.dtype)\n"
           "    attended, _ = multi_head_attention(\n        X, X, X, num_heads,\n"),
    # the lookup with index_select on the flattened ids, the positions broadcast with [None]
    Mutant("16", "transformer", "embed_tokens", "embed_index_select",
           "    embedded = table[tokens] * E**0.5  # (B, L, E): one row of the table per token\n"
           "    return embedded + pos_table[:L]\n",
           "    rows = table.index_select(0, tokens.reshape(-1)).reshape(*tokens.shape, E)\n"
           "    return rows / E**-0.5 + pos_table[None, :L]\n"),
    # the smoothed target distribution written out, the loss as -(q * log p).sum, log-softmax with logsumexp
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_explicit_target_distribution",
           "    nll = -log_p.gather(-1, safe[:, None])[:, 0]  # (N,)\n"
           "    smooth = -log_p.mean(dim=-1)  # (N,): the cross-entropy against the uniform distribution\n"
           "    losses = (1 - smoothing) * nll + smoothing * smooth\n",
           "    C = logits.shape[-1]\n"
           "    q = torch.full_like(log_p, smoothing / C)\n"
           "    q = q + (1 - smoothing) * (safe[:, None] == torch.arange(C, device=logits.device)).to(log_p.dtype)\n"
           "    losses = -(q * log_p).sum(dim=-1)\n"),
    # float64 inside and torch.logsumexp (allowed here), cast back once the per-row losses are known
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_float64_logsumexp",
           "    shifted = logits - logits.amax(dim=-1, keepdim=True)\n"
           "    log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()  # log_softmax over C\n"
           "    keep = target != ignore_index\n"
           "    safe = target.masked_fill(~keep, 0)  # an ignored target may be any id, even -100\n"
           "    nll = -log_p.gather(-1, safe[:, None])[:, 0]  # (N,)\n"
           "    smooth = -log_p.mean(dim=-1)  # (N,): the cross-entropy against the uniform distribution\n"
           "    losses = (1 - smoothing) * nll + smoothing * smooth\n",
           "    wide = logits.double()\n"
           "    log_p = wide - torch.logsumexp(wide, dim=-1, keepdim=True)\n"
           "    keep = target != ignore_index\n"
           "    picked = log_p.gather(-1, target.clamp(0, logits.shape[-1] - 1)[:, None])[:, 0]  # any id where ignored\n"
           "    losses = (-(1 - smoothing) * picked - smoothing * log_p.mean(dim=-1)).to(logits.dtype)\n"),
]
