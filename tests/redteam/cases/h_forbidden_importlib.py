"""cross_entropy() gets F.cross_entropy through importlib.import_module."""

import importlib

import torch


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    functional = importlib.import_module("torch.nn.functional")
    return functional.cross_entropy(logits, target, reduction=reduction)


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == target).double().mean().item()
