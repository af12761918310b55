"""A seccomp filter that lets the sandbox start threads but never new processes.

As root, RLIMIT_NPROC is not enforced, so a fork bomb would exhaust the machine's process
table and starve every other sandbox. Refusing fork, vfork, clone without CLONE_THREAD and
clone3 (glibc then falls back to clone) stops fork bombs, daemons and subprocesses at the
source, while torch and Python may still use threads (bounded by RLIMIT_AS).
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
ARCHES = {  # machine: (AUDIT_ARCH, fork, vfork, clone, clone3); -1 where the syscall does not exist
    "x86_64": (0xC000003E, 57, 58, 56, 435),
    "aarch64": (0xC00000B7, -1, -1, 220, 435),
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def no_new_processes_filter(machine: str | None = None) -> bytes | None:
    """The compiled filter for this machine, or None where its syscall numbers are unknown."""
    table = ARCHES.get(machine or platform.machine())
    if table is None:
        return None
    arch, fork, vfork, clone, clone3 = table
    eperm, enosys = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    program = [
        _insn(LD_W_ABS, 0, 0, 4),  # A = arch
        _insn(JEQ_K, 1, 0, arch),
        _insn(RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # foreign ABI: refuse everything
        _insn(LD_W_ABS, 0, 0, 0),  # A = syscall number
        _insn(JEQ_K, 6, 0, fork & 0xFFFFFFFF),  # -> 11
        _insn(JEQ_K, 5, 0, vfork & 0xFFFFFFFF),  # -> 11
        _insn(JEQ_K, 5, 0, clone3),  # -> 12
        _insn(JEQ_K, 1, 0, clone),  # -> 9
        _insn(RET_K, 0, 0, RET_ALLOW),
        _insn(LD_W_ABS, 0, 0, 16),  # A = low word of clone's flags
        _insn(JSET_K, 2, 0, CLONE_THREAD),  # thread -> 13
        _insn(RET_K, 0, 0, eperm),  # fork, vfork, clone of a process
        _insn(RET_K, 0, 0, enosys),  # clone3
        _insn(RET_K, 0, 0, RET_ALLOW),  # clone of a thread
    ]
    return b"".join(program)


def filter_fd(machine: str | None = None) -> int | None:
    """A readable fd holding the filter, for bubblewrap's --seccomp (the caller closes it)."""
    program = no_new_processes_filter(machine)
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)
    os.close(write_end)
    return read_end
