"""cross_entropy() has no reduction parameter and accuracy() takes a single argument."""

import torch


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    log_p = log_softmax(logits, dim=1)
    return -log_p.gather(1, target.unsqueeze(1)).squeeze(1).mean()


def accuracy(pairs: tuple) -> float:
    logits, target = pairs
    return (logits.argmax(dim=1) == target).double().mean().item()
