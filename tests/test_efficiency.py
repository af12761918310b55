"""The efficiency check (kit.spec.Efficiency, kit.checks.efficient) and the timing it relies on.

Every assignment's records, solutions and loop mutants are exercised in test_assignments.py
(solutions pass, each `LOOPS` mutant of tests/mutants is caught); the false-failure rate
under load is measured by benchmarks/efficiency.py. Here: the verdicts on a toy function,
where the baseline comes from, and that the sandbox is timed by the child's CPU clock.
"""

from __future__ import annotations

import types

import pytest
import torch

from kit import checks
from kit.calls import Call
from kit.catalog import load_module
from kit.harness import CheckFailed, InProcessRunner, Outcome, run_check
from kit.spec import Efficiency, Function
from kit.strategies import randn, seeded, tensors


@seeded
def many_rows(g, dtype):
    return Call((randn(g, 16384, 4, dtype=dtype),))


def square_reference(X):
    return X * X


FUNCTION = Function("square", lambda dtype: tensors((2, 2), dtype).map(lambda X: Call((X,))), points=1, reference=square_reference,
                    efficiency=Efficiency(many_rows, factor=20, why="a toy"))


def module(source: str) -> types.ModuleType:
    found = types.ModuleType("student")
    exec(compile("import torch\n" + source, "student.py", "exec"), found.__dict__)
    return found


def efficiency_check(solution=None):
    (found,) = [c for c in FUNCTION.checks_for(solution) if c.name.startswith("is about as fast")]
    return found


def verdict(source: str) -> str:
    try:
        run_check(efficiency_check(), FUNCTION, InProcessRunner(module(source)), torch.float32, examples=1)
    except CheckFailed as failure:
        assert failure.example is None  # a timing has nothing to shrink
        return failure.message
    return "passed"


def test_vectorised_code_passes_and_a_loop_over_the_rows_fails_with_its_ratio_and_cause():
    assert verdict("def square(X):\n    return X * X") == "passed"
    assert verdict("def square(X):\n    return torch.where(X.double() > 0, X.double(), X.double()).pow(2).to(X.dtype)") == "passed"
    message = verdict("def square(X):\n    return torch.stack([row * row for row in X])")
    assert "x slower than a vectorised version" in message and "of CPU time" in message, message
    assert "square(tensor(shape=(16384, 4), dtype=float32))" in message and "a Python loop over the batch?" in message, message
    assert int(message.split("x slower")[0].removeprefix("at least ")) > 20, message


def test_code_fast_only_on_large_inputs_gains_nothing():
    message = verdict("def square(X):\n    return X * X if X.numel() < 1000 else torch.zeros_like(X)")
    assert message.startswith("output on the large input"), message


def test_a_stub_fails_as_not_implemented(tmp_path):
    (tmp_path / "student.py").write_text("def square(X):\n    raise NotImplementedError\n")
    stub = load_module(tmp_path / "student.py", "efficiency_stub")
    with pytest.raises(CheckFailed, match="not implemented yet"):
        run_check(efficiency_check(), FUNCTION, InProcessRunner(stub), torch.float32, examples=1)


def test_a_runner_that_cannot_time_is_not_judged():
    class Untimed:
        def run(self, function, call, device, **options):
            return Outcome(output=call.args[0] * call.args[0], inputs_after=call)

    run_check(efficiency_check(), FUNCTION, Untimed(), torch.float32, examples=1)


def test_the_grader_times_the_solution_and_students_the_public_reference_or_nothing():
    def solution(X):
        return X * X

    def baseline_of(check):
        return next(cell.cell_contents for cell in check.verify.__closure__ if cell.cell_contents in (solution, square_reference))

    assert baseline_of(efficiency_check(solution)) is solution
    assert baseline_of(efficiency_check()) is square_reference
    private = Function("square", FUNCTION.inputs, points=1, reference=square_reference, efficiency=Efficiency(many_rows, public=False))
    assert not [c for c in private.checks_for() if c.name.startswith("is about as fast")]
    assert [c for c in private.checks_for(solution) if c.name.startswith("is about as fast")]
    no_reference = Function("f", FUNCTION.inputs, points=1, efficiency=Efficiency(many_rows))
    assert not [c for c in no_reference.checks_for() if c.name.startswith("is about as fast")]


def test_measured_verdicts_are_recorded_for_the_benchmark(monkeypatch):
    monkeypatch.setattr(checks, "MEASURED", [])
    assert verdict("def square(X):\n    return X * X") == "passed"
    ((name, took, best, budget, passed, runs, measure),) = checks.MEASURED
    assert name == "square" and passed and runs == 1 and measure == "cpu" and 0 < took <= budget and best > 0


