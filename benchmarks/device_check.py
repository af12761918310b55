"""GPU-vs-CPU equivalence, proven on a CUDA machine in one command (budget: 8 minutes).

    python benchmarks/device_check.py --dry-run                      # anywhere, seconds: the plan, and the coverage check
    python3 benchmarks/device_check.py --out "$OUT/device-check.txt"  # on the GPU machine: the whole proof
    python benchmarks/device_check.py --rehearse                     # without CUDA: every phase, the CPU standing in

`--dry-run` needs no GPU: it lists what a run would do and checks that every deterministic
function of every assignment has the check "gives the CPU result on CUDA" (and every random
one "runs on CUDA") over all its graded dtypes, and that the device-bound mutants are
recorded as tests/mutants/__init__.py says; it exits 1 otherwise (tests/test_device_check.py
runs it in CI).

A run on a CUDA machine, phase by phase, within --budget seconds (480 by default):
  1. probe: CUDA inside bubblewrap, with the grader's binds (autograder/sandbox.py: /dev/nvidia*
     with --dev-bind, the driver's libraries with --ro-bind), limits and seccomp filter; and, to
     say at once what to change if that fails, without the address-space limit (the CUDA
     driver reserves far more virtual memory than grader.toml's memory_mb), with /sys bound
     read-only, and with both.
  2. checks: every CUDA check of every function of every assignment on the reference solution,
     in-process (kit.harness.InProcessRunner, the students' path), in float32, float64, float16
     and bfloat16, on the grader's own draws (grader.toml's seed and example count). float16 and
     bfloat16 are graded nowhere (every function's dtypes are float32 and float64): their
     results are reported, under the same default tolerances (kit.spec.DEFAULT_TOLERANCE), and
     decide nothing (bfloat16 inputs are drawn in float32 and rounded: NumPy has no bfloat16). For each dtype, the largest CUDA-vs-CPU difference as a share of what the
     tolerance allows (1.0 = at the line): the measured margin that justifies each tolerance.
  3. mutants: every device-bound mutant of tests/mutants (caught_by "meta" or "cuda") against
     all of its function's checks here; each must be caught, the CUDA_ONLY ones included.
  4. class: the assignments that have CUDA_ONLY mutants graded by autograder.grade.grade_all
     through the sandbox with the GPU visible: the solution must get full marks with every CUDA
     check present in results.json (run, not skipped) and passed, and every device-bound mutant
     must lose points in its function. If the probe found that CUDA starts only without the
     address-space limit, the class is graded with that limit lifted, and the report says so.
  5. seeds: phase 2 again for 19 more seeds (grader.toml's seed + 1 ... + 19; graded dtypes),
     until the budget runs out: a check that fails on the solution for some seed is a flake.
One table (assignment, checks run, passed, skipped, seconds; a row per sandboxed class too)
goes to stdout and to --out (default device-check.txt), everything else to a JSON beside it.
Exit status: 0 everything held; 1 something failed (see the report's verdicts); 2 incomplete
(no CUDA without --rehearse, no bubblewrap, or the budget ran out before every seed ran).

Tolerances on CUDA: the same per-dtype tolerances as on the CPU (kit.spec.Tolerance). What
makes that fair is kit.execute.cuda_math_as_on_the_cpu, around every graded call on every
path (the students' pytest and notebook, this script's in-process runs, the sandboxed child):
TF32 is off for cuBLAS and cuDNN (its 10-bit mantissa errs about 1e-3 relative, a hundred
times float32's rtol of 1e-5), and so are cuBLAS's reduced-precision reductions for float16
and bfloat16 products. What is left is one IEEE arithmetic on two devices: sums taken in
another order and libm functions (exp, tanh, sin) within an ulp or two of each other, i.e.
errors at the scale the `ulps` term of the tolerance is there for (4 epsilons of the inputs'
and of the output's largest value). float64 has no fast mode at all; float16 and bfloat16
are computed in float32 and rounded once per op on both devices, so they differ by about
one rounding of the half type per op, which the same term covers for the short chains of ops
graded here. Phase 2's margins are the measurement of all this; phase 5 is its repetition.

Set-up on the device machine: the script installs nothing. It runs under that machine's own
python3 and torch (the image was seen with torch 2.11.0+cu130 on Python 3.12), not the
kit's pin (torch==2.13.0, pyproject.toml); the report records both and flags the mismatch.
A CUDA build of torch 2.13.0 cannot be installed there (nothing outside can be reached, and
its wheels are gigabytes, far over what travels with a run); should one become necessary,
its install time must be measured on the device itself and fitted into the 8 minutes. The
other packages the kit imports (hypothesis, rich, numpy, matplotlib, scikit-learn, pytest)
are in that image. bubblewrap is what setup.sh installs with apt; where the machine lacks it,
carry the Debian package and pass it with --bwrap-deb: here,
`mkdir -p .device && (cd .device && apt-get download bubblewrap) && echo /.device/ >> .git/info/exclude`,
then carry `.device` and add `--bwrap-deb .device/bubblewrap_*.deb`: the script copies its
bwrap to /usr/bin (the sandbox looks for it on PATH=/usr/bin:/bin), as root only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from mutants import CUDA_ONLY, MUTANTS  # noqa: E402

from autograder import sandbox, seccomp  # noqa: E402
from autograder.config import Config  # noqa: E402
from autograder.config import load as load_config  # noqa: E402
from autograder.suite import GradedCheck, load  # noqa: E402
from kit import harness  # noqa: E402
from kit.catalog import SOLUTIONS, assignment_ids, load_assignment, load_module  # noqa: E402
from kit.harness import CheckFailed, InProcessRunner, draw_examples, run_check, run_examples  # noqa: E402

DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
KINDS = {True: "same_on_cuda", False: "runs_on_cuda"}  # Function.deterministic -> the generic check it must have
SEEDS = 20
BUDGET = 480.0
SEED_MARGIN = 30.0  # phase 5 starts no run later than this before the budget's end
UNLIMITED_MB = 1 << 28  # 256 TiB of address space: no limit in effect (x86-64 gives a process 128 TiB)
PROBE_VARIANTS = (  # (name, no address-space limit, bind /sys read-only)
    ("as graded", False, False),
    ("no address-space limit", True, False),
    ("/sys read-only", False, True),
    ("both", True, True),
)


def pinned_torch() -> str:
    found = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    return found[1] if found else "?"


def short(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def kind_of(g: GradedCheck) -> str:
    """'same_on_cuda' or 'runs_on_cuda' for the generic CUDA checks (kit.checks), else the verify function's name."""
    return g.check.verify.__qualname__.split(".")[0]


