"""What crosses back from a submission's process, and how the grader copes with it.

kit.wire refuses malformed frames with WireError and nothing else; kit.harness refuses a
malformed inputs frame and fails any output that is nan/inf where the reference is finite;
autograder/grade.py runs every public check before any hidden one (hidden inputs never reach
public feedback) and fails one check, not the submission, on an error it did not expect.
These run without the sandbox: a stand-in runner answers in this process.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import grade
from autograder.config import Config, GraderSettings
from autograder.grade import Job, grade_submission
from kit import wire
from kit.calls import Call
from kit.catalog import ASSIGNMENTS, SOLUTIONS, load_assignment, load_module
from kit.execute import UNCHANGED, Reply, execute
from kit.harness import CheckFailed, InProcessRunner, Trial, outcome_from_reply, run_check

CONFIG = Config(grader=GraderSettings(examples=3, hidden_examples=3))


def frame(header: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(header)) + header + payload


def table(*specs: dict, value=None) -> bytes:
    return frame(json.dumps({"value": {"$tensor": 0} if value is None else value, "tensors": list(specs)}).encode())


# ---------------------------------------------------------------- kit.wire


@pytest.mark.parametrize(
    "data",
    [
        frame(b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b', "tensors": []}'),  # json.loads would raise RecursionError
        frame(b'{"value": ' + b'{"$tuple": [' * 40 + b"1" + b"]}" * 40 + b', "tensors": []}'),
        table({"dtype": "float32", "shape": [1 << 39, 1 << 39], "device": "meta"}),  # torch: storage size overflowed
        table({"dtype": "float32", "shape": [0, 1 << 39, 1 << 39], "device": "cpu"}),  # no elements, overflowing strides
        table({"dtype": "float32", "shape": [2, "3"], "device": "cpu"}),
        table({"dtype": "complex64", "shape": [1], "device": "cpu"}),
        table({"dtype": "float32", "shape": [4], "device": "cpu"}),  # payload missing
        frame(b'{"value": 1, "tensors": []}', b"extra"),
        frame(b"not json"),
        frame(b'["no", "header", "keys"]'),
        b"\x00\x00",
        b"\xff\xff\xff\xff" + b"x" * 10,
        None,
        5,
    ],
)
def test_decode_refuses_a_malformed_frame_with_wire_error_only(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_decode_turns_any_unexpected_error_into_wire_error(monkeypatch):
    monkeypatch.setattr(wire, "_nests_deeper", lambda text, limit: False)  # without the depth bound, json.loads recurses
    with pytest.raises(wire.WireError, match="RecursionError"):
        wire.decode(frame(b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b', "tensors": []}'))


def test_nesting_within_the_limits_still_crosses():
    value = torch.ones(2)
    for level in range(wire.Limits().max_depth):  # as deep as encode allows, tuples and dicts (two JSON levels each)
        value = (value,) if level % 2 else {"k": value}
    decoded, _ = wire.decode(wire.encode(value))
    for level in reversed(range(wire.Limits().max_depth)):
        decoded = decoded[0] if level % 2 else decoded["k"]
    assert torch.equal(decoded, torch.ones(2))
    text = '"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["'  # brackets inside a string do not nest
    assert wire.decode(frame(f'{{"value": {text}, "tensors": []}}'.encode()))[0] == json.loads(text)


def test_encode_refuses_a_large_tensor_before_copying_it(monkeypatch):
    copied = []
    monkeypatch.setattr(wire, "_tensor_bytes", lambda t: copied.append(t) or b"")
    huge = torch.zeros(1).expand(wire.Limits().max_payload_bytes // 4 + 1)  # 256 MB + 4 bytes of float32, no memory behind it
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode([torch.ones(3), huge])
    assert copied == []


def test_meta_tensors_cross_without_payload():
    decoded, devices = wire.decode(wire.encode(torch.empty(3, 4, device="meta")))
    assert decoded.device.type == "meta" and decoded.shape == (3, 4) and devices == ["meta"]


@pytest.mark.parametrize(
    "tensor",
    [torch.randn(3, 4), torch.randn(2, 3).T, torch.randn(5)[::2], torch.empty(0, 3), torch.tensor(3.0), torch.ones(2, dtype=torch.bfloat16),
     torch.arange(4) > 1, torch.empty(2, 3, device="meta"), torch.randn(2, requires_grad=True)],
    ids=["matrix", "transposed", "strided", "empty", "scalar", "bfloat16", "bool", "meta", "requires_grad"],
)
def test_a_lone_tensor_is_framed_as_the_general_path_frames_it(tensor):
    """wire.encode's short cut for one tensor (its header made once per dtype, shape and device) sends the same bytes."""
    assert wire.encode(tensor) == wire._encode_any(tensor, wire.Limits())
    assert wire.encode(tensor) == wire.encode(tensor)  # the cached header the second time


