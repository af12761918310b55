"""Running one submission in a sandbox, and talking to it in plain data.

Two tiers, the stronger where it starts (`choose_tier`), the one used recorded in every result:
- "bubblewrap": the child sees the Python runtime (read-only), the kit's execution helpers and
  a small scratch tmpfs, in its own mount, PID, network, IPC and user namespaces: no
  repository, no solutions, no hidden tests, no other students, no network, no environment
  secrets, no new processes.
- "unprivileged", where user namespaces are off (Docker as Gradescope runs it, many CI
  runners): no namespaces, so the walls are the kernel's own. The zygote runs as a separate
  user (`kit-sandbox`, else `nobody`) where the grader is root and that user can reach the
  runtime; under a Landlock ruleset that lets it read only the runtime and a staged copy of
  the kit's helpers and write only its scratch folder, with TCP denied (Landlock ABI 4) and
  each child scoped away from signalling or reaching any process outside itself (ABI 6);
  with no new privileges, the same rlimits and the same seccomp filter, which also refuses
  new sockets. `unprivileged_parts` says which of these the machine allows; each is recorded.
The parent enforces a wall-clock deadline on every request by killing the whole sandbox, and
validates every frame it reads back.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import seccomp
from kit import frames, wire
from kit.calls import Call
from kit.execute import Reply
from kit.harness import Abort, Outcome, outcome_from_reply

KIT = Path(__file__).resolve().parent.parent / "kit"
CHILD = Path(__file__).resolve().parent / "child.py"


TIERS = ("bubblewrap", "unprivileged", "none")  # "none": --no-sandbox
SANDBOX_USERS = ("kit-sandbox", "nobody")  # the unprivileged tier's user: the set-up's own, else nobody's
LANDLOCK_CREATE_RULESET, LANDLOCK_CREATE_RULESET_VERSION = 444, 1  # the same number on every architecture


class SandboxUnavailable(RuntimeError):
    """No sandbox of the tier asked for can start here; the message says why."""


@dataclass
class Traffic:
    """Where one submission's time went on the grader's side of its socket: benchmarks/grading.py reads it."""

    round_trips: int = 0
    calls: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    exchange_seconds: float = 0.0  # wall time from sending a request to having read its whole reply
    child_cpu_seconds: float = 0.0  # the child's CPU time in those exchanges, as the kernel accounted it
    encode_seconds: float = 0.0  # the calls' arguments turned into frames
    decode_seconds: float = 0.0  # the replies validated and their tensors rebuilt

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in vars(self).items()}


@dataclass(frozen=True)
class Limits:
    startup_seconds: float = 30.0
    call_seconds: float = 20.0
    memory_mb: int = 4096
    cpu_seconds: int = 300
    processes: int = 64
    file_mb: int = 16
    open_files: int = 64
    scratch_mb: int = 64
    frame_mb: int = 64
    preload: tuple[str, ...] = ()  # modules the zygote imports before its first fork (kit.spec.Assignment.preload)


def _site_dirs() -> list[str]:
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return sorted(d for d in dirs if Path(d).is_dir())


def _sandbox_site_dirs() -> list[str]:
    """Where site-packages appear inside the sandbox: fixed places, never under the scratch /tmp
    (a checkout under /tmp would otherwise be hidden by, or wiped with, the scratch space)."""
    return [f"/runtime/site{i}" for i in range(len(_site_dirs()))]


def _runtime_binds() -> list[str]:
    """Read-only binds for the interpreter, its standard library and site-packages."""
    paths = {"/usr", "/etc/ld.so.cache", "/etc/alternatives", sys.base_prefix}
    args: list[str] = []
    for outside, inside in zip(_site_dirs(), _sandbox_site_dirs(), strict=True):
        args += ["--ro-bind", outside, inside]
    for path in sorted(paths):
        if Path(path).exists() and not path.startswith("/usr/"):
            args += ["--ro-bind", path, path]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    return args


# ---------------------------------------------------------------- GPUs (only where the grader itself has CUDA)

DEV = Path("/dev")  # where the GPU device nodes are looked for (tests point it at a fake listing)
PROC_MAPS = Path("/proc/self/maps")  # the grader's loaded libraries, where the driver's are found
DRIVER_LIBRARIES = ("libcuda.so", "libnvidia-", "libnvcuvid.so", "libcudadebugger.so")  # the driver's, not the toolkit's


def _cuda_available() -> bool:
    """Whether the grader itself can use CUDA (torch.cuda.is_available()); loads the driver's libraries here if so."""
    import torch

    try:
        return torch.cuda.is_available()
    except Exception:  # a broken driver is no GPU
        return False


