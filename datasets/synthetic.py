"""Deterministic synthetic data sets: regression, classification blobs, sequences.

Every generator takes `split` ("train" or "test") and `seed`. The two splits are
independent draws from the same distribution (the same blob centres, the same true
weights), made with private `torch.Generator`s seeded from (generator, seed, split), so the
global random state is neither used nor changed, and the same arguments always give the
same tensors.
"""

from __future__ import annotations

import hashlib
import math

import torch
from torch.utils.data import TensorDataset

PAD, BOS, EOS = 0, 1, 2  # special tokens of `copy_task`; content tokens are 3 .. vocab_size - 1
SPLITS = ("train", "test")


def _generator(name: str, seed: int, split: str | None = None) -> torch.Generator:
    """A private CPU generator for one (data set, seed, split); split=None: shared by both splits."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    digest = hashlib.sha256(f"{name}:{seed}:{split}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:7], "big"))


def linear_regression(
    num_examples: int = 1000,
    w: tuple[float, ...] | torch.Tensor = (2.0, -3.4),
    b: float = 4.2,
    noise: float = 0.01,
    split: str = "train",
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> TensorDataset:
    """d2l's regression problem: y = X w + b + noise.

    X (num_examples, d) has standard normal entries; y (num_examples, 1); the noise is
    normal with standard deviation `noise`. Defaults are the book's (w = [2, -3.4], b = 4.2).
    """
    g = _generator("linear_regression", seed, split)
    w = torch.as_tensor(w, dtype=dtype).reshape(-1, 1)
    X = torch.randn(num_examples, len(w), generator=g, dtype=dtype)
    y = X @ w + b + noise * torch.randn(num_examples, 1, generator=g, dtype=dtype)
    return TensorDataset(X, y)


def blobs(
    num_examples: int = 300,
    num_classes: int = 3,
    dim: int = 2,
    spread: float = 1.0,
    separation: float = 4.0,
    split: str = "train",
    seed: int = 0,
) -> TensorDataset:
    """Gaussian blobs: one centre per class, shared by both splits.

    Centres are drawn with standard deviation `separation`; each example is its class centre
    plus normal noise of standard deviation `spread`. Classes are balanced (example i has
    class i % num_classes before shuffling). Returns X (n, dim) float32, y (n,) int64.
    """
    centres = torch.randn(num_classes, dim, generator=_generator("blobs-centres", seed)) * separation
    g = _generator("blobs", seed, split)
    y = (torch.arange(num_examples) % num_classes)[torch.randperm(num_examples, generator=g)]
    X = centres[y] + spread * torch.randn(num_examples, dim, generator=g)
    return TensorDataset(X, y)


def noisy_sines(
    num_sequences: int = 256,
    length: int = 32,
    noise: float = 0.05,
    split: str = "train",
    seed: int = 0,
) -> TensorDataset:
    """Next-step prediction on noisy sine waves, batch first.

    Sequence i is s_i(t) = sin(f_i t + phi_i) + noise * eps for t = 0 .. length, with a
    frequency f_i uniform in [0.2, 0.6] radians per step and a phase phi_i uniform in
    [0, 2 pi). Returns X (n, length) = s(0 .. length-1) and Y (n, length) = s(1 .. length):
    Y is X shifted one step to the left. For a (T, B, 1) RNN input use X.T.unsqueeze(-1).
    """
    g = _generator("noisy_sines", seed, split)
    freq = 0.2 + 0.4 * torch.rand(num_sequences, 1, generator=g)
    phase = 2 * math.pi * torch.rand(num_sequences, 1, generator=g)
    t = torch.arange(length + 1, dtype=torch.float32)
    s = torch.sin(freq * t + phase) + noise * torch.randn(num_sequences, length + 1, generator=g)
    return TensorDataset(s[:, :-1].contiguous(), s[:, 1:].contiguous())


def copy_task(
    num_examples: int = 1000,
    min_length: int = 1,
    max_length: int = 8,
    vocab_size: int = 12,
    reverse: bool = False,
    split: str = "train",
    seed: int = 0,
) -> TensorDataset:
    """A toy "translation" task: copy (or, with reverse=True, reverse) a token sequence.

    Tokens: PAD = 0, BOS = 1, EOS = 2; content tokens are drawn uniformly from
    3 .. vocab_size - 1. Each example has a length L uniform in [min_length, max_length].
    Like d2l's machine-translation loader, it returns four tensors:
    src (n, max_length + 1) int64: the L tokens, then EOS, then PAD;
    src_valid_len (n,): L + 1 (EOS counted);
    tgt (n, max_length + 1): the same tokens (reversed when `reverse`), then EOS, then PAD;
    tgt_valid_len (n,): L + 1.
    The decoder's input (BOS followed by tgt without its last column) is left to the user.
    """
    if not 1 <= min_length <= max_length or vocab_size <= 3:
        raise ValueError("need 1 <= min_length <= max_length and vocab_size > 3")
    g = _generator("copy_task", seed, split)
    steps = max_length + 1
    lengths = torch.randint(min_length, max_length + 1, (num_examples,), generator=g)
    tokens = torch.randint(3, vocab_size, (num_examples, steps), generator=g)
    position = torch.arange(steps).expand(num_examples, steps)
    inside = position < lengths[:, None]
    src = torch.where(inside, tokens, PAD)
    src = torch.where(position == lengths[:, None], EOS, src)
    if reverse:
        # token j of the target is token L-1-j of the source
        index = (lengths[:, None] - 1 - position).clamp(min=0)
        tgt = torch.where(inside, tokens.gather(1, index), PAD)
        tgt = torch.where(position == lengths[:, None], EOS, tgt)
    else:
        tgt = src.clone()
    return TensorDataset(src, lengths + 1, tgt, lengths + 1)
