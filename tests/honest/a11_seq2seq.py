"""Honest rewrites of assignment 11 (seq2seq: masking, teacher forcing, Bahdanau attention)."""

from mutants import Mutant

HONEST = [
    # d2l's `X[~mask] = value`, but on a copy, with the mask expanded to X's shape
    Mutant("11", "seq2seq", "sequence_mask", "index_put_on_a_copy",
           "    return X.masked_fill(~keep, value)",
           "    out = X.clone()\n    out[~keep.expand(X.shape)] = value\n    return out"),
    # torch.where against a tensor of `value` in X's dtype
    Mutant("11", "seq2seq", "sequence_mask", "where_with_a_full_tensor",
           "return X.masked_fill(~keep, value)", "return torch.where(keep, X, torch.full_like(X, value))"),
    # log-softmax in float64, the target's log-probability picked by a one-hot product, the padding masked by sequence_mask
    Mutant("11", "seq2seq", "masked_cross_entropy", "float64_one_hot_and_sequence_mask",
           "    shifted = logits - logits.amax(dim=-1, keepdim=True)\n"
           "    log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()  # log_softmax over V\n"
           "    safe = target.masked_fill(~valid, 0)  # a padded target may be any id, even -100\n"
           "    nll = -log_p.gather(-1, safe[..., None])[..., 0]  # (B, T)\n"
           "    losses = torch.where(valid, nll, torch.zeros_like(nll))  # masked before any reduction\n",
           "    wide = logits.double()\n"
           "    log_p = wide - wide.amax(dim=-1, keepdim=True)\n"
           "    log_p = log_p - log_p.exp().sum(dim=-1, keepdim=True).log()\n"
           "    one_hot = target[..., None] == torch.arange(logits.shape[-1], device=logits.device)\n"
           "    nll = -(log_p * one_hot).sum(dim=-1)  # 0 where the target is out of range\n"
           "    losses = sequence_mask(nll, valid_len).to(logits.dtype)\n"),
    # the mean as a ratio guarded by torch.where, the count taken from valid_len itself
    Mutant("11", "seq2seq", "masked_cross_entropy", "mean_guarded_by_where",
           "    return total / valid.sum().clamp(min=1)  # the number of real tokens; 0 / 1 = 0 for none",
           "    count = valid_len.sum().to(total.dtype)\n"
           "    return torch.where(count > 0, total / torch.where(count > 0, count, torch.ones_like(count)), torch.zeros_like(total))"),
    # the targets rolled right, then column 0 overwritten on the new tensor
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "roll_then_set_column_zero",
           "    bos = torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype, device=Y.device)\n"
           "    return torch.cat([bos, Y[:, :-1]], dim=1)",
           "    out = Y.roll(1, dims=1)\n    out[:, 0] = bos_id\n    return out"),
    # a tensor of bos_id, then the shifted targets copied into columns 1..
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "new_full_then_copy",
           "    bos = torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype, device=Y.device)\n"
           "    return torch.cat([bos, Y[:, :-1]], dim=1)",
           "    out = Y.new_full(Y.shape, bos_id)\n    out[:, 1:] = Y[:, :-1]\n    return out"),
    # every product as an einsum
    Mutant("11", "seq2seq", "additive_attention", "einsum_everywhere",
           "    q = queries @ W_q.T  # (B, Q, A)\n"
           "    k = keys @ W_k.T  # (B, K, A)\n"
           "    features = torch.tanh(q[:, :, None, :] + k[:, None, :, :])  # (B, Q, K, A)\n"
           "    scores = features @ w_v  # (B, Q, K)\n",
           "    q = torch.einsum(\"bqd,ad->bqa\", queries, W_q)\n"
           "    k = torch.einsum(\"bkd,ad->bka\", keys, W_k)\n"
           "    scores = torch.einsum(\"bqka,a->bqk\", torch.tanh(q.unsqueeze(2) + k.unsqueeze(1)), w_v)\n"),
    # exp(scores - logsumexp over the valid keys), the log-sum-exp by hand; a row with no valid key gets exp(-inf) = 0
    Mutant("11", "seq2seq", "additive_attention", "exp_minus_log_sum_exp",
           "    exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys\n"
           "    total = exps.sum(dim=-1, keepdim=True)\n"
           "    weights = exps / torch.where(total > 0, total, torch.ones_like(total))\n",
           "    log_total = (scores - top).exp().sum(dim=-1, keepdim=True).log()  # -inf for a row with no valid key\n"
           "    log_total = torch.where(torch.isfinite(log_total), log_total, torch.full_like(log_total, float(\"inf\")))\n"
           "    weights = (scores - (top + log_total)).exp()\n"),
    # the GRU inlined, its input projection split at H: the embeddings' share for all T steps in one product
    Mutant("11", "seq2seq", "attention_decoder_forward", "split_input_projection",
           "        context = context.reshape(B, H)  # (B, 1, H) -> (B, H): the encoder's hidden size\n"
           "        x = torch.cat([context, embedded[:, t]], dim=-1)  # (B, H + E): context first, then the embedding\n"
           "        s = gru_cell(x, s, w_ih, w_hh, b_ih, b_hh)\n",
           "        if t == 0:  # the embeddings' part of x W_ih^T for every step at once: (B, T, 3H)\n"
           "            from_embedded = embedded @ w_ih[:, H:].T + b_ih\n"
           "        from_x = context.reshape(B, H) @ w_ih[:, :H].T + from_embedded[:, t]\n"
           "        from_h = s @ w_hh.T + b_hh\n"
           "        r = torch.sigmoid(from_x[:, :H] + from_h[:, :H])\n"
           "        z = torch.sigmoid(from_x[:, H : 2 * H] + from_h[:, H : 2 * H])\n"
           "        n = torch.tanh(from_x[:, 2 * H :] + r * from_h[:, 2 * H :])\n"
           "        s = (1 - z) * n + z * s\n"),
    # the table looked up with index_select
    Mutant("11", "seq2seq", "attention_decoder_forward", "index_select_lookup",
           "    embedded = params[\"embedding\"][Y_in]  # (B, T, E): one row of the table per token\n",
           "    embedded = params[\"embedding\"].index_select(0, Y_in.reshape(-1)).reshape(B, T, -1)\n"),
    # the output layer applied inside the loop, one step at a time
    Mutant("11", "seq2seq", "attention_decoder_forward", "logits_per_step",
           "        states.append(s)\n"
           "        weights.append(w.reshape(B, -1))\n"
           "    outputs = torch.stack(states, dim=1)  # (B, T, H)\n"
           "    logits = outputs @ params[\"dense.weight\"].T + params[\"dense.bias\"]\n",
           "        states.append(torch.addmm(params[\"dense.bias\"], s, params[\"dense.weight\"].T))\n"
           "        weights.append(w.reshape(B, -1))\n"
           "    logits = torch.stack(states, dim=1)  # (B, T, V)\n"),
]