# ---------------------------------------------------------------- kit.harness


@pytest.mark.parametrize("inputs", [5, None, "args", [1, 2, 3], ([1], [2]), ({}, {}), [[1], {"k": 1}, 3]])
def test_an_inputs_frame_that_is_not_args_and_kwargs_is_a_wire_error(inputs):
    with pytest.raises(wire.WireError):
        outcome_from_reply(Reply(wire.encode(1.0), wire.encode(inputs)))


def test_a_well_formed_inputs_frame_is_accepted():
    outcome = outcome_from_reply(Reply(wire.encode(1.0), wire.encode(((torch.ones(2),), {"dim": 0}))))
    assert outcome.output == 1.0 and outcome.inputs_after.kwargs == {"dim": 0}


def test_inputs_sent_back_unchanged_are_the_calls_own_and_changed_ones_are_read():
    """outcome_from_reply's short cut: inputs that come back as the bytes they were sent as are the call's own
    arguments, neither decoded nor copied (Outcome.inputs_after is read only: checks compare it); any other
    bytes are decoded, so a change made in place is seen."""
    call = Call((torch.arange(6.0).reshape(2, 3), [torch.ones(2)]), {"dim": 1, "generator": {"kit.argument": "generator", "seed": 3}})
    same = outcome_from_reply(Reply(wire.encode(1.0), call.frame), call=call).inputs_after
    assert same.args is call.args and same.kwargs is call.kwargs
    assert outcome_from_reply(Reply(wire.encode(1.0), UNCHANGED), call=call).inputs_after.args is call.args
    changed = call.map(lambda t: t + 1)
    seen = outcome_from_reply(Reply(wire.encode(1.0), wire.encode((changed.args, changed.kwargs))), call=call).inputs_after
    assert torch.equal(seen.args[0], changed.args[0]) and not torch.equal(seen.args[0], call.args[0])


def test_drawn_examples_depend_on_the_seed_alone_not_on_the_modules_loaded(tmp_path, monkeypatch):
    """Hypothesis mixes literals of the process's own modules into its draws (kit.strategies.seed_alone): without the
    guard, a module imported between two draws with the same seed changed the inputs of a class's checks."""
    import importlib

    from kit.harness import DIRECT, draw_examples

    function = next(f for f in load_assignment("05").functions if f.name == "batch_norm")
    before = [call.frame for call in draw_examples(DIRECT, function, torch.float32, 20, seed=7)]
    literals = ", ".join(f"{0.5 + i * 1.37:.4f}, {-977 + 3 * i}" for i in range(300))
    (tmp_path / "kit_literals_probe.py").write_text(f"VALUES = [{literals}]\n")
    monkeypatch.syspath_prepend(tmp_path)
    importlib.import_module("kit_literals_probe")
    assert [call.frame for call in draw_examples(DIRECT, function, torch.float32, 20, seed=7)] == before


def test_a_meta_tensor_never_passes_a_comparison_with_values():
    from kit.harness import assert_close

    with pytest.raises(AssertionError, match="meta device"):
        assert_close(torch.empty(2, 3, device="meta"), torch.ones(2, 3), 1e-5, 1e-8)
    assert_close(torch.ones(2, 3), torch.empty(2, 3, device="meta"), 1e-5, 1e-8)  # expected on meta: structure only
    assert_close(torch.empty(2, 3, device="meta"), torch.empty(2, 3, device="meta"), 1e-5, 1e-8)
    with pytest.raises(AssertionError, match="shape"):
        assert_close(torch.ones(3, 2), torch.empty(2, 3, device="meta"), 1e-5, 1e-8)


