"""accuracy() opens TCP connections (127.0.0.1, ::1, the outside), unix sockets and DNS look-ups."""

import socket

import torch

PORT = 47391  # the red-team test listens here on the grading machine's 127.0.0.1


def _try(label: str, family: int, address, kind: int = socket.SOCK_STREAM) -> str:
    try:
        with socket.socket(family, kind) as connection:
            connection.settimeout(1.0)
            connection.connect(address)
            connection.sendall(b"LEAK from the sandbox")
        return f"{label}:CONNECTED"
    except OSError as error:
        return f"{label}:{type(error).__name__}"


def _probe() -> str:
    results = [
        _try("tcp-127.0.0.1", socket.AF_INET, ("127.0.0.1", PORT)),
        _try("tcp-::1", socket.AF_INET6, ("::1", PORT)),
        _try("tcp-10.0.2.2", socket.AF_INET, ("10.0.2.2", 80)),
        _try("tcp-1.1.1.1", socket.AF_INET, ("1.1.1.1", 443)),
        _try("unix-abstract", socket.AF_UNIX, f"\0kit-redteam-{PORT}"),
        _try("unix-path", socket.AF_UNIX, "/run/dbus/system_bus_socket"),
    ]
    try:
        socket.getaddrinfo("pypi.org", 443)
        results.append("dns:RESOLVED")
    except OSError as error:
        results.append(f"dns:{type(error).__name__}")
    return " ".join(results)


REPORT = None


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    global REPORT
    REPORT = REPORT or _probe()
    raise RuntimeError("PROBE " + REPORT)


def softmax(X: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = X - X.amax(dim=dim, keepdim=True)
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


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
