"""autograder/seccomp.py, installed in a throw-away process: threads work; new processes and
any change to the parent (which stands for the zygote) are refused; the process itself may
still adjust its own limits and CPUs."""

from __future__ import annotations

import errno
import json
import platform
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import seccomp
from autograder.seccomp import ARCHES, REFUSED, allow_list, submission_filter

PROBE = r"""
import ctypes, json, os, resource, sys, threading
program = bytes.fromhex(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
prog = Prog(len(program) // 8, program)
assert libc.prctl(38, 1, 0, 0, 0) == 0 and libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0
parent, seen = os.getppid(), {}
def attempt(name, action):
    try:
        action()
        seen[name] = "allowed"
    except OSError as error:
        seen[name] = type(error).__name__
def thread():
    t = threading.Thread(target=lambda: None); t.start(); t.join()
def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
def syscall_result(number, *args):
    if libc.syscall(number, *args) == -1:
        raise OSError(ctypes.get_errno(), "refused")
attempt("thread", thread)
attempt("fork", fork)
attempt("own limits", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)))
attempt("own CPUs", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)))
attempt("parent's limits", lambda: resource.prlimit(parent, resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)))
attempt("parent's CPUs", lambda: os.sched_setaffinity(parent, os.sched_getaffinity(parent)))
attempt("priority", lambda: os.setpriority(os.PRIO_PROCESS, parent, os.getpriority(os.PRIO_PROCESS, parent)))
attempt("ptrace", lambda: syscall_result(int(sys.argv[2]), 16, parent, 0, 0))
attempt("x32 getpid", lambda: syscall_result(0x40000000 + 39))  # the kernel alone says ENOSYS (OSError) without x32
print(json.dumps(seen))
"""


@pytest.mark.skipif(platform.machine() not in ARCHES, reason="no seccomp filter for this architecture")
def test_filter_allows_threads_and_own_settings_and_refuses_processes_and_the_parent():
    ptrace = ARCHES[platform.machine()][1]["ptrace"]
    run = subprocess.run([sys.executable, "-I", "-c", PROBE, submission_filter().hex(), str(ptrace)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen == {
        "thread": "allowed", "fork": "PermissionError", "own limits": "allowed", "own CPUs": "allowed",
        "parent's limits": "PermissionError", "parent's CPUs": "PermissionError", "priority": "PermissionError",
        "ptrace": "PermissionError", "x32 getpid": "PermissionError",
    }


def run_filter(program: bytes, nr: int, arch: int, arg0: int = 0) -> int:
    """What the classic BPF `program` returns for one struct seccomp_data (a tiny interpreter)."""
    data = struct.pack("=IIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    insns = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == 0x20:  # ld [k]
            acc = struct.unpack_from("=I", data, k)[0]
        elif code == 0x06:  # ret k
            return k
        else:
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if taken else jf
        pc += 1


@pytest.mark.parametrize("machine", sorted(ARCHES))
def test_x32_syscall_numbers_are_refused(machine):
    """On x86_64, nr | 0x40000000 is the same call through the x32 ABI, under the same AUDIT_ARCH."""
    arch, numbers = ARCHES[machine]
    program = submission_filter(machine)
    eperm, allow = 0x00050000 | errno.EPERM, 0x7FFF0000
    for name in ("fork", "vfork", "ptrace", "unshare", "clone"):
        if name in numbers:
            assert run_filter(program, 0x40000000 + numbers[name], arch) == eperm, name
    for nr in (0x40000000, 0x40000000 + 39, 0x7FFFFFFF, 0xFFFFFFFE):
        assert run_filter(program, nr, arch) == eperm, hex(nr)
    assert run_filter(program, 39 if machine == "x86_64" else 172, arch) == allow  # getpid
    assert run_filter(program, numbers["clone"], arch, arg0=0x00010000) == allow  # a thread
    assert run_filter(program, numbers["clone"], arch) == eperm  # a process


def test_unknown_architecture_has_no_filter():
    assert submission_filter("sparc") is None


def test_without_bubblewrap_the_submission_still_cannot_start_processes():
    """--no-sandbox keeps the filter (it needs no privileges), so nothing a submission starts outlives its check."""
    import torch

    from autograder.sandbox import Limits, SandboxRunner
    from kit.calls import Call

    source = "import os\n\n\ndef spawn(x):\n    try:\n        os.fork()\n    except OSError as error:\n        return type(error).__name__\n    return 'forked'\n"
    runner = SandboxRunner("spawner", source, Limits(call_seconds=10), tier="none")
    try:
        assert runner.start() is None
        assert runner.run("spawn", Call((torch.zeros(1),), {}, seed=0), "cpu").output == "PermissionError"
    finally:
        runner.close()


@pytest.mark.parametrize("machine", sorted(ARCHES))
def test_the_allow_list_passes_what_grading_needs_and_refuses_the_rest(machine):
    """Listed calls pass; what a hostile child tries first says EPERM; any other call ENOSYS, never a kill."""
    arch, numbers = ARCHES[machine]
    program = submission_filter(machine)
    eperm, enosys, allow = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS, 0x7FFF0000
    for name in ("read", "write", "futex", "mmap", "openat", "exit_group"):
        assert run_filter(program, numbers[name], arch) == allow, name
    for name in ("socket", "io_uring_setup", "userfaultfd", "execve", "execveat", "memfd_create", "personality", "unshare", "ptrace"):
        assert run_filter(program, numbers[name], arch) == eperm, name
    for name in ("syslog", "mount", "bpf", "perf_event_open", "kexec_load", "init_module", "swapon", "reboot"):
        assert run_filter(program, numbers[name], arch) == enosys, name
    assert run_filter(program, numbers["getpid"], 0x40000003) == enosys  # another architecture's numbers: nothing passes


def test_the_allow_list_names_real_calls_once():
    listed = [name for calls in allow_list().values() for name in calls]
    known = set().union(*(numbers for _, numbers in ARCHES.values()))
    assert sorted(set(listed) - known) == [], "not a system call of any architecture the kit filters"
    assert len(listed) == len(set(listed)), "a call listed in two groups"
    assert not set(listed) & set(REFUSED), "a call both allowed and refused"
    gpu = allow_list(gpu=True)[seccomp.GPU_GROUP]
    assert not set(gpu) & set(listed) and set(gpu) - known == set()


def test_only_a_sandbox_with_gpus_may_create_memory_files():
    """NVIDIA's driver needs memfd_create to start CUDA; without GPUs the call stays refused."""
    arch, numbers = ARCHES["x86_64"]
    eperm, allow = 0x00050000 | errno.EPERM, 0x7FFF0000
    assert run_filter(submission_filter("x86_64"), numbers["memfd_create"], arch) == eperm
    assert run_filter(submission_filter("x86_64", gpu=True), numbers["memfd_create"], arch) == allow
    assert run_filter(submission_filter("x86_64", gpu=True), numbers["execveat"], arch) == eperm


@pytest.mark.parametrize("machine", sorted(seccomp.HEADERS))
def test_syscall_numbers_are_the_kernel_headers(machine):
    if shutil.which("cpp") is None or not Path(seccomp.HEADERS[machine][0]).exists():
        pytest.skip("no kernel headers here (linux-libc-dev)")
    assert ARCHES[machine][1] == seccomp.header_numbers(machine), "run: python -m autograder.seccomp numbers"
