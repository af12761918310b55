"""The next student: looks for what s_plant_scratch left and checks which torch it imported."""

import os

import torch


def _probe() -> str:
    found = []
    for folder in ("/tmp", "/tmp/work", "/dev/shm", os.path.expanduser("~")):
        for name in ("redteam-answers.txt", "torch.py"):
            if os.path.exists(os.path.join(folder, name)):
                found.append(os.path.join(folder, name))
    planted = {"/tmp", "/tmp/work", "/dev/shm", os.path.expanduser("~"), os.getcwd()}  # where s_plant_scratch wrote
    if not torch.__file__.endswith(os.path.join("torch", "__init__.py")) or os.path.dirname(os.path.dirname(torch.__file__)) in planted:
        found.append(f"torch from {torch.__file__}")  # a planted torch.py, not the installed package (which may live under /tmp)
    return "; ".join(found) or "nothing"


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    raise RuntimeError("PROBE " + _probe())


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
