"""Small data sets that work offline, on a fresh machine, with nothing to download.

Every loader returns a `torch.utils.data.Dataset` (a `TensorDataset`, so `ds.tensors` gives
the raw tensors) and is deterministic: the same arguments give the same tensors.

- Synthetic generators (`datasets.synthetic`): `linear_regression`, `blobs`,
  `noisy_sines`, `copy_task` (a toy copy/reversal "translation" task).
- Real images: `load_digits` (the 8x8 handwritten digits that scikit-learn ships) and
  `load_fashion_mnist` (Fashion-MNIST from IDX files you already have, or through
  torchvision when it is installed).
- Digit strings and their reversals (`datasets.reversal`): `reversal_tensors` (assignment
  18's fixed splits) and `reversal_pairs`, as plain (src, tgt) tensors.

Only torch and numpy are imported here; torchvision is imported lazily, when asked for.
See datasets/README.md for the splits, shapes and licences.
"""

from datasets.digits import DIGITS_NUM_TEST, DIGITS_NUM_TRAIN, digits_tensors, load_digits
from datasets.fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, read_idx, torchvision_available
from datasets.reversal import reversal_pairs, reversal_tensors
from datasets.synthetic import BOS, EOS, PAD, blobs, copy_task, linear_regression, noisy_sines

__all__ = [
    "BOS",
    "DIGITS_NUM_TEST",
    "DIGITS_NUM_TRAIN",
    "EOS",
    "FASHION_MNIST_CLASSES",
    "PAD",
    "blobs",
    "copy_task",
    "digits_tensors",
    "linear_regression",
    "load_digits",
    "load_fashion_mnist",
    "noisy_sines",
    "read_idx",
    "reversal_pairs",
    "reversal_tensors",
    "torchvision_available",
]
