"""accuracy() allocates 256 MB blocks until something stops it (up to 64 GB)."""

import torch

REPORT = None


def _bomb() -> str:
    hoard, stop = [], "cap of 64 GB"
    try:
        for _ in range(256):
            hoard.append(torch.empty(256 << 20, dtype=torch.uint8))  # 256 MB at a time
    except (RuntimeError, MemoryError) as error:
        stop = type(error).__name__
    total = len(hoard) * 256
    hoard.clear()
    return f"memory={total}MB stopped by {stop}"


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    global REPORT
    REPORT = REPORT or _bomb()
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