def cuda_checks(graded: list[GradedCheck]) -> list[GradedCheck]:
    return [g for g in graded if g.check.device == "cuda"]


def shipped_config() -> Config:
    known = {i: [f.name for f in load_assignment(i).functions] for i in assignment_ids()}
    return load_config(ROOT / "grader.toml", known)


def device_mutants() -> list:
    return [m for m in MUTANTS if m.caught_by] + list(CUDA_ONLY)


def class_assignments() -> list[str]:
    return sorted({m.assignment for m in CUDA_ONLY})


# ---------------------------------------------------------------- the plan (and the dry run's checks)


def coverage_problems(assignment, graded: list[GradedCheck]) -> list[str]:
    """What is missing: a deterministic function without "gives the CPU result on CUDA", a random one without "runs on CUDA",
    or such a check that leaves out one of the function's graded dtypes."""
    problems = []
    for function in assignment.functions:
        want = KINDS[function.deterministic]
        mine = [g for g in cuda_checks(graded) if g.function is function]
        kinds = sorted(kind_of(g) for g in mine)
        if kinds.count(want) != 1:
            problems.append(f"{assignment.id} {function.name}() ({'deterministic' if function.deterministic else 'random'}) "
                            f"needs one {want} check; it has {', '.join(kinds) or 'no CUDA check'}")
        for g in mine:
            left_out = [short(d) for d in function.dtypes if d not in (g.check.dtypes or function.dtypes)]
            if left_out:
                problems.append(f"{assignment.id} {function.name}(): {g.check.name!r} leaves out {', '.join(left_out)}")
    return problems


def mutant_problems() -> list[str]:
    problems = []
    for m in MUTANTS:
        if m.caught_by not in ("", "meta"):
            problems.append(f"mutant {m.id}: caught_by={m.caught_by!r} in MUTANTS (CUDA-only mutants belong in CUDA_ONLY)")
    for m in CUDA_ONLY:
        if m.caught_by != "cuda":
            problems.append(f"mutant {m.id}: in CUDA_ONLY but caught_by={m.caught_by!r} (must be 'cuda')")
    for m in device_mutants():
        try:
            m.source()
        except (ValueError, StopIteration) as error:
            problems.append(f"mutant {m.id}: its edit does not apply ({error})")
    return problems


def build_plan(config: Config, assignments: list[str]) -> dict:
    examples = config.grader.examples
    plan = {"assignments": [], "problems": mutant_problems()}
    for aid in assignments:
        assignment, graded = load(aid)
        plan["problems"] += coverage_problems(assignment, graded)
        rows = []
        for g in cuda_checks(graded):
            graded_dtypes = g.check.dtypes or g.function.dtypes
            rows.append({
                "function": g.function.name, "check": g.check.name, "kind": kind_of(g),
                "graded": [short(d) for d in graded_dtypes], "extra": [short(d) for d in DTYPES if d not in graded_dtypes],
                "examples": g.check.examples or examples,
            })
        plan["assignments"].append({"id": aid, "title": assignment.title, "functions": len(assignment.functions), "checks": rows})
    return plan


