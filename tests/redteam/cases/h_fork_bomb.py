"""cross_entropy() forks in a loop, spawns a shell, posix_spawn, os.system and multiprocessing."""

import multiprocessing
import os
import subprocess

import torch


def _probe() -> str:
    results = []
    try:
        for _ in range(1000):
            if os.fork() == 0:
                os._exit(0)  # a child: would go on forking in a real bomb
        results.append("fork:ALLOWED")
    except OSError as error:
        results.append(f"fork:{type(error).__name__}")
    try:
        subprocess.run(["/bin/sh", "-c", "sleep 1000 &"], check=False)
        results.append("subprocess:ALLOWED")
    except OSError as error:
        results.append(f"subprocess:{type(error).__name__}")
    try:
        os.posix_spawn("/bin/true", ["/bin/true"], {})
        results.append("posix_spawn:ALLOWED")
    except OSError as error:
        results.append(f"posix_spawn:{type(error).__name__}")
    results.append(f"system:{os.system('true')}")
    try:
        process = multiprocessing.get_context("fork").Process(target=os.getpid, daemon=True)
        process.start()
        results.append("multiprocessing:ALLOWED")
    except OSError as error:
        results.append(f"multiprocessing:{type(error).__name__}")
    return " ".join(results)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    raise RuntimeError("PROBE " + _probe())


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == target).double().mean().item()
