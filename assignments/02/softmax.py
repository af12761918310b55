"""Assignment 02: softmax regression.

Implement the pieces of a softmax classifier from elementary tensor operations. Do not call
torch.softmax, torch.log_softmax, torch.logsumexp, F.cross_entropy or F.nll_loss.
"""

import torch


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along `dim`: softmax(X)_i = exp(X_i) / sum_j exp(X_j).

    X: a float tensor of any shape. Returns a tensor of X's shape, dtype and device whose
    entries along `dim` are in [0, 1] and sum to 1. Must stay finite for logits of +-1e4:
    exp(1e4) overflows, so subtract the max along `dim` first (softmax is unchanged by it).
    """
    raise NotImplementedError("TODO: implement this function")


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(X)) along `dim`, computed stably with the log-sum-exp trick.

    log_softmax(X)_i = X_i - m - log(sum_j exp(X_j - m)), m = max_j X_j.
    Taking log(softmax(X)) directly gives log(0) = -inf for very negative logits.
    Returns a tensor of X's shape, dtype and device.
    """
    raise NotImplementedError("TODO: implement this function")


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of class scores against integer targets, like F.cross_entropy.

    logits: (N, C) float; target: (N,) int64 class indices in [0, C).
    loss_i = -log softmax(logits_i)[target_i]  (build it on your stable log_softmax).
    reduction: "none" returns the (N,) losses, "sum" their sum, "mean" their mean (a 0-dim
    tensor for both). Any other value raises ValueError.
    """
    raise NotImplementedError("TODO: implement this function")


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of rows of `logits` (N, C) whose argmax equals `target` (N,), as a Python float."""
    raise NotImplementedError("TODO: implement this function")