def environment() -> dict:
    nodes = [str(p) for p in sandbox._gpu_device_nodes()]
    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(), "executable": sys.executable, "torch": torch.__version__, "pinned_torch": pinned_torch(),
        "torch_cuda": torch.version.cuda, "cuda_available": cuda, "device": torch.cuda.get_device_name() if cuda else None,
        "bwrap": shutil.which("bwrap"), "gpu_device_nodes": nodes, "cpus": os.cpu_count(), "machine": platform.machine(),
        # the sandbox shows the child only these site-packages: torch must be under one of them
        "torch_file": torch.__file__, "sandbox_site_dirs": sandbox._site_dirs(),
        "driver_library_dirs": sandbox._driver_library_dirs() if cuda else [],
    }


def print_plan(plan: dict, env: dict, args: argparse.Namespace, config: Config) -> None:
    print(f"device check plan: torch {env['torch']} (the kit pins {env['pinned_torch']}), CUDA {'yes: ' + str(env['device']) if env['cuda_available'] else 'no'}, "
          f"bubblewrap {env['bwrap'] or 'missing'}, GPU device nodes {', '.join(env['gpu_device_nodes']) or 'none'}")
    print(f"budget {args.budget:g} s, {args.workers or 'auto'} workers; seeds: {args.seeds} (grader.toml's seed {config.grader.seed} and the "
          f"{args.seeds - 1} after it); examples per check: grader.toml's {config.grader.examples} unless the check sets its own")
    units = calls = 0
    for a in plan["assignments"]:
        kinds = [c["kind"] for c in a["checks"]]
        print(f"assignment {a['id']} ({a['title']}): {a['functions']} functions, {len(kinds)} CUDA checks "
              f"({kinds.count('same_on_cuda')} gives the CPU result on CUDA, {kinds.count('runs_on_cuda')} runs on CUDA)")
        for c in a["checks"]:
            print(f"    {c['function']:<30} {c['check']:<30} graded {' '.join(c['graded']):<16} extra {' '.join(c['extra']):<24} {c['examples']} examples")
            units += len(DTYPES) + (args.seeds - 1) * len(c["graded"])
            calls += c["examples"] * (len(DTYPES) + (args.seeds - 1) * len(c["graded"]))
    print(f"phase 2 + 5, the solutions' CUDA checks: {units} (check, dtype, seed) runs, about {calls} examples, each run on CUDA and on the CPU")
    meta = [m.id for m in device_mutants() if m.caught_by == "meta"]
    only = [m.id for m in device_mutants() if m.caught_by == "cuda"]
    print(f"phase 3, device-bound mutants: {len(meta)} caught by the meta check on the CPU ({', '.join(meta)}); "
          f"{len(only)} caught only on CUDA ({', '.join(only)})")
    for aid in class_assignments():
        names = ["solution", *(m.name for m in device_mutants() if m.assignment == aid)]
        print(f"phase 4, class {aid} through the sandbox with the GPU bound: {', '.join(names)}")
    print(f"phase 1, probe of CUDA in bubblewrap: {', '.join(v[0] for v in PROBE_VARIANTS)}")
    if plan["problems"]:
        print(f"PROBLEMS ({len(plan['problems'])}):")
        for problem in plan["problems"]:
            print(f"  {problem}")
    else:
        print("coverage: every deterministic function has 'gives the CPU result on CUDA', every random one 'runs on CUDA', "
              "over all its graded dtypes; the device-bound mutants are recorded as they should be")


# ---------------------------------------------------------------- the in-process work (worker processes)


class StandIn(InProcessRunner):
    """--rehearse: a call asked on CUDA runs on the CPU and reports its tensors as CUDA's (where the call had tensors)."""

    def run(self, function, call, device, **options):
        if device != "cuda":
            return super().run(function, call, device, **options)
        outcome = super().run(function, call, "cpu", **options)
        if call.tensors():
            outcome.devices = ["cuda" if d == "cpu" else d for d in outcome.devices]
        return outcome


MARGINS: list[float] = []  # filled by the patched Trial.assert_close in each worker


