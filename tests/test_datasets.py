"""The offline data sets: deterministic, correctly shaped, split as documented."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

import datasets
from datasets import digits as digits_module
from datasets import fashion_mnist
from kit.catalog import ROOT

# ---------------------------------------------------------------- synthetic generators

GENERATORS = {
    "linear_regression": lambda **kw: datasets.linear_regression(50, **kw),
    "blobs": lambda **kw: datasets.blobs(60, **kw),
    "noisy_sines": lambda **kw: datasets.noisy_sines(8, 12, **kw),
    "copy_task": lambda **kw: datasets.copy_task(20, **kw),
}


def same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.tensors, b.tensors, strict=True))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic_and_leave_the_global_generator_alone(name):
    make = GENERATORS[name]
    state = torch.random.get_rng_state()
    first = make(seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(123)  # the global generator plays no part
    assert same(first, make(seed=3))
    assert not same(first, make(seed=4))
    assert not same(first, make(seed=3, split="test"))
    with pytest.raises(ValueError):
        make(split="validation")


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_return_datasets_of_tuples(name):
    ds = GENERATORS[name]()
    assert isinstance(ds, torch.utils.data.Dataset)
    item = ds[0]
    assert isinstance(item, tuple) and len(item) == len(ds.tensors)
    assert len(ds) == len(ds.tensors[0])


def test_linear_regression_follows_its_model():
    X, y = datasets.linear_regression(2000, w=(1.0, -2.0, 0.5), b=3.0, noise=0.1, seed=1).tensors
    assert X.shape == (2000, 3) and y.shape == (2000, 1) and X.dtype == torch.float32
    design = torch.cat([X, torch.ones(2000, 1)], 1).double()
    coef = torch.linalg.lstsq(design, y.double()).solution.flatten()
    torch.testing.assert_close(coef, torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64), atol=0.02, rtol=0)
    residual = y - X @ torch.tensor([[1.0], [-2.0], [0.5]]) - 3.0
    assert 0.09 < residual.std().item() < 0.11
    assert datasets.linear_regression(5, dtype=torch.float64).tensors[0].dtype == torch.float64


def test_blobs_are_balanced_and_share_their_centres_across_splits():
    train = datasets.blobs(600, num_classes=4, dim=3, spread=0.5, seed=2)
    test = datasets.blobs(600, num_classes=4, dim=3, spread=0.5, seed=2, split="test")
    (X, y), (Xt, yt) = train.tensors, test.tensors
    assert X.shape == (600, 3) and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == [150] * 4
    for c in range(4):
        torch.testing.assert_close(X[y == c].mean(0), Xt[yt == c].mean(0), atol=0.2, rtol=0)
        assert X[y == c].std(0).max() < 0.65


def test_noisy_sines_targets_are_the_next_step():
    X, Y = datasets.noisy_sines(16, 20, noise=0.0).tensors
    assert X.shape == Y.shape == (16, 20)
    assert torch.equal(X[:, 1:], Y[:, :-1])
    assert X.abs().max() <= 1.0 + 1e-6
    noisy, _ = datasets.noisy_sines(16, 20, noise=0.3).tensors
    assert (noisy - X).std() > 0.2


@pytest.mark.parametrize("reverse", [False, True])
def test_copy_task_sequences(reverse):
    src, src_len, tgt, tgt_len = datasets.copy_task(200, 2, 6, vocab_size=9, reverse=reverse, seed=5).tensors
    assert src.shape == tgt.shape == (200, 7) and src.dtype == torch.int64
    assert torch.equal(src_len, tgt_len) and src_len.min() >= 3 and src_len.max() <= 7
    assert len(set(src_len.tolist())) == 5
    for s, t, n in zip(src, tgt, src_len.tolist(), strict=True):
        content = s[: n - 1]
        assert ((content >= 3) & (content < 9)).all()
        assert s[n - 1] == datasets.EOS and t[n - 1] == datasets.EOS
        assert (s[n:] == datasets.PAD).all() and (t[n:] == datasets.PAD).all()
        assert torch.equal(t[: n - 1], content.flip(0) if reverse else content)


# ---------------------------------------------------------------- digits


def test_digits_split_is_fixed_disjoint_and_complete():
    X, y = datasets.digits_tensors("train")
    Xt, yt = datasets.digits_tensors("test")
    assert X.shape == (datasets.DIGITS_NUM_TRAIN, 1, 8, 8) == (1437, 1, 8, 8)
    assert Xt.shape == (datasets.DIGITS_NUM_TEST, 1, 8, 8) == (360, 1, 8, 8)
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    train, test = digits_module.split_indices("train"), digits_module.split_indices("test")
    assert len(np.intersect1d(train, test)) == 0 and len(np.union1d(train, test)) == 1797
    # the documented split, pinned: any change to it shows here
    assert torch.bincount(yt).tolist() == [31, 35, 39, 33, 44, 29, 40, 40, 28, 41]
    assert test[:5].tolist() == [11, 23, 24, 25, 28]
    assert X.min() == 0 and X.max() == 1
    assert torch.equal(X * 16, (X * 16).round())
    with pytest.raises(ValueError):
        datasets.digits_tensors("val")


def test_digits_dataset_items():
    ds = datasets.load_digits("test")
    image, label = ds[0]
    assert len(ds) == 360 and image.shape == (1, 8, 8) and label.dtype == torch.int64


def test_digits_fall_back_to_sklearn_when_the_csv_is_not_found(monkeypatch):
    pytest.importorskip("sklearn")
    expected = datasets.digits_tensors("test")
    monkeypatch.setattr(digits_module, "_csv_in_sklearn", lambda: None)
    digits_module._all_digits.cache_clear()
    try:
        X, y = datasets.digits_tensors("test")
    finally:
        digits_module._all_digits.cache_clear()
    assert torch.equal(X, expected[0]) and torch.equal(y, expected[1])


def test_importing_the_data_sets_is_light():
    code = (
        "import sys, datasets; datasets.digits_tensors('test'); "
        "print(sorted(m for m in ('torchvision', 'sklearn', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- IDX files and Fashion-MNIST


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    big = array.astype(array.dtype.newbyteorder(">"))
    return b"\x00\x00" + bytes([code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + big.tobytes()


@pytest.mark.parametrize(
    ("dtype", "code"),
    [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)],
)
@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_round_trips(tmp_path, dtype, code, compressed):
    array = (np.arange(24).reshape(2, 3, 4) * (-1 if np.dtype(dtype).kind != "u" else 1)).astype(dtype)
    data = idx_bytes(array, code)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(data) if compressed else data)
    tensor = datasets.read_idx(path)
    assert tensor.shape == (2, 3, 4)
    assert np.array_equal(tensor.numpy(), array)


def test_read_idx_refuses_broken_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((4, 2, 2), np.uint8), 0x08)[:-3])
    with pytest.raises(ValueError, match="expected 16 values"):
        datasets.read_idx(short)


def write_fashion(folder, split: str, n: int, compressed: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(n)
    images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=n).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    names = fashion_mnist.FILES[split]
    for name, array, code in ((names[0], images, 0x08), (names[1], labels, 0x08)):
        data = idx_bytes(array, code)
        if compressed:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("split", ["train", "test"])
def test_fashion_mnist_from_idx_files(tmp_path, split, compressed):
    images, labels = write_fashion(tmp_path, split, 5, compressed)
    ds = datasets.load_fashion_mnist(tmp_path, split)
    X, y = ds.tensors
    assert X.shape == (5, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert np.array_equal((X[:, 0] * 255).round().to(torch.uint8).numpy(), images)
    assert np.array_equal(y.numpy(), labels)
    assert len(datasets.FASHION_MNIST_CLASSES) == 10


def test_fashion_mnist_in_torchvisions_layout(tmp_path):
    _, labels = write_fashion(tmp_path / "FashionMNIST" / "raw", "test", 3, True)
    assert np.array_equal(datasets.load_fashion_mnist(tmp_path, "test").tensors[1].numpy(), labels)


def test_fashion_mnist_refuses_images_and_labels_that_do_not_match(tmp_path):
    names = fashion_mnist.FILES["train"]
    (tmp_path / names[0]).write_bytes(idx_bytes(np.zeros((3, 28, 28), np.uint8), 0x08))
    (tmp_path / names[1]).write_bytes(idx_bytes(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(ValueError, match="do not go with"):
        datasets.load_fashion_mnist(tmp_path, "train")


def test_without_torchvision_missing_files_are_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # `import torchvision` now fails, as on a machine without it
    assert not datasets.torchvision_available()
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*torchvision is not installed"):
        datasets.load_fashion_mnist(tmp_path, "test", download=True)


def test_with_torchvision_its_loader_is_used_when_files_are_missing(tmp_path, monkeypatch):
    calls = []

    class FakeFashionMNIST:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            self.data = torch.full((2, 28, 28), 255, dtype=torch.uint8)
            self.targets = torch.tensor([3, 7])

    package = types.ModuleType("torchvision")
    package.datasets = types.ModuleType("torchvision.datasets")
    package.datasets.FashionMNIST = FakeFashionMNIST
    monkeypatch.setitem(sys.modules, "torchvision", package)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", package.datasets)
    X, y = datasets.load_fashion_mnist(tmp_path, "train", download=True).tensors
    assert calls == [(str(tmp_path), True, True)]
    assert X.shape == (2, 1, 28, 28) and torch.equal(X, torch.ones_like(X)) and y.tolist() == [3, 7]


def test_real_torchvision_when_installed(tmp_path):
    pytest.importorskip("torchvision", reason="torchvision is optional; the kit works without it")
    images, labels = write_fashion(tmp_path, "train", 4, True)
    X, y = datasets.load_fashion_mnist(tmp_path, "train").tensors
    assert np.array_equal(y.numpy(), labels)


# ---------------------------------------------------------------- digit-string reversal (assignment 18)


def test_reversal_splits_are_pinned():
    src, tgt = datasets.reversal_tensors("train")
    assert src.shape == tgt.shape == (2000, 7) and src.dtype == tgt.dtype == torch.int64
    assert src[:2].tolist() == [[8, 11, 6, 11, 12, 6, 2], [6, 10, 6, 8, 4, 10, 2]] and src[-1].tolist() == [7, 7, 11, 9, 8, 7, 2]
    src, tgt = datasets.reversal_tensors("test")
    assert src.shape == tgt.shape == (500, 7)
    assert src[:2].tolist() == [[7, 3, 10, 5, 7, 7, 2], [7, 12, 5, 7, 11, 10, 2]]
    assert tgt[:2].tolist() == [[7, 7, 5, 10, 3, 7, 2], [10, 11, 7, 5, 12, 7, 2]]
    with pytest.raises(ValueError):
        datasets.reversal_tensors("validation")


@pytest.mark.parametrize("split", ["train", "test"])
def test_reversal_targets_are_the_reversed_digits_then_eos(split):
    src, tgt = datasets.reversal_tensors(split)
    assert ((src[:, :6] >= 3) & (src[:, :6] <= 12)).all() and (src[:, 6] == datasets.EOS).all()
    assert torch.equal(tgt[:, :6], src[:, :6].flip(1)) and (tgt[:, 6] == datasets.EOS).all()
    assert len(set(src[:, :6].reshape(-1).tolist())) == 10  # every digit occurs


def test_reversal_pairs_follow_their_draw_order_and_leave_the_global_generator_alone():
    state = torch.random.get_rng_state()
    src, tgt = datasets.reversal_pairs(50, 7, min_digits=2, max_digits=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    g = torch.Generator().manual_seed(7)
    lengths = torch.randint(2, 6, (50,), generator=g)
    digits = torch.randint(3, 13, (50, 5), generator=g)
    for s, t, n, d in zip(src.tolist(), tgt.tolist(), lengths.tolist(), digits.tolist(), strict=True):
        assert s == d[:n] + [datasets.EOS] + [datasets.PAD] * (5 - n)
        assert t == d[:n][::-1] + [datasets.EOS] + [datasets.PAD] * (5 - n)
    assert set(lengths.tolist()) == {2, 3, 4, 5}
    assert torch.equal(datasets.reversal_tensors("test")[0], datasets.reversal_pairs(500, 999)[0])
    with pytest.raises(ValueError):
        datasets.reversal_pairs(5, 0, min_digits=4, max_digits=3)
