"""The CPU side of the GPU-vs-CPU proof (benchmarks/device_check.py), runnable everywhere.

The dry run's plan and coverage check; the device-bound mutants' records (the meta check
alone catches each one recorded "meta"); the CUDA fast-math switches around every graded
call, in-process and in the sandboxed child; the sandbox's GPU binds, for a pretend-CUDA
grader and without CUDA. What needs a GPU is marked `gpu` and skipped without one.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest
import torch
from classes import shipped_config
from mutants import CUDA_ONLY, MUTANTS

from autograder import grade, sandbox
from autograder.suite import load
from kit.catalog import ROOT, assignment_ids, load_module
from kit.execute import CUDA_MATH_SWITCHES
from kit.harness import CheckFailed, InProcessRunner, run_check, run_examples, varied

SCRIPT = ROOT / "benchmarks" / "device_check.py"


def device_check():
    """benchmarks/device_check.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("device_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the dry run


def test_dry_run_lists_every_assignment_and_finds_every_cuda_check():
    result = subprocess.run([sys.executable, str(SCRIPT), "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for assignment_id in assignment_ids():
        assert f"\nassignment {assignment_id} (" in result.stdout, assignment_id
    assert "PROBLEMS" not in result.stdout
    for mutant in CUDA_ONLY:
        assert mutant.id in result.stdout


def test_coverage_check_names_a_function_without_its_cuda_check():
    script = device_check()
    assignment, graded = load("03")
    assert script.coverage_problems(assignment, graded) == []
    without = [g for g in graded if not (g.function.name == "relu" and g.check.device == "cuda")]
    assert script.coverage_problems(assignment, without) == [
        "03 relu() (deterministic) needs one same_on_cuda check; it has no CUDA check"
    ]
    random_one = [g for g in graded if not (g.function.name == "dropout" and g.check.device == "cuda")]
    assert any("dropout() (random) needs one runs_on_cuda check" in p for p in script.coverage_problems(assignment, random_one))


def test_dry_run_exits_1_on_a_coverage_problem(monkeypatch, capsys):
    script = device_check()
    assert script.main(["--dry-run", "--assignments", "03"]) == 0
    monkeypatch.setattr(script, "coverage_problems", lambda assignment, graded: [f"{assignment.id} f() needs one same_on_cuda check"])
    assert script.main(["--dry-run", "--assignments", "03"]) == 1
    assert "PROBLEMS (1):\n  03 f() needs one same_on_cuda check" in capsys.readouterr().out


@pytest.mark.slow
def test_rehearsal_runs_every_in_process_phase_with_the_cpu_standing_in(tmp_path):
    """What the GPU run will execute, minus the class, on one assignment and two seeds (seconds): it must not break there."""
    if torch.cuda.is_available():
        pytest.skip("with CUDA --rehearse is the real run: see benchmarks/device_check.py")
    out = tmp_path / "device-check.txt"
    command = [sys.executable, str(SCRIPT), "--rehearse", "--assignments", "02", "--seeds", "2", "--class", "none", "--workers", "1", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.with_suffix(".json").read_text())
    graded = [u for u in report["units"] if u["graded"]]
    assert {(u["seed"], u["status"]) for u in graded} == {(0, "passed"), (1, "passed")}
    assert {u["dtype"] for u in report["units"] if u["seed"] == 0} == {"float32", "float64", "float16", "bfloat16"}
    assert [(m["id"], m["caught"]) for m in report["mutants"]] == [("02-hard_coded_cpu", True)]
    assert "REHEARSAL" in out.read_text() and "VERDICT: every check held" in out.read_text()


def test_margin_is_the_share_of_the_tolerance_used():
    script = device_check()
    expected = torch.tensor([1.0, 100.0], dtype=torch.float64)
    assert script.margin(expected.clone(), expected, rtol=1e-3, atol=0.0, ulps=0.0) == 0.0
    # at 100 the allowance is rtol * 100 = 0.1: a difference of 0.05 uses half of it
    assert script.margin(expected + torch.tensor([0.0, 0.05], dtype=torch.float64), expected, rtol=1e-3, atol=0.0, ulps=0.0) == pytest.approx(0.5)
    assert script.margin(torch.zeros(2), torch.zeros(2, device="meta"), rtol=1e-3, atol=0.0, ulps=0.0) is None
    zero = torch.zeros(2, dtype=torch.float64)  # nothing allowed: equal is 0, any difference is infinitely over
    assert script.margin(zero.clone(), zero, rtol=0.0, atol=0.0, ulps=0.0) == 0.0
    assert script.margin(zero + torch.tensor([0.0, 1e-9], dtype=torch.float64), zero, rtol=0.0, atol=0.0, ulps=0.0) == float("inf")
    assert script.margin((1.0, {"w": expected + 0.1}), (1.0, {"w": expected}), rtol=1e-3, atol=0.0, ulps=0.0) == pytest.approx(100.0)


# ---------------------------------------------------------------- the device-bound mutants


def test_device_bound_mutants_say_where_they_are_caught():
    assert {m.caught_by for m in MUTANTS} <= {"", "meta"}, "a CUDA-only mutant belongs in its module's CUDA_ONLY, not MUTANTS"
    assert CUDA_ONLY and all(m.caught_by == "cuda" for m in CUDA_ONLY)
    assert not {m.id for m in CUDA_ONLY} & {m.id for m in MUTANTS}


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.caught_by == "meta"], ids=lambda m: m.id)
def test_meta_mutant_is_caught_by_the_meta_check_alone(mutant, tmp_path):
    """On any machine, without CUDA: the check on the meta device ("works on any device") catches it by itself,
    on as many examples as a public check draws (the shipped grader.toml's count), and on those of its example set
    the grader reads (one simplest and one largest of each kind)."""
    _, graded = load(mutant.assignment)
    meta = [g for g in graded if g.function.name == mutant.function and g.check.device == "cpu" and g.check.name == "works on any device"]
    assert len(meta) == 1, f"{mutant.function}() has no meta check"
    module = load_module(mutant.write(tmp_path), f"mutant_{mutant.id}")
    with pytest.raises(CheckFailed):
        run_check(meta[0].check, meta[0].function, InProcessRunner(module), torch.float32, examples=shipped_config().grader.examples, shrink=False)
    # and on the few examples the grader reads of its set (kit.harness.varied), not all of them
    job = grade.Job(mutant.assignment, shipped_config(), isolated=False)
    [(dtype, calls, memos, count)] = grade.graded_examples(meta[0], job, grade.seed_for(job.config.grader.seed, mutant.assignment))
    assert len(varied(calls)) < len(calls)
    with pytest.raises(CheckFailed):
        run_examples(meta[0].check, meta[0].function, InProcessRunner(module), dtype, calls, memos, count=count)


# ---------------------------------------------------------------- TF32 and reduced-precision reductions off in every graded call

FLAGS_MODULE = '''import torch


def flags(X):
    """1.0 for each of the CUDA fast-math switches that is on during the call."""
    owners = {"matmul": torch.backends.cuda.matmul, "cudnn": torch.backends.cudnn}
    return torch.tensor([float(getattr(owners[where], name)) for where, name in SWITCHES], dtype=X.dtype)


SWITCHES = %r
'''


def _owner(where: str):
    return torch.backends.cuda.matmul if where == "matmul" else torch.backends.cudnn


@pytest.fixture
def switches_on():
    """Every switch on (as a student's notebook may leave them) for the test, the originals back afterwards."""
    saved = [(where, name, getattr(_owner(where), name)) for where, name in CUDA_MATH_SWITCHES]
    for where, name in CUDA_MATH_SWITCHES:
        setattr(_owner(where), name, True)
    yield
    for where, name, value in saved:
        setattr(_owner(where), name, value)


def test_in_process_calls_run_without_tf32_or_reduced_precision_and_restore_the_flags(tmp_path, switches_on, monkeypatch):
    (tmp_path / "flagged.py").write_text(FLAGS_MODULE % (CUDA_MATH_SWITCHES,))
    module = load_module(tmp_path / "flagged.py", "flagged_in_process")
    from kit.calls import Call

    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)  # a process that has started CUDA: the switch applies only there
    outcome = InProcessRunner(module).run("flags", Call((torch.zeros(1),)), "cpu")
    assert outcome.error is None, outcome.error
    assert outcome.output.tolist() == [0.0] * len(CUDA_MATH_SWITCHES)  # off inside the call, every one of them
    assert [getattr(_owner(w), n) for w, n in CUDA_MATH_SWITCHES] == [True] * len(CUDA_MATH_SWITCHES)  # and back after it
    assert {name for _, name in CUDA_MATH_SWITCHES} >= {"allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"}
    assert ("cudnn", "allow_tf32") in CUDA_MATH_SWITCHES and ("matmul", "allow_tf32") in CUDA_MATH_SWITCHES


