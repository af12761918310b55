"""Wrong implementations of assignment 16 (Transformer blocks)."""

from mutants import Mutant

_ENCODER_BODY = (
    "    attended, _ = multi_head_attention(\n"
    "        X, X, X, num_heads,\n"
    "        params[\"self_attn.in_proj_weight\"], params[\"self_attn.in_proj_bias\"],\n"
    "        params[\"self_attn.out_proj.weight\"], params[\"self_attn.out_proj.bias\"],\n"
    "        key_padding_mask=key_padding_mask, attn_mask=attn_mask,\n"
    "    )\n"
    "    Y = add_norm(X, attended, params[\"norm1.weight\"], params[\"norm1.bias\"])\n"
    "    fed = position_wise_ffn(Y, params[\"linear1.weight\"], params[\"linear1.bias\"], params[\"linear2.weight\"], params[\"linear2.bias\"])\n"
    "    return add_norm(Y, fed, params[\"norm2.weight\"], params[\"norm2.bias\"])\n"
)

_DECODER_BODY = (
    "    attended, _ = multi_head_attention(\n"
    "        X, X, X, num_heads,\n"
    "        params[\"self_attn.in_proj_weight\"], params[\"self_attn.in_proj_bias\"],\n"
    "        params[\"self_attn.out_proj.weight\"], params[\"self_attn.out_proj.bias\"],\n"
    "        key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,\n"
    "    )\n"
    "    Y = add_norm(X, attended, params[\"norm1.weight\"], params[\"norm1.bias\"])\n"
    "    crossed, _ = multi_head_attention(\n"
    "        Y, memory, memory, num_heads,\n"
    "        params[\"multihead_attn.in_proj_weight\"], params[\"multihead_attn.in_proj_bias\"],\n"
    "        params[\"multihead_attn.out_proj.weight\"], params[\"multihead_attn.out_proj.bias\"],\n"
    "        key_padding_mask=memory_key_padding_mask,\n"
    "    )\n"
    "    Z = add_norm(Y, crossed, params[\"norm2.weight\"], params[\"norm2.bias\"])\n"
    "    fed = position_wise_ffn(Z, params[\"linear1.weight\"], params[\"linear1.bias\"], params[\"linear2.weight\"], params[\"linear2.bias\"])\n"
    "    return add_norm(Z, fed, params[\"norm3.weight\"], params[\"norm3.bias\"])\n"
)