def _gpu_device_nodes() -> list[Path]:
    """/dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm, ... (and the /dev/nvidia-caps folder of MIG), where present."""
    return sorted(DEV.glob("nvidia*"))


def _driver_library_dirs() -> list[str]:
    """The folders of the NVIDIA driver's libraries (libcuda.so.1, libnvidia-*.so) this process has loaded."""
    try:
        lines = PROC_MAPS.read_text().splitlines()
    except OSError:
        return []
    found = set()
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/") and os.path.basename(fields[5]).startswith(DRIVER_LIBRARIES):
            found.add(os.path.dirname(fields[5]))
    return sorted(found)


def _bound_read_only(path: str) -> bool:
    """Whether `path` already appears inside the sandbox at its own place through _runtime_binds."""
    tops = [top.rstrip("/") for top in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", sys.base_prefix)]
    return any(path == top or path.startswith(top + "/") for top in tops if top)


def _sandbox_gpus() -> list[Path]:
    """The GPU device nodes a sandbox is given: none unless they exist and the grader itself has CUDA (asked only then)."""
    nodes = _gpu_device_nodes()
    return nodes if nodes and _cuda_available() else []


def _gpu_binds() -> tuple[list[str], list[str]]:
    """bubblewrap arguments that show the grader's GPUs to the sandbox, and the driver's library folders.

    Nothing unless the device nodes exist and the grader has CUDA (torch.cuda.is_available()).
    Device nodes need --dev-bind (a read-only bind is also nodev: the driver could not open
    them); each appears at /dev/<name>, after --dev. The driver's libraries, wherever the
    grader loaded them from, are bound read-only at their own paths (a folder already under
    /usr, /lib, ... is there already) and named in LD_LIBRARY_PATH (_gpu_environment), since
    the sandbox's environment is not the grader's.
    """
    nodes = _sandbox_gpus()
    if not nodes:
        return [], []
    args = [arg for node in nodes for arg in ("--dev-bind", str(node), f"/dev/{node.name}")]
    libraries = [d for d in _driver_library_dirs() if Path(d).is_dir()]
    for folder in libraries:
        if not _bound_read_only(folder):
            args += ["--ro-bind", folder, folder]
    return args, libraries


def _gpu_environment() -> dict[str, str]:
    """LD_LIBRARY_PATH for the driver's library folders, where the sandbox gets the GPUs; else nothing."""
    _, libraries = _gpu_binds()
    return {"LD_LIBRARY_PATH": ":".join(libraries)} if libraries else {}


def check_available() -> None:
    """Raise SandboxUnavailable, saying why, unless a trivial sandbox starts."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: run ./setup.sh or `apt-get install bubblewrap`")
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--die-with-parent", *_runtime_binds(), "--proc", "/proc", "--dev", "/dev", os.path.realpath(sys.executable), "-I", "-S", "-c", "pass"],
        capture_output=True, text=True, timeout=60,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {probe.stderr.strip()[:300]}")


# ---------------------------------------------------------------- the unprivileged tier (no user namespaces)

DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")  # read and written, as bubblewrap's --dev offers them
RUNTIME_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives")
PROTECTED = (KIT.parent / "solutions", KIT.parent / "autograder" / "hidden", KIT.parent / "grader.toml")  # the second wall's


@dataclass(frozen=True)
class Unprivileged:
    """What the unprivileged tier can apply on this machine: each part is recorded in every result."""

    user: str | None  # whom the zygote runs as; None: the grader's own user (see `user_note`)
    uid: int | None
    gid: int | None
    landlock: int  # the kernel's Landlock ABI version, 0 without Landlock
    user_note: str = ""  # why the zygote keeps the grader's user, where it does

    @functools.cached_property
    def record(self) -> dict[str, object]:
        """Once per grading process: every result of the run carries it."""
        return {
            "user": self.user or f"the grader's: {self.user_note}", "landlock_abi": self.landlock,
            "filesystem": "landlock" if self.landlock else "file modes only",
            "network": ("landlock (tcp) + " if self.landlock >= 4 else "") + "seccomp (no new sockets)",
            "signals": "to itself only (seccomp" + (", and a Landlock scope)" if self.landlock >= 6 else ")"),
            "protected_files_closed": self.uid is not None and not any(readable_by(p, self.uid, self.gid) for p in PROTECTED if p.exists()),
            "capabilities": "none", "no_new_privileges": True, "seccomp": True, "rlimits": True,
        }


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (1 in Linux 5.13, 4 with TCP rules in 6.7, 6 with scopes in 6.12); 0: none."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(int(libc.syscall(ctypes.c_long(LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))), 0)


def readable_by(path: str | Path, uid: int, gid: int) -> bool:
    """Whether a process of `uid`:`gid` without supplementary groups may search every folder down to
    `path` and read it (search it, for a folder; run it, for a program) by the file modes alone."""

    def allows(info: os.stat_result, bits: int) -> bool:
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        return (info.st_mode >> shift) & bits == bits

    path = Path(path).resolve()
    if not all(allows(folder.stat(), 1) for folder in reversed(path.parents)):
        return False
    info = path.stat()
    return allows(info, 5 if path.is_dir() or info.st_mode & 0o111 else 4)


def _runtime_paths() -> list[str]:
    """What the unprivileged zygote may read: the interpreter, its standard library, site-packages, the system's libraries."""
    paths = [sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)), *_site_dirs(), *RUNTIME_PATHS]
    return sorted({p for p in paths if os.path.exists(p)})


