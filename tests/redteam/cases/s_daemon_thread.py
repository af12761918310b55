"""Starts a daemon thread that writes a heartbeat file forever, to outlive the submission."""

import threading
import time

import torch


def _heartbeat() -> None:
    while True:  # outlive the submission, if the grader lets it
        for path in ("/tmp/redteam-heartbeat", "/dev/shm/redteam-heartbeat"):
            try:
                with open(path, "w") as handle:
                    handle.write(str(time.time()))
            except OSError:
                pass
        time.sleep(0.02)


threading.Thread(target=_heartbeat, daemon=True).start()


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


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == target).double().mean().item()
