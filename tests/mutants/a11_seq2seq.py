"""Wrong implementations of assignment 11 (seq2seq: masking, teacher forcing, Bahdanau attention)."""

from mutants import Mutant

MUTANTS = [
    # sequence_mask
    # d2l's sequence_mask: `X[~mask] = value` writes into the caller's tensor and returns it
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_in_place",
           "return X.masked_fill(~keep, value)", "X.masked_fill_(~keep, value)  # the book writes into X\n    return X"),
    # the first <pad> after <eos> kept (t <= valid_len)
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_keeps_one_more",
           "keep = positions[None, :] < valid_len[:, None]", "keep = positions[None, :] <= valid_len[:, None]"),
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_ignores_value",
           "return X.masked_fill(~keep, value)", "return X.masked_fill(~keep, 0)"),
    # the mask built as (T, B): right only for square batches
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_transposed",
           "keep = positions[None, :] < valid_len[:, None]", "keep = (positions[:, None] < valid_len[None, :]).reshape(valid_len.shape[0], -1)"),
    # written for (B, T, D) only: one trailing axis, whatever X has
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_three_dims_only",
           "keep = keep.reshape(keep.shape + (1,) * (X.dim() - 2))", "keep = keep[..., None]"),
    # masked_cross_entropy
    # the seed's batch_loss (10.12.3): the mask updated after the loss with y != PAD counts the first <pad> after <eos>
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_counts_the_first_pad",
           "valid = torch.arange(T, device=logits.device)[None, :] < valid_len[:, None]  # (B, T)",
           "valid = torch.arange(T, device=logits.device)[None, :] < valid_len[:, None] + 1  # (B, T): <eos> and the first <pad>"),
    # valid_len taken as the length without <eos>
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_forgets_eos",
           "valid = torch.arange(T, device=logits.device)[None, :] < valid_len[:, None]  # (B, T)",
           "valid = torch.arange(T, device=logits.device)[None, :] < valid_len[:, None] - 1  # (B, T)"),
    # d2l's MaskedSoftmaxCELoss: mean over all T steps (padding in the denominator)
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_mean_over_all_positions",
           "return total / valid.sum().clamp(min=1)", "return total / valid.numel()"),
    # a mean of per-sequence means: short sequences weigh as much as long ones
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_mean_of_sequence_means",
           "return total / valid.sum().clamp(min=1)", "return (losses.sum(dim=1) / valid.sum(dim=1).clamp(min=1)).mean()"),
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_nan_for_all_padding",
           "return total / valid.sum().clamp(min=1)", "return total / valid.sum()"),
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_no_max_subtraction",
           "shifted = logits - logits.amax(dim=-1, keepdim=True)", "shifted = logits"),
    # log(softmax): the probability of a far-off target underflows to 0, its log to -inf
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_log_of_softmax",
           "log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()",
           "log_p = (shifted.exp() / shifted.exp().sum(dim=-1, keepdim=True)).log()"),
    # the mask applied only when reducing: 'none' still holds the padded positions' losses
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_none_unmasked",
           'if reduction == "none":\n        return losses', 'if reduction == "none":\n        return nll'),
    # teacher_forcing_inputs
    # the decoder is shown the token it must predict: training loss goes to 0, decoding is garbage
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_feeds_y",
           "return torch.cat([bos, Y[:, :-1]], dim=1)", "return Y.clone()"),
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_drops_the_last_column",
           "return torch.cat([bos, Y[:, :-1]], dim=1)", "return Y[:, :-1].clone()"),
    # <bos> written over the first target instead of shifting the targets right
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_overwrites_the_first_token",
           "return torch.cat([bos, Y[:, :-1]], dim=1)", "return torch.cat([bos, Y[:, 1:]], dim=1)"),
    # shifted the wrong way (the labels of a language model), <bos> at the end
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_shifts_left",
           "return torch.cat([bos, Y[:, :-1]], dim=1)", "return torch.cat([Y[:, 1:], bos], dim=1)"),
    # additive_attention
    Mutant("11", "seq2seq", "additive_attention", "additive_fill_minus_1e6",
           'scores = scores.masked_fill(~allowed, float("-inf"))', "scores = scores.masked_fill(~allowed, -1e6)"),
    Mutant("11", "seq2seq", "additive_attention", "additive_nan_for_empty_rows",
           "top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # rows with no valid key", "pass"),
    Mutant("11", "seq2seq", "additive_attention", "additive_masks_after_softmax",
           'scores = scores.masked_fill(~allowed, float("-inf"))',
           "exps_all = (scores - scores.amax(dim=-1, keepdim=True)).exp()\n"
           "    weights = exps_all / exps_all.sum(dim=-1, keepdim=True) * allowed\n"
           "    return weights @ values, weights"),
    Mutant("11", "seq2seq", "additive_attention", "additive_length_off_by_one",
           "allowed = positions < lens[..., None]", "allowed = positions <= lens[..., None]"),
    Mutant("11", "seq2seq", "additive_attention", "additive_batch_lengths_on_wrong_axis",
           "else valid_lens[:, None]", "else valid_lens[None, :]"),
    # the seed's attention_forward (10.12.2.2): F.softmax(e, dim=0) over every encoder step, padding included
    Mutant("11", "seq2seq", "additive_attention", "additive_ignores_valid_lens",
           "if valid_lens is None:", "if True:  # every key counts"),
    Mutant("11", "seq2seq", "additive_attention", "additive_no_max_subtraction",
           "exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys", "exps = scores.exp()"),
    Mutant("11", "seq2seq", "additive_attention", "additive_without_tanh",
           "features = torch.tanh(q[:, :, None, :] + k[:, None, :, :])", "features = q[:, :, None, :] + k[:, None, :, :]"),
    # nn.Linear's weight is (out, in): x @ W, not x @ W.T, is wrong (and fails unless square)
    Mutant("11", "seq2seq", "additive_attention", "additive_weights_not_transposed",
           "q = queries @ W_q.T  # (B, Q, A)", "q = queries @ W_q  # (B, Q, A)"),
    Mutant("11", "seq2seq", "additive_attention", "additive_softmax_over_queries",
           "total = exps.sum(dim=-1, keepdim=True)", "total = exps.sum(dim=-2, keepdim=True)"),
    Mutant("11", "seq2seq", "additive_attention", "additive_context_from_keys",
           "return weights @ values, weights", "return weights @ keys, weights"),
    # attention_decoder_forward
    # the seed's decoder: nn.GRU(2 * embed_size, ...), "the context and the input, so 2 * embed_size": right only when E == H
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_context_sized_as_the_embedding",
           "context = context.reshape(B, H)", 'context = context.reshape(B, params["embedding"].shape[1])  # the book\'s 2 * embed_size input'),
    # the seed's attention_forward: no valid lengths, the softmax covers the padded source positions
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_ignores_enc_valid_len",
           "additive_attention(query, enc_outputs, enc_outputs, enc_valid_len, W_q, W_k, w_v)",
           "additive_attention(query, enc_outputs, enc_outputs, None, W_q, W_k, w_v)"),
    # d2l's plain Seq2SeqDecoder order; its attention decoder puts the context first
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_embedding_before_context",
           "x = torch.cat([context, embedded[:, t]], dim=-1)", "x = torch.cat([embedded[:, t], context], dim=-1)"),
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_queries_with_the_initial_state",
           "query = s[:, None, :]", "query = state[:, None, :]"),
    # attends after the GRU update (query s_t): the contexts are right, but row t of the weights is queried with s_t
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_weights_from_the_updated_state",
           "        weights.append(w.reshape(B, -1))",
           "        _, w = additive_attention(s[:, None, :], enc_outputs, enc_outputs, enc_valid_len, W_q, W_k, w_v)  # s_t\n"
           "        weights.append(w.reshape(B, -1))"),
    # seed 000's Decoder: self.dense(squeeze(output)) of the final hidden state, one prediction per sequence
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_one_prediction_per_sequence",
           'logits = outputs @ params["dense.weight"].T + params["dense.bias"]',
           'logits = s @ params["dense.weight"].T + params["dense.bias"]  # the final state only'),
    # seed 000's squeeze(): also drops the batch axis when B = 1 (and the time axis when T = 1)
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_squeezes_the_batch",
           'logits = outputs @ params["dense.weight"].T + params["dense.bias"]',
           'logits = (outputs @ params["dense.weight"].T + params["dense.bias"]).squeeze()'),
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_returns_the_initial_state",
           "return logits, s, torch.stack(weights, dim=1)", "return logits, state, torch.stack(weights, dim=1)"),
    # Y_in shifted once more the wrong way: step t reads the input of step t + 1 (it sees the answer)
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_reads_the_next_input",
           "x = torch.cat([context, embedded[:, t]], dim=-1)", "x = torch.cat([context, embedded[:, min(t + 1, T - 1)]], dim=-1)"),
]

