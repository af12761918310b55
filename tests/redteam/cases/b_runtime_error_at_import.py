"""Divides by zero at module level while being imported."""

import torch

SCALE = 1 / 0


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return X * SCALE