def margin(actual, expected, rtol: float, atol: float, ulps: float) -> float | None:
    """The largest |actual - expected| as a share of what kit.harness.assert_close allows there (1.0: at the line)."""
    if isinstance(expected, torch.Tensor):
        if type(actual) is not torch.Tensor or actual.shape != expected.shape or not expected.dtype.is_floating_point:
            return None
        if "meta" in (actual.device.type, expected.device.type) or expected.numel() == 0:
            return None
        a, e = actual.double(), expected.double()
        both = torch.isfinite(a) & torch.isfinite(e)
        if not bool(both.any()):
            return None
        allowed = atol + ulps * harness.eps_of_largest(expected) + rtol * e.abs()
        difference = (a - e).abs()
        ratio = torch.where(allowed > 0, difference / allowed.clamp(min=1e-300), torch.where(difference > 0, math.inf, 0.0))
        return float(ratio[both].max())
    if isinstance(expected, float) and type(actual) in (float, int):
        if not (math.isfinite(expected) and math.isfinite(actual)):
            return None
        allowed = atol + rtol * abs(expected)
        return abs(actual - expected) / allowed if allowed > 0 else (math.inf if actual != expected else 0.0)
    pairs = []
    if isinstance(expected, (tuple, list)) and isinstance(actual, (tuple, list)):
        pairs = list(zip(actual, expected, strict=False))
    elif isinstance(expected, dict) and isinstance(actual, dict):
        pairs = [(actual[k], v) for k, v in expected.items() if k in actual]
    found = [m for a, e in pairs if (m := margin(a, e, rtol, atol, ulps)) is not None]
    return max(found) if found else None


def _worker_init() -> None:
    torch.set_num_threads(1)
    original = harness.Trial.assert_close

    def assert_close(self, actual, expected, what="output", scale=1.0, slack=None):
        if what == "output on CUDA":  # the comparison of same_on_cuda (runs_on_cuda compares with meta: nothing to measure)
            tol = self.function.tolerance_for(self.dtype)
            found = margin(actual, expected, tol.rtol * scale, (tol.atol + tol.ulps * self.input_scale) * scale, tol.ulps * scale)
            if found is not None:
                MARGINS.append(found)
        return original(self, actual, expected, what, scale, slack)

    harness.Trial.assert_close = assert_close


_loaded: dict[str, tuple] = {}


def _assignment(aid: str):
    if aid not in _loaded:
        assignment, graded = load(aid)
        _loaded[aid] = (assignment, graded, load_module(SOLUTIONS / f"{assignment.module}.py", f"device_check_solution_{aid}"))
    return _loaded[aid]


def drawn(g: GradedCheck, dtype: torch.dtype, count: int, seed: int) -> list:
    """The check's inputs as the grader draws them; bfloat16 ones drawn in float32 and rounded (NumPy, which the
    strategies draw through, has no bfloat16)."""
    if dtype != torch.bfloat16:
        return draw_examples(g.check, g.function, dtype, count, seed)
    calls = draw_examples(g.check, g.function, torch.float32, count, seed)
    return [c.map(lambda t: t.to(torch.bfloat16) if t.dtype == torch.float32 else t) for c in calls]


def check_function(aid: str, function: str, seed_index: int, dtypes: str, base_seed: int, examples: int, rehearse: bool, deadline: float) -> list[dict]:
    """Every CUDA check of one function on the solution, for one seed: a record per (check, dtype)."""
    from autograder.grade import seed_for  # the grader's own derivation of a check's seed

    assignment, graded, solution = _assignment(aid)
    runner = StandIn(solution) if rehearse else InProcessRunner(solution)
    seed = seed_for(base_seed + seed_index, aid)
    records = []
    for g in cuda_checks(graded):
        if g.function.name != function:
            continue
        graded_dtypes = g.check.dtypes or g.function.dtypes
        for dtype in DTYPES if dtypes == "all" else graded_dtypes:
            record = {"assignment": aid, "function": function, "check": g.check.name, "kind": kind_of(g), "dtype": short(dtype),
                      "graded": dtype in graded_dtypes, "seed": seed_index, "status": "not run", "message": "", "seconds": 0.0, "margin": None}
            records.append(record)
            if time.time() > deadline:
                continue
            count = g.check.examples or examples
            started = time.perf_counter()
            MARGINS.clear()
            try:
                calls = drawn(g, dtype, count, seed_for(seed, g.name, dtype))
                run_examples(g.check, g.function, runner, dtype, calls, [{} for _ in calls])
                record["status"] = "passed"
            except CheckFailed as failure:
                record["status"], record["message"] = "failed", failure.message + (f" on {failure.example}" if failure.example else "")
            except Exception as error:  # a strategy or a CPU kernel that cannot do this dtype, say: the kit's, reported
                record["status"], record["message"] = "error", f"{type(error).__name__}: {error}"[:300]
            record["seconds"] = round(time.perf_counter() - started, 3)
            record["margin"] = max(MARGINS) if MARGINS else None
    return records