def _verdict_in_torch(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, ulps: float) -> str:
    """assert_close's rule for one floating-point tensor, in torch ops alone (as before its NumPy and equality short cuts)."""
    if bool((~torch.isfinite(actual) & torch.isfinite(expected)).any()):
        return "non-finite"
    finite = expected[torch.isfinite(expected)]
    atol += ulps * torch.finfo(expected.dtype).eps * (float(finite.abs().max()) if finite.numel() else 0.0)
    return "close" if bool(torch.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True).all()) else "differ"


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    dtype=st.sampled_from([torch.float32, torch.float64, torch.float16]),
    expected=st.lists(st.floats(-1e4, 1e4, width=16) | st.sampled_from([math.inf, -math.inf, math.nan, 0.0]), min_size=1, max_size=6),
    noise=st.lists(st.sampled_from([0.0, 0.0, 1e-9, -1e-7, 3e-6, -1e-4, 1e-2, math.inf, math.nan]), min_size=6, max_size=6),
    ulps=st.sampled_from([0.0, 4.0]),
)
def test_the_comparisons_short_cuts_give_torchs_verdict(dtype, expected, noise, ulps):
    """assert_close answers most comparisons by torch.equal or in NumPy (float32, float64): the same verdict as
    torch's isclose rule, values near the tolerance, nan and inf included."""
    from kit.harness import assert_close

    e = torch.tensor(expected, dtype=dtype)
    a = (e.double() + e.double() * torch.tensor(noise[: len(expected)], dtype=torch.float64)).to(dtype)
    a = torch.where(torch.tensor(noise[: len(expected)]).isnan() & e.isfinite(), torch.tensor(math.nan, dtype=dtype), a)
    rtol, atol = (1e-5, 1e-6) if dtype != torch.float16 else (1e-3, 1e-3)
    try:
        assert_close(a, e, rtol, atol, ulps=ulps)
        got = "close"
    except AssertionError as error:
        got = "non-finite" if "non-finite" in str(error) else "differ"
    assert got == _verdict_in_torch(a, e, rtol, atol, ulps)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_call_without_tensor_inputs_must_return_cpu_tensors(device):
    """08's positional_encoding(max_len, d_model) has no tensor inputs: a meta table is no answer."""
    solution = load_module(SOLUTIONS / "attention.py")
    module = ModuleType("student_pe")
    module.positional_encoding = lambda max_len, d_model: solution.positional_encoding(max_len, d_model).to(device)
    function = load_assignment("08").function("positional_encoding")
    check = function.checks_for(solution.positional_encoding)[-1]
    assert check.name == "agrees with the reference solution"
    if device == "cpu":
        run_check(check, function, InProcessRunner(module), torch.float32, examples=3, shrink=False)
        return
    with pytest.raises(CheckFailed, match="returned a tensor on meta with no tensor inputs"):
        run_check(check, function, InProcessRunner(module), torch.float32, examples=3, shrink=False)


def softmax_checks(module_source: str, tmp_path: Path) -> dict[str, str | None]:
    """Each public check of 02's softmax on `module_source`: None when it passes, else its message."""
    path = tmp_path / "student.py"
    path.write_text(module_source)
    module = load_module(path, f"student_{abs(hash(module_source))}")
    assignment = load_assignment("02")
    function = assignment.function("softmax")
    found = {}
    for check in function.checks_for():
        if check.device == "cuda":
            continue
        try:
            run_check(check, function, InProcessRunner(module), torch.float32, examples=5)
            found[check.name] = None
        except CheckFailed as failure:
            found[check.name] = failure.message
    return found


def test_nan_output_fails_checks_that_compare_the_student_with_the_student(tmp_path):
    source = "import torch\n\ndef softmax(X, dim=-1):\n    return torch.full_like(X, float('nan'))\n"
    found = softmax_checks(source, tmp_path)
    assert "non-finite value(s) (nan/inf) where torch.softmax gives a finite value" in found["is invariant to adding a constant along dim"]
    assert all(message is not None for message in found.values()), found
    assert "output for huge logits" in found["is finite for logits of +-1e4"]  # a check's own message comes first


