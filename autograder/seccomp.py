"""The seccomp filter of a submission's process: an allow-list (syscalls.toml), everything else refused.

Only the system calls that Python, torch and the kit were measured to make while grading
every assignment (`python -m autograder.seccomp measure`), and a few groups of the same
kind that ordinary student code reaches, pass. A call off the list fails with ENOSYS, as if
the kernel lacked it (glibc then falls back where it can, e.g. clone3 to clone), and the
calls named in REFUSED with EPERM: never a kill, so a student's odd call fails cleanly
inside their own function.

Within the list, arguments still matter where a call can reach beyond the process:
- clone only with CLONE_THREAD: threads yes; new processes no (as root, RLIMIT_NPROC is not
  enforced, so a fork bomb would exhaust the machine's process table and starve every
  other sandbox). clone3 says ENOSYS, so glibc falls back to clone.
- prlimit64 and sched_set* only on the calling process itself (pid 0): the child runs as
  the zygote's user, so it could otherwise change the zygote's limits, priority or CPUs,
  and with them every later child's.
- kill and tgkill only to the process itself: SELF_PID, a number no pid can be, stands in
  the filter for the child's pid, which the child writes in before installing it. Without
  bubblewrap's PID namespace (the unprivileged tier, on kernels whose Landlock cannot scope
  signals) kill -1 would otherwise reach every process of its user: the zygote, the other
  workers' students, and as root the grader itself.
REFUSED names what a hostile submission tries first: reaching into the zygote (ptrace,
process_vm_*, pidfd_getfd), leaving IPC objects or keys for the next child, new namespaces,
sockets (no network, in either tier), io_uring (whose operations bypass seccomp), running
another program (execve, execveat, after memfd_create), userfaultfd and personality.

Every syscall number at or above 0x40000000 is refused too: on x86_64 that bit selects the
x32 ABI, under the same AUDIT_ARCH, so 0x40000000 + 57 is fork under a number the list does
not hold (kernels built with CONFIG_X86_X32 run it). No architecture here has a real syscall
up there.
"""

from __future__ import annotations

import argparse
import collections
import errno
import functools
import json
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

# classic BPF opcodes and seccomp constants (linux/filter.h, linux/seccomp.h, linux/audit.h)
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
EPERM, ENOSYS = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
CLONE_THREAD = 0x00010000
X32_SYSCALL_BIT = 0x40000000  # and every number above it: refused
SYSCALL_NR, ARCH, ARG0_LOW = 0, 4, 16  # offsets in struct seccomp_data (little-endian)

ALLOW_LIST = Path(__file__).with_name("syscalls.toml")
NUMBERS = Path(__file__).with_name("syscall_numbers.json")  # generated from the kernel's headers: `numbers` below
REFUSED = ("fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise",
           "setpriority", "ioprio_set", "shmget", "semget", "msgget", "mq_open", "add_key", "request_key", "keyctl",
           "unshare", "setns", "socket", "socketpair", "io_uring_setup", "io_uring_enter", "io_uring_register",
           "userfaultfd", "execve", "execveat", "memfd_create", "personality", "tkill")
SELF_ONLY = ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr")  # pid 0 only
SIGNALS = ("kill", "tgkill")  # to the process itself only: SELF_PID
SELF_PID = 0xFFFFFFFE  # above any pid (pid_max is at most 2**22): child.py puts its own pid in its place
ARGUMENT_CHECKED = (*SELF_ONLY, *SIGNALS, "clone")  # allowed by submission_filter on conditions, not by the list
AUDIT_ARCHES = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


GPU_GROUP = "cuda"  # the group only a sandbox with the grader's GPUs gets


def allow_list(gpu: bool = False) -> dict[str, list[str]]:
    """syscalls.toml: group -> the calls it allows (the GPU group only with `gpu`)."""
    groups = tomllib.loads(ALLOW_LIST.read_text())
    return {group: table["calls"] for group, table in groups.items() if gpu or group != GPU_GROUP}