def check_mutant(mutant_id: str, rehearse: bool) -> dict:
    """Every check of the mutant's function, here (CPU, meta, and CUDA when there is one); the first that fails catches it."""
    mutant = next(m for m in device_mutants() if m.id == mutant_id)
    assignment, graded, _ = _assignment(mutant.assignment)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kit-device-mutant-") as folder:
        module = load_module(mutant.write(Path(folder)), f"device_check_mutant_{mutant.id.replace('-', '_')}")
        runner = StandIn(module) if rehearse else InProcessRunner(module)
        cuda = rehearse or torch.cuda.is_available()
        for g in graded:
            if g.function.name != mutant.function or (g.check.device == "cuda" and not cuda):
                continue
            for dtype in g.check.dtypes or g.function.dtypes:
                try:
                    run_check(g.check, g.function, runner, dtype, examples=10, shrink=False)
                except CheckFailed as failure:
                    return {"id": mutant.id, "caught_by": mutant.caught_by, "caught": True, "check": g.check.name, "dtype": short(dtype),
                            "message": failure.message[:300], "seconds": round(time.perf_counter() - started, 2)}
    return {"id": mutant.id, "caught_by": mutant.caught_by, "caught": False, "check": None, "dtype": None, "message": "",
            "seconds": round(time.perf_counter() - started, 2)}


# ---------------------------------------------------------------- phase 1: CUDA inside bubblewrap

PROBE = r"""
import ctypes, json, sys
out = {}
try:
    sys.path[:0] = sys.argv[2:]
    program = bytes.fromhex(sys.argv[1])
    if program:  # the child's seccomp filter (autograder/child.py), before CUDA starts as in a graded call
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
        libc = ctypes.CDLL(None, use_errno=True)
        fprog = Fprog(len(program) // 8, program)
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "could not install the seccomp filter")
    import torch
    out["torch"] = torch.__version__
    out["available"] = torch.cuda.is_available()
    if out["available"]:
        x = torch.arange(6.0, device="cuda").reshape(2, 3)
        out["matmul"] = float((x @ x.T).sum())
        out["device"] = torch.cuda.get_device_name()
except BaseException as error:
    out["error"] = f"{type(error).__name__}: {error}"[:500]
print(json.dumps(out))
"""


def probe(config: Config, unlimited: bool, sys_bind: bool) -> dict:
    """Start bubblewrap as the grader does (its binds, limits, environment, seccomp) and try CUDA in it."""
    limits = config.limits
    sandbox_limits = sandbox.Limits(memory_mb=UNLIMITED_MB if unlimited else limits.memory_mb, cpu_seconds=limits.cpu_seconds,
                                    processes=limits.processes, file_mb=limits.file_mb, open_files=limits.open_files)
    zygote = sandbox.Zygote(sandbox_limits)
    command = zygote._bwrap_command()
    command = command[: command.index("--")]
    if sys_bind:  # before the root is made read-only (the mount point is made then)
        at = next(i for i in range(len(command) - 1) if command[i : i + 2] == ["--remount-ro", "/"])
        command[at:at] = ["--ro-bind", "/sys", "/sys"]
    program = seccomp.submission_filter(gpu=True) or b""
    command += ["--", os.path.realpath(sys.executable), "-I", "-S", "-c", PROBE, program.hex(), *sandbox._sandbox_site_dirs()]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", **sandbox._gpu_environment()}
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, preexec_fn=zygote._apply_rlimits, start_new_session=True)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timed out after 120 s", "seconds": 120.0}
    lines = done.stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else {}
    except ValueError:
        found = {}
    if not found:
        found = {"error": f"exit status {done.returncode}: {done.stderr.strip()[-400:]}"}
    found["ok"] = bool(found.get("available")) and "error" not in found
    found["seconds"] = round(time.monotonic() - started, 1)
    return found


def run_probes(config: Config, rehearse: bool) -> dict:
    """The variants one after another (preexec_fn is not for threads): the others only where "as graded" fails."""
    if shutil.which("bwrap", path="/usr/bin:/bin") is None:
        return {"bwrap": None}
    found = {"bwrap": shutil.which("bwrap", path="/usr/bin:/bin")}
    for name, unlimited, sys_bind in PROBE_VARIANTS:
        found[name] = probe(config, unlimited, sys_bind)
        if rehearse or found["as graded"]["ok"]:
            break
    return found


def install_bwrap(deb: Path) -> str:
    """bwrap from a carried Debian package, copied to /usr/bin (where the sandbox looks); what was done, in words."""
    if shutil.which("bwrap", path="/usr/bin:/bin"):
        return "bubblewrap already installed"
    with tempfile.TemporaryDirectory(prefix="kit-bwrap-") as folder:
        subprocess.run(["dpkg", "-x", str(deb), folder], check=True, capture_output=True)
        shutil.copy2(Path(folder) / "usr" / "bin" / "bwrap", "/usr/bin/bwrap")
    return f"bubblewrap copied to /usr/bin/bwrap from {deb.name}"


# ---------------------------------------------------------------- phase 4: a class through the sandbox


