"""Imports a package that is not installed (a helper library from the student's own machine)."""

import redteam_not_installed_helpers
import torch


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return redteam_not_installed_helpers.softmax(X, dim)