def test_non_finite_output_is_fine_where_the_reference_is_non_finite_too(tmp_path):
    """log_softmax of -inf logits is -inf: the rule must never fail a correct solution."""
    solution = load_module(SOLUTIONS / "softmax.py", "solution_softmax_for_nonfinite")
    assignment = load_assignment("02")
    function = assignment.function("log_softmax")
    X = torch.tensor([[0.0, float("-inf"), 1.0]])
    trial = Trial(function, Call((X,)), torch.float32, InProcessRunner(solution))
    assert torch.isneginf(trial.output[0, 1]) and trial.non_finite is None


def saver(tmp_path: Path, data: bytes | None) -> ModuleType:
    """A submission whose save(n, path) writes `data` at path (nothing at all for None) and returns n."""
    body = "pass" if data is None else f"Path(path).write_bytes({data!r})"
    source = tmp_path / "saver.py"
    source.write_text(f"from pathlib import Path\n\n\ndef save(n, path):\n    {body}\n    return n\n")
    return load_module(source, f"saver_{tmp_path.name}")


@pytest.mark.parametrize("data", [b"\x89PNG...", b"", None])
def test_a_call_reads_back_the_file_its_function_left(tmp_path, data):
    path = str(tmp_path / "figure.png")
    outcome = InProcessRunner(saver(tmp_path, data)).run("save", Call((1, path), read_back=path), "cpu")
    assert outcome.error is None and outcome.output == 1
    assert outcome.file == data  # None: no file, not an empty one


def test_a_file_over_the_frame_limit_is_refused_not_read(tmp_path):
    path = str(tmp_path / "huge.bin")
    reply = execute(saver(tmp_path, b"x" * 2048), "save", Call((1, path), read_back=path), "cpu", limits=wire.Limits(max_payload_bytes=1024))
    assert reply.file is None and "left a file of more than 1,024 bytes" in reply.error


# ---------------------------------------------------------------- autograder/grade.py


class StandInRunner:
    """Answers in this process, like --no-sandbox, and records what it was asked, in order."""

    def __init__(self, module, broken: str | None = None):
        self.inner, self.broken = InProcessRunner(module), broken
        self.log: list[str] = []
        self.sandbox = None

    def budget(self, seconds: float) -> None:
        pass

    def run(self, function, call, device, **options):
        self.log.append(f"run {function}")
        return self.inner.run(function, call, device, **options)

    def run_batch(self, function, calls, device, **options):
        self.log.append(f"batch {function}")
        if function == self.broken:
            raise RuntimeError("a reply nothing below the grader foresaw")
        return [self.inner.run(function, c, device, **options) for c in calls]

    def close(self) -> None:
        self.log.append("close")


def graded_with(monkeypatch, tmp_path: Path, broken: str | None = None):
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "softmax.py").write_text((SOLUTIONS / "softmax.py").read_text())
    runner = StandInRunner(load_module(SOLUTIONS / "softmax.py", "solution_softmax_for_grading"), broken)
    checks_run: list[tuple[str, bool]] = []
    original = grade._run

    def spy(g, runner_, job, seed, shared, shrink=True):
        checks_run.append((g.name, g.check.hidden))
        return original(g, runner_, job, seed, shared, shrink)

    monkeypatch.setattr(grade, "_start", lambda submission, job, result, tripwires: runner)
    monkeypatch.setattr(grade, "_run", spy)
    return grade_submission(folder, Job("02", CONFIG, isolated=False)), runner, checks_run


def test_every_public_check_runs_before_any_hidden_one_in_a_fresh_process(monkeypatch, tmp_path):
    result, runner, checks_run = graded_with(monkeypatch, tmp_path)
    flags = [hidden for _, hidden in checks_run]
    assert False in flags and True in flags and flags == sorted(flags), "a hidden check ran before a public one"
    assert sorted(name for name, _ in checks_run) == sorted(t.name for t in result.tests)
    first_close = runner.log.index("close")
    hidden_functions = {name.split(":")[0] for name, hidden in checks_run if hidden}
    assert any(entry.split()[-1] in hidden_functions for entry in runner.log[first_close + 1 :]), "no request after the close"
    assert result.score == pytest.approx(sum(f.points for f in load_assignment("02").functions))