MUTANTS = [
    # causal_mask
    # triu(0): the diagonal masked too, position i may not see itself (and row 0 allows nothing: NaN in PyTorch)
    Mutant("16", "transformer", "causal_mask", "causal_mask_diagonal_masked",
           ".triu(diagonal=1)", ".triu(diagonal=0)"),
    # the lower triangle masked: every position sees the future and not the past
    Mutant("16", "transformer", "causal_mask", "causal_mask_lower_triangle",
           ".triu(diagonal=1)", ".tril(diagonal=-1)"),
    # 08's F.scaled_dot_product_attention convention: True where attending is ALLOWED (ones(L, L).tril())
    Mutant("16", "transformer", "causal_mask", "causal_mask_sdpa_polarity",
           ".triu(diagonal=1)", ".tril(diagonal=0)"),
    # nn.Transformer.generate_square_subsequent_mask's float form (0 and -inf) instead of the boolean mask
    Mutant("16", "transformer", "causal_mask", "causal_mask_float_minus_inf",
           "return torch.ones(L, L, dtype=torch.bool, device=device).triu(diagonal=1)",
           "upper = torch.ones(L, L, dtype=torch.bool, device=device).triu(diagonal=1)\n"
           "    return torch.zeros(L, L, device=device).masked_fill(upper, float(\"-inf\"))"),
    # position_wise_ffn
    Mutant("16", "transformer", "position_wise_ffn", "ffn_without_relu",
           "hidden = torch.relu(X @ W1.T + b1)", "hidden = X @ W1.T + b1"),
    Mutant("16", "transformer", "position_wise_ffn", "ffn_relu_after_the_second_layer",
           "return hidden @ W2.T + b2", "return torch.relu(hidden @ W2.T + b2)"),
    Mutant("16", "transformer", "position_wise_ffn", "ffn_bias_after_the_relu",
           "hidden = torch.relu(X @ W1.T + b1)", "hidden = torch.relu(X @ W1.T) + b1"),
    # nn.Linear's weight is (out, in): X @ W1 is wrong (and fails unless F == E)
    Mutant("16", "transformer", "position_wise_ffn", "ffn_weights_not_transposed",
           "hidden = torch.relu(X @ W1.T + b1)", "hidden = torch.relu(X @ W1 + b1)"),
    # add_norm
    # pre-norm inside the sub-layer: X + LN(Y) instead of LN(X + Y)
    Mutant("16", "transformer", "add_norm", "add_norm_norm_before_the_sum",
           "return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)", "return X + layer_norm(Y, (X.shape[-1],), weight, bias, eps)"),
    Mutant("16", "transformer", "add_norm", "add_norm_forgets_the_residual",
           "return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)", "return layer_norm(Y, (X.shape[-1],), weight, bias, eps)"),
    Mutant("16", "transformer", "add_norm", "add_norm_ignores_eps",
           "return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)", "return layer_norm(X + Y, (X.shape[-1],), weight, bias)"),
    # torch.var's default: the unbiased variance (divides by E - 1)
    Mutant("16", "transformer", "add_norm", "add_norm_unbiased_variance",
           "return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)",
           "S = X + Y\n"
           "    return (S - S.mean(dim=-1, keepdim=True)) / torch.sqrt(S.var(dim=-1, keepdim=True) + eps) * weight + bias"),
    # the statistics over the last two axes (the whole sequence), as if it were a (L, E) layer norm
    Mutant("16", "transformer", "add_norm", "add_norm_over_the_whole_sequence",
           "return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)", "return layer_norm(X + Y, X.shape[-2:], weight, bias, eps)"),
    # encoder_block
    # pre-norm (norm_first=True): X + MHA(LN(X)), then Y + FFN(LN(Y))
    Mutant("16", "transformer", "encoder_block", "encoder_pre_norm",
           _ENCODER_BODY,
           "    E = X.shape[-1]\n"
           "    normed = layer_norm(X, (E,), params[\"norm1.weight\"], params[\"norm1.bias\"])\n"
           "    attended, _ = multi_head_attention(\n"
           "        normed, normed, normed, num_heads,\n"
           "        params[\"self_attn.in_proj_weight\"], params[\"self_attn.in_proj_bias\"],\n"
           "        params[\"self_attn.out_proj.weight\"], params[\"self_attn.out_proj.bias\"],\n"
           "        key_padding_mask=key_padding_mask, attn_mask=attn_mask,\n"
           "    )\n"
           "    Y = X + attended\n"
           "    normed = layer_norm(Y, (E,), params[\"norm2.weight\"], params[\"norm2.bias\"])\n"
           "    return Y + position_wise_ffn(normed, params[\"linear1.weight\"], params[\"linear1.bias\"], params[\"linear2.weight\"], params[\"linear2.bias\"])\n"),
    Mutant("16", "transformer", "encoder_block", "encoder_no_residual_around_attention",
           "Y = add_norm(X, attended, params[\"norm1.weight\"], params[\"norm1.bias\"])",
           "Y = layer_norm(attended, (X.shape[-1],), params[\"norm1.weight\"], params[\"norm1.bias\"])"),
    Mutant("16", "transformer", "encoder_block", "encoder_no_residual_around_ffn",
           "return add_norm(Y, fed, params[\"norm2.weight\"], params[\"norm2.bias\"])",
           "return layer_norm(fed, (Y.shape[-1],), params[\"norm2.weight\"], params[\"norm2.bias\"])"),
    # 08's F.scaled_dot_product_attention convention: boolean masks inverted before nn.MultiheadAttention's attention
    Mutant("16", "transformer", "encoder_block", "encoder_masks_sdpa_polarity",
           "    attended, _ = multi_head_attention(\n",
           "    def allowed(mask):  # True = may attend\n"
           "        return mask if mask is None or mask.dtype != torch.bool else ~mask\n\n"
           "    key_padding_mask, attn_mask = allowed(key_padding_mask), allowed(attn_mask)\n"
           "    attended, _ = multi_head_attention(\n"),
    Mutant("16", "transformer", "encoder_block", "encoder_ignores_attn_mask",
           "key_padding_mask=key_padding_mask, attn_mask=attn_mask,", "key_padding_mask=key_padding_mask,"),
    Mutant("16", "transformer", "encoder_block", "encoder_ignores_key_padding_mask",
           "key_padding_mask=key_padding_mask, attn_mask=attn_mask,", "attn_mask=attn_mask,"),
    Mutant("16", "transformer", "encoder_block", "encoder_ffn_of_the_input",
           "fed = position_wise_ffn(Y,", "fed = position_wise_ffn(X,"),
    Mutant("16", "transformer", "encoder_block", "encoder_norm2_for_both",
           "Y = add_norm(X, attended, params[\"norm1.weight\"], params[\"norm1.bias\"])",
           "Y = add_norm(X, attended, params[\"norm2.weight\"], params[\"norm2.bias\"])"),
    # decoder_block
    # cross-attention with memory as the query: an output per memory position (B, S, E)
    Mutant("16", "transformer", "decoder_block", "decoder_memory_as_the_query",
           "        Y, memory, memory, num_heads,\n", "        memory, Y, Y, num_heads,\n"),
    # a second self-attention: keys and values from the target instead of memory
    Mutant("16", "transformer", "decoder_block", "decoder_cross_attention_on_the_target",
           "        Y, memory, memory, num_heads,\n", "        Y, Y, Y, num_heads,\n"),
    # pre-norm (norm_first=True): each sub-layer reads layer_norm of its input, the residual sums stay unnormalised
    Mutant("16", "transformer", "decoder_block", "decoder_pre_norm",
           _DECODER_BODY,
           "    E = X.shape[-1]\n"
           "    normed = layer_norm(X, (E,), params[\"norm1.weight\"], params[\"norm1.bias\"])\n"
           "    attended, _ = multi_head_attention(\n"
           "        normed, normed, normed, num_heads,\n"
           "        params[\"self_attn.in_proj_weight\"], params[\"self_attn.in_proj_bias\"],\n"
           "        params[\"self_attn.out_proj.weight\"], params[\"self_attn.out_proj.bias\"],\n"
           "        key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,\n"
           "    )\n"
           "    Y = X + attended\n"
           "    normed = layer_norm(Y, (E,), params[\"norm2.weight\"], params[\"norm2.bias\"])\n"
           "    crossed, _ = multi_head_attention(\n"
           "        normed, memory, memory, num_heads,\n"
           "        params[\"multihead_attn.in_proj_weight\"], params[\"multihead_attn.in_proj_bias\"],\n"
           "        params[\"multihead_attn.out_proj.weight\"], params[\"multihead_attn.out_proj.bias\"],\n"
           "        key_padding_mask=memory_key_padding_mask,\n"
           "    )\n"
           "    Z = Y + crossed\n"
           "    normed = layer_norm(Z, (E,), params[\"norm3.weight\"], params[\"norm3.bias\"])\n"
           "    return Z + position_wise_ffn(normed, params[\"linear1.weight\"], params[\"linear1.bias\"], params[\"linear2.weight\"], params[\"linear2.bias\"])\n"),
    Mutant("16", "transformer", "decoder_block", "decoder_no_residual_around_cross_attention",
           "Z = add_norm(Y, crossed, params[\"norm2.weight\"], params[\"norm2.bias\"])",
           "Z = layer_norm(crossed, (Y.shape[-1],), params[\"norm2.weight\"], params[\"norm2.bias\"])"),
    Mutant("16", "transformer", "decoder_block", "decoder_no_residual_around_self_attention",
           "Y = add_norm(X, attended, params[\"norm1.weight\"], params[\"norm1.bias\"])",
           "Y = layer_norm(attended, (X.shape[-1],), params[\"norm1.weight\"], params[\"norm1.bias\"])"),
    # the training-time decoder without its causal mask: every target sees the whole target sequence
    Mutant("16", "transformer", "decoder_block", "decoder_ignores_tgt_mask",
           "key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,", "key_padding_mask=tgt_key_padding_mask,"),
    # 08's F.scaled_dot_product_attention convention: tgt_mask inverted (True = may attend)
    Mutant("16", "transformer", "decoder_block", "decoder_tgt_mask_sdpa_polarity",
           "key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,",
           "key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask if tgt_mask is None or tgt_mask.dtype != torch.bool else ~tgt_mask,"),
    Mutant("16", "transformer", "decoder_block", "decoder_ignores_memory_padding",
           "        key_padding_mask=memory_key_padding_mask,\n", ""),
    # the causal mask also handed to the cross-attention (L x S): a target would not see the later memory positions
    Mutant("16", "transformer", "decoder_block", "decoder_causal_mask_on_the_cross_attention",
           "        key_padding_mask=memory_key_padding_mask,\n",
           "        key_padding_mask=memory_key_padding_mask, attn_mask=tgt_mask,\n"),
    Mutant("16", "transformer", "decoder_block", "decoder_norm2_after_the_ffn",
           "return add_norm(Z, fed, params[\"norm3.weight\"], params[\"norm3.bias\"])",
           "return add_norm(Z, fed, params[\"norm2.weight\"], params[\"norm2.bias\"])"),
    # embed_tokens
    Mutant("16", "transformer", "embed_tokens", "embed_scales_the_positions",
           "embedded = table[tokens] * E**0.5  # (B, L, E): one row of the table per token\n    return embedded + pos_table[:L]",
           "return table[tokens] + pos_table[:L] * E**0.5"),
    Mutant("16", "transformer", "embed_tokens", "embed_not_scaled",
           "embedded = table[tokens] * E**0.5", "embedded = table[tokens]"),
    Mutant("16", "transformer", "embed_tokens", "embed_scaled_after_adding",
           "return embedded + pos_table[:L]", "return (table[tokens] + pos_table[:L]) * E**0.5"),
    Mutant("16", "transformer", "embed_tokens", "embed_scaled_by_e_not_its_root",
           "embedded = table[tokens] * E**0.5", "embedded = table[tokens] * E"),
    # the vocabulary size V instead of the width E (table.shape[0] for table.shape[1])
    Mutant("16", "transformer", "embed_tokens", "embed_scaled_by_the_vocabulary",
           "L, E = tokens.shape[-1], table.shape[-1]", "L, E = tokens.shape[-1], table.shape[0]"),
    Mutant("16", "transformer", "embed_tokens", "embed_whole_position_table",
           "return embedded + pos_table[:L]", "return embedded + pos_table"),
    # rows of the table taken by batch index, not by position
    Mutant("16", "transformer", "embed_tokens", "embed_positions_by_batch",
           "return embedded + pos_table[:L]", "return embedded + pos_table[: tokens.shape[0], None, :]"),
    # label_smoothing_cross_entropy
    # the "exclude the true class" variant: eps / (C - 1) on the other classes, 1 - eps on the true one
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_over_the_other_classes",
           "smooth = -log_p.mean(dim=-1)", "smooth = (-log_p.sum(dim=-1) - nll) / (log_p.shape[-1] - 1)"),
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_summed_over_classes",
           "smooth = -log_p.mean(dim=-1)", "smooth = -log_p.sum(dim=-1)"),
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_without_one_minus_eps",
           "losses = (1 - smoothing) * nll + smoothing * smooth", "losses = nll + smoothing * smooth"),
    # ignored rows keep their smoothing term
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_of_ignored_rows_counted",
           "losses = torch.where(keep, losses, torch.zeros_like(losses))", "losses = torch.where(keep, losses, smoothing * smooth)"),
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_mean_over_all_rows",
           "return losses.sum() / keep.sum()", "return losses.mean()"),
    # only negative targets (-100) ignored: ignore_index = a class id (<pad> = 0) is not honoured
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_ignores_only_negative_targets",
           "keep = target != ignore_index", "keep = target >= 0"),
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_no_max_subtraction",
           "shifted = logits - logits.amax(dim=-1, keepdim=True)", "shifted = logits"),
    # log(softmax): a probability that underflows to 0 gives log(0) = -inf
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_log_of_softmax",
           "log_p = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()",
           "log_p = (shifted.exp() / shifted.exp().sum(dim=-1, keepdim=True)).log()"),
]

