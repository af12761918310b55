"""The next student: reads what s_plant_protected left."""


import torch


def _probe() -> str:
    found = []
    for folder in ("/tmp/redteam-keep", "/dev/shm/redteam-keep", "/redteam-keep"):
        try:
            with open(f"{folder}/inner/answers.txt") as handle:
                found.append(f"{folder}={handle.read()!r}")
        except OSError:
            pass
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