@functools.cache
def unprivileged_parts() -> Unprivileged:
    """The parts of the unprivileged tier this machine allows (see the module's docstring)."""
    abi = landlock_abi()
    if os.geteuid() != 0:
        return Unprivileged(None, None, None, abi, "the grader is not root, so it cannot start processes as another user")
    for name in SANDBOX_USERS:
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        blocked = [p for p in _runtime_paths() if not readable_by(p, user.pw_uid, user.pw_gid)]
        if blocked:
            return Unprivileged(None, None, None, abi, f"the user {name} cannot read the Python runtime at {blocked[0]}")
        return Unprivileged(name, user.pw_uid, user.pw_gid, abi)
    return Unprivileged(None, None, None, abi, f"no user {' or '.join(SANDBOX_USERS)} on this machine")


def check_unprivileged() -> Unprivileged:
    """Raise SandboxUnavailable, saying why, unless the unprivileged tier holds here; else what it applies."""
    if seccomp.submission_filter() is None:
        raise SandboxUnavailable(f"the unprivileged sandbox needs a seccomp filter, which the kit has no system-call numbers for on {os.uname().machine}")
    parts = unprivileged_parts()
    if parts.user is None and not parts.landlock:
        raise SandboxUnavailable(f"the unprivileged sandbox needs Landlock (Linux 5.13 or newer) or a user of its own, and {parts.user_note}")
    probe = Zygote(Limits(startup_seconds=60), tier="unprivileged")
    try:
        probe.start()
    except SandboxFailure as failure:
        raise SandboxUnavailable(f"the unprivileged sandbox does not start here: {failure}") from None
    finally:
        probe.kill()
    return parts


def choose_tier(requested: str = "auto") -> str:
    """The sandbox tier to grade in: `requested`, or with "auto" bubblewrap where it starts, else the unprivileged tier.
    Raises SandboxUnavailable, with the reasons, where none starts."""
    if requested not in ("auto", "bubblewrap", "unprivileged"):
        raise ValueError(f"the sandbox tier must be auto, bubblewrap or unprivileged, not {requested!r}")
    reasons = []
    if requested in ("auto", "bubblewrap"):
        try:
            check_available()
            return "bubblewrap"
        except SandboxUnavailable as error:
            if requested == "bubblewrap":
                raise
            reasons.append(str(error))
    try:
        check_unprivileged()
        return "unprivileged"
    except SandboxUnavailable as error:
        raise SandboxUnavailable("; ".join([*reasons, str(error)])) from None


