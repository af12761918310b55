"""A seccomp filter for the submission's process: threads yes; new processes, and any reach
into the zygote that the next student would inherit, no.

As root, RLIMIT_NPROC is not enforced, so a fork bomb would exhaust the machine's process
table and starve every other sandbox. Refusing fork, vfork, clone without CLONE_THREAD and
clone3 (glibc then falls back to clone) stops fork bombs, daemons and subprocesses at the
source, while torch and Python may still use threads (bounded by RLIMIT_AS).

The child runs as the zygote's uid, so without more it could also change the zygote, and
with it every later child: its memory (ptrace, process_vm_*, pidfd_getfd; the zygote is also
non-dumpable), its limits (prlimit64), its priority and CPUs (setpriority, sched_*,
ioprio_set), or leave System V / POSIX IPC objects or keys in what the next child shares
(IPC namespace, the uid's keyring). Nor may it make namespaces of its own (unshare, setns).
Those calls are refused, or allowed only on the calling process itself (pid 0).

Every syscall number at or above 0x40000000 is refused too: on x86_64 that bit selects the
x32 ABI, under the same AUDIT_ARCH, so 0x40000000 + 57 is fork under a number the list does
not hold (kernels built with CONFIG_X86_X32 run it). No architecture here has a real syscall
up there.
"""

from __future__ import annotations

import errno
import os
import platform
import struct

# classic BPF opcodes and seccomp constants (linux/filter.h, linux/seccomp.h, linux/audit.h)
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
CLONE_THREAD = 0x00010000
X32_SYSCALL_BIT = 0x40000000  # and every number above it: refused
SYSCALL_NR, ARCH, ARG0_LOW = 0, 4, 16  # offsets in struct seccomp_data (little-endian)

REFUSED = ("fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise",
           "setpriority", "ioprio_set", "shmget", "semget", "msgget", "mq_open", "add_key", "request_key", "keyctl",
           "unshare", "setns")
SELF_ONLY = ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr")  # pid 0 only
ARCHES = {  # machine: (AUDIT_ARCH, {name: number}); a syscall the architecture lacks is left out
    "x86_64": (0xC000003E, {
        "fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "pidfd_getfd": 438, "process_madvise": 440, "setpriority": 141, "ioprio_set": 251,
        "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "prlimit64": 302, "sched_setaffinity": 203,
        "sched_setscheduler": 144, "sched_setparam": 142, "sched_setattr": 314, "add_key": 248, "request_key": 249,
        "keyctl": 250, "unshare": 272, "setns": 308,
    }),
    "aarch64": (0xC00000B7, {
        "clone": 220, "clone3": 435, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "pidfd_getfd": 438, "process_madvise": 440, "setpriority": 140, "ioprio_set": 30, "shmget": 194,
        "semget": 190, "msgget": 186, "mq_open": 180, "prlimit64": 261, "sched_setaffinity": 122,
        "sched_setscheduler": 119, "sched_setparam": 118, "sched_setattr": 274, "add_key": 217, "request_key": 218,
        "keyctl": 219, "unshare": 97, "setns": 268,
    }),
}


def no_new_processes_filter(machine: str | None = None) -> bytes | None:
    """The compiled filter for this machine, or None where its syscall numbers are unknown."""
    table = ARCHES.get(machine or platform.machine())
    if table is None:
        return None
    arch, numbers = table
    allow, eperm, enosys = RET_ALLOW, RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    # (code, jump-if-true label, jump-if-false label, k); labels name the "ret" and "check" blocks below
    code: list[tuple] = [("ld", ARCH), ("jeq", arch, None, "enosys"), ("ld", SYSCALL_NR), ("jge", X32_SYSCALL_BIT, "eperm", None)]
    code += [("jeq", numbers[name], "eperm", None) for name in REFUSED if name in numbers]
    code += [("jeq", numbers[name], "self_only", None) for name in SELF_ONLY if name in numbers]
    code += [("jeq", numbers["clone3"], "enosys", None), ("jeq", numbers["clone"], "clone", None), ("ret", allow)]
    code += [("label", "self_only"), ("ld", ARG0_LOW), ("jeq", 0, "allow", "eperm")]
    code += [("label", "clone"), ("ld", ARG0_LOW), ("jset", CLONE_THREAD, "allow", "eperm")]
    code += [("label", "allow"), ("ret", allow), ("label", "eperm"), ("ret", eperm), ("label", "enosys"), ("ret", enosys)]
    return _assemble(code)


def _assemble(code: list[tuple]) -> bytes:
    """Classic BPF from a list with named jump targets (BPF jumps go forward only)."""
    labels, at = {}, 0
    for insn in code:
        if insn[0] == "label":
            labels[insn[1]] = at
        else:
            at += 1
    program, at = [], 0
    for insn in code:
        if insn[0] == "label":
            continue
        op, *rest = insn
        if op == "ld":
            program.append(struct.pack("=HBBI", LD_W_ABS, 0, 0, rest[0]))
        elif op == "ret":
            program.append(struct.pack("=HBBI", RET_K, 0, 0, rest[0]))
        else:
            k, true, false = rest
            offset = [0 if label is None else labels[label] - at - 1 for label in (true, false)]
            if not all(0 <= o < 256 for o in offset):
                raise ValueError(f"jump out of range at instruction {at}")
            program.append(struct.pack("=HBBI", {"jeq": JEQ_K, "jge": JGE_K, "jset": JSET_K}[op], *offset, k & 0xFFFFFFFF))
        at += 1
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