def one_sandboxed_call(module: str, source: str, function: str, call):
    """`function(*call)` of the module `source` in the child's own process, through the sandbox where bubblewrap is here."""
    runner = sandbox.SandboxRunner(module, source, sandbox.Limits(), tier="bubblewrap" if shutil.which("bwrap") else "none")
    try:
        assert runner.start() is None
        return runner.run(function, call, "cpu")
    finally:
        runner.close()


def test_the_sandboxed_child_runs_calls_without_tf32_or_reduced_precision(switches_on):
    """The child's own process (autograder/child.py, forked from the zygote), through the sandbox where bubblewrap is here."""
    from kit.calls import Call

    started_cuda = "torch.cuda.is_initialized = lambda: True  # stands in for a child that has started CUDA\n"
    outcome = one_sandboxed_call("flagged", FLAGS_MODULE % (CUDA_MATH_SWITCHES,) + started_cuda, "flags", Call((torch.zeros(1),)))
    assert outcome.error is None, outcome.error
    assert outcome.output.tolist() == [0.0] * len(CUDA_MATH_SWITCHES)


# ---------------------------------------------------------------- the sandbox's GPU binds


@pytest.fixture
def fake_gpu(tmp_path, monkeypatch):
    """A /dev with NVIDIA device nodes, a driver folder in this process's 'maps', and CUDA as the grader would see it."""
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in ("nvidia0", "nvidiactl", "nvidia-uvm", "null"):
        (dev / name).touch()
    driver = tmp_path / "driver" / "lib64"
    driver.mkdir(parents=True)
    maps = tmp_path / "maps"
    maps.write_text(
        f"7f00-7f10 r-xp 00000000 00:2a 12 {driver}/libcuda.so.580.159.03\n"
        f"7f10-7f20 r--p 00000000 00:2a 13 {driver}/libnvidia-ml.so.1\n"
        "7f20-7f30 r-xp 00000000 00:2a 14 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "7f30-7f40 rw-p 00000000 00:00 0 [heap]\n"
    )
    calls = []
    monkeypatch.setattr(sandbox, "DEV", dev)
    monkeypatch.setattr(sandbox, "PROC_MAPS", maps)
    monkeypatch.setattr(sandbox, "_cuda_available", lambda: calls.append(1) or True)
    return dev, driver, calls