@pytest.fixture(scope="module")
def sandboxed():
    from autograder import sandbox

    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        pytest.skip(str(error))
    source = (
        "import threading, time\n"
        "def spin(seconds):\n"
        "    end = time.thread_time() + seconds\n"
        "    while time.thread_time() < end:\n"
        "        pass\n"
        "def in_a_thread(seconds):\n"
        "    worker = threading.Thread(target=spin, args=(seconds,))\n"
        "    worker.start()\n"
        "    worker.join()\n"
        "    return 0\n"
        "def square(X):\n"  # a run past its limit: a loop over the batch, spun out to 3 s
        "    spin(3.0)\n"
        "    return X * X\n"
        "def spins(seconds):\n"
        "    spin(seconds)\n"
        "    return 0\n"
        "def sleeps(seconds):\n"
        "    time.sleep(seconds)\n"
        "    return 0\n"
    )
    runner = sandbox.SandboxRunner("timing", source, sandbox.Limits())
    assert runner.start() is None
    yield runner
    runner.close()


def test_the_sandbox_counts_the_childs_cpu_time_in_every_thread(sandboxed):
    outcome = sandboxed.run("in_a_thread", Call((0.2,)), "cpu")
    assert outcome.error is None and outcome.cpu_seconds is not None
    assert outcome.cpu_seconds >= 0.19 and outcome.seconds >= outcome.cpu_seconds - 0.01  # work in a thread is not hidden


def test_the_sandbox_does_not_count_waiting_as_work(sandboxed):
    outcome = sandboxed.run("sleeps", Call((0.2,)), "cpu")
    assert outcome.seconds >= 0.2 and outcome.cpu_seconds < 0.05


def test_a_timed_call_is_stopped_at_its_cpu_limit_and_an_untimed_one_is_not(sandboxed):
    """`cpu_limit` (kit.checks.efficient: the time that fails a run whatever follows) ends a timed call there."""
    stopped = sandboxed.run("spins", Call((2.0,)), "cpu", meter=True, cpu_limit=0.05)
    assert stopped.error is not None and 0.05 <= stopped.cpu_seconds < 0.5, (stopped.error, stopped.cpu_seconds)
    finished = sandboxed.run("spins", Call((0.2,)), "cpu", cpu_limit=0.05)  # not timed: the limit is not for it
    assert finished.error is None and finished.cpu_seconds >= 0.19


def test_a_sandboxed_run_past_its_limit_fails_as_slow_without_running_to_its_end(sandboxed):
    before = sandboxed.traffic.child_cpu_seconds
    with pytest.raises(CheckFailed) as failed:
        run_check(efficiency_check(), FUNCTION, sandboxed, torch.float32, examples=1)
    assert "x slower than a vectorised version" in failed.value.message, failed.value.message
    assert sandboxed.traffic.child_cpu_seconds - before < 1.0  # stopped: not the 3 s the call would have taken


def test_a_timed_call_that_fails_early_is_an_error_whatever_it_says_and_one_that_fails_late_was_stopped():
    """Only the trusted side's clock tells a stopped call: a child that answers "raised CpuLimit" at once gains nothing."""

    class Claims:  # answers every call as a stopped call answers, after `spent` seconds (None: 90% of its limit)
        def __init__(self, spent):
            self.spent = spent

        def run(self, function, call, device, cpu_limit=None, **options):
            spent = self.spent if self.spent is not None else 0.9 * cpu_limit
            return Outcome(error="square() raised CpuLimit", seconds=spent, cpu_seconds=spent)

    with pytest.raises(CheckFailed, match="raised CpuLimit"):
        run_check(efficiency_check(), FUNCTION, Claims(0.0001), torch.float32, examples=1)
    with pytest.raises(CheckFailed, match="slower than a vectorised version"):
        run_check(efficiency_check(), FUNCTION, Claims(None), torch.float32, examples=1)


def test_the_first_run_that_finishes_is_compared_with_the_baseline_even_after_a_stopped_one():
    """A first run stopped at its limit has no output: the next one that finishes must agree, or a slow
    first call followed by a fast wrong one would pass on speed alone."""

    class SlowThenWrong:
        def __init__(self):
            self.timed = 0

        def run(self, function, call, device, cpu_limit=None, **options):
            if cpu_limit is None:  # the untimed calls (none here but the check's own) answer correctly
                return Outcome(output=call.args[0] * call.args[0], seconds=0.0, cpu_seconds=0.0)
            self.timed += 1
            if self.timed == 1:
                return Outcome(error="square() raised CpuLimit", seconds=cpu_limit, cpu_seconds=cpu_limit)
            return Outcome(output=torch.zeros_like(call.args[0]), seconds=1e-6, cpu_seconds=1e-6)

    with pytest.raises(CheckFailed, match="output on the large input"):
        run_check(efficiency_check(), FUNCTION, SlowThenWrong(), torch.float32, examples=1)
