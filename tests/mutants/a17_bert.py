"""Wrong implementations of assignment 17 (BERT inputs and pre-training targets)."""

from mutants import Mutant

MUTANTS = [
    # bert_input
    Mutant("17", "bert", "bert_input", "pair_without_the_last_sep",  # seed 000: <cls>我爱你<sep>今天天气不错, eleven tokens
           "parts += [tokens_b, sep]", "parts += [tokens_b]"),
    Mutant("17", "bert", "bert_input", "first_sep_in_segment_1",
           "first = tokens_a.shape[0] + 2", "first = tokens_a.shape[0] + 1"),
    Mutant("17", "bert", "bert_input", "last_sep_in_segment_0",
           "segment_ids = (torch.arange(token_ids.shape[0], device=tokens_a.device) >= first).long()",
           "positions = torch.arange(token_ids.shape[0], device=tokens_a.device)\n"
           "    segment_ids = ((positions >= first) & (positions < token_ids.shape[0] - 1)).long()"),
    Mutant("17", "bert", "bert_input", "cls_and_sep_swapped",
           "parts = [cls, tokens_a, sep]", "parts = [sep, tokens_a, cls]"),
    Mutant("17", "bert", "bert_input", "segments_as_float",
           ">= first).long()", ">= first).float()"),
    Mutant("17", "bert", "bert_input", "empty_second_sentence_taken_for_none",
           "if tokens_b is not None:", "if tokens_b is not None and tokens_b.numel() > 0:"),
    Mutant("17", "bert", "bert_input", "no_cls",
           "parts = [cls, tokens_a, sep]", "parts = [tokens_a, sep]"),
    # bert_embeddings
    Mutant("17", "bert", "bert_embeddings", "no_segment_embedding",
           " + segment_table[segment_ids]", ""),
    Mutant("17", "bert", "bert_embeddings", "no_position_embedding",
           " + pos_table[:L]", ""),
    Mutant("17", "bert", "bert_embeddings", "positions_from_the_end_of_the_table",
           "pos_table[:L]", "pos_table[-L:]"),
    Mutant("17", "bert", "bert_embeddings", "position_indexed_by_batch",
           "pos_table[:L]", "pos_table[: token_ids.shape[0]][:, None]"),
    Mutant("17", "bert", "bert_embeddings", "tokens_scaled_by_sqrt_d",  # the Transformer's embed_tokens (16), not BERT's
           "token_table[token_ids] +", "token_table[token_ids] * token_table.shape[1] ** 0.5 +"),
    Mutant("17", "bert", "bert_embeddings", "positions_start_at_one",
           "pos_table[:L]", "pos_table[1 : L + 1]"),
    # mlm_mask
    Mutant("17", "bert", "mlm_mask", "specials_can_be_masked",
           "key = torch.where(candidates, u, torch.full_like(u, 2.0))", "key = u"),
    Mutant("17", "bert", "mlm_mask", "fifteen_percent_of_all_positions",
           "count = candidates.sum(dim=1)  # C_b", "count = torch.full_like(candidates.sum(dim=1), token_ids.shape[1])"),
    Mutant("17", "bert", "mlm_mask", "every_target_masked",  # no 10/10: every target becomes mask_id
           "    masked_ids = torch.where(is_target & (v < 0.8), torch.full_like(token_ids, mask_id), token_ids)\n"
           "    masked_ids = torch.where(is_target & (v >= 0.8) & (v < 0.9), r, masked_ids)\n",
           "    masked_ids = torch.where(is_target, torch.full_like(token_ids, mask_id), token_ids)\n"),
    Mutant("17", "bert", "mlm_mask", "no_random_replacement",  # 80% mask_id, 20% unchanged
           "    masked_ids = torch.where(is_target & (v >= 0.8) & (v < 0.9), r, masked_ids)\n", ""),
    Mutant("17", "bert", "mlm_mask", "random_and_unchanged_swapped",
           "(v >= 0.8) & (v < 0.9)", "(v >= 0.9)"),
    Mutant("17", "bert", "mlm_mask", "targets_are_the_changed_tokens",  # the 10% left unchanged are targets too (label = original)
           "    return masked_ids, is_target", "    return masked_ids, masked_ids != token_ids"),
    Mutant("17", "bert", "mlm_mask", "draws_from_the_global_generator",
           "u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)",
           "u = torch.rand(shape, device=token_ids.device)"),
    Mutant("17", "bert", "mlm_mask", "draws_in_another_order",
           "    u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    v = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n",
           "    v = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"),
    Mutant("17", "bert", "mlm_mask", "random_id_drawn_first",
           "    u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    v = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    r = torch.randint(0, vocab_size, shape, generator=g, device=g.device).to(token_ids.device)\n",
           "    r = torch.randint(0, vocab_size, shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"
           "    v = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)\n"),
    Mutant("17", "bert", "mlm_mask", "d2l_python_round_over_all_tokens",  # max(1, round(len(tokens) * 0.15)): half to even, over the row
           "    n = torch.floor(mask_prob * count.double() + 0.5).long().clamp(min=1)\n",
           "    n = torch.round(mask_prob * torch.full_like(count, token_ids.shape[1]).double()).long().clamp(min=1)\n"),
    Mutant("17", "bert", "mlm_mask", "round_half_to_even",
           "torch.floor(mask_prob * count.double() + 0.5)", "torch.round(mask_prob * count.double())"),
    Mutant("17", "bert", "mlm_mask", "no_target_when_the_count_rounds_to_zero",
           ".long().clamp(min=1)", ".long()"),
    Mutant("17", "bert", "mlm_mask", "one_target_in_a_row_without_candidates",
           "n = torch.where(count > 0, n, torch.zeros_like(n))", "n = n"),
    Mutant("17", "bert", "mlm_mask", "mask_prob_ignored",
           "torch.floor(mask_prob * count.double() + 0.5)", "torch.floor(0.15 * count.double() + 0.5)"),
    Mutant("17", "bert", "mlm_mask", "bernoulli_targets",  # each candidate a target with probability mask_prob: no exact count
           "is_target = rank < n[:, None]", "is_target = candidates & (u < mask_prob)"),
    Mutant("17", "bert", "mlm_mask", "largest_u_are_the_targets",
           "key = torch.where(candidates, u, torch.full_like(u, 2.0))", "key = torch.where(candidates, 1 - u, torch.full_like(u, 2.0))"),
    Mutant("17", "bert", "mlm_mask", "random_ids_avoid_the_specials",
           "r = torch.randint(0, vocab_size, shape,", "r = torch.randint(5, vocab_size, shape,"),
    # gather_positions
    Mutant("17", "bert", "gather_positions", "batch_index_by_repeat_not_repeat_interleave",
           "    batch = torch.arange(X.shape[0], device=X.device)[:, None]  # (B, 1), broadcast against (B, P)\n"
           "    return X[batch, positions]",
           "    B, P = positions.shape\n"
           "    batch = torch.arange(B, device=X.device).repeat(P)\n"
           "    return X[batch, positions.reshape(-1)].reshape(B, P, -1)"),
    Mutant("17", "bert", "gather_positions", "indexed_by_the_positions_alone",  # (B, B, P, D)
           "return X[batch, positions]", "return X[:, positions]"),
    Mutant("17", "bert", "gather_positions", "flattened_without_the_batch_offset",
           "return X[batch, positions]", "return X.reshape(-1, X.shape[-1])[positions]"),
    Mutant("17", "bert", "gather_positions", "first_rows_positions_for_every_row",
           "return X[batch, positions]", "return X[batch, positions[:1]]"),
    # mlm_loss
    Mutant("17", "bert", "mlm_loss", "d2l_mean_loss_times_the_weights",  # _get_batch_loss_bert: CrossEntropyLoss() is a scalar mean
           "return (w * ce).sum() / (w.sum() + 1e-8)", "return (ce.mean() * w).sum() / (w.sum() + 1e-8)"),
    Mutant("17", "bert", "mlm_loss", "divided_by_every_slot",
           "return (w * ce).sum() / (w.sum() + 1e-8)", "return (w * ce).sum() / w.numel()"),
    Mutant("17", "bert", "mlm_loss", "padding_in_the_sum",
           "return (w * ce).sum() / (w.sum() + 1e-8)", "return ce.sum() / (w.sum() + 1e-8)"),
    Mutant("17", "bert", "mlm_loss", "nan_when_every_weight_is_zero",
           "return (w * ce).sum() / (w.sum() + 1e-8)", "return (w * ce).sum() / w.sum()"),
    Mutant("17", "bert", "mlm_loss", "mean_of_row_means",
           "return (w * ce).sum() / (w.sum() + 1e-8)", "return ((w * ce).sum(dim=1) / (w.sum(dim=1) + 1e-8)).mean()"),
    Mutant("17", "bert", "mlm_loss", "log_of_softmax_without_the_max",
           "    top = logits.amax(dim=-1, keepdim=True)\n",
           "    top = torch.zeros_like(logits.amax(dim=-1, keepdim=True))\n"),
    Mutant("17", "bert", "mlm_loss", "log_z_without_the_max_added_back",
           "log_z = top[..., 0] + (logits - top)", "log_z = (logits - top)"),
    Mutant("17", "bert", "mlm_loss", "loss_of_the_probability_not_its_log",
           "ce = log_z - logits.gather(-1, labels[..., None])[..., 0]",
           "ce = 1 - (logits.gather(-1, labels[..., None])[..., 0] - log_z).exp()"),
    # nsp_pairs
    Mutant("17", "bert", "nsp_pairs", "nsp_draws_in_another_order",
           "    c = torch.rand(N - 1, generator=g, device=g.device).to(sentences.device)\n"
           "    j = torch.randint(0, N, (N - 1,), generator=g, device=g.device).to(sentences.device)\n",
           "    j = torch.randint(0, N, (N - 1,), generator=g, device=g.device).to(sentences.device)\n"
           "    c = torch.rand(N - 1, generator=g, device=g.device).to(sentences.device)\n"),
    Mutant("17", "bert", "nsp_pairs", "nsp_draws_from_the_global_generator",
           "c = torch.rand(N - 1, generator=g, device=g.device).to(sentences.device)",
           "c = torch.rand(N - 1, device=sentences.device)"),
    Mutant("17", "bert", "nsp_pairs", "label_by_comparing_the_sentences",  # the random draw of s_{i+1} would become True
           "    return sentences[:-1].clone(), second, is_next",
           "    return sentences[:-1].clone(), second, (second == sentences[1:]).all(dim=1)"),
    Mutant("17", "bert", "nsp_pairs", "random_sentence_never_the_next_one",
           "second = sentences[torch.where(is_next, following, j)]",
           "j = torch.where(j == following, (j + 1) % N, j)\n    second = sentences[torch.where(is_next, following, j)]"),
    Mutant("17", "bert", "nsp_pairs", "next_where_c_is_at_least_a_half",
           "is_next = c < 0.5", "is_next = c >= 0.5"),
    Mutant("17", "bert", "nsp_pairs", "random_sentence_never_the_last",
           "j = torch.randint(0, N, (N - 1,), generator=g,", "j = torch.randint(0, N - 1, (N - 1,), generator=g,"),
    Mutant("17", "bert", "nsp_pairs", "second_draw_for_the_negatives_only",
           "    j = torch.randint(0, N, (N - 1,), generator=g, device=g.device).to(sentences.device)\n"
           "    is_next = c < 0.5\n",
           "    is_next = c < 0.5\n"
           "    j = torch.zeros(N - 1, dtype=torch.int64, device=sentences.device)\n"
           "    drawn = torch.randint(0, N, (int((~is_next).sum()),), generator=g, device=g.device).to(sentences.device)\n"
           "    j = j.masked_scatter(~is_next, drawn)\n"),
    Mutant("17", "bert", "nsp_pairs", "random_sentence_put_first",
           "    return sentences[:-1].clone(), second, is_next",
           "    first = torch.where(is_next[:, None], sentences[:-1], second)\n"
           "    second = torch.where(is_next[:, None], second, sentences[:-1])\n"
           "    return first, second, is_next"),
]

