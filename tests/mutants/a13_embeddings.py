"""Wrong implementations of assignment 13 (word embeddings)."""

from mutants import Mutant

MUTANTS = [
    # subsample_keep_prob
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_formula_inverted",
           "keep = (t / f).sqrt()", "keep = (f / t).sqrt()"),
    Mutant("13", "embeddings", "subsample_keep_prob", "count_instead_of_frequency",
           "f = counts / counts.sum()\n    keep", "f = counts\n    keep"),
    Mutant("13", "embeddings", "subsample_keep_prob", "returns_the_drop_probability",
           "return torch.where(counts > 0, keep, torch.ones_like(keep))", "return torch.where(counts > 0, 1 - keep, torch.zeros_like(keep))"),
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_prob_not_clamped_at_1",
           "keep = (t / f).sqrt().clamp(max=1.0)", "keep = (t / f).sqrt()"),
    Mutant("13", "embeddings", "subsample_keep_prob", "unseen_tokens_never_kept",
           "return torch.where(counts > 0, keep, torch.ones_like(keep))", "return torch.where(counts > 0, keep, torch.zeros_like(keep))"),
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_prob_always_float32",
           "dtype = counts.dtype if counts.is_floating_point() else torch.float32", "dtype = torch.float32"),
    # subsample
    Mutant("13", "embeddings", "subsample", "returns_the_drop_mask",
           "return u < subsample_keep_prob(counts, t)[tokens]", "return u >= subsample_keep_prob(counts, t)[tokens]"),
    Mutant("13", "embeddings", "subsample", "draws_from_the_global_generator",
           "torch.rand(tokens.shape[0], generator=generator, device=generator.device)", "torch.rand(tokens.shape[0], device=tokens.device)"),
    Mutant("13", "embeddings", "subsample", "draws_in_float64",
           "torch.rand(tokens.shape[0], generator=generator, device=generator.device)",
           "torch.rand(tokens.shape[0], generator=generator, device=generator.device, dtype=torch.float64)"),
    Mutant("13", "embeddings", "subsample", "draws_one_number_per_vocabulary_word",
           "u = torch.rand(tokens.shape[0], generator=generator, device=generator.device).to(tokens.device)",
           "u = torch.rand(counts.shape[0], generator=generator, device=generator.device).to(tokens.device)[tokens]"),
    Mutant("13", "embeddings", "subsample", "keeps_with_the_drop_probability",
           "return u < subsample_keep_prob(counts, t)[tokens]", "return u < 1 - subsample_keep_prob(counts, t)[tokens]"),
    # context_pairs
    Mutant("13", "embeddings", "context_pairs", "context_includes_the_centre",
           "valid = (offsets != 0) & (offsets.abs()", "valid = (offsets.abs()"),
    Mutant("13", "embeddings", "context_pairs", "one_window_for_every_centre",
           "offsets.abs() <= window_sizes[:, None]", "offsets.abs() <= W"),
    Mutant("13", "embeddings", "context_pairs", "window_of_the_context_not_the_centre",
           "offsets.abs() <= window_sizes[:, None]", "offsets.abs() <= window_sizes[j.clamp(0, max(L - 1, 0))]"),
    Mutant("13", "embeddings", "context_pairs", "window_off_by_one",
           "offsets.abs() <= window_sizes[:, None]", "offsets.abs() < window_sizes[:, None]"),
    Mutant("13", "embeddings", "context_pairs", "contexts_wrap_around_the_sentence",
           " & (j >= 0) & (j < L)\n    centers = tokens[:, None].expand(j.shape)[valid]\n    contexts = tokens[j.clamp(0, max(L - 1, 0))][valid]",
           "\n    centers = tokens[:, None].expand(j.shape)[valid]\n    contexts = tokens[j % max(L, 1)][valid]"),
    Mutant("13", "embeddings", "context_pairs", "contexts_ordered_by_distance",
           "offsets = torch.arange(-W, W + 1, device=tokens.device)",
           "offsets = torch.arange(-W, W + 1, device=tokens.device)[torch.arange(-W, W + 1).abs().argsort(stable=True)]"),
    Mutant("13", "embeddings", "context_pairs", "one_centre_per_position",
           "centers = tokens[:, None].expand(j.shape)[valid]", "centers = tokens"),
    # noise_distribution
    Mutant("13", "embeddings", "noise_distribution", "noise_without_the_power",
           "weights = counts.to(dtype) ** power", "weights = counts.to(dtype)"),
    Mutant("13", "embeddings", "noise_distribution", "noise_not_normalised",
           "return weights / weights.sum()", "return weights"),
    Mutant("13", "embeddings", "noise_distribution", "power_after_normalising",
           "weights = counts.to(dtype) ** power\n    return weights / weights.sum()",
           "weights = counts.to(dtype)\n    return (weights / weights.sum()) ** power"),
    Mutant("13", "embeddings", "noise_distribution", "power_fixed_at_three_quarters",
           "counts.to(dtype) ** power", "counts.to(dtype) ** 0.75"),
    Mutant("13", "embeddings", "noise_distribution", "noise_always_float32",
           "dtype = counts.dtype if counts.is_floating_point() else torch.float32", "dtype = torch.float32"),
    # skip_gram_logits
    Mutant("13", "embeddings", "skip_gram_logits", "tables_swapped",
           "v = embed_v[centers]  # (B, D)\n    u = embed_u[contexts_negatives]", "v = embed_u[centers]  # (B, D)\n    u = embed_v[contexts_negatives]"),
    Mutant("13", "embeddings", "skip_gram_logits", "one_table_for_both",
           "u = embed_u[contexts_negatives]", "u = embed_v[contexts_negatives]"),
    Mutant("13", "embeddings", "skip_gram_logits", "book_shape_b_1_l",
           "return (u @ v[:, :, None])[:, :, 0]", "return (u @ v[:, :, None]).transpose(1, 2)"),
    Mutant("13", "embeddings", "skip_gram_logits", "sigmoid_of_the_logits",
           "return (u @ v[:, :, None])[:, :, 0]", "return torch.sigmoid((u @ v[:, :, None])[:, :, 0])"),
    # masked_sigmoid_bce
    Mutant("13", "embeddings", "masked_sigmoid_bce", "log_of_sigmoid",
           "bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))",
           "bce = -(y * torch.log(torch.sigmoid(logits)) + (1 - y) * torch.log(torch.sigmoid(-logits)))"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "sigmoid_then_bce_by_hand",
           "bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))",
           "p = torch.sigmoid(logits)\n    bce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "sigmoid_then_F_binary_cross_entropy",
           "bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))",
           'bce = torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), y, reduction="none")'),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "unstable_softplus",
           "bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))",
           "bce = torch.log1p(torch.exp(-logits)) + (1 - y) * logits"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "mean_over_all_columns",
           "return total / torch.where(count > 0, count, torch.ones_like(count))", "return total / m.shape[1]"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "padding_in_the_sum",
           "total = (m * bce).sum(dim=1)", "total = bce.sum(dim=1)"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "nan_for_rows_without_entries",
           "return total / torch.where(count > 0, count, torch.ones_like(count))", "return total / count"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "labels_flipped",
           "- logits * y +", "- logits * (1 - y) +"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "averaged_over_the_whole_batch",
           "return total / torch.where(count > 0, count, torch.ones_like(count))", "return total.sum() / count.sum()"),
    # glove_weight
    Mutant("13", "embeddings", "glove_weight", "weight_not_capped",
           "return torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))", "return (x / x_max) ** alpha"),
    Mutant("13", "embeddings", "glove_weight", "weight_without_alpha",
           "x_max, (x / x_max) ** alpha,", "x_max, (x / x_max),"),
    Mutant("13", "embeddings", "glove_weight", "weight_ratio_inverted",
           "x_max, (x / x_max) ** alpha,", "x_max, (x_max / x) ** alpha,"),
    Mutant("13", "embeddings", "glove_weight", "weight_zero_from_x_max",
           "torch.ones_like(x))", "torch.zeros_like(x))"),
    # glove_loss
    Mutant("13", "embeddings", "glove_loss", "log_one_plus_x",
           "torch.log(x)", "torch.log1p(x)"),
    Mutant("13", "embeddings", "glove_loss", "missing_context_bias",
           "+ b[i] + c[j]", "+ b[i]"),
    Mutant("13", "embeddings", "glove_loss", "missing_centre_bias",
           "+ b[i] + c[j]", "+ c[j]"),
    Mutant("13", "embeddings", "glove_loss", "biases_swapped",
           "+ b[i] + c[j]", "+ b[j] + c[i]"),
    Mutant("13", "embeddings", "glove_loss", "weighted_by_x",
           "losses = glove_weight(x, x_max, alpha) *", "losses = x *"),
    Mutant("13", "embeddings", "glove_loss", "unweighted",
           "losses = glove_weight(x, x_max, alpha) *", "losses ="),
    Mutant("13", "embeddings", "glove_loss", "vectors_swapped",
           "(v[i] * u[j])", "(v[j] * u[i])"),
    Mutant("13", "embeddings", "glove_loss", "x_max_and_alpha_ignored",
           "glove_weight(x, x_max, alpha)", "glove_weight(x)"),
    Mutant("13", "embeddings", "glove_loss", "default_reduction_mean",
           'reduction: str = "sum",', 'reduction: str = "mean",'),
    # nearest_tokens
    Mutant("13", "embeddings", "nearest_tokens", "drops_the_first_hit",
           '    is_query = torch.arange(W.shape[0], device=W.device) == query\n'
           '    ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)\n'
           '    order = torch.sort(ranked, descending=True, stable=True).indices[:k]',
           "    order = torch.sort(cos, descending=True, stable=True).indices[1 : k + 1]  # assumes the query is the best hit"),
    Mutant("13", "embeddings", "nearest_tokens", "book_topk_k_plus_one",
           '    is_query = torch.arange(W.shape[0], device=W.device) == query\n'
           '    ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)\n'
           '    order = torch.sort(ranked, descending=True, stable=True).indices[:k]',
           "    order = torch.topk(cos, k=k + 1).indices[1:]"),
    Mutant("13", "embeddings", "nearest_tokens", "query_not_excluded",
           'ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)', "ranked = cos"),
    Mutant("13", "embeddings", "nearest_tokens", "query_excluded_by_value",
           'ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)',
           'ranked = torch.where(cos >= cos[query], torch.full_like(cos, float("-inf")), cos)'),
    Mutant("13", "embeddings", "nearest_tokens", "dot_product_not_cosine",
           "cos = W @ x / torch.sqrt((W * W).sum(dim=1) * (x * x).sum() + 1e-9)", "cos = W @ x"),
    Mutant("13", "embeddings", "nearest_tokens", "divided_by_the_row_norms_only",
           "(W * W).sum(dim=1) * (x * x).sum() + 1e-9", "(W * W).sum(dim=1) + 1e-9"),
    Mutant("13", "embeddings", "nearest_tokens", "ties_to_the_higher_index",
           "order = torch.sort(ranked, descending=True, stable=True).indices[:k]",
           "order = (ranked.shape[0] - 1 - torch.sort(ranked.flip(0), descending=True, stable=True).indices)[:k]"),
    Mutant("13", "embeddings", "nearest_tokens", "least_similar_first",
           "order = torch.sort(ranked, descending=True, stable=True).indices[:k]",
           "order = torch.sort(ranked, stable=True).indices[:k]"),
]