def grade_class(aid: str, config: Config, memory_mb: int | None, rehearse: bool, work: Path) -> dict:
    from autograder.grade import Job, configured, grade_all

    if memory_mb is not None:
        config = replace(config, limits=replace(config.limits, memory_mb=memory_mb))
    assignment, graded = load(aid)
    expected_cuda = [g.name for g in cuda_checks(graded)]
    students = {"solution": None, **{f"mutant-{m.name}": m for m in device_mutants() if m.assignment == aid}}
    submissions, out = work / aid / "submissions", work / aid / "out"
    for student, mutant in students.items():
        (submissions / student).mkdir(parents=True)
        source = (SOLUTIONS / f"{assignment.module}.py").read_text() if mutant is None else mutant.source()
        (submissions / student / f"{assignment.module}.py").write_text(source)
    started = time.monotonic()
    job = Job(aid, config, isolated=True, fingerprint=f"device-check-{time.time()}", shrink=False)
    _, _, errors = grade_all(submissions, out, job, jobs=len(students))
    seconds = round(time.monotonic() - started, 1)
    maximum = {f.name: f.points for f in configured(assignment, config).functions}  # grader.toml's points
    result = {"assignment": aid, "seconds": seconds, "memory_mb": config.limits.memory_mb, "errors": errors, "students": {}, "verdicts": []}
    cuda = torch.cuda.is_available()
    for student, mutant in students.items():
        path = out / student / "results.json"
        if not path.exists():
            result["verdicts"].append(f"class {aid}: {student} was not graded ({errors.get(student, 'no results.json')})")
            continue
        data = json.loads(path.read_text())
        tests = {t["name"]: t for t in data["tests"]}
        ran = [name for name in expected_cuda if name in tests]
        passed = [name for name in ran if tests[name]["status"] == "passed"]
        scores = data["extra_data"]["function_scores"]
        entry = {"score": data["score"], "function_scores": scores, "cuda_expected": len(expected_cuda), "cuda_ran": len(ran),
                 "cuda_passed": len(passed), "cuda_failures": {n: tests[n]["output"][:300] for n in ran if n not in passed}}
        result["students"][student] = entry
        if mutant is None:
            if cuda and len(ran) != len(expected_cuda):
                result["verdicts"].append(f"class {aid}: the solution's results hold {len(ran)} of {len(expected_cuda)} CUDA checks (skipped in the sandbox)")
            if passed != ran:
                result["verdicts"].append(f"class {aid}: the solution failed {len(ran) - len(passed)} CUDA check(s) in the sandbox: "
                                          f"{next(iter(entry['cuda_failures'].values()))}")
            if any(abs(scores[f] - maximum[f]) > 1e-6 for f in maximum):
                lost = {f: f"{scores[f]:g}/{maximum[f]:g}" for f in maximum if abs(scores[f] - maximum[f]) > 1e-6}
                result["verdicts"].append(f"class {aid}: the solution lost points: {lost}")
        else:
            caught = scores[mutant.function] < maximum[mutant.function] - 1e-6
            entry["caught"] = caught
            should = mutant.caught_by == "meta" or (cuda and not rehearse)
            if caught != should:
                result["verdicts"].append(f"class {aid}: mutant {mutant.name} ({mutant.caught_by}) {'lost' if caught else 'kept'} its points in "
                                          f"{mutant.function}() in the sandbox (expected it to {'lose' if should else 'keep'} them here)")
    return result


# ---------------------------------------------------------------- the report


def table(units: list[dict], classes: list[dict]) -> list[str]:
    rows = []
    for aid in sorted({u["assignment"] for u in units}):
        mine = [u for u in units if u["assignment"] == aid]
        ran = [u for u in mine if u["status"] != "not run"]
        rows.append((aid, len(ran), sum(u["status"] == "passed" for u in ran), len(mine) - len(ran), sum(u["seconds"] for u in mine)))
    for c in classes:
        solution = c["students"].get("solution", {})
        expected = solution.get("cuda_expected", 0)
        rows.append((f"{c['assignment']} sandbox", solution.get("cuda_ran", 0), solution.get("cuda_passed", 0),
                     expected - solution.get("cuda_ran", 0), c["seconds"]))
    lines = [f"{'assignment':<12}{'checks run':>12}{'passed':>10}{'skipped':>10}{'seconds':>10}"]
    lines += [f"{name:<12}{ran:>12}{passed:>10}{skipped:>10}{seconds:>10.1f}" for name, ran, passed, skipped, seconds in rows]
    total = [sum(r[i] for r in rows) for i in (1, 2, 3, 4)]
    lines.append(f"{'total':<12}{total[0]:>12}{total[1]:>10}{total[2]:>10}{total[3]:>10.1f}")
    return lines