# Python loops over the batch, the rows or the pairs: correct values, but a few torch calls per element. The
# efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("17", "bert", "bert_embeddings", "embeddings_loop_over_batch",
           "    return token_table[token_ids] + segment_table[segment_ids] + pos_table[:L]",
           "    rows = [token_table[t] + segment_table[s] + pos_table[:L] for t, s in zip(token_ids, segment_ids)]  # one sequence at a time\n"
           "    return torch.stack(rows) if rows else token_table[token_ids] + segment_table[segment_ids] + pos_table[:L]"),
    Mutant("17", "bert", "mlm_mask", "mlm_mask_loop_over_rows",
           "    order = torch.sort(key, dim=1, stable=True).indices\n"
           "    rank = torch.argsort(order, dim=1)  # rank[b, l]: where position l comes in row b's order\n",
           "    rank = torch.stack([torch.argsort(torch.sort(k, stable=True).indices) for k in key])  # one row at a time\n"),
    Mutant("17", "bert", "gather_positions", "gather_loop_over_batch",
           "    return X[batch, positions]",
           "    return torch.stack([X[b][positions[b]] for b in range(X.shape[0])])  # one sequence at a time"),
    Mutant("17", "bert", "mlm_loss", "mlm_loss_loop_over_rows",
           "ce = log_z - logits.gather(-1, labels[..., None])[..., 0]",
           "ce = log_z - torch.stack([row.gather(-1, lab[:, None])[:, 0] for row, lab in zip(logits, labels)])  # one row at a time"),
    Mutant("17", "bert", "nsp_pairs", "nsp_loop_over_pairs",
           "    second = sentences[torch.where(is_next, following, j)]\n",
           "    second = torch.stack([sentences[i + 1] if is_next[i] else sentences[j[i]] for i in range(N - 1)])  # one pair at a time\n"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # the CPU generator's draws never moved to the tokens' device: the meta device refuses to mix them with meta tensors
    Mutant("17", "bert", "mlm_mask", "draws_left_on_the_generators_device",
           "u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)", "u = torch.rand(shape, generator=g, device=g.device)",
           caught_by="meta"),
    Mutant("17", "bert", "bert_input", "segments_made_on_the_cpu",
           "torch.arange(token_ids.shape[0], device=tokens_a.device)", "torch.arange(token_ids.shape[0])", caught_by="meta"),
]

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py).
CUDA_ONLY = [
    # drawn with the CPU generator on the tokens' device: the same on the CPU, and the meta device ignores the generator;
    # CUDA refuses a CPU generator ("Expected a 'cuda' device type for generator")
    Mutant("17", "bert", "mlm_mask", "draws_on_the_tokens_device",
           "u = torch.rand(shape, generator=g, device=g.device).to(token_ids.device)", "u = torch.rand(shape, generator=g, device=token_ids.device)",
           caught_by="cuda"),
    Mutant("17", "bert", "nsp_pairs", "nsp_draws_on_the_sentences_device",
           "c = torch.rand(N - 1, generator=g, device=g.device).to(sentences.device)", "c = torch.rand(N - 1, generator=g, device=sentences.device)",
           caught_by="cuda"),
]