def _stage_helpers() -> str:
    """A copy of child.py and kit/ that the sandbox's user can read, wherever the repository is (often under a private home)."""
    staged = tempfile.mkdtemp(prefix="kit-helpers-")
    shutil.copytree(KIT, os.path.join(staged, "kit"), ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(CHILD, os.path.join(staged, "child.py"))
    for top, _, files in os.walk(staged):
        os.chmod(top, 0o755)
        for name in files:
            os.chmod(os.path.join(top, name), 0o644)
    return staged


def _driver_proc_dirs() -> list[str]:
    """What NVIDIA's driver reads under /proc while CUDA starts (its thread names in /proc/self/task stay closed: untested)."""
    return [d for d in ("/proc/driver/nvidia", "/proc/driver/nvidia-uvm") if os.path.isdir(d)]


def _landlock_plan(parts: Unprivileged, staged: str, scratch: str) -> dict[str, object]:
    """What child.py's `confine` applies: read-only paths, the scratch folder, device nodes, and the ABI to use."""
    gpus = [str(node) for node in _sandbox_gpus()]
    return {
        "abi": parts.landlock, "read": [*_runtime_paths(), staged, *(_driver_library_dirs() + _driver_proc_dirs() if gpus else [])],
        "write": [scratch], "devices": [d for d in DEVICES if os.path.exists(d)], "gpus": gpus,
    }


class Zygote:
    """The sandboxed process that has imported torch and forks one child per submission.

    Started once per grading worker (seconds); each submission then costs a fork
    (milliseconds). It is spoken to over a control socket that no child ever holds; each
    child gets a socket of its own. Anything unexpected from it kills it whole, and the
    next submission starts a new one.
    """

    def __init__(self, limits: Limits, *, tier: str = "bubblewrap"):
        if tier not in TIERS:
            raise ValueError(f"unknown sandbox tier {tier!r}")
        self.limits = limits
        self.tier = tier
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.scratch: str | None = None  # outside bubblewrap: the zygote's scratch folder, removed with it
        self.staged: str | None = None  # the unprivileged tier's copy of the helpers
        self.gpus = False  # whether its children may use the grader's GPUs (their seccomp filter then lets CUDA start)
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        self.gpus = bool(_sandbox_gpus())
        self.control, inside = socket.socketpair()
        python, user, confinement = os.path.realpath(sys.executable), {}, {}
        if self.tier == "bubblewrap":
            scratch = "/tmp"
            command = self._bwrap_command()
        else:  # a private scratch folder, never the machine's /tmp itself
            self.scratch = scratch = tempfile.mkdtemp(prefix="kit-scratch-")
            if self.tier == "none":  # --no-sandbox
                command = [python, "-I", "-S", "-B", str(CHILD), str(KIT.parent), *_site_dirs()]
            else:
                parts = unprivileged_parts()
                self.staged = _stage_helpers()
                command = [python, "-I", "-S", "-B", os.path.join(self.staged, "child.py"), *_site_dirs()]
                confinement = {"KIT_CONFINE": json.dumps(_landlock_plan(parts, self.staged, scratch)), "TMPDIR": scratch}
                if parts.uid is not None:
                    os.chown(scratch, parts.uid, parts.gid)
                    user = {"user": parts.uid, "group": parts.gid, "extra_groups": []}
        environment = {
            "PATH": "/usr/bin:/bin", "HOME": scratch, "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0", "KIT_CONTROL": str(inside.fileno()), "KIT_SCRATCH": scratch, "KIT_PRELOAD": ",".join(self.limits.preload),
            **({"KIT_WIPE_SHM": "1"} if self.tier == "bubblewrap" else {}), **confinement, **_gpu_environment(),
        }
        self.stderr = tempfile.TemporaryFile()  # bubblewrap's and the interpreter's start-up errors
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            pass_fds=[inside.fileno()], preexec_fn=self._apply_rlimits, start_new_session=True, env=environment, **user,
        )
        inside.close()
        try:
            reply = self._receive(self.limits.startup_seconds, "starting the sandbox")
        except SandboxCrashed as crash:  # only now may bubblewrap's own words be quoted: no student code has run yet
            self.stderr.seek(0)
            last = self.stderr.read()[-2000:].decode(errors="replace").strip().splitlines()[-1:]
            self.kill()
            raise SandboxCrashed(f"{crash}{': ' + last[0] if last else ''}") from None
        finally:
            self.stderr.close()
        if _json(reply) != {"zygote": True}:
            self.kill()
            raise SandboxCrashed("the sandbox did not start properly")

    def _bwrap_command(self) -> list[str]:
        gpus, _ = _gpu_binds()  # nothing unless the grader has CUDA and the device nodes exist
        return [
            "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--as-pid-1",  # the zygote is the namespace's init: a child can neither signal it nor outlive it
            *_runtime_binds(),
            "--ro-bind", str(KIT), "/grader/kit", "--ro-bind", str(CHILD), "/grader/child.py",
            "--proc", "/proc", "--dev", "/dev", *gpus,
            "--size", str(self.limits.scratch_mb << 20), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--size", str(self.limits.scratch_mb << 20), "--tmpfs", "/tmp",
            "--remount-ro", "/",  # nothing outside the two scratch folders can be written, nor planted for the next child
            "--chdir", "/tmp", "--hostname", "sandbox",
            "--", os.path.realpath(sys.executable), "-I", "-S", "-B", "/grader/child.py", *_sandbox_site_dirs(),
        ]

    def _apply_rlimits(self) -> None:
        mb = 1 << 20
        for limit, value in (
            (resource.RLIMIT_AS, self.limits.memory_mb * mb),
            (resource.RLIMIT_NPROC, self.limits.processes),
            (resource.RLIMIT_FSIZE, self.limits.file_mb * mb),
            (resource.RLIMIT_NOFILE, self.limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass

    def kill(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # bubblewrap's PID namespace takes every child with it
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
        if self.control is not None:
            self.control.close()
            self.control = None
        for folder in (self.scratch, self.staged):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self.scratch = self.staged = None

    def fork(self) -> int:
        """A fresh child for one submission; returns the grader's end of its socket (non-blocking)."""
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self.control, [b"F"], [theirs.fileno()])
        except OSError:
            ours.close()
            self.kill()
            raise SandboxCrashed("the sandbox exited unexpectedly") from None
        finally:
            theirs.close()
        ours.setblocking(False)
        return ours.detach()

    def reap(self) -> int:
        """Kill the current child, wipe the scratch space; return the child's wait status."""
        try:
            self.control.sendall(b"R")
            status = _json(self._receive(self.limits.startup_seconds, "ending the submission"))
        except (OSError, SandboxFailure):
            status = None
        if not isinstance(status, dict) or type(status.get("child_exit")) is not int or type(status.get("clean")) is not bool:
            self.kill()
            raise SandboxCrashed("the sandbox stopped answering")
        if not status["clean"]:  # the next student must not find what this one left: start afresh
            self.kill()
        return status["child_exit"]

    def _receive(self, timeout: float, doing: str) -> list[bytes]:
        try:
            return frames.read(self.control.fileno(), time.monotonic() + timeout, max_parts=1, max_bytes=1 << 16)
        except frames.FrameTimeout:
            raise SandboxTimeout(f"{doing} took longer than its time limit") from None
        except frames.FrameError:
            raise SandboxCrashed(f"the sandbox exited during {doing}") from None


def _json(parts: list[bytes]) -> object:
    try:
        return json.loads(parts[0]) if len(parts) == 1 else None
    except ValueError:
        return None


# A call's status frame, read once per distinct frame: the thousands of calls of a submission send a few
# dozen ({"error": null, ..., "record": {...}}). Read only; short frames only, and a bounded number of them.
_STATUSES: dict[bytes, object] = {}


def _status(frame: bytes) -> object:
    status = _STATUSES.get(frame)
    if status is None:
        status = _json([frame])
        if len(frame) <= 1024:
            if len(_STATUSES) >= 4096:
                _STATUSES.clear()
            _STATUSES[bytes(frame)] = status
    return status


_zygotes: dict[tuple, Zygote] = {}


def shared_zygote(limits: Limits, tier: str) -> Zygote:
    """This process's zygote for these limits and tier, started (again) when needed."""
    key = (limits, tier)
    zygote = _zygotes.get(key)
    if zygote is None:
        zygote = _zygotes[key] = Zygote(limits, tier=tier)
    if not zygote.alive:
        zygote.kill()
        zygote.start()
    return zygote


def warm_zygote(limits: Limits, tier: str) -> bool:
    """Start this process's zygote for these limits and tier now, unless it runs already; whether it was started."""
    existing = _zygotes.get((limits, tier))
    before = existing.starts if existing is not None else 0
    return shared_zygote(limits, tier).starts > before


def stop_zygotes() -> None:
    """Kill this process's zygotes (a Dask worker's once its runs end: autograder.cluster); the next request starts one."""
    for zygote in _zygotes.values():
        zygote.kill()
    _zygotes.clear()


def _exit_reason(status: int, doing: str) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return f"{doing} used up the CPU-time limit"
        if number == signal.SIGKILL:
            return f"{doing} was killed (memory or resource limit)"
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        return f"the submission's process died during {doing} (signal {name})"
    return f"the submission's process exited during {doing} (exit status {os.WEXITSTATUS(status)})"


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:  # the kernel's list (CONFIG_PROC_CHILDREN)
        return [int(n) for n in handle.read().split()]


def submission_pid(zygote: Zygote) -> int | None:
    """The zygote's one child, the submission's process, found from the grader's side (the zygote is
    bubblewrap's only child); None before it has forked or once it is gone. A pid the child itself
    reported could name another process."""
    try:
        top = zygote.process.pid
        inner = _children(top) if zygote.tier == "bubblewrap" else [top]  # bubblewrap's child is the zygote
        child = _children(inner[0]) if len(inner) == 1 else []
        return child[0] if len(child) == 1 else None
    except (OSError, ValueError, AttributeError):
        return None


def child_cpu_clock(zygote: Zygote) -> int | None:
    """A clock id for the CPU time of the submission's process (submission_pid); None if not found.

    The kernel's accounting of every thread of that process (exited ones too), read from the
    grader with clock_gettime: the child can neither see nor change it, and unlike the wall
    time of a round trip it does not grow while other processes hold the CPU.
    """
    child = submission_pid(zygote)
    if child is None:
        return None
    clock = ((~child) << 3) | 2  # Linux's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), as clock_getcpuclockid makes it
    try:
        time.clock_gettime(clock)
    except (OSError, OverflowError):
        return None
    return clock


def cpu_time(clock: int | None) -> float | None:
    try:
        return None if clock is None else time.clock_gettime(clock)
    except OSError:  # the process is gone
        return None


class ScratchWatch(threading.Thread):
    """Outside bubblewrap the scratch folder is a plain folder on the machine's disk, with no size of its own
    (bubblewrap's is a tmpfs of scratch_mb): while the child lives, its size and number of entries are looked
    at every PERIOD seconds, and past either limit the child is killed and the check told why."""

    PERIOD, MAX_ENTRIES = 0.1, 10_000

    def __init__(self, zygote: Zygote, limit_mb: int):
        super().__init__(daemon=True, name="kit-scratch-watch")
        self.zygote, self.limit_mb = zygote, limit_mb
        self.stopped = threading.Event()
        self.verdict: str | None = None

    def run(self) -> None:
        child = None
        while not self.stopped.wait(0.01 if child is None else self.PERIOD):
            if child is None:
                child = submission_pid(self.zygote)  # once the zygote has forked it
                continue
            verdict = self.over()
            if verdict is not None:
                self.verdict = verdict
                try:
                    os.kill(child, signal.SIGKILL)  # reaped by the zygote when the grader ends the child: never a reused pid
                except ProcessLookupError:
                    pass
                return

    def over(self) -> str | None:
        """What the scratch folder holds beyond the limits, said for the student; None within them."""
        used = entries = 0
        for top, folders, files in os.walk(self.zygote.scratch):
            for name in folders + files:
                entries += 1
                try:
                    used += os.lstat(os.path.join(top, name)).st_blocks * 512
                except OSError:
                    continue
                if used > self.limit_mb << 20:
                    return f"wrote more than {self.limit_mb} MB to its scratch folder"
                if entries > self.MAX_ENTRIES:
                    return f"made more than {self.MAX_ENTRIES:,} files in its scratch folder"
        return None

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class Sandbox:
    """One submission's process: a fresh child of the zygote, killed by the zygote after use."""

    def __init__(
        self, module_name: str, source: str, limits: Limits, *, tier: str = "bubblewrap", tripwires: list | None = None, traffic: Traffic | None = None,
    ):
        self.module_name, self.source = module_name, source
        self.limits, self.tier = limits, tier
        self.traffic = traffic or Traffic()
        self.tripwires = tripwires or []  # kit.forbidden.tripwires_for: the kernels the child replaces once it has imported the module
        self.zygote: Zygote | None = None
        self.channel: int | None = None
        self.load_error: str | None = None
        self.cpu_clock: int | None = None  # the child's CPU-time clock (child_cpu_clock), once it is ready
        self.watch: ScratchWatch | None = None  # the unprivileged tier's scratch limit

    @property
    def alive(self) -> bool:
        return self.channel is not None and self.zygote is not None and self.zygote.alive

    def start(self) -> None:
        self.zygote = shared_zygote(self.limits, self.tier)
        self.channel = self.zygote.fork()
        if self.tier == "unprivileged":
            self.watch = ScratchWatch(self.zygote, self.limits.scratch_mb)
            self.watch.start()
        program = seccomp.submission_filter(gpu=self.zygote.gpus)  # without bubblewrap too: it needs no privileges
        request = {
            "module": self.module_name, "cpu_seconds": self.limits.cpu_seconds,
            "seccomp": program.hex() if program else None, "seccomp_self_pid": seccomp.SELF_PID, "seccomp_required": self.tier != "none", "tripwires": self.tripwires,
        }
        doing = "importing the submission"
        status = _json(self._exchange([json.dumps(request).encode(), self.source.encode()], self.limits.startup_seconds, doing))
        if not isinstance(status, dict) or status.get("ready") is not True:
            error = status.get("error") if isinstance(status, dict) else None
            self.load_error = error[:2000] if isinstance(error, str) else "the submission could not be loaded"
            self.end()
        else:
            self.cpu_clock = child_cpu_clock(self.zygote)

    def _exchange(self, parts: list[bytes], timeout: float, doing: str) -> list[bytes]:
        """Send a request to the child and read its reply. On any failure the child is ended
        (the zygote kills and reaps it) and the failure says why."""
        deadline = time.monotonic() + timeout
        try:
            frames.write(self.channel, parts, deadline)
            return frames.read(self.channel, deadline, max_parts=3 * 4096, max_bytes=(self.limits.frame_mb << 20) + (1 << 20))
        except frames.FrameTimeout:
            self.end()
            raise SandboxTimeout(f"{doing} took longer than its time limit") from None
        except frames.FrameClosed:
            verdict = self.watch.verdict if self.watch is not None else None
            status = self.end()
            if verdict is not None:
                raise ChildExited(f"the submission's process {verdict} during {doing}") from None
            if status is None:
                raise SandboxCrashed(f"the sandbox exited during {doing}") from None
            raise ChildExited(_exit_reason(status, doing)) from None
        except frames.FrameTooLarge:
            self.end()
            raise SandboxCrashed(f"the reply of {doing} is larger than {self.limits.frame_mb} MB") from None
        except frames.FrameError:
            self.end()
            raise SandboxCrashed(f"the reply of {doing} is malformed") from None

    def batch(
        self, function: str, calls: list[Call], device: str, autograd: bool, timeout: float, record: bool = True, meter: bool = False, inputs: bool = True,
        cpu_limit: float | None = None,
    ) -> list[Outcome]:
        header = {
            "function": function, "device": device, "autograd": autograd, "record": record, "meter": meter, "inputs": inputs,
            "seeds": [c.seed for c in calls], "read_back": [c.read_back for c in calls],
            **({"cpu_limit": cpu_limit} if cpu_limit is not None else {}),  # the child stops a timed call there (child.py)
        }
        started = time.perf_counter()
        request = [json.dumps(header).encode(), *(c.frame for c in calls)]
        sent = time.perf_counter()
        parts = self._exchange(request, timeout, f"{function}()")
        received = time.perf_counter()
        verdict = self.watch.verdict or self.watch.over() if self.watch is not None else None
        if verdict is not None:  # a burst between two looks: the call that made it fails
            self.end()
            raise ChildExited(f"the submission's process {verdict} during {function}()")
        traffic = self.traffic
        traffic.round_trips += 1
        traffic.calls += len(calls)
        traffic.bytes_sent += sum(map(len, request))
        traffic.bytes_received += sum(map(len, parts))
        traffic.encode_seconds += sent - started
        traffic.exchange_seconds += received - sent
        if len(parts) != 4 * len(calls):  # per call: status, output, inputs after the call, file read back
            raise wire.WireError("the sandboxed process sent a malformed reply")
        limits = wire.Limits(max_payload_bytes=self.limits.frame_mb << 20)
        outcomes = []
        for call, meta, output, after, file in zip(calls, parts[0::4], parts[1::4], parts[2::4], parts[3::4], strict=True):
            status = _status(meta)
            error = status.get("error") if isinstance(status, dict) else 0
            if error is not None and not isinstance(error, str):
                raise wire.WireError("malformed reply")
            if error is None and inputs and not after:
                raise wire.WireError("the sandboxed process left out the inputs after the call")
            record = status.get("record")  # judged in kit.forbidden, failed call or not: a malformed one fails
            reply = Reply(output, after if inputs else None, error[:500] if error else None, status.get("not_implemented") is True, file if status.get("file") is True else None, record)
            outcomes.append(outcome_from_reply(reply, limits, call))  # sizes and structure validated as they are decoded
        traffic.decode_seconds += time.perf_counter() - received
        return outcomes

    def end(self) -> int | None:
        """Hang up on the child and have the zygote kill and reap it; its wait status, or None
        when the zygote itself failed (it is then killed too)."""
        if self.channel is None:
            return None
        if self.watch is not None:  # before the zygote reaps the child, so the watch never signals a reused pid
            self.watch.stop()
        os.close(self.channel)
        self.channel = None
        try:
            return self.zygote.reap()
        except SandboxFailure:
            return None

    def kill(self) -> None:
        self.end()
        if self.zygote is not None:
            self.zygote.kill()


class SandboxFailure(Exception):
    pass


class SandboxTimeout(SandboxFailure):
    pass


class SandboxCrashed(SandboxFailure):
    pass


class ChildExited(SandboxCrashed):
    """The submission's process died; the zygote is fine and has cleaned up after it."""


class SandboxRunner:
    """A `kit.harness.Runner` over a sandbox: a time-out or crash fails the current check at
    once (no shrinking) and the next request starts a fresh process for the submission."""

    MAX_ZYGOTE_RESTARTS = 3  # each costs seconds; a submission that keeps breaking the zygote loses the rest

    def __init__(self, module_name: str, source: str, limits: Limits, *, tier: str = "bubblewrap", tripwires: list | None = None):
        self.module_name, self.source = module_name, source
        self.limits, self.tier, self.tripwires = limits, tier, tripwires
        self.sandbox: Sandbox | None = None
        self.traffic = Traffic()  # over every process of the submission
        self.deadline = float("inf")
        self.first_zygote: int | None = None  # the zygote's start count when this submission began

    def start(self) -> str | None:
        """Start the submission's process; return its load error, if any."""
        self.sandbox = Sandbox(self.module_name, self.source, self.limits, tier=self.tier, tripwires=self.tripwires, traffic=self.traffic)
        try:
            zygote = shared_zygote(self.limits, self.tier)  # started again if the last one died
            self.first_zygote = zygote.starts if self.first_zygote is None else self.first_zygote
            if zygote.starts - self.first_zygote > self.MAX_ZYGOTE_RESTARTS:
                self.sandbox = None
                return "the submission's sandbox crashed too often; its remaining tests were not run"
            self.sandbox.start()
        except SandboxFailure as failure:
            self.sandbox.kill()
            self.sandbox = None
            return f"the submission could not be started: {failure}"
        return self.sandbox.load_error

    def budget(self, seconds: float) -> None:
        """Give the next check `seconds` of wall-clock time in all."""
        self.deadline = time.monotonic() + seconds

    def run(
        self, function: str, call: Call, device: str, *, autograd: bool = True, record: bool = True, meter: bool = False, inputs: bool = True,
        cpu_limit: float | None = None,
    ) -> Outcome:
        return self.run_batch(function, [call], device, autograd=autograd, record=record, meter=meter, inputs=inputs, cpu_limit=cpu_limit)[0]

    def run_batch(
        self, function: str, calls: list[Call], device: str, *, autograd: bool = True, record: bool = True, meter: bool = False, inputs: bool = True,
        cpu_limit: float | None = None,
    ) -> list[Outcome]:
        remaining = min(self.deadline - time.monotonic(), self.limits.call_seconds)
        if remaining <= 0:
            raise Abort("took longer than its time limit")
        if self.sandbox is None or self.sandbox.load_error is not None or not self.sandbox.alive:
            error = self.start()
            if error is not None:
                raise Abort(error)
        try:
            # timed here, in the grader, and by the kernel's accounting: the child cannot make itself look fast
            started, cpu = time.perf_counter(), cpu_time(self.sandbox.cpu_clock)
            outcomes = self.sandbox.batch(function, calls, device, autograd, remaining, record, meter, inputs, cpu_limit)
            seconds, after = time.perf_counter() - started, cpu_time(self.sandbox.cpu_clock)
            child_cpu = after - cpu if cpu is not None and after is not None else None
            self.traffic.child_cpu_seconds += child_cpu or 0.0
            if len(outcomes) == 1:  # a batch's time is not any one call's
                outcomes[0].seconds, outcomes[0].cpu_seconds = seconds, child_cpu
            return outcomes
        except (SandboxFailure, wire.WireError, ValueError) as failure:
            self.sandbox.end()  # the child goes (the zygote too, if it misbehaved); the next request forks a new one
            self.sandbox = None
            raise Abort(str(failure)) from None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.end()
            self.sandbox = None
