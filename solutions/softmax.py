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
    ### BEGIN SOLUTION
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)
    ### END SOLUTION


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(X)) along `dim`, computed stably with the log-sum-exp trick.

    log_softmax(X)_i = X_i - m - log(sum_j exp(X_j - m)), m = max_j X_j.
    Taking log(softmax(X)) directly gives log(0) = -inf for very negative logits.
    Returns a tensor of X's shape, dtype and device.
    """
    ### BEGIN SOLUTION
    shifted = X - X.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
    ### END SOLUTION


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of class scores against integer targets, like F.cross_entropy.

    logits: (N, C) float; target: (N,) int64 class indices in [0, C).
    loss_i = -log softmax(logits_i)[target_i]  (build it on your stable log_softmax).
    reduction: "none" returns the (N,) losses, "sum" their sum, "mean" their mean (a 0-dim
    tensor for both). Any other value raises ValueError.
    """
    ### BEGIN SOLUTION
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    log_p = log_softmax(logits, dim=1)
    losses = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()
    ### END SOLUTION


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of rows of `logits` (N, C) whose argmax equals `target` (N,), as a Python float."""
    ### BEGIN SOLUTION
    return (logits.argmax(dim=1) == target).double().mean().item()
    ### END SOLUTION
