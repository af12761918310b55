"""cross_entropy() makes system calls that grading never needs: io_uring, userfaultfd, its parent's memory, a program run from memory, a new namespace, personality, ptrace on itself, the kernel log."""

import ctypes
import errno
import os
import platform

import torch

NUMBERS = {  # (linux/unistd.h) the same calls on both architectures the kit filters
    "x86_64": {"io_uring_setup": 425, "userfaultfd": 323, "process_vm_readv": 310, "memfd_create": 319, "execveat": 322,
               "unshare": 272, "personality": 135, "ptrace": 101, "syslog": 103},
    "aarch64": {"io_uring_setup": 425, "userfaultfd": 282, "process_vm_readv": 270, "memfd_create": 279, "execveat": 281,
                "unshare": 97, "personality": 92, "ptrace": 117, "syslog": 116},
}
CLONE_NEWUSER, AT_EMPTY_PATH, AT_FDCWD = 0x10000000, 0x1000, -100


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def _probe() -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    nr = NUMBERS[platform.machine()]
    buffer = ctypes.create_string_buffer(4096)
    local, remote = IoVec(ctypes.cast(buffer, ctypes.c_void_p), 64), IoVec(0x400000, 64)
    argv = (ctypes.c_char_p * 2)(b"true", None)
    attempts = {
        "io_uring_setup": (ctypes.c_uint(8), buffer),
        "userfaultfd": (ctypes.c_int(0),),
        "process_vm_readv": (ctypes.c_int(os.getppid()), ctypes.byref(local), ctypes.c_ulong(1), ctypes.byref(remote), ctypes.c_ulong(1), ctypes.c_ulong(0)),
        "memfd_create": (ctypes.c_char_p(b"payload"), ctypes.c_uint(0)),
        "execveat": (ctypes.c_int(AT_FDCWD), ctypes.c_char_p(b"/bin/true"), argv, argv, ctypes.c_int(0)),
        "unshare": (ctypes.c_int(CLONE_NEWUSER),),
        "personality": (ctypes.c_ulong(0xFFFFFFFF),),
        "ptrace": (ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0)),
        "syslog": (ctypes.c_int(10), ctypes.c_void_p(0), ctypes.c_int(0)),
    }
    results = []
    for name, args in attempts.items():
        result = libc.syscall(ctypes.c_long(nr[name]), *args)
        code = ctypes.get_errno()
        results.append(f"{name}:" + ("ALLOWED" if result != -1 else errno.errorcode.get(code, str(code))))
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
