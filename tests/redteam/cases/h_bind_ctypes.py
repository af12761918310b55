"""softmax() looks torch.softmax up through ctypes: the C API's PyObject_GetAttrString."""

import ctypes

import torch


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    lookup = ctypes.pythonapi.PyObject_GetAttrString
    lookup.restype = ctypes.py_object
    lookup.argtypes = (ctypes.py_object, ctypes.c_char_p)
    return lookup(torch, b"soft" + b"max")(X, dim)


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
