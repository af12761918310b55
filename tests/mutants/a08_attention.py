"""Wrong implementations of assignment 08 (attention)."""

from mutants import Mutant

MUTANTS = [
    # masked_softmax
    Mutant("08", "attention", "masked_softmax", "fill_minus_1e6",
           'scores = X.masked_fill(~allowed, float("-inf"))', "scores = X.masked_fill(~allowed, -1e6)"),
    Mutant("08", "attention", "masked_softmax", "no_guard_for_empty_rows",
           "top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # rows with no valid key", "pass"),
    Mutant("08", "attention", "masked_softmax", "length_off_by_one",
           "positions < lens[..., None]", "positions <= lens[..., None]"),
    Mutant("08", "attention", "masked_softmax", "batch_lengths_on_wrong_axis",
           "valid_lens[:, None]", "valid_lens[None, :]"),
    Mutant("08", "attention", "masked_softmax", "masked_softmax_masks_after_softmax",
           'scores = X.masked_fill(~allowed, float("-inf"))', "scores = X"
           "\n    exps_all = (scores - scores.amax(dim=-1, keepdim=True)).exp()"
           "\n    return exps_all / exps_all.sum(dim=-1, keepdim=True) * allowed"),
    Mutant("08", "attention", "masked_softmax", "no_max_subtraction",
           "exps = (scores - top).exp()", "exps = scores.exp()"),
    # scaled_dot_product_attention
    Mutant("08", "attention", "scaled_dot_product_attention", "no_scaling",
           "scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5",
           "scores = query @ key.transpose(-2, -1)"),
    Mutant("08", "attention", "scaled_dot_product_attention", "scaled_by_value_dim",
           "query.shape[-1] ** 0.5", "value.shape[-1] ** 0.5"),
    Mutant("08", "attention", "scaled_dot_product_attention", "sdpa_masks_after_softmax",
           "    weights = exps / torch.where(total > 0, total, torch.ones_like(total))\n",
           "    weights = exps / torch.where(total > 0, total, torch.ones_like(total))\n"
           "    if attn_mask is not None and attn_mask.dtype == torch.bool:\n"
           "        exps = (scores.masked_fill(~attn_mask, 0.0) - top).exp()\n"
           "        weights = (exps / exps.sum(dim=-1, keepdim=True)).masked_fill(~attn_mask, 0.0)\n"),
    Mutant("08", "attention", "scaled_dot_product_attention", "bool_mask_true_means_forbidden",
           'scores = scores.masked_fill(~attn_mask, float("-inf"))', 'scores = scores.masked_fill(attn_mask, float("-inf"))'),
    Mutant("08", "attention", "scaled_dot_product_attention", "causal_excludes_diagonal",
           "dtype=torch.bool, device=query.device).tril()", "dtype=torch.bool, device=query.device).tril(-1)"),
    Mutant("08", "attention", "scaled_dot_product_attention", "causal_upper_triangle",
           "dtype=torch.bool, device=query.device).tril()", "dtype=torch.bool, device=query.device).triu()"),
    Mutant("08", "attention", "scaled_dot_product_attention", "float_mask_multiplied",
           "scores = scores + attn_mask", "scores = scores * attn_mask"),
    Mutant("08", "attention", "scaled_dot_product_attention", "nan_for_fully_masked_rows",
           "top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # fully masked rows", "pass"),
    Mutant("08", "attention", "scaled_dot_product_attention", "softmax_over_queries",
           "exps = (scores - top).exp()\n    total = exps.sum(dim=-1, keepdim=True)",
           "exps = (scores - top).exp()\n    total = exps.sum(dim=-2, keepdim=True)"),
    # multi_head_attention
    Mutant("08", "attention", "multi_head_attention", "split_without_transpose",
           "return x.reshape(B, x.shape[1], H, d).transpose(1, 2)", "return x.reshape(B, H, x.shape[1], d)"),
    Mutant("08", "attention", "multi_head_attention", "merge_without_transpose",
           "merged = heads.transpose(1, 2).reshape(B, L, E)", "merged = heads.reshape(B, L, E)"),
    Mutant("08", "attention", "multi_head_attention", "merge_in_wrong_order",
           "merged = heads.transpose(1, 2).reshape(B, L, E)", "merged = heads.permute(0, 2, 3, 1).reshape(B, L, E)"),
    Mutant("08", "attention", "multi_head_attention", "sdpa_bool_convention",
           'masked_fill(mask, float("-inf"))', 'masked_fill(~mask, float("-inf"))'),
    Mutant("08", "attention", "multi_head_attention", "per_head_mask_head_major",
           "mask.reshape(B, H, L, S)", "mask.reshape(H, B, L, S).transpose(0, 1)"),
    Mutant("08", "attention", "multi_head_attention", "weights_summed_over_heads",
           "weights.mean(dim=1)", "weights.sum(dim=1)"),
    Mutant("08", "attention", "multi_head_attention", "weights_of_first_head",
           "weights.mean(dim=1)", "weights[:, 0]"),
    Mutant("08", "attention", "multi_head_attention", "query_and_key_projections_swapped",
           "w_q, w_k, w_v = in_proj_weight.chunk(3)", "w_k, w_q, w_v = in_proj_weight.chunk(3)"),
    Mutant("08", "attention", "multi_head_attention", "scaled_by_model_dim",
           "q = split(project(query, w_q, b_q))", "q = split(project(query, w_q, b_q)) * (d / E) ** 0.5"),
    Mutant("08", "attention", "multi_head_attention", "padding_mask_over_queries",
           "additive(key_padding_mask).reshape(B, 1, 1, S)", "additive(key_padding_mask)[:, None, :L, None]"),
    # positional_encoding
    Mutant("08", "attention", "positional_encoding", "sin_cos_swapped",
           "P[:, 0::2] = angles.sin()\n    P[:, 1::2] = angles[:, : d_model // 2].cos()",
           "P[:, 0::2] = angles.cos()\n    P[:, 1::2] = angles[:, : d_model // 2].sin()"),
    Mutant("08", "attention", "positional_encoding", "exponent_i_not_2i",
           "angles = positions / 10000 ** (even / d_model)", "angles = positions / 10000 ** (even / 2 / d_model)"),
    Mutant("08", "attention", "positional_encoding", "cosine_uses_its_own_column_index",
           "P[:, 1::2] = angles[:, : d_model // 2].cos()",
           "P[:, 1::2] = (positions / 10000 ** (torch.arange(1, d_model, 2, dtype=torch.float64) / d_model)).cos()"),
    Mutant("08", "attention", "positional_encoding", "returns_float64",
           "return P.float()", "return P"),
]

