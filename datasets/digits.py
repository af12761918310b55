"""The 8x8 handwritten digits that scikit-learn ships (UCI "Optical Recognition of
Handwritten Digits", test part: 1797 images of 43 writers' digits, 10 classes).

The CSV file inside the installed scikit-learn package is read directly with numpy, so
sklearn itself is not imported (it is slow to import); if the file cannot be found there,
`sklearn.datasets.load_digits` is used instead.

The split is fixed: a permutation of the 1797 indices from NumPy's legacy
`RandomState(0)` (a stream NumPy guarantees never to change); its first 1437 indices are the
training set, the last 360 the test set, each kept in file order.
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

DIGITS_NUM_EXAMPLES = 1797
DIGITS_NUM_TRAIN = 1437
DIGITS_NUM_TEST = DIGITS_NUM_EXAMPLES - DIGITS_NUM_TRAIN
SPLIT_SEED = 0


def _csv_in_sklearn() -> Path | None:
    """scikit-learn's digits.csv.gz, found without importing sklearn; None if absent."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 64) pixel counts in 0..16 and (1797,) labels, in the file's order."""
    path = _csv_in_sklearn()
    if path is not None:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
        pixels, labels = table[:, :64], table[:, 64]
    else:
        try:
            from sklearn.datasets import load_digits as sklearn_digits
        except ImportError:
            raise ImportError("the digits data set comes with scikit-learn: pip install scikit-learn") from None
        bunch = sklearn_digits()
        pixels, labels = bunch.data.astype(np.int64), bunch.target.astype(np.int64)
    if pixels.shape != (DIGITS_NUM_EXAMPLES, 64):
        raise ValueError(f"unexpected digits data of shape {pixels.shape}")
    return pixels, labels


def split_indices(split: str) -> np.ndarray:
    """Indices (into the file's order) of the fixed 'train' (1437) or 'test' (360) split."""
    perm = np.random.RandomState(SPLIT_SEED).permutation(DIGITS_NUM_EXAMPLES)
    if split == "train":
        return np.sort(perm[:DIGITS_NUM_TRAIN])
    if split == "test":
        return np.sort(perm[DIGITS_NUM_TRAIN:])
    raise ValueError(f"split must be 'train' or 'test', not {split!r}")


def digits_tensors(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """X (n, 1, 8, 8) float32 with pixels scaled to [0, 1] (count / 16), y (n,) int64 in 0..9."""
    pixels, labels = _all_digits()
    index = split_indices(split)
    X = torch.from_numpy(pixels[index] / 16.0).to(torch.float32).reshape(-1, 1, 8, 8)
    y = torch.from_numpy(labels[index].copy())
    return X, y


def load_digits(split: str = "train") -> TensorDataset:
    """The digits as a Dataset of (image (1, 8, 8) float32 in [0, 1], label int64) pairs."""
    return TensorDataset(*digits_tensors(split))
