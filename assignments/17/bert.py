"""Assignment 17: BERT inputs and pre-training targets.

The data side of BERT's pre-training: the input representation of one or two sentences
(<cls> a <sep> b <sep> with segment ids), the sum of token, segment and learned position
embeddings, the masked-language-model targets (the 80/10/10 rule), the gathering of the
encoder's outputs at the predicted positions, the weighted masked-LM loss, and the
next-sentence-prediction pairs.

Conventions: special ids (cls_id, sep_id, mask_id) are plain Python ints, there is no
vocabulary object. Token tensors are int64. Random functions take a `torch.Generator`
(keyword `generator`) and draw EVERY random number from it, on the generator's own device
(`torch.rand(shape, generator=generator, device=generator.device)`), in the order their
docstring gives, then move the draws to the input's device: the same seed then gives the
same result on any device.

Do not call F.embedding / nn.Embedding (index the tables with the ids), F.cross_entropy,
F.nll_loss, nn.CrossEntropyLoss, F.log_softmax or torch.log_softmax; draw random numbers
only from the `generator` you are given (no Python `random`, no `numpy.random`, no
torch's global generator). Elementary operations (indexing, gather, cat, where, sort,
argsort, amax, exp, log, logsumexp, sum, ...) are fine.
"""

import torch


def bert_input(
    tokens_a: torch.Tensor, tokens_b: torch.Tensor | None = None, *, cls_id: int, sep_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's input for one sentence or a pair: (token_ids, segment_ids), two 1-D int64 tensors.

    tokens_a (La,) and tokens_b (Lb,) int64 token ids (tokens_b None: a single sentence).
        one sentence:  token_ids   = <cls> a_1 .. a_La <sep>                       (La + 2)
                       segment_ids =   0    0  ..  0    0
        a pair:        token_ids   = <cls> a_1 .. a_La <sep> b_1 .. b_Lb <sep>      (La + Lb + 3)
                       segment_ids =   0    0  ..  0    0     1  ..  1    1
    <cls>, sentence a and the FIRST <sep> are segment 0; sentence b and the LAST <sep> are
    segment 1. A pair ends with its own <sep>: "<cls> I love you <sep> nice weather" is one
    token short. An empty tokens_b (not None) still gets its closing <sep>. Both outputs
    live on tokens_a's device; token_ids has tokens_a's dtype, segment_ids is int64. Build
    them with tensor operations (torch.cat, torch.full, torch.arange with device=), not
    Python lists: the tests also run the function on the meta device, which holds no values.
    """
    raise NotImplementedError("TODO: implement this function")


def bert_embeddings(
    token_ids: torch.Tensor,
    segment_ids: torch.Tensor,
    token_table: torch.Tensor,
    segment_table: torch.Tensor,
    pos_table: torch.Tensor,
) -> torch.Tensor:
    """The input of BERT's encoder: token + segment + position embeddings, (B, L, D).

    token_ids (B, L) in [0, V), segment_ids (B, L) in {0, 1}; token_table (V, D),
    segment_table (2, D), pos_table (max_len, D) with max_len >= L:
        out[b, l] = token_table[token_ids[b, l]] + segment_table[segment_ids[b, l]] + pos_table[l]
    The positions are LEARNED (a table, d2l's BERTEncoder.pos_embedding), not the sinusoids
    of 08, and only its first L rows are used: position l of every sequence gets row l.
    Look the rows up by indexing the tables (no F.embedding / nn.Embedding). No scaling by
    sqrt(D) here (that is the Transformer's embedding of 16). Returns the tables' dtype.
    """
    raise NotImplementedError("TODO: implement this function")


def mlm_mask(
    token_ids: torch.Tensor,
    candidates: torch.Tensor,
    *,
    mask_id: int,
    vocab_size: int,
    generator: torch.Generator,
    mask_prob: float = 0.15,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The masked-language-model corruption of a batch: (masked_ids (B, L) int64, is_target (B, L) bool).

    token_ids (B, L) int64; candidates (B, L) bool: True where a token may be predicted (not
    <cls>, <sep> or <pad>). Draw exactly three (B, L) tensors, in this order, on the
    generator's device, then move them to token_ids' device:
        u = torch.rand((B, L), generator=generator, device=generator.device)
        v = torch.rand((B, L), generator=generator, device=generator.device)
        r = torch.randint(0, vocab_size, (B, L), generator=generator, device=generator.device)
    Row b has C_b candidates and n_b targets:
        n_b = 0 if C_b == 0, else max(1, floor(mask_prob * C_b + 0.5))      (round half UP)
    The targets are the n_b candidates with the smallest u (give non-candidates the key 2.0,
    sort each row with torch.sort(..., stable=True): equal keys keep the lower position first).
    Each target becomes
        mask_id     where v < 0.8,
        r           where 0.8 <= v < 0.9   (any id: possibly the original, possibly a special),
        unchanged   where v >= 0.9.
    Every other position is unchanged, bit for bit. The labels are the ORIGINAL tokens,
    token_ids[is_target]: the 10% left unchanged are targets too.
    """
    raise NotImplementedError("TODO: implement this function")


def gather_positions(X: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """The encoder's outputs at the predicted positions of each sequence: (B, P, D).

    X (B, L, D), positions (B, P) int64 in [0, L) (repeats allowed, any order):
        out[b, p] = X[b, positions[b, p]]
    Row b reads ITS OWN sequence X[b]. d2l's MaskLM pairs each position with its batch index
    through torch.repeat_interleave(arange(B), P) (not .repeat, which cycles 0, 1, .., B-1).
    No Python loop over the batch. Returns X's dtype.
    """
    raise NotImplementedError("TODO: implement this function")


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The weighted mean of the per-slot cross-entropies of the masked-LM: a 0-dim tensor.

    logits (B, P, V), labels (B, P) int64 in [0, V), weights (B, P) float (1 for a real
    prediction slot, 0 for a padding slot):
        ce[b, p] = logsumexp(logits[b, p]) - logits[b, p, labels[b, p]]
        loss     = sum(weights * ce) / (sum(weights) + 1e-8)
    A slot of weight 0 never counts, whatever its logits and label; all weights 0 gives 0.
    Compute log-sum-exp stably (subtract the max, or torch.logsumexp): logits of 1e4
    overflow exp. Returns logits' dtype.
    """
    raise NotImplementedError("TODO: implement this function")


def nsp_pairs(sentences: torch.Tensor, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Next-sentence-prediction pairs from the N consecutive sentences of a document.

    sentences (N, S) int64, N >= 2. Pair i = 0 .. N-2 starts with sentence s_i. Draw, in
    this order, on the generator's device, then move to the sentences' device:
        c = torch.rand(N - 1, generator=generator, device=generator.device)
        j = torch.randint(0, N, (N - 1,), generator=generator, device=generator.device)
    (j is drawn for every pair, used or not). Pair i is
        (s_i, s_{i+1}, True)     where c[i] < 0.5,
        (s_i, s_{j[i]}, False)   otherwise.
    As in d2l, the random sentence comes from the whole document and can be the true next
    one (j[i] == i + 1) or s_i itself: the label stays False all the same.
    Returns (first (N-1, S), second (N-1, S), is_next (N-1,) bool).
    """
    raise NotImplementedError("TODO: implement this function")