def test_results_keep_the_checks_own_order(monkeypatch, tmp_path):
    from autograder.suite import graded_checks

    result, _, _ = graded_with(monkeypatch, tmp_path)
    expected = [g.name for g in grade.runnable(graded_checks(grade.configured(load_assignment("02"), CONFIG)))]
    assert [t.name for t in result.tests] == expected


def test_an_unexpected_error_fails_that_check_only(monkeypatch, tmp_path):
    result, _, _ = graded_with(monkeypatch, tmp_path, broken="accuracy")
    scores = result.function_scores()
    assert scores["accuracy"] == 0
    maximum = {f.name: f.points for f in load_assignment("02").functions}
    assert {f: s for f, s in scores.items() if f != "accuracy"} == pytest.approx({f: p for f, p in maximum.items() if f != "accuracy"})
    failed = [t for t in result.tests if not t.passed]
    assert failed and all(t.function == "accuracy" for t in failed)
    public = [t.output for t in failed if not t.hidden]
    assert public and all("the grader could not read the reply" in o for o in public)
    assert all(t.output == "Hidden test failed." for t in failed if t.hidden)
    assert result.extra["grader_errors"] and all(e.endswith("RuntimeError") for e in result.extra["grader_errors"])


# ---------------------------------------------------------------- kit.harness.run_examples: examples judged side by side


class CountingRunner(InProcessRunner):
    """An in-process runner that counts its batches and calls."""

    def __init__(self, module):
        super().__init__(module)
        self.batches, self.calls = 0, 0

    def run_batch(self, function, calls, device, **options):
        self.batches, self.calls = self.batches + 1, self.calls + len(calls)
        return super().run_batch(function, calls, device, **options)


def follow_up_check(*, repeat: bool = False):
    """Compares f(X) with f(X + 1) - 1 (two calls per example; with `repeat`, f(X) asked for twice)."""
    from kit.spec import Check

    def verify(t: Trial) -> None:
        shifted = t.run(t.call.replace(t.call.args[0] + 1))
        t.assert_close(t.output, shifted - 1)
        if repeat:
            t.assert_close(t.run(t.call), t.output)

    return Check("f(X + 1) = f(X) + 1", verify)


def shift_examples(n: int) -> list[Call]:
    return [Call((torch.full((2,), float(i)),)) for i in range(n)]


def test_examples_judged_side_by_side_fail_where_judging_in_turn_fails(tmp_path):
    """The first failing example (in the examples' order) is the one reported, whichever round it failed in."""
    from kit.harness import _judged_in_turn, run_examples
    from kit.spec import Function

    module = ModuleType("student")
    module.f = lambda X: X + 1 if float(X.sum()) not in (6.0, 12.0) else X * 0  # wrong at X = 3 and 6: example 2 fails first (f(3) - 1 != f(2))
    function = Function("f", lambda dtype: None, points=1)
    check = follow_up_check()
    examples = shift_examples(8)
    runner = CountingRunner(module)
    with pytest.raises(CheckFailed) as batched:
        run_examples(check, function, runner, torch.float32, examples, [{} for _ in examples])
    failure = _judged_in_turn(check, function, InProcessRunner(module), torch.float32, examples, [{} for _ in examples], None)
    assert failure is not None and failure[0] == 2  # f(2 + 1) - 1 = 0 * 3 - 1, not f(2) = 3
    assert batched.value.example == examples[2].render("f")
    assert runner.batches == 2  # one round trip per call of the check, however many examples


def test_a_call_asked_for_twice_in_one_example_is_two_calls_and_another_checks_call_is_reused():
    from kit.harness import run_examples
    from kit.spec import Function

    module = ModuleType("student")
    module.f = lambda X: X + 1
    function = Function("f", lambda dtype: None, points=1)
    examples, shared = shift_examples(4), {}
    runner = CountingRunner(module)
    run_examples(follow_up_check(), function, runner, torch.float32, examples, [{} for _ in examples], shared=shared)
    assert runner.calls == 5  # f(X) of each example, and f(X + 1), which is the next example's f(X) but for the last one's
    run_examples(follow_up_check(repeat=True), function, runner, torch.float32, examples, [{} for _ in examples], shared=shared)
    assert runner.calls == 9  # both served by the first check's calls; only the repeated f(X) runs again