def _pairs(command: list[str], flag: str) -> list[tuple[str, str]]:
    return [(command[i + 1], command[i + 2]) for i, arg in enumerate(command) if arg == flag]


def test_bwrap_command_binds_the_gpus_when_the_grader_has_cuda(fake_gpu):
    dev, driver, _ = fake_gpu
    command = sandbox.Zygote(sandbox.Limits())._bwrap_command()
    nodes = {(str(dev / name), f"/dev/{name}") for name in ("nvidia0", "nvidiactl", "nvidia-uvm")}
    assert set(_pairs(command, "--dev-bind")) == nodes  # /dev/null is not the GPU's
    binds = [i for i, arg in enumerate(command) if arg == "--dev-bind"]
    dev_mount = next(i for i in range(len(command) - 1) if command[i : i + 2] == ["--dev", "/dev"])
    read_only_dev = next(i for i in range(len(command) - 1) if command[i : i + 2] == ["--remount-ro", "/dev"])
    assert all(dev_mount < i < read_only_dev for i in binds), "device nodes must come after --dev (which would hide them)"
    assert (str(driver), str(driver)) in _pairs(command, "--ro-bind")  # the driver's libraries: read-only
    assert not any(str(driver) in pair for pair in _pairs(command, "--bind") + _pairs(command, "--dev-bind"))
    assert sandbox._gpu_environment() == {"LD_LIBRARY_PATH": str(driver)}
    assert command[command.index("--") + 1] == sandbox.os.path.realpath(sys.executable)


def test_driver_libraries_already_under_usr_are_not_bound_twice(fake_gpu, tmp_path, monkeypatch):
    maps = tmp_path / "maps-usr"
    maps.write_text("7f00-7f10 r-xp 00000000 00:2a 12 /usr/lib/x86_64-linux-gnu/libcuda.so.1\n")
    monkeypatch.setattr(sandbox, "PROC_MAPS", maps)
    args, libraries = sandbox._gpu_binds()
    assert libraries == ["/usr/lib/x86_64-linux-gnu"] and "--ro-bind" not in args
    assert sandbox._gpu_environment() == {"LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu"}


def test_no_gpu_binds_without_cuda_or_without_device_nodes(fake_gpu, monkeypatch):
    dev, _, calls = fake_gpu
    monkeypatch.setattr(sandbox, "_cuda_available", lambda: False)  # device nodes, but the grader cannot use CUDA
    command = sandbox.Zygote(sandbox.Limits())._bwrap_command()
    assert "--dev-bind" not in command and not any("nvidia" in arg or "driver" in arg for arg in command)
    assert sandbox._gpu_environment() == {}
    monkeypatch.setattr(sandbox, "_cuda_available", lambda: calls.append(1) or True)
    for node in dev.iterdir():
        node.unlink()
    assert sandbox._gpu_binds() == ([], []) and calls == []  # no device nodes: CUDA is not even asked


def test_this_machine_binds_what_it_has():
    """The real detection here: GPU binds exactly when this grader has CUDA and /dev/nvidia* nodes."""
    command = sandbox.Zygote(sandbox.Limits())._bwrap_command()
    expected = torch.cuda.is_available() and bool(sandbox._gpu_device_nodes())
    assert ("--dev-bind" in command) == expected


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device: run python benchmarks/device_check.py there")
def test_the_sandboxed_child_sees_the_gpu():
    from kit.calls import Call

    source = "import torch\n\n\ndef where(X):\n    return torch.tensor([float(torch.cuda.is_available()), float((X.cuda() * 2).sum())])\n"
    outcome = one_sandboxed_call("gpu_probe", source, "where", Call((torch.ones(3),)))
    assert outcome.error is None, outcome.error
    assert outcome.output.tolist() == [1.0, 6.0]