# Python loops over the batch: correct values, but a few torch calls per sequence (or row). The efficiency
# check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("16", "transformer", "position_wise_ffn", "ffn_loop_over_sequences",
           "    hidden = torch.relu(X @ W1.T + b1)  # (..., F)\n",
           "    if X.dim() > 1:  # one sequence at a time\n"
           "        return torch.stack([position_wise_ffn(x, W1, b1, W2, b2) for x in X])\n"
           "    hidden = torch.relu(X @ W1.T + b1)  # (..., F)\n"),
    Mutant("16", "transformer", "add_norm", "add_norm_loop_over_sequences",
           "    return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)\n",
           "    if X.dim() > 1:  # one sequence at a time\n"
           "        return torch.stack([add_norm(x, y, weight, bias, eps) for x, y in zip(X, Y)])\n"
           "    return layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)\n"),
    Mutant("16", "transformer", "encoder_block", "encoder_loop_over_batch",
           "    attended, _ = multi_head_attention(\n",
           "    if X.shape[0] > 1:  # one sequence at a time\n"
           "        H = num_heads\n"
           "        return torch.cat([\n"
           "            encoder_block(X[b : b + 1], params, H, None if key_padding_mask is None else key_padding_mask[b : b + 1],\n"
           "                          attn_mask if attn_mask is None or attn_mask.dim() == 2 else attn_mask[b * H : (b + 1) * H])\n"
           "            for b in range(X.shape[0])\n"
           "        ])\n"
           "    attended, _ = multi_head_attention(\n"),
    Mutant("16", "transformer", "decoder_block", "decoder_loop_over_batch",
           "    attended, _ = multi_head_attention(\n        X, X, X, num_heads,\n",
           "    if X.shape[0] > 1:  # one sequence at a time\n"
           "        H = num_heads\n"
           "        return torch.cat([\n"
           "            decoder_block(X[b : b + 1], memory[b : b + 1], params, H,\n"
           "                          tgt_mask if tgt_mask is None or tgt_mask.dim() == 2 else tgt_mask[b * H : (b + 1) * H],\n"
           "                          None if tgt_key_padding_mask is None else tgt_key_padding_mask[b : b + 1],\n"
           "                          None if memory_key_padding_mask is None else memory_key_padding_mask[b : b + 1])\n"
           "            for b in range(X.shape[0])\n"
           "        ])\n"
           "    attended, _ = multi_head_attention(\n        X, X, X, num_heads,\n"),
    Mutant("16", "transformer", "embed_tokens", "embed_loop_over_sequences",
           "embedded = table[tokens] * E**0.5", "embedded = torch.stack([table[row] for row in tokens]) * E**0.5"),
    Mutant("16", "transformer", "label_smoothing_cross_entropy", "smoothing_loop_over_rows",
           "nll = -log_p.gather(-1, safe[:, None])[:, 0]", "nll = torch.stack([-row[i] for row, i in zip(log_p, safe)])"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # device= ignored: the mask is always made on the CPU ("works on any device" calls causal_mask(L, device='meta'))
    Mutant("16", "transformer", "causal_mask", "causal_mask_ignores_device",
           "torch.ones(L, L, dtype=torch.bool, device=device)", "torch.ones(L, L, dtype=torch.bool)", caught_by="meta"),
]

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py).
CUDA_ONLY = [
    # the book's try_gpu() as the default: causal_mask(L) lands on the GPU whenever there is one. Without CUDA it is the
    # solution itself; with CUDA the checks that call causal_mask(L) fail ("returned a tensor on cuda with no tensor inputs")
    Mutant("16", "transformer", "causal_mask", "causal_mask_on_the_gpu_by_default",
           "torch.ones(L, L, dtype=torch.bool, device=device)",
           'torch.ones(L, L, dtype=torch.bool, device=device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")',
           caught_by="cuda"),
]