# Python loops over the batch (or the positions): correct values, but a few torch calls per
# batch element. The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("08", "attention", "masked_softmax", "masked_softmax_loop_over_rows",
           "    exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys",
           "    exps = torch.stack([(s - m).exp() for s, m in zip(scores.reshape(-1, X.shape[-1]), top.reshape(-1, 1))]).reshape(scores.shape)"),
    Mutant("08", "attention", "scaled_dot_product_attention", "attention_loop_over_batch",
           "    scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5\n",
           "    if max(query.dim(), key.dim(), value.dim()) > 2:  # one batch element at a time\n"
           "        L, S = query.shape[-2], key.shape[-2]\n"
           "        extra = () if attn_mask is None else attn_mask.shape[:-2]\n"
           "        batch = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2], extra)\n"
           "        qs = query.expand(*batch, *query.shape[-2:]).reshape(-1, *query.shape[-2:])\n"
           "        ks = key.expand(*batch, *key.shape[-2:]).reshape(-1, *key.shape[-2:])\n"
           "        vs = value.expand(*batch, *value.shape[-2:]).reshape(-1, *value.shape[-2:])\n"
           "        ms = [None] * len(qs) if attn_mask is None else attn_mask.expand(*batch, L, S).reshape(-1, L, S)\n"
           "        pairs = [scaled_dot_product_attention(q, k, v, m, is_causal) for q, k, v, m in zip(qs, ks, vs, ms)]\n"
           "        return torch.stack([o for o, _ in pairs]).reshape(*batch, L, -1), torch.stack([w for _, w in pairs]).reshape(*batch, L, S)\n"
           "    scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5\n"),
    Mutant("08", "attention", "multi_head_attention", "mha_loop_over_batch",
           "    B, L, E = query.shape\n",
           "    if query.shape[0] > 1:  # one sequence at a time\n"
           "        pairs = [\n"
           "            multi_head_attention(\n"
           "                query[n : n + 1], key[n : n + 1], value[n : n + 1], num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,\n"
           "                None if key_padding_mask is None else key_padding_mask[n : n + 1],\n"
           "                attn_mask if attn_mask is None or attn_mask.dim() == 2 else attn_mask[n * num_heads : (n + 1) * num_heads],\n"
           "            )\n"
           "            for n in range(query.shape[0])\n"
           "        ]\n"
           "        return torch.cat([o for o, _ in pairs]), torch.cat([w for _, w in pairs])\n"
           "    B, L, E = query.shape\n"),
    Mutant("08", "attention", "positional_encoding", "positional_encoding_loop_over_positions",
           "    angles = positions / 10000 ** (even / d_model)  # (max_len, ceil(d_model / 2))",
           "    angles = torch.stack([p / 10000 ** (even / d_model) for p in positions])  # one position at a time"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # the additive mask made without device=: right on the CPU; the meta device refuses to add it to meta scores
    Mutant("08", "attention", "multi_head_attention", "mask_bias_made_on_the_cpu",
           "bias = torch.zeros(B, H, L, S, dtype=q.dtype, device=q.device)", "bias = torch.zeros(B, H, L, S, dtype=q.dtype)",
           caught_by="meta"),
]

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py): the CPU
# tests skip them and check that they pass every CPU check; benchmarks/device_check.py asserts them caught on a GPU.
CUDA_ONLY = [
    # the book's try_gpu(): the table goes to the GPU whenever there is one. Without CUDA it is the solution itself; with
    # CUDA every check fails ("returned a tensor on cuda with no tensor inputs: create it on the CPU")
    Mutant("08", "attention", "positional_encoding", "table_on_the_gpu_when_there_is_one",
           "P = torch.zeros(max_len, d_model, dtype=torch.float64)",
           'P = torch.zeros(max_len, d_model, dtype=torch.float64, device="cuda" if torch.cuda.is_available() else "cpu")',
           caught_by="cuda"),
]