# Python loops over the vocabulary, the tokens, the positions, the batch or the pairs: correct values, but a few
# torch calls per element. The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_prob_loop_over_tokens",
           "keep = (t / f).sqrt().clamp(max=1.0)", "keep = torch.stack([(t / fi).sqrt().clamp(max=1.0) for fi in f])"),
    Mutant("13", "embeddings", "subsample", "subsample_loop_over_tokens",
           "    return u < subsample_keep_prob(counts, t)[tokens]",
           "    p = subsample_keep_prob(counts, t)[tokens]\n"
           "    if tokens.shape[0] == 0:\n"
           "        return u < p\n"
           "    return torch.stack([u[n] < p[n] for n in range(tokens.shape[0])])  # one token at a time"),
    Mutant("13", "embeddings", "context_pairs", "context_pairs_loop_over_positions",
           "    L = tokens.shape[0]\n",
           "    L = tokens.shape[0]\n"
           "    centers, contexts = [], []\n"
           "    for i in range(L):  # one centre at a time, as the book does\n"
           "        w = int(window_sizes[i])\n"
           "        around = torch.cat([tokens[max(0, i - w) : i], tokens[i + 1 : i + 1 + w]])\n"
           "        contexts.append(around)\n"
           "        centers.append(tokens[i].expand(around.shape[0]))\n"
           "    if L > 1:\n"
           "        return torch.cat(centers), torch.cat(contexts)\n"),
    Mutant("13", "embeddings", "noise_distribution", "noise_loop_over_words",
           "weights = counts.to(dtype) ** power", "weights = torch.stack([c ** power for c in counts.to(dtype)])"),
    Mutant("13", "embeddings", "skip_gram_logits", "skip_gram_loop_over_batch",
           "return (u @ v[:, :, None])[:, :, 0]", "return torch.stack([u[n] @ v[n] for n in range(v.shape[0])])"),
    Mutant("13", "embeddings", "masked_sigmoid_bce", "bce_loop_over_rows",
           "total = (m * bce).sum(dim=1)", "total = torch.stack([(m[r] * bce[r]).sum() for r in range(m.shape[0])])"),
    Mutant("13", "embeddings", "glove_weight", "glove_weight_loop_over_counts",
           "return torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))",
           "return torch.stack([torch.where(xi < x_max, (xi / x_max) ** alpha, torch.ones_like(xi)) for xi in x.reshape(-1)]).reshape(x.shape)"),
    Mutant("13", "embeddings", "glove_loss", "glove_loss_loop_over_pairs",
           "prediction = (v[i] * u[j]).sum(dim=1) + b[i] + c[j]",
           "vi, uj, bi, cj = v[i], u[j], b[i], c[j]\n"
           "    prediction = torch.stack([vi[n] @ uj[n] + bi[n] + cj[n] for n in range(i.shape[0])])  # one pair at a time"),
    Mutant("13", "embeddings", "nearest_tokens", "nearest_loop_over_rows",
           "cos = W @ x / torch.sqrt((W * W).sum(dim=1) * (x * x).sum() + 1e-9)",
           "cos = torch.stack([w @ x / torch.sqrt((w * w).sum() * (x * x).sum() + 1e-9) for w in W])"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # the CPU generator's draws never moved to the tokens' device: the meta device refuses to compare them with meta tensors
    Mutant("13", "embeddings", "subsample", "draws_left_on_the_generators_device",
           "device=generator.device).to(tokens.device)", "device=generator.device)", caught_by="meta"),
]

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py).
CUDA_ONLY = [
    # drawn with the CPU generator on the tokens' device: the same on the CPU, and the meta device ignores the generator;
    # CUDA refuses a CPU generator ("Expected a 'cuda' device type for generator")
    Mutant("13", "embeddings", "subsample", "draws_on_the_tokens_device",
           "device=generator.device).to(tokens.device)", "device=tokens.device)", caught_by="cuda"),
]