# Python loops over the batch: correct values, but a few torch calls per sequence. The efficiency
# check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_loop_over_rows",
           "return X.masked_fill(~keep, value)",
           "return torch.stack([row.masked_fill(~k, value) for row, k in zip(X, keep)])  # one row at a time"),
    Mutant("11", "seq2seq", "masked_cross_entropy", "masked_ce_loop_over_sequences",
           "nll = -log_p.gather(-1, safe[..., None])[..., 0]  # (B, T)",
           "nll = torch.stack([-row.gather(-1, ids[:, None])[:, 0] for row, ids in zip(log_p, safe)])  # one sequence at a time"),
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_loop_over_rows",
           "return torch.cat([bos, Y[:, :-1]], dim=1)", "return torch.stack([torch.cat([b, y[:-1]]) for b, y in zip(bos, Y)])"),
    Mutant("11", "seq2seq", "additive_attention", "additive_loop_over_batch",
           "    q = queries @ W_q.T  # (B, Q, A)\n",
           "    if queries.shape[0] > 1:  # one batch element at a time\n"
           "        pairs = [\n"
           "            additive_attention(queries[b : b + 1], keys[b : b + 1], values[b : b + 1],\n"
           "                               None if valid_lens is None else valid_lens[b : b + 1], W_q, W_k, w_v)\n"
           "            for b in range(queries.shape[0])\n"
           "        ]\n"
           "        return torch.cat([c for c, _ in pairs]), torch.cat([w for _, w in pairs])\n"
           "    q = queries @ W_q.T  # (B, Q, A)\n"),
    Mutant("11", "seq2seq", "attention_decoder_forward", "decoder_loop_over_batch",
           "    B, T = Y_in.shape\n",
           "    B, T = Y_in.shape\n"
           "    if B > 1:  # one sequence at a time\n"
           "        parts = [\n"
           "            attention_decoder_forward(Y_in[b : b + 1], state[b : b + 1], enc_outputs[b : b + 1],\n"
           "                                      None if enc_valid_len is None else enc_valid_len[b : b + 1], params)\n"
           "            for b in range(B)\n"
           "        ]\n"
           "        return tuple(torch.cat([p[i] for p in parts]) for i in range(3))\n"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # positions made without device=: right on the CPU; the meta device refuses to compare them with meta lengths
    Mutant("11", "seq2seq", "sequence_mask", "sequence_mask_positions_on_the_cpu",
           "positions = torch.arange(X.shape[1], device=X.device)", "positions = torch.arange(X.shape[1])", caught_by="meta"),
    Mutant("11", "seq2seq", "teacher_forcing_inputs", "teacher_forcing_bos_on_the_cpu",
           "bos = torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype, device=Y.device)",
           "bos = torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype)", caught_by="meta"),
]
