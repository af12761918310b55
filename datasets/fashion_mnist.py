"""Fashion-MNIST from its IDX files (gzipped or raw), with torchvision as an optional fallback.

Nothing is downloaded unless you ask for it and torchvision imports. Put the four files
(from https://github.com/zalandoresearch/fashion-mnist, MIT licence) in a folder:

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

(without `.gz` works too; so does torchvision's layout, `<root>/FashionMNIST/raw/`).
The split is the official one: 60000 training and 10000 test images.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

FASHION_MNIST_CLASSES = (
    "t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
)
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX type codes: numpy dtype (big-endian, as stored) and the torch dtype returned
IDX_TYPES = {
    0x08: (">u1", torch.uint8),
    0x09: (">i1", torch.int8),
    0x0B: (">i2", torch.int16),
    0x0C: (">i4", torch.int32),
    0x0D: (">f4", torch.float32),
    0x0E: (">f8", torch.float64),
}


def torchvision_available() -> bool:
    """Whether torchvision imports here (it may be absent, or built for another torch)."""
    try:
        import torchvision  # noqa: F401
    except Exception:
        return False
    return True


def read_idx(path: str | Path) -> torch.Tensor:
    """Read an IDX file (gzipped or not: detected from its first bytes) into a tensor.

    Format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 per
    dimension, then the values in big-endian, row-major order.
    """
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file")
    numpy_dtype, torch_dtype = IDX_TYPES[data[2]]
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    count = int(np.prod(shape, dtype=np.int64))
    itemsize = np.dtype(numpy_dtype).itemsize
    if len(data) != 4 + 4 * ndim + count * itemsize:
        raise ValueError(f"{path}: expected {count} values of shape {shape}, the file has {len(data) - 4 - 4 * ndim} bytes of data")
    values = np.frombuffer(data, dtype=numpy_dtype, count=count, offset=4 + 4 * ndim)
    return torch.from_numpy(values.astype(values.dtype.newbyteorder("="))).reshape(shape)


def _find(root: Path, name: str) -> Path | None:
    for folder in (root, root / "FashionMNIST" / "raw"):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def _as_dataset(images: torch.Tensor, labels: torch.Tensor) -> TensorDataset:
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"images of shape {tuple(images.shape)} do not go with labels of shape {tuple(labels.shape)}")
    X = images.to(torch.float32).div(255.0).unsqueeze(1)
    return TensorDataset(X, labels.to(torch.int64))


def load_fashion_mnist(root: str | Path = "data", split: str = "train", download: bool = False) -> TensorDataset:
    """Fashion-MNIST as (image (1, 28, 28) float32 in [0, 1], label int64) pairs.

    Reads the IDX files of `split` ("train" or "test") from `root` when they are there.
    Otherwise torchvision's loader is used when torchvision imports (it downloads only with
    download=True); without torchvision a FileNotFoundError says which files to put where.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = Path(root)
    found = [_find(root, name) for name in FILES[split]]
    if all(found):
        return _as_dataset(read_idx(found[0]), read_idx(found[1]))
    if torchvision_available():
        from torchvision.datasets import FashionMNIST

        data = FashionMNIST(str(root), train=split == "train", download=download)
        return _as_dataset(torch.as_tensor(data.data), torch.as_tensor(data.targets))
    missing = ", ".join(f"{name}[.gz]" for name, path in zip(FILES[split], found, strict=True) if path is None)
    raise FileNotFoundError(
        f"Fashion-MNIST {split} files not found in {root} (missing {missing}), and torchvision is not installed to "
        "download them: put the IDX files there (see datasets/README.md) or pip install torchvision"
    )
