"""Honest rewrites of assignment 12 (decoding and evaluation)."""

from mutants import Mutant

HONEST = [
    # the prefix kept as a Python list, the first maximum found with max() over the row's values
    Mutant("12", "decoding", "greedy_search", "greedy_python_prefix",
           "    prefix = torch.full((1, 1), bos_id, dtype=torch.long)\n"
           "    tokens = []\n"
           "    for _ in range(max_len):\n"
           "        token = int(step(prefix)[0].argmax())\n"
           "        tokens.append(token)\n"
           "        if token == eos_id:\n"
           "            break\n"
           "        prefix = torch.cat([prefix, torch.full((1, 1), token, dtype=torch.long)], dim=1)\n"
           "    return tokens",
           "    tokens = []\n"
           "    while len(tokens) < max_len and eos_id not in tokens:\n"
           "        row = step(torch.tensor([[bos_id, *tokens]])).tolist()[0]\n"
           "        tokens.append(max(range(len(row)), key=row.__getitem__))  # max() keeps the first of equal keys\n"
           "    return tokens"),
    # candidates as Python tuples, ranked by sorted() (stable: equal scores keep hypothesis-major order), Python floats
    Mutant("12", "decoding", "beam_search", "beam_python_sorted",
           "    live = torch.full((1, 1), bos_id, dtype=torch.long)  # (N, t) prefixes\n"
           "    live_logp = torch.zeros(1, dtype=torch.float64)  # (N,)\n"
           "    finished = []  # (tokens without <bos>, log-probability)\n"
           "    for _ in range(max_len):\n"
           "        logp = step(live).to(\"cpu\", torch.float64)  # (N, V)\n"
           "        V = logp.shape[1]\n"
           "        scores = (live_logp[:, None] + logp).reshape(-1)  # hypothesis-major, then token id\n"
           "        chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]\n"
           "        rows, words = chosen // V, chosen % V\n"
           "        extended = torch.cat([live[rows], words[:, None]], dim=1)\n"
           "        ended = words == eos_id\n"
           "        finished += zip(extended[ended][:, 1:].tolist(), scores[chosen][ended].tolist(), strict=True)\n"
           "        live, live_logp = extended[~ended], scores[chosen][~ended]\n"
           "        if live.shape[0] == 0:\n"
           "            break\n"
           "    finished += zip(live[:, 1:].tolist(), live_logp.tolist(), strict=True)  # still live after max_len steps\n",
           "    beam = [([], 0.0)]  # (tokens without <bos>, log-probability)\n"
           "    finished = []\n"
           "    for _ in range(max_len):\n"
           "        if not beam:\n"
           "            break\n"
           "        rows = step(torch.tensor([[bos_id, *tokens] for tokens, _ in beam])).double().tolist()\n"
           "        candidates = [(tokens + [w], logp + row[w]) for (tokens, logp), row in zip(beam, rows, strict=True) for w in range(len(row))]\n"
           "        kept = sorted(candidates, key=lambda c: -c[1])[:beam_size]\n"
           "        finished += [c for c in kept if c[0][-1] == eos_id]\n"
           "        beam = [c for c in kept if c[0][-1] != eos_id]\n"
           "    finished += beam\n"),
    # the best finished hypothesis found by Python's max() over (score, tokens) pairs
    Mutant("12", "decoding", "beam_search", "beam_finished_by_python_max",
           "    logps = torch.tensor([logp for _, logp in finished], dtype=torch.float64)\n"
           "    lengths = torch.tensor([len(tokens) for tokens, _ in finished], dtype=torch.float64)\n"
           "    normalised = logps / lengths**alpha\n"
           "    best = int(normalised.argmax())  # the first maximum: the earliest finished\n"
           "    return finished[best][0], float(normalised[best])",
           "    scored = [(logp / len(tokens) ** alpha, tokens) for tokens, logp in finished]\n"
           "    score, tokens = max(scored, key=lambda s: s[0])  # the first of equal maxima\n"
           "    return tokens, score"),
    # a stable ascending sort of the negated scores is the same order as a stable descending one
    Mutant("12", "decoding", "beam_search", "beam_sorted_negated",
           "chosen = torch.sort(scores, descending=True, stable=True).indices[:beam_size]",
           "chosen = torch.argsort(-scores, stable=True)[:beam_size]"),
    # one step call per token, the log-probabilities gathered into a float64 tensor and summed at once
    Mutant("12", "decoding", "sequence_score", "score_gathered_then_summed",
           "    sequence = torch.tensor([bos_id, *tokens], dtype=torch.long)\n"
           "    total = 0.0  # a Python float: float64\n"
           "    for t, token in enumerate(tokens):\n"
           "        total += float(step(sequence[None, : t + 1])[0, token])\n"
           "    return total / len(tokens) ** alpha",
           "    terms = [step(torch.tensor([[bos_id, *tokens[:t]]]))[0, token].double() for t, token in enumerate(tokens)]\n"
           "    return float(torch.stack(terms).sum() / len(tokens) ** alpha)"),
    # d2l's loop: the label's n-grams in a dict, used up one match at a time; math.pow
    Mutant("12", "decoding", "bleu", "bleu_d2l_loop",
           "        label_counts = collections.Counter(tuple(label_tokens[i : i + n]) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(tuple(pred_tokens[i : i + n]) for i in range(len_pred - n + 1))\n"
           "        matches = sum(min(count, label_counts[gram]) for gram, count in pred_counts.items())\n"
           "        score *= (matches / (len_pred - n + 1)) ** (0.5**n)",
           "        matches, unused = 0, collections.defaultdict(int)\n"
           "        for i in range(len_label - n + 1):\n"
           "            unused[tuple(label_tokens[i : i + n])] += 1\n"
           "        for i in range(len_pred - n + 1):\n"
           "            if unused[tuple(pred_tokens[i : i + n])] > 0:\n"
           "                matches += 1\n"
           "                unused[tuple(pred_tokens[i : i + n])] -= 1\n"
           "        score *= math.pow(matches / (len_pred - n + 1), math.pow(0.5, n))"),
    # in the log domain: log BLEU = min(0, 1 - r) + sum_n log(p_n) / 2**n, 0 as soon as one p_n is 0
    Mutant("12", "decoding", "bleu", "bleu_log_domain",
           "    score = math.exp(min(0.0, 1 - len_label / len_pred))\n"
           "    for n in range(1, min(k, len_pred) + 1):\n"
           "        label_counts = collections.Counter(tuple(label_tokens[i : i + n]) for i in range(len_label - n + 1))\n"
           "        pred_counts = collections.Counter(tuple(pred_tokens[i : i + n]) for i in range(len_pred - n + 1))\n"
           "        matches = sum(min(count, label_counts[gram]) for gram, count in pred_counts.items())\n"
           "        score *= (matches / (len_pred - n + 1)) ** (0.5**n)\n"
           "    return score",
           "    log_score = min(0.0, 1 - len_label / len_pred)\n"
           "    for n in range(1, min(k, len_pred) + 1):\n"
           "        label_counts = collections.Counter(zip(*(label_tokens[i:] for i in range(n)), strict=False))\n"
           "        pred_counts = collections.Counter(zip(*(pred_tokens[i:] for i in range(n)), strict=False))\n"
           "        matches = sum((pred_counts & label_counts).values())  # Counter & Counter: the minimum of each count\n"
           "        if matches == 0:\n"
           "            return 0.0\n"
           "        log_score += math.log(matches / (len_pred - n + 1)) / 2**n\n"
           "    return math.exp(log_score)"),
]
