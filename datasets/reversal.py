"""Digit strings and their reversals: the data of assignment 18 (a tiny Transformer).

Tokens: PAD = 0, BOS = 1, EOS = 2, and the digits 0..9 as tokens 3..12 (vocabulary of 13).
A source is a string of digits followed by EOS; its target is the same digits in reverse
order followed by EOS. Both are padded with PAD after EOS to `max_digits + 1` columns.

The graded task has 6 digits in every string (no padding at all): 2000 training pairs drawn
from `torch.Generator().manual_seed(1234)` and 500 test pairs from seed 999, pinned by the
draw order below, so the same tensors come out on every machine with the same PyTorch.
Variable lengths (`min_digits < max_digits`) are the assignment's stretch goal.
"""

from __future__ import annotations

import torch

REVERSAL_PAD, REVERSAL_BOS, REVERSAL_EOS = 0, 1, 2
REVERSAL_VOCAB = 13  # PAD, BOS, EOS and the ten digits 3..12
REVERSAL_SPLITS = {"train": (2000, 1234), "test": (500, 999)}  # split: (number of pairs, seed of its generator)


def reversal_pairs(num_examples: int, seed: int, min_digits: int = 6, max_digits: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """`num_examples` (source, target) pairs from `torch.Generator().manual_seed(seed)`.

    Draw order: first the lengths `torch.randint(min_digits, max_digits + 1, (n,), generator=g)`
    (drawn even when they are all equal), then the digit tokens
    `torch.randint(3, 13, (n, max_digits), generator=g)`.
    Row b with L digits: src[b] = d_0 .. d_{L-1}, EOS, PAD ...; tgt[b] = d_{L-1} .. d_0, EOS, PAD ...
    Both (n, max_digits + 1) int64. torch's global generator is neither used nor changed.
    """
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits, got {min_digits} and {max_digits}")
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_digits, max_digits + 1, (num_examples,), generator=g)
    digits = torch.randint(3, REVERSAL_VOCAB, (num_examples, max_digits), generator=g)
    position = torch.arange(max_digits + 1).expand(num_examples, max_digits + 1)
    inside = position < lengths[:, None]
    tokens = torch.cat([digits, torch.full((num_examples, 1), REVERSAL_PAD)], dim=1)
    src = torch.where(inside, tokens, REVERSAL_PAD)
    src = torch.where(position == lengths[:, None], REVERSAL_EOS, src)
    backwards = (lengths[:, None] - 1 - position).clamp(min=0)  # target token j is source token L-1-j
    tgt = torch.where(inside, tokens.gather(1, backwards), REVERSAL_PAD)
    tgt = torch.where(position == lengths[:, None], REVERSAL_EOS, tgt)
    return src, tgt


def reversal_tensors(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The graded task's pairs: src, tgt (2000, 7) for "train" (seed 1234), (500, 7) for "test" (seed 999), int64.

    Every source is 6 digits (tokens 3..12) and EOS; its target the 6 digits reversed, then EOS.
    """
    if split not in REVERSAL_SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    num_examples, seed = REVERSAL_SPLITS[split]
    return reversal_pairs(num_examples, seed)