def _load_arches() -> dict[str, tuple[int, dict[str, int]]]:
    numbers = json.loads(NUMBERS.read_text())
    return {machine: (AUDIT_ARCHES[machine], numbers[machine]) for machine in AUDIT_ARCHES}


ARCHES = _load_arches()  # machine: (AUDIT_ARCH, {name: number}); a syscall the architecture lacks is left out


@functools.cache  # asked at every child's start, two a submission
def submission_filter(machine: str | None = None, gpu: bool = False) -> bytes | None:
    """The compiled filter for this machine, or None where its syscall numbers are unknown.

    Straight-line classic BPF: each test either returns or falls through to the next, so no
    jump is longer than four instructions. The kernel caches every call whose verdict needs
    no argument, so the list's length costs nothing per call. `gpu`: the sandbox is given the grader's GPUs."""
    table = ARCHES.get(machine or platform.machine())
    if table is None:
        return None
    arch, numbers = table
    known = lambda names: [numbers[name] for name in names if name in numbers]  # noqa: E731
    allowed = [name for calls in allow_list(gpu).values() for name in calls]
    refused = [name for name in REFUSED if name not in allowed]  # memfd_create, where CUDA needs it
    code = [(LD_W_ABS, 0, 0, ARCH), (JEQ_K, 1, 0, arch), (RET_K, 0, 0, ENOSYS), (LD_W_ABS, 0, 0, SYSCALL_NR)]
    code += [(JGE_K, 0, 1, X32_SYSCALL_BIT), (RET_K, 0, 0, EPERM)]
    for nr in known(refused):
        code += [(JEQ_K, 0, 1, nr), (RET_K, 0, 0, EPERM)]
    for nr in known(SELF_ONLY):  # allowed on pid 0 only
        code += [(JEQ_K, 0, 4, nr), (LD_W_ABS, 0, 0, ARG0_LOW), (JEQ_K, 0, 1, 0), (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, EPERM)]
    for nr in known(SIGNALS):  # allowed on its own pid only
        code += [(JEQ_K, 0, 4, nr), (LD_W_ABS, 0, 0, ARG0_LOW), (JEQ_K, 0, 1, SELF_PID), (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, EPERM)]
    code += [(JEQ_K, 0, 4, numbers["clone"]), (LD_W_ABS, 0, 0, ARG0_LOW), (JSET_K, 0, 1, CLONE_THREAD), (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, EPERM)]
    code += [(JEQ_K, 0, 1, numbers["clone3"]), (RET_K, 0, 0, ENOSYS)]
    special = {*refused, *ARGUMENT_CHECKED, "clone3"}
    for nr in known(dict.fromkeys(name for name in allowed if name not in special)):
        code += [(JEQ_K, 0, 1, nr), (RET_K, 0, 0, RET_ALLOW)]
    code.append((RET_K, 0, 0, ENOSYS))
    return b"".join(struct.pack("=HBBI", op, jt, jf, k & 0xFFFFFFFF) for op, jt, jf, k in code)


# ---------------------------------------------------------------- maintaining the list: python -m autograder.seccomp


HEADERS = {  # machine: (kernel header, the options its table is built with): x86_64's own, and the generic one of aarch64
    "x86_64": ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", ()),
    "aarch64": ("/usr/include/asm-generic/unistd.h",
                ("__BITS_PER_LONG=64", "__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT", "__ARCH_WANT_SYS_CLONE3")),
}


def header_numbers(machine: str) -> dict[str, int]:
    """{name: number} from the installed kernel headers (Debian's linux-libc-dev), macros resolved by the C preprocessor."""
    header, defines = HEADERS[machine]
    macros = subprocess.run(["cpp", "-dM", *(f"-D{d}" for d in defines), header], capture_output=True, text=True, check=True).stdout
    raw = dict(re.findall(r"^#define (__NR3264_\w+|__NR_\w+) (\w+)$", macros, re.M))
    numbers = {}
    for name, value in raw.items():
        value = raw.get(value, value)
        if name.startswith("__NR_") and value.isdigit():
            numbers[name.removeprefix("__NR_")] = int(value)
    return dict(sorted(numbers.items()))


