"""A seccomp filter that lets the sandbox start threads but never new processes, nor reach into others.

As root, RLIMIT_NPROC is not enforced, so a fork bomb would exhaust the machine's process
table and starve every other sandbox. Refusing fork, vfork, clone without CLONE_THREAD and
clone3 (glibc then falls back to clone) stops fork bombs, daemons and subprocesses at the
source, while torch and Python may still use threads (bounded by RLIMIT_AS). Refusing ptrace
and process_vm_readv/writev keeps a child out of the zygote's memory (which the zygote also
guards by being non-dumpable).
"""

from __future__ import annotations

import errno
import os
import platform
import struct

# classic BPF opcodes and seccomp constants (linux/filter.h, linux/seccomp.h, linux/audit.h)
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
CLONE_THREAD = 0x00010000
ARCHES = {  # machine: (AUDIT_ARCH, {name: number}); a syscall the architecture lacks is left out
    "x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
                            "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "clone": 220, "clone3": 435}),
}
REFUSED = ("fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev")


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def no_new_processes_filter(machine: str | None = None) -> bytes | None:
    """The compiled filter for this machine, or None where its syscall numbers are unknown."""
    table = ARCHES.get(machine or platform.machine())
    if table is None:
        return None
    arch, numbers = table
    refused = [numbers[name] for name in REFUSED if name in numbers]
    checks = len(refused) + 2  # after the syscall load: one JEQ per refused call, clone3, clone; then what they jump to
    eperm, enosys, clone_flags = checks + 1, checks + 2, checks + 3

    def jump(at: int, target: int) -> int:
        return target - at - 1

    program = [
        _insn(LD_W_ABS, 0, 0, 4),  # A = arch
        _insn(JEQ_K, 1, 0, arch),
        _insn(RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # foreign ABI: refuse everything
        _insn(LD_W_ABS, 0, 0, 0),  # A = syscall number
    ]
    body = [_insn(JEQ_K, jump(i, eperm), 0, number) for i, number in enumerate(refused)]
    body.append(_insn(JEQ_K, jump(len(body), enosys), 0, numbers["clone3"]))
    body.append(_insn(JEQ_K, jump(len(body), clone_flags), 0, numbers["clone"]))
    body += [
        _insn(RET_K, 0, 0, RET_ALLOW),  # allow
        _insn(RET_K, 0, 0, RET_ERRNO | errno.EPERM),  # eperm: fork, vfork, ptrace, ..., clone of a process
        _insn(RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # enosys: clone3, so that glibc falls back to clone
        _insn(LD_W_ABS, 0, 0, 16),  # clone_flags: A = low word of clone's flags
        _insn(JSET_K, 0, 1, CLONE_THREAD),  # BPF jumps only forward: the two outcomes follow
        _insn(RET_K, 0, 0, RET_ALLOW),  # clone of a thread
        _insn(RET_K, 0, 0, RET_ERRNO | errno.EPERM),  # clone of a process
    ]
    return b"".join(program + body)


def filter_fd(machine: str | None = None) -> int | None:
    """A readable fd holding the filter, for bubblewrap's --seccomp (the caller closes it)."""
    program = no_new_processes_filter(machine)
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)
    os.close(write_end)
    return read_end
