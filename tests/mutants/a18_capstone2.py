"""Wrong implementations of assignment 18 (capstone 2: a tiny Transformer that reverses digit strings).

Mutants edit a graded function's own body (the pieces pasted from earlier assignments are
tested there); a wrong piece shows here through forward's comparison with the reference.
Every mutant of train costs a full training wherever the class is graded: they are few.
"""

from mutants import Mutant

WEIGHT_DRAW = "torch.randn(shape, generator=g) / math.sqrt(shape[1])"
POSITIONS = "pos_table = positional_encoding(max(src.shape[1], dec_in.shape[1]), table.shape[1]).to(device=table.device, dtype=table.dtype)"
ENCODER = 'memory = encoder_block(embed_tokens(src, table, pos_table), _block(p, "encoder."), NUM_HEADS, key_padding_mask=padding)'
CAUSAL = "tgt_mask=causal_mask(dec_in.shape[1], device=src.device), "

MUTANTS = [
    # init_params
    Mutant("18", "capstone2", "init_params", "zero_weights", WEIGHT_DRAW, "torch.zeros(shape)"),
    Mutant("18", "capstone2", "init_params", "unit_normal_weights", WEIGHT_DRAW, "torch.randn(shape, generator=g)"),
    Mutant("18", "capstone2", "init_params", "global_generator", WEIGHT_DRAW, "torch.randn(shape) / math.sqrt(shape[1])"),
    # nn.Embedding's own N(0, 1): scaled by sqrt(32), the tokens drown the positional encoding
    Mutant("18", "capstone2", "init_params", "embedding_like_nn_embedding", WEIGHT_DRAW,
           'torch.randn(shape, generator=g) / (1.0 if name == "embedding.weight" else math.sqrt(shape[1]))'),
    Mutant("18", "capstone2", "init_params", "layer_norm_weights_zero", 'elif ".norm" in name and name.endswith(".weight"):', "elif False:"),
    # forward: the embeddings
    Mutant("18", "capstone2", "forward", "embeddings_not_scaled", 'table = p["embedding.weight"]', 'table = p["embedding.weight"] / math.sqrt(D_MODEL)  # cancels the sqrt(E)'),
    Mutant("18", "capstone2", "forward", "positional_encoding_scaled_instead", POSITIONS,
           POSITIONS + " * math.sqrt(table.shape[1])\n    table = table / math.sqrt(table.shape[1])"),
    Mutant("18", "capstone2", "forward", "decoder_without_positions", "embed_tokens(dec_in, table, pos_table)", "table[dec_in] * math.sqrt(table.shape[1])"),
    # forward: the masks
    Mutant("18", "capstone2", "forward", "encoder_ignores_padding", "NUM_HEADS, key_padding_mask=padding)", "NUM_HEADS)"),
    Mutant("18", "capstone2", "forward", "cross_attention_ignores_padding", "memory_key_padding_mask=padding,", ""),
    Mutant("18", "capstone2", "forward", "no_causal_mask", CAUSAL, ""),
    Mutant("18", "capstone2", "forward", "causal_mask_inverted", "tgt_mask=causal_mask(", "tgt_mask=~causal_mask("),
    Mutant("18", "capstone2", "forward", "causal_mask_hides_the_diagonal", CAUSAL,
           "tgt_mask=torch.ones(dec_in.shape[1], dec_in.shape[1], dtype=torch.bool, device=src.device).triu(0), "),
    # forward: the blocks and the output layer
    Mutant("18", "capstone2", "forward", "skips_the_encoder", ENCODER, "memory = embed_tokens(src, table, pos_table)"),
    Mutant("18", "capstone2", "forward", "output_without_bias", 'return h @ p["output.weight"].T + p["output.bias"]', 'return h @ p["output.weight"].T'),
    # greedy_decode
    Mutant("18", "capstone2", "greedy_decode", "argmax_of_the_first_position", "logits[:, -1].argmax(dim=-1)", "logits[:, 0].argmax(dim=-1)"),
    Mutant("18", "capstone2", "greedy_decode", "keeps_decoding_after_eos", "return tokens.masked_fill(ended_before, PAD)", "return tokens"),
    Mutant("18", "capstone2", "greedy_decode", "eos_replaced_by_pad", ".cumsum(dim=1) - (tokens == EOS).long() > 0", ".cumsum(dim=1) > 0"),
    Mutant("18", "capstone2", "greedy_decode", "returns_bos_drops_the_last", "tokens = dec_in[:, 1:]", "tokens = dec_in[:, :-1]"),
    Mutant("18", "capstone2", "greedy_decode", "starts_from_pad", "torch.full((src.shape[0], 1), BOS,", "torch.full((src.shape[0], 1), PAD,"),
    Mutant("18", "capstone2", "greedy_decode", "one_step_short", "for _ in range(max_len):", "for _ in range(max_len - 1):"),
    # train (each costs a training: the teacher-forcing bug of the spec, an update uphill, steps ignored)
    Mutant("18", "capstone2", "train", "decoder_sees_the_target", "dec_in, valid_len = teacher_forcing_inputs(tgt, BOS),", "dec_in, valid_len = tgt,"),
    Mutant("18", "capstone2", "train", "gradient_ascent", "adam(w, g, {", "adam(w, -g, {"),
    Mutant("18", "capstone2", "train", "ignores_steps", "for step in range(steps):", "for step in range(steps // 10):"),
]

# A Python loop over the batch: correct values, many times the work. The efficiency checks catch them.
LOOPS = [
    Mutant("18", "capstone2", "forward", "forward_encoder_loop_over_batch", ENCODER,
           'memory = torch.cat([encoder_block(embed_tokens(src[n : n + 1], table, pos_table), _block(p, "encoder."), NUM_HEADS, '
           "key_padding_mask=padding[n : n + 1]) for n in range(src.shape[0])])  # one sequence at a time"),
    Mutant("18", "capstone2", "greedy_decode", "greedy_decode_loop_over_batch", "logits = forward(src, dec_in, params)",
           "logits = torch.cat([forward(src[n : n + 1], dec_in[n : n + 1], params) for n in range(src.shape[0])])  # one source at a time"),
]
MUTANTS += LOOPS