CALL = re.compile(r"^(?:<\.\.\. )?([a-z_0-9]+)(?:\(| resumed>)")


def _after_filter(trace: Path) -> collections.Counter:
    """The calls each submission's process (and its threads) made after installing its filter, from `strace -ff` files."""
    files = {int(p.suffix[1:]): p.read_text(errors="replace").splitlines() for p in trace.glob("t.*")}
    seen: collections.Counter = collections.Counter()
    for lines in files.values():
        start = next((i for i, line in enumerate(lines) if "PR_SET_SECCOMP" in line), None)
        if start is None:
            continue
        threads = []
        for line in lines[start + 1 :]:
            if match := CALL.match(line):
                seen[match[1]] += 1
                if match[1] in ("clone", "clone3") and (tid := re.search(r"= (\d+)$", line)):
                    threads.append(int(tid[1]))
        for tid in threads:
            seen.update(match[1] for line in files.get(tid, []) if (match := CALL.match(line)))
    return seen


def measure(assignment_ids: list[str], tier: str) -> collections.Counter:
    """Grade each assignment's solution and stub under strace; the calls their processes made after the filter."""
    from kit.catalog import ASSIGNMENTS, ROOT, SOLUTIONS, load_assignment

    total: collections.Counter = collections.Counter()
    for assignment_id in assignment_ids:
        module = load_assignment(assignment_id).module
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            for student, source in (("solution", SOLUTIONS / f"{module}.py"), ("stub", ASSIGNMENTS / assignment_id / f"{module}.py")):
                (root / "subs" / student).mkdir(parents=True)
                shutil.copyfile(source, root / "subs" / student / f"{module}.py")
            (root / "trace").mkdir()
            grade = [sys.executable, "-m", "autograder", "grade", "--assignment", assignment_id, "--submissions", str(root / "subs"),
                     "--out", str(root / "out"), "--jobs", "1", "--no-report", "--sandbox", tier]
            subprocess.run(["strace", "-f", "-ff", "-qq", "-o", str(root / "trace" / "t"), *grade], cwd=ROOT, capture_output=True, check=True)
            seen = _after_filter(root / "trace")
            score = json.loads((root / "out" / "solution" / "results.json").read_text())["score"]
        print(f"{assignment_id}: solution scored {score}; {len(seen)} distinct calls", file=sys.stderr)
        total.update(seen)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.seccomp", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("numbers", help="regenerate syscall_numbers.json from the kernel headers (cpp, linux-libc-dev)")
    run = commands.add_parser("measure", help="strace every assignment's solution and stub; print the calls made after the filter")
    run.add_argument("--assignments", default=None, help="comma-separated ids (default: all)")
    run.add_argument("--sandbox", default="unprivileged", choices=("bubblewrap", "unprivileged"))
    args = parser.parse_args(argv)
    if args.command == "numbers":
        NUMBERS.write_text(json.dumps({machine: header_numbers(machine) for machine in HEADERS}, indent=1) + "\n")
        return 0
    from kit.catalog import assignment_ids

    seen = measure(args.assignments.split(",") if args.assignments else assignment_ids(), args.sandbox)
    listed = {name for calls in allow_list().values() for name in calls} | set(ARGUMENT_CHECKED)
    for name, count in sorted(seen.items()):
        print(f"{name:24} {count:8}  {'listed' if name in listed else 'REFUSED' if name in REFUSED else 'NOT LISTED'}")
    return 0 if set(seen) <= listed | {"clone3"} else 1


if __name__ == "__main__":
    sys.exit(main())
