"""Assignment 12: decoding and evaluation.

Turn a decoder's next-token log-probabilities into an output sentence (greedy search, beam
search with a length penalty), score a sentence, and grade it against a reference with BLEU.

A decoder is stood in for by a `step` function: `step(prefixes)` takes an int64 tensor
(N, t) of N prefixes of the same length t, each starting with <bos>, and returns an (N, V)
tensor of log-probabilities of the next token. Decoding works on one source sentence, so the
prefixes are hypotheses of the same output. Outputs are plain Python: token lists and floats.
nltk, sacrebleu, torchtext and torchmetrics are off limits.
"""

import collections  # noqa: F401 (collections.Counter counts n-grams)
import math  # noqa: F401 (math.exp for the brevity penalty)
from collections.abc import Callable

import torch

# step(prefixes): (N, t) int64 prefixes, each starting with <bos> -> (N, V) next-token log-probabilities
Step = Callable[[torch.Tensor], torch.Tensor]


def greedy_search(step: Step, bos_id: int, eos_id: int, max_len: int) -> list[int]:
    """Greedy decoding: the most likely next token at every step.

    Start from the prefix [[bos_id]] (shape (1, 1), int64). At each step call
    step(prefix) -> (1, V) log-probabilities, append the argmax (ties: the lowest token id, as
    torch.argmax does) to the prefix, and stop right after appending eos_id, or once max_len
    tokens were generated. Returns the generated tokens as a list of Python ints: without
    <bos>, with the final <eos> if one was generated, at most max_len of them.
    """
    raise NotImplementedError("TODO: implement this function")


def beam_search(step: Step, bos_id: int, eos_id: int, max_len: int, beam_size: int, alpha: float = 0.75) -> tuple[list[int], float]:
    """Beam search with the length penalty of d2l 10.10.3. Returns (tokens, score).

    State: up to beam_size live hypotheses (prefixes starting with <bos>) and their
    cumulative log-probabilities, accumulated in float64; at first one, [bos_id] with 0.
    Each step (at most max_len of them):
      1. ONE call step(live_prefixes) -> (N, V), N = number of live hypotheses, in beam order;
      2. candidate scores live_logp[:, None] + logp (N, V), flattened row-major (hypothesis
         by hypothesis, then token id): candidate i is hypothesis i // V extended by i % V;
      3. keep the best min(beam_size, N*V) candidates with
         torch.sort(scores, descending=True, stable=True): ties go to the earlier
         hypothesis, then to the lower token id;
      4. a kept candidate that ends in eos_id is finished: append it to the finished list
         (in that order); the others are the live hypotheses of the next step, in that order.
         Finished hypotheses leave the beam and are NOT replaced: the beam shrinks.
    Stop when no hypothesis is live or after max_len steps; hypotheses still live then join
    the finished list (without <eos>), in beam order.
    Result: the finished hypothesis with the highest score = log P(y_1..y_L) / L**alpha,
    L = number of generated tokens, <eos> included; ties go to the earliest in the finished
    list. tokens: Python ints, no <bos>, final <eos> kept (as greedy_search); score: a Python
    float, equal to sequence_score(step, bos_id, tokens, alpha).
    """
    raise NotImplementedError("TODO: implement this function")


def sequence_score(step: Step, bos_id: int, tokens: list[int], alpha: float = 0.0) -> float:
    """log P(tokens) / len(tokens)**alpha under `step`, by the chain rule.

    sum over t of log P(tokens[t] | <bos>, tokens[0], ..., tokens[t-1]), where each term is
    step(prefix)[0, tokens[t]] for the prefix [[bos_id, tokens[0], ..., tokens[t-1]]] (one
    call per token; prefixes of different lengths cannot share a call). Accumulate in
    float64 and return a Python float. tokens is a non-empty list of ints, <eos> included if
    the sequence has one; alpha = 0 gives the plain log-probability.
    """
    raise NotImplementedError("TODO: implement this function")


def bleu(pred_tokens: list, label_tokens: list, k: int) -> float:
    """BLEU of a predicted token list against one label (d2l's definition).

        exp(min(0, 1 - len_label / len_pred)) * prod_{n=1}^{min(k, len_pred)} p_n ** (1 / 2**n)

    p_n = (clipped n-gram matches) / (len_pred - n + 1): each n-gram of the prediction counts
    at most as many times as it occurs in the label. n-grams are TUPLES of tokens (tokens are
    any hashable items: ints, strings), so ["ab", "c"] and ["a", "bc"] are different
    bigrams. n stops at len_pred (no n-grams beyond the prediction's length, and no division
    by zero). An empty prediction scores 0.0. Returns a Python float in [0, 1].
    """
    raise NotImplementedError("TODO: implement this function")
