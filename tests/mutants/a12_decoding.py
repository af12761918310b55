"""Wrong implementations of assignment 12 (decoding and evaluation)."""

from mutants import Mutant

MUTANTS = [
    # greedy_search
    Mutant("12", "decoding", "greedy_search", "greedy_drops_eos",
           "tokens.append(token)\n        if token == eos_id:\n            break",
           "if token == eos_id:\n            break\n        tokens.append(token)"),
    Mutant("12", "decoding", "greedy_search", "greedy_ignores_eos",
           "        if token == eos_id:\n            break\n", ""),
    Mutant("12", "decoding", "greedy_search", "greedy_max_len_plus_one",
           "for _ in range(max_len):", "for _ in range(max_len + 1):"),
    Mutant("12", "decoding", "greedy_search", "greedy_ties_to_highest_id",
           "token = int(step(prefix)[0].argmax())",
           "row = step(prefix)[0]\n        token = row.shape[0] - 1 - int(row.flip(0).argmax())"),
    Mutant("12", "decoding", "greedy_search", "greedy_keeps_bos",
           "return tokens", "return [bos_id, *tokens]"),
    # the prefix forgets all but the last token: the step sees <bos>, last token at every step
    Mutant("12", "decoding", "greedy_search", "greedy_forgets_history",
           "prefix = torch.cat([prefix, torch.full((1, 1), token, dtype=torch.long)], dim=1)",
           "prefix = torch.tensor([[bos_id, token]])"),
    # beam_search
    # the top beam_size tokens of every hypothesis all stay live: the beam grows to beam_size**2
    Mutant("12", "decoding", "beam_search", "beam_top_k_per_hypothesis",
           "chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]",
           "per_row = torch.sort(scores.reshape(-1, V), dim=1, descending=True, stable=True).indices[:, :beam_size]\n"
           "        chosen = (per_row + V * torch.arange(per_row.shape[0])[:, None]).reshape(-1)"),
    Mutant("12", "decoding", "beam_search", "beam_forgets_prefix_logp",
           "scores = (live_logp[:, None] + logp).reshape(-1)", "scores = logp.reshape(-1)"),
    Mutant("12", "decoding", "beam_search", "beam_ranks_by_raw_logp",
           "best = int(normalised.argmax())", "best = int(logps.argmax())"),
    Mutant("12", "decoding", "beam_search", "beam_length_without_eos",
           "lengths = torch.tensor([len(tokens) for tokens, _ in finished], dtype=torch.float64)",
           "lengths = torch.tensor([len(tokens) - (tokens[-1] == eos_id) for tokens, _ in finished], dtype=torch.float64)"),
    Mutant("12", "decoding", "beam_search", "beam_length_counts_bos",
           "lengths = torch.tensor([len(tokens) for tokens, _ in finished], dtype=torch.float64)",
           "lengths = torch.tensor([len(tokens) + 1 for tokens, _ in finished], dtype=torch.float64)"),
    # nothing ever finishes: hypotheses go on after <eos> until max_len
    Mutant("12", "decoding", "beam_search", "beam_extends_after_eos",
           "ended = words == eos_id", "ended = torch.zeros_like(words, dtype=torch.bool)"),
    Mutant("12", "decoding", "beam_search", "beam_stops_at_first_eos",
           "if live.shape[0] == 0:", "if live.shape[0] == 0 or bool(ended.any()):"),
    # finished hypotheses are replaced: the best beam_size candidates without <eos> stay live
    Mutant("12", "decoding", "beam_search", "beam_refills",
           "chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]",
           "order = torch.sort(scores, descending=True, stable=True).indices\n"
           "        top = order[:beam_size]\n"
           "        chosen = torch.cat([top[top % V == eos_id], order[order % V != eos_id][:beam_size]])"),
    # sorted ascending, then reversed: equal scores come out later index first
    Mutant("12", "decoding", "beam_search", "beam_ties_reversed",
           "chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]",
           "chosen = torch.sort(scores, stable=True).indices.flip(0)[:beam_size]"),
    # torch.topk breaks ties in no promised order
    Mutant("12", "decoding", "beam_search", "beam_topk_ties",
           "chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]",
           "chosen = torch.topk(scores, min(beam_size, scores.numel())).indices"),
    # candidates flattened token by token: equal scores go to the lower token id, then the earlier hypothesis
    Mutant("12", "decoding", "beam_search", "beam_token_major",
           "scores = (live_logp[:, None] + logp).reshape(-1)  # hypothesis-major, then token id\n"
           "        chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]\n"
           "        rows, words = chosen // V, chosen % V",
           "scores = (live_logp[:, None] + logp).T.reshape(-1)\n"
           "        chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]\n"
           "        rows, words = chosen % live.shape[0], chosen // live.shape[0]"),
    Mutant("12", "decoding", "beam_search", "beam_forgets_unfinished",
           "finished += zip(live[:, 1:].tolist(), live_logp.tolist(), strict=True)  # still live after max_len steps", "pass"),
    Mutant("12", "decoding", "beam_search", "beam_returns_raw_logp",
           "return finished[best][0], float(normalised[best])", "return finished[best][0], float(logps[best])"),
    # the last of the equally good finished hypotheses
    Mutant("12", "decoding", "beam_search", "beam_last_of_ties",
           "best = int(normalised.argmax())", "best = len(finished) - 1 - int(normalised.flip(0).argmax())"),
    Mutant("12", "decoding", "beam_search", "beam_default_alpha_1",
           "alpha: float = 0.75) -> tuple", "alpha: float = 1.0) -> tuple"),
    # sequence_score
    Mutant("12", "decoding", "sequence_score", "score_prefix_includes_the_token",
           "sequence[None, : t + 1]", "sequence[None, : t + 2]"),
    Mutant("12", "decoding", "sequence_score", "score_length_counts_bos",
           "return total / len(tokens) ** alpha", "return total / (len(tokens) + 1) ** alpha"),
    Mutant("12", "decoding", "sequence_score", "score_ignores_alpha",
           "return total / len(tokens) ** alpha", "return total"),
    Mutant("12", "decoding", "sequence_score", "score_mean_log_probability",
           "return total / len(tokens) ** alpha", "return total / len(tokens)"),
    Mutant("12", "decoding", "sequence_score", "score_last_token_only",
           "total += float(", "total = float("),
    Mutant("12", "decoding", "sequence_score", "score_default_alpha_075",
           "alpha: float = 0.0) -> float", "alpha: float = 0.75) -> float"),
    # bleu
    # the seed's (004 10.12.5) n-gram key: ['ab', 'c'] and ['a', 'bc'] are the same bigram 'abc'
    Mutant("12", "decoding", "bleu", "bleu_joined_ngrams",
           "label_counts = collections.Counter(tuple(label_tokens[i : i + n]) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(tuple(pred_tokens[i : i + n]) for i in range(len_pred - n + 1))",
           "label_counts = collections.Counter(''.join(map(str, label_tokens[i : i + n])) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(''.join(map(str, pred_tokens[i : i + n])) for i in range(len_pred - n + 1))"),
    # d2l v2's key, ' '.join: only tokens that contain a space collide
    Mutant("12", "decoding", "bleu", "bleu_space_joined_ngrams",
           "label_counts = collections.Counter(tuple(label_tokens[i : i + n]) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(tuple(pred_tokens[i : i + n]) for i in range(len_pred - n + 1))",
           "label_counts = collections.Counter(' '.join(map(str, label_tokens[i : i + n])) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(' '.join(map(str, pred_tokens[i : i + n])) for i in range(len_pred - n + 1))"),
    # the seed's loop: n up to k even when len_pred < k, dividing by len_pred - n + 1 = 0
    Mutant("12", "decoding", "bleu", "bleu_n_up_to_k",
           "range(1, min(k, len_pred) + 1)", "range(1, k + 1)"),
    Mutant("12", "decoding", "bleu", "bleu_unclipped",
           "min(count, label_counts[gram])", "(count if label_counts[gram] > 0 else 0)"),
    Mutant("12", "decoding", "bleu", "bleu_brevity_ratio",
           "score = math.exp(min(0.0, 1 - len_label / len_pred))", "score = min(1.0, len_pred / max(len_label, 1))"),
    Mutant("12", "decoding", "bleu", "bleu_brevity_always",
           "score = math.exp(min(0.0, 1 - len_label / len_pred))", "score = math.exp(1 - len_label / len_pred)"),
    Mutant("12", "decoding", "bleu", "bleu_uniform_weights",
           "** (0.5**n)", "** (1 / k)"),
    Mutant("12", "decoding", "bleu", "bleu_recall",
           "(matches / (len_pred - n + 1))", "(matches / max(len_label - n + 1, 1))"),
    Mutant("12", "decoding", "bleu", "bleu_no_empty_guard",
           "    if len_pred == 0:\n        return 0.0\n", ""),
]
