"""Imports a helper module the student put next to softmax.py (other files are never executed)."""

import softmax_helpers
import torch


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return softmax_helpers.stable_softmax(X, dim)