def margins_by_dtype(units: list[dict]) -> list[str]:
    lines = []
    for dtype in map(short, DTYPES):
        mine = [u for u in units if u["dtype"] == dtype and u["margin"] is not None]
        if not mine:
            continue
        worst = max(mine, key=lambda u: u["margin"])
        graded = "graded" if any(u["graded"] for u in mine) else "not graded"
        lines.append(f"  {dtype:<9} ({graded}): largest CUDA-vs-CPU difference {worst['margin']:.3g} of the tolerance "
                     f"({worst['assignment']} {worst['function']}, seed {worst['seed']}; {len(mine)} runs compared)")
    return lines


def write_report(text: list[str], data: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text) + "\n")
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="list what would run and check the coverage; needs no GPU")
    parser.add_argument("--rehearse", action="store_true", help="without CUDA: run every phase with the CPU standing in for CUDA")
    parser.add_argument("--out", type=Path, default=Path("device-check.txt"), help="the table (and a .json beside it)")
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds for the whole run; seeds stop when it is spent")
    parser.add_argument("--seeds", type=int, default=SEEDS, help="grader seeds to regrade the solutions with (the first is grader.toml's)")
    parser.add_argument("--seed-dtypes", choices=("graded", "all"), default="graded", help="dtypes of the seeds after the first")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: 12 or the CPU count, 2 when rehearsing)")
    parser.add_argument("--assignments", default="", help="comma-separated ids (default: all)")
    parser.add_argument("--class", dest="classes", default="auto", help="comma-separated ids graded through the sandbox, 'none' or 'auto' (those with CUDA-only mutants)")
    parser.add_argument("--bwrap-deb", type=Path, default=None, help="a carried bubblewrap .deb to use where bwrap is missing (root only)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = time.time() + args.budget
    config = shipped_config()
    assignments = [a for a in args.assignments.split(",") if a] or assignment_ids()
    classes = class_assignments() if args.classes == "auto" else [a for a in args.classes.split(",") if a and a != "none"]
    plan = build_plan(config, assignments)
    if args.dry_run:
        print_plan(plan, environment(), args, config)
        return 1 if plan["problems"] else 0

    notes = []
    if args.bwrap_deb is not None and shutil.which("bwrap", path="/usr/bin:/bin") is None:
        try:
            notes.append(install_bwrap(args.bwrap_deb))
        except (OSError, subprocess.CalledProcessError) as error:
            notes.append(f"could not install bubblewrap from {args.bwrap_deb}: {error}")
    env = environment()
    cuda = env["cuda_available"]
    verdicts: list[str] = list(plan["problems"])
    incomplete: list[str] = []
    if env["torch"].split("+")[0] != env["pinned_torch"]:
        notes.append(f"torch {env['torch']} here, the kit pins {env['pinned_torch']}: these results are for {env['torch']}")
    if not cuda and not args.rehearse:
        text = ["no CUDA device here: nothing to prove (--dry-run checks the plan; --rehearse runs every phase with the CPU standing in)"]
        print(text[0])
        write_report(text, {"environment": env, "verdicts": [], "incomplete": text}, args.out)
        return 2
    rehearse = args.rehearse and not cuda
    if args.rehearse and cuda:
        notes.append("--rehearse ignored: CUDA is here, so this is the real run")
    workers = args.workers or (min(2, os.cpu_count() or 1) if rehearse else min(12, os.cpu_count() or 1))

    # phase 1: the probe (seconds), before anything else holds the GPU
    probes = run_probes(config, rehearse)
    memory_mb = None
    if probes.get("bwrap") is None:
        incomplete.append("bubblewrap is missing: no probe, no class through the sandbox (see --bwrap-deb)")
        classes = []
    elif not rehearse and not probes["as graded"]["ok"]:
        works = [name for name, *_ in PROBE_VARIANTS[1:] if probes[name]["ok"]]
        verdicts.append(f"CUDA does not start in the sandbox as graded ({probes['as graded'].get('error', 'not available')}); "
                        f"it does with: {', '.join(works) or 'none of the variants tried'}")
        if probes["no address-space limit"]["ok"]:  # the one fix the class can be graded with (grader.toml's limits)
            memory_mb = UNLIMITED_MB
            notes.append(f"the class is graded with memory_mb = {UNLIMITED_MB} (no address-space limit), the only variant under which CUDA starts")

    # phases 2 and 3: the solutions' CUDA checks for the first seed (all four dtypes), the device-bound mutants
    functions = [(a["id"], name) for a in plan["assignments"] for name in dict.fromkeys(c["function"] for c in a["checks"])]
    units: list[dict] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init) as pool:
        first = [pool.submit(check_function, aid, name, 0, "all", config.grader.seed, config.grader.examples, rehearse, math.inf) for aid, name in functions]
        mutants = [pool.submit(check_mutant, m.id, rehearse) for m in device_mutants() if m.assignment in assignments]
        for future in first:
            units += future.result()
        mutant_results = [future.result() for future in mutants]
        phase_2 = round(time.monotonic() - started, 1)

        # phase 4: the class through the sandbox (the pool idles meanwhile)
        class_results = []
        if classes:
            with tempfile.TemporaryDirectory(prefix="kit-device-class-") as folder, ThreadPoolExecutor(len(classes)) as threads:
                jobs = [threads.submit(grade_class, aid, config, memory_mb, rehearse, Path(folder)) for aid in classes]
                for aid, job in zip(classes, jobs, strict=True):
                    try:
                        class_results.append(job.result())
                    except Exception as error:
                        verdicts.append(f"class {aid}: grading failed: {type(error).__name__}: {error}")
                        traceback.print_exc()
        phase_4 = round(time.monotonic() - started, 1)

        # phase 5: more seeds until the budget is spent
        seeds_until = deadline - SEED_MARGIN  # room for the runs in flight and the report
        later = [pool.submit(check_function, aid, name, k, args.seed_dtypes, config.grader.seed, config.grader.examples, rehearse, seeds_until)
                 for k in range(1, args.seeds) for aid, name in functions]
        for future in later:
            units += future.result()

    # verdicts
    for u in units:
        if u["status"] in ("failed", "error") and u["graded"]:
            kind = "FLAKE" if u["seed"] > 0 else "FAILED"
            verdicts.append(f"{kind} {u['assignment']} {u['function']}: {u['check']} [{u['dtype']}, seed {u['seed']}]: {u['message'][:300]}")
    extra = [u for u in units if u["status"] in ("failed", "error") and not u["graded"]]
    for r in mutant_results:
        should = r["caught_by"] == "meta" or not rehearse
        if r["caught"] != should:
            verdicts.append(f"mutant {r['id']} ({r['caught_by']}) was {'caught' if r['caught'] else 'not caught'} here "
                            f"({'rehearsal: ' if rehearse else ''}expected {'caught' if should else 'not caught'})")
    for c in class_results:
        verdicts += c["verdicts"]
    not_run = [u for u in units if u["status"] == "not run"]
    if not_run:
        seeds_done = sorted({u["seed"] for u in units if u["status"] != "not run"})
        incomplete.append(f"the budget ran out: {len(not_run)} of {len(units)} (check, dtype, seed) runs not run "
                          f"(seeds with at least one run: {len(seeds_done)} of {args.seeds})")

    title = "REHEARSAL (no CUDA: the CPU stood in for it; nothing here is evidence about CUDA)" if rehearse else f"CUDA: {env['device']}"
    text = [f"device check: {title}", f"torch {env['torch']} (CUDA {env['torch_cuda']}), Python {env['python']}, {env['cpus']} CPUs, "
            f"{workers} workers, {time.monotonic() - started:.0f} s (phases 2-3 done at {phase_2:.0f} s, phase 4 at {phase_4:.0f} s)", ""]
    text += table(units, class_results)
    text += ["", "CUDA-vs-CPU margins per dtype (1.0 = at the tolerance):", *(margins_by_dtype(units) or ["  none measured"])]
    text += ["", "probe of CUDA in bubblewrap:"]
    for name, *_ in PROBE_VARIANTS:
        if name in probes:
            p = probes[name]
            text.append(f"  {name:<24} {'works' if p['ok'] else 'fails'} ({p.get('error') or p.get('device') or ('no CUDA' if not p.get('available') else '')}; {p['seconds']} s)")
    if probes.get("bwrap") is None:
        text.append("  bubblewrap missing")
    text += ["", "device-bound mutants (first check that caught each):"]
    for r in mutant_results:
        text.append(f"  {r['id']:<45} {r['caught_by']:<5} {'caught by ' + r['check'] + ' [' + r['dtype'] + ']' if r['caught'] else 'not caught'}")
    for c in class_results:
        text.append(f"class {c['assignment']} (memory_mb {c['memory_mb']}): " + "; ".join(
            f"{s} {v['score']:g} (CUDA checks {v['cuda_passed']}/{v['cuda_ran']} of {v['cuda_expected']})" for s, v in c["students"].items()))
    if extra:
        text += ["", f"float16/bfloat16 (graded nowhere): {len(extra)} run(s) failed:"]
        text += [f"  {u['assignment']} {u['function']} [{u['dtype']}, seed {u['seed']}]: {u['message'][:200]}" for u in extra[:20]]
    text += ["", *(f"note: {n}" for n in notes)]
    text += [f"VERDICT: {v}" for v in verdicts] or ["VERDICT: every check held"]
    text += [f"INCOMPLETE: {i}" for i in incomplete]
    print("\n".join(text))
    data = {"environment": env, "rehearsal": rehearse, "workers": workers, "budget": args.budget, "plan": plan, "probes": probes,
            "units": units, "mutants": mutant_results, "classes": class_results, "notes": notes, "verdicts": verdicts, "incomplete": incomplete}
    write_report(text, data, args.out)
    return 1 if verdicts else 2 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
