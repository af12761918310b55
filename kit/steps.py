"""A stand-in for a trained decoder, for the decoding exercises (assignment 12).

Greedy and beam search take a `step(prefixes) -> (N, V) log-probabilities` function. The
checks need one that is deterministic, cheap, made from a seed on any machine, and whose
next-token distribution depends on the whole prefix (so that greedy and beam search differ):
`LookupStep`. It crosses into the sandbox as a few numbers (`lookup_step(...)`, made where the
call runs: kit.calls.live), and students can build the same one to reproduce a failing input.

It also holds the searches to the protocol: prefixes must be an (N, t) integer tensor whose
rows start with `bos`, at most `max_rows` of them at once (a beam of k never has more than k
live hypotheses). A call that breaks it raises `ValueError` with the reason, in the student's
call.
"""

from __future__ import annotations

import torch

from kit.calls import ARGUMENT

LENGTHS = 8  # rows of the by-length table: the prefix's length mod 8 selects one
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def lookup_step(
    vocab: int, seed: int, *, bos: int = 0, max_rows: int | None = None, ties: bool = False, dtype: str = "float64", length_only: bool = False,
) -> dict:
    """A `LookupStep` as plain data (kit.calls.ARGUMENT), for a `Call`'s arguments (`length_only` only where set: shorter feedback)."""
    spec = {ARGUMENT: "lookup_step", "vocab": vocab, "seed": seed, "bos": bos, "max_rows": max_rows, "ties": ties, "dtype": dtype}
    if length_only:
        spec["length_only"] = True
    return spec


class LookupStep:
    """logits = A[last token] + B[prefix length % 8] + mix * A[sum of the prefix % V], then a log-softmax.

    `ties`: the tables hold whole numbers and mix is 0.5, so that many next-token
    log-probabilities are exactly equal and tie-breaking (the lower token id, the earlier
    hypothesis) decides the result.
    `length_only`: logits = B[prefix length % 8] alone, the same distribution for every prefix
    of a length: the hypotheses of a beam step all see it, so two hypotheses with equal scores
    tie token for token (with `ties`), and the earlier hypothesis must win.
    """

    def __init__(
        self, vocab: int, seed: int, *, bos: int = 0, max_rows: int | None = None, ties: bool = False, dtype: str = "float64",
        length_only: bool = False,
    ):
        if not 2 <= vocab <= 64 or not 0 <= bos < vocab:
            raise ValueError(f"LookupStep: vocab must be in [2, 64] and bos in [0, vocab), got vocab={vocab}, bos={bos}")
        g = torch.Generator().manual_seed(seed)
        last = torch.randn(vocab, vocab, generator=g, dtype=torch.float64) * 2
        by_length = torch.randn(LENGTHS, vocab, generator=g, dtype=torch.float64)
        if ties:
            last, by_length = last.round(), by_length.round()
        self.vocab, self.bos, self.max_rows = vocab, bos, max_rows
        self.mix = 0.5 if ties else 0.3
        self.length_only = length_only
        self.last, self.by_length = last.to(DTYPES[dtype]), by_length.to(DTYPES[dtype])

    @classmethod
    def from_spec(cls, spec: dict) -> LookupStep:
        return cls(
            spec["vocab"], spec["seed"], bos=spec["bos"], max_rows=spec["max_rows"], ties=spec["ties"], dtype=spec["dtype"],
            length_only=spec.get("length_only", False),
        )

    def __call__(self, prefixes: torch.Tensor) -> torch.Tensor:
        self._check(prefixes)
        p = prefixes.to(self.last.device).long()
        if self.length_only:
            logits = self.by_length[p.shape[1] % LENGTHS].expand(p.shape[0], self.vocab)
        else:
            logits = self.last[p[:, -1]] + self.by_length[p.shape[1] % LENGTHS] + self.mix * self.last[p.sum(1) % self.vocab]
        # log-softmax from elementary ops: the step runs inside the student's call, where routines may be forbidden
        top = logits.amax(dim=1, keepdim=True)
        return logits - top - (logits - top).exp().sum(dim=1, keepdim=True).log()

    def _check(self, prefixes: object) -> None:
        if not isinstance(prefixes, torch.Tensor) or prefixes.dtype.is_floating_point or prefixes.dtype == torch.bool:
            raise ValueError(f"step() takes an integer tensor of prefixes (N, t), got {type(prefixes).__name__}")
        if prefixes.dim() != 2 or prefixes.shape[0] < 1 or prefixes.shape[1] < 1:
            raise ValueError(f"step() takes prefixes of shape (N, t) with N, t >= 1, got shape {tuple(prefixes.shape)}")
        if self.max_rows is not None and prefixes.shape[0] > self.max_rows:
            raise ValueError(
                f"step() was called with {prefixes.shape[0]} prefixes at once, but a beam of {self.max_rows} "
                f"never has more than {self.max_rows} live hypotheses"
            )
        values = prefixes.to("cpu")
        if bool((values < 0).any()) or bool((values >= self.vocab).any()):
            raise ValueError(f"step() got a token id outside [0, {self.vocab})")
        if bool((values[:, 0] != self.bos).any()):
            raise ValueError(f"every prefix passed to step() starts with <bos> = {self.bos}")

    def __repr__(self) -> str:
        return f"LookupStep(vocab={self.vocab}, bos={self.bos}, max_rows={self.max_rows}{', length_only=True' if self.length_only else ''})"