def test_a_variant_with_other_plain_keyword_values_is_made_once_and_kept_with_its_example():
    """Call.replace: every submission's checks ask for `reduction='sum'` of the same drawn example; its frame is encoded once."""
    call = Call((torch.ones(2),), {"reduction": "mean"})
    summed = call.replace(reduction="sum")
    assert summed is call.replace(reduction="sum") and summed.kwargs == {"reduction": "sum"} and call.kwargs == {"reduction": "mean"}
    flags = [call.replace(flag=value) for value in (True, 1, 1.0)]  # equal as keys, not as arguments
    assert [type(v.kwargs["flag"]) for v in flags] == [bool, int, float] and len({id(v) for v in flags}) == 3
    assert call.replace(mask=torch.ones(1)) is not call.replace(mask=torch.ones(1))  # tensors are not kept
    assert call.replace(p=float("nan")) is not call.replace(p=float("nan"))
    assert call.replace(torch.zeros(2)) is not call.replace(torch.zeros(2))


def test_a_check_that_writes_into_its_outputs_changes_nothing_another_check_is_served():
    """Outcomes are shared between checks: a check that may write gets copies; the kit's own comparisons
    (`reads_only`) get the shared outcomes themselves, and must leave them as they came."""
    from kit import checks
    from kit.harness import run_examples
    from kit.spec import Check, Function

    module = ModuleType("student")
    module.f = lambda X: X + 1
    function = Function("f", lambda dtype: None, points=1, reference=lambda X: X + 1)
    examples, shared = shift_examples(3), {}

    def scribble(t: Trial) -> None:
        t.output.fill_(float("nan"))

    run_examples(Check("writes", scribble), function, InProcessRunner(module), torch.float32, examples, [{} for _ in examples], shared=shared)
    served = [outcome.output for outcomes in shared.values() for outcome in outcomes]
    assert [bool(torch.isfinite(output).all()) for output in served] == [True] * 3
    versions = [output._version for output in served]
    for check in (checks.matches(function.reference, "X + 1"), checks.leaves_inputs_unchanged(), checks.device_agnostic()):
        assert check.reads_only
        run_examples(check, function, InProcessRunner(module), torch.float32, examples, [{} for _ in examples], shared=shared)
    assert [output._version for output in served] == versions  # no in-place op on them


def test_a_stub_ends_every_example_at_once():
    from kit.harness import run_examples

    module = load_module(ASSIGNMENTS / "02" / "softmax.py", "stub_softmax_for_side_by_side")
    assignment = load_assignment("02")
    function = next(f for f in assignment.functions if f.name == "softmax")
    examples = [Call((torch.randn(2, 3),)) for _ in range(5)]
    runner = CountingRunner(module)
    with pytest.raises(CheckFailed) as failed:
        run_examples(function.checks[0], function, runner, torch.float32, examples, [{} for _ in examples])
    assert failed.value.not_started and runner.batches == 1


def test_a_call_that_leaves_its_inputs_alone_answers_unchanged_and_one_that_changes_them_sends_them():
    module = ModuleType("student")
    module.keeps = lambda X, dim=1: X.sum(dim)
    module.changes = lambda X, dim=1: X.mul_(2).sum(dim)
    module.nan_kept = lambda X, dim=1: X.sum(dim)
    call = Call((torch.ones(2, 3),), {"dim": 1})
    assert execute(module, "keeps", call, "cpu").inputs == UNCHANGED
    changed = execute(module, "changes", call, "cpu")
    assert changed.inputs not in (UNCHANGED, call.frame)
    assert torch.equal(outcome_from_reply(changed, call=call).inputs_after.args[0], torch.full((2, 3), 2.0))
    nan_call = Call((torch.tensor([[float("nan"), 1.0]]),), {"dim": 1})
    assert execute(module, "nan_kept", nan_call, "cpu").inputs == nan_call.frame  # NaN: not judged unchanged here, the bytes are compared
