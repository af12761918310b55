"""Honest rewrites of assignment 17 (BERT inputs and pre-training targets)."""

from mutants import Mutant

HONEST = [
    # the segments as zeros then ones, concatenated
    Mutant("17", "bert", "bert_input", "segments_by_concatenation",
           "    first = tokens_a.shape[0] + 2  # <cls>, sentence a and the first <sep>\n"
           "    segment_ids = (torch.arange(token_ids.shape[0], device=tokens_a.device) >= first).long()\n",
           "    zeros = torch.zeros(tokens_a.shape[0] + 2, dtype=torch.int64, device=tokens_a.device)\n"
           "    ones = torch.ones(token_ids.shape[0] - zeros.shape[0], dtype=torch.int64, device=tokens_a.device)\n"
           "    segment_ids = torch.cat([zeros, ones])\n"),
    # index_select on the flattened ids, the segment rows chosen with torch.where, the positions broadcast by unsqueeze
    Mutant("17", "bert", "bert_embeddings", "embeddings_by_index_select_and_where",
           "    return token_table[token_ids] + segment_table[segment_ids] + pos_table[:L]",
           "    tokens = torch.index_select(token_table, 0, token_ids.reshape(-1)).reshape(*token_ids.shape, -1)\n"
           "    segments = torch.where(segment_ids[..., None] == 1, segment_table[1], segment_table[0])\n"
           "    return tokens + segments + pos_table[:L].unsqueeze(0)"),
    # the ranks by pairwise comparisons (a key below, or equal at a lower position), no sort at all
    Mutant("17", "bert", "mlm_mask", "mlm_ranks_by_pairwise_comparison",
           "    order = torch.sort(key, dim=1, stable=True).indices\n"
           "    rank = torch.argsort(order, dim=1)  # rank[b, l]: where position l comes in row b's order\n",
           "    positions = torch.arange(key.shape[1], device=key.device)\n"
           "    before = (key[:, None, :] < key[:, :, None]) | ((key[:, None, :] == key[:, :, None]) & (positions[None, :] < positions[:, None]))\n"
           "    rank = before.sum(dim=2)  # how many positions come before l in row b\n"),
    # the draws flat then viewed (the same numbers), the ranks scattered, the ids by masked_fill and a boolean mask
    Mutant("17", "bert", "mlm_mask", "mlm_flat_draws_scatter_and_masked_fill",
           "    u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    v = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    r = torch.randint(0, vocab_size, shape, generator=g, device=g.device).to(token_ids.device)\n",
           "    u = torch.rand(shape.numel(), generator=g, device=g.device).view(shape).to(token_ids.device)\n"
           "    v = torch.rand(shape.numel(), generator=g, device=g.device).view(shape).to(token_ids.device)\n"
           "    r = torch.randint(0, vocab_size, (shape.numel(),), generator=g, device=g.device).view(shape).to(token_ids.device)\n"),
    Mutant("17", "bert", "mlm_mask", "mlm_rank_by_scatter",
           "    rank = torch.argsort(order, dim=1)  # rank[b, l]: where position l comes in row b's order\n"
           "    is_target = rank < n[:, None]\n"
           "    masked_ids = torch.where(is_target & (v < 0.8), torch.full_like(token_ids, mask_id), token_ids)\n"
           "    masked_ids = torch.where(is_target & (v >= 0.8) & (v < 0.9), r, masked_ids)\n",
           "    first_n = torch.arange(shape[1], device=token_ids.device)[None, :] < n[:, None]  # the first n_b of each order\n"
           "    is_target = torch.zeros_like(first_n).scatter(1, order, first_n)\n"
           "    masked_ids = token_ids.masked_fill(is_target & (v < 0.8), mask_id)\n"
           "    random = is_target & (v >= 0.8) & (v < 0.9)\n"
           "    masked_ids = torch.where(random, r, masked_ids)\n"),
    # torch.gather along the positions, each index repeated over the features
    Mutant("17", "bert", "gather_positions", "gather_by_torch_gather",
           "    batch = torch.arange(X.shape[0], device=X.device)[:, None]  # (B, 1), broadcast against (B, P)\n"
           "    return X[batch, positions]",
           "    return torch.gather(X, 1, positions[:, :, None].expand(-1, -1, X.shape[2]))"),
    # d2l's MaskLM: batch indices by repeat_interleave, flat pairs, reshaped
    Mutant("17", "bert", "gather_positions", "gather_by_repeat_interleave",
           "    batch = torch.arange(X.shape[0], device=X.device)[:, None]  # (B, 1), broadcast against (B, P)\n"
           "    return X[batch, positions]",
           "    B, P = positions.shape\n"
           "    batch = torch.repeat_interleave(torch.arange(B, device=X.device), P)\n"
           "    return X[batch, positions.reshape(-1)].reshape(B, P, X.shape[2])"),
    # torch.logsumexp in float64, the label's logit by a one-hot product, cast back at the end
    Mutant("17", "bert", "mlm_loss", "loss_by_logsumexp_in_float64",
           "    top = logits.amax(dim=-1, keepdim=True)\n"
           "    log_z = top[..., 0] + (logits - top).exp().sum(dim=-1).log()\n"
           "    ce = log_z - logits.gather(-1, labels[..., None])[..., 0]\n"
           "    w = weights.to(logits.dtype)\n"
           "    return (w * ce).sum() / (w.sum() + 1e-8)",
           "    x = logits.double()\n"
           "    picked = (x * (labels[..., None] == torch.arange(x.shape[-1], device=x.device))).sum(dim=-1)\n"
           "    ce = torch.logsumexp(x, dim=-1) - picked\n"
           "    w = weights.double()\n"
           "    return ((w * ce).sum() / (w.sum() + 1e-8)).to(logits.dtype)"),
    # the label's logit subtracted inside the log-sum-exp, the weights normalised first
    Mutant("17", "bert", "mlm_loss", "loss_by_normalised_weights",
           "    ce = log_z - logits.gather(-1, labels[..., None])[..., 0]\n"
           "    w = weights.to(logits.dtype)\n"
           "    return (w * ce).sum() / (w.sum() + 1e-8)",
           "    ce = log_z - torch.take_along_dim(logits, labels[..., None], dim=-1).squeeze(-1)\n"
           "    w = weights.to(logits.dtype)\n"
           "    return (w / (w.sum() + 1e-8) * ce).sum()"),
    # the second sentence's index by arithmetic, rows picked with index_select
    Mutant("17", "bert", "nsp_pairs", "nsp_by_arithmetic_and_index_select",
           "    following = torch.arange(1, N, device=sentences.device)\n"
           "    second = sentences[torch.where(is_next, following, j)]\n"
           "    return sentences[:-1].clone(), second, is_next",
           "    take = is_next.long() * torch.arange(1, N, device=sentences.device) + (~is_next).long() * j\n"
           "    second = torch.index_select(sentences, 0, take)\n"
           "    return torch.index_select(sentences, 0, torch.arange(N - 1, device=sentences.device)), second, is_next"),
]
