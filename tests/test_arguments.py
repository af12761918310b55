"""Arguments that are not plain data (kit.calls.ARGUMENT): a torch.Generator and a decoder's step function.

They cross kit.wire as marked dicts and are made where the call runs, afresh for every call,
in the students' pytest as in the sandboxed child; the student sees the object, the checks
and the feedback see the plain data.
"""

from __future__ import annotations

import shutil
import types

import pytest
import torch

from autograder import sandbox
from kit import wire
from kit.calls import Call, generator, live
from kit.harness import InProcessRunner
from kit.steps import LookupStep, lookup_step

GREEDY = '''
import torch


def greedy(step, bos, eos, max_len):
    prefix, out = torch.tensor([[bos]]), []
    for _ in range(max_len):
        token = int(step(prefix)[0].argmax())
        out.append(token)
        if token == eos:
            break
        prefix = torch.cat([prefix, torch.tensor([[token]])], 1)
    return out


def noisy(x, *, generator):
    return x + torch.rand(x.shape, generator=generator, device=generator.device).to(x.device)


def two_prefixes(step):
    return step(torch.zeros(2, 1, dtype=torch.int64)).tolist()
'''


def module(source: str = GREEDY) -> types.ModuleType:
    namespace = types.ModuleType("student")
    namespace.__file__ = "student.py"  # describe_error names the line in this file
    exec(compile(source, "student.py", "exec"), namespace.__dict__)
    return namespace


def test_a_marked_argument_crosses_the_wire_as_plain_data_and_is_made_where_the_call_runs():
    call = Call((torch.zeros(2),), {"generator": generator(3)})
    _, kwargs = wire.decode(call.frame)[0]
    assert kwargs == {"generator": generator(3)}
    made = live(kwargs)["generator"]
    assert isinstance(made, torch.Generator) and made.device.type == "cpu"
    assert torch.equal(torch.rand(4, generator=made), torch.rand(4, generator=torch.Generator().manual_seed(3)))


def test_every_call_gets_a_fresh_generator_from_the_seed():
    runner = InProcessRunner(module())
    call = Call((torch.zeros(3),), {"generator": generator(7)})
    first, second = (runner.run("noisy", call, "cpu").output for _ in range(2))
    assert torch.equal(first, second) and not torch.equal(first, runner.run("noisy", Call((torch.zeros(3),), {"generator": generator(8)}), "cpu").output)


def test_a_cpu_generator_gives_the_same_draws_for_inputs_on_meta():
    outcome = InProcessRunner(module()).run("noisy", Call((torch.zeros(3),), {"generator": generator(7)}), "meta")
    assert outcome.error is None and outcome.devices == ["meta"]


def test_feedback_shows_how_to_build_the_argument():
    assert Call((torch.zeros(1),), {"generator": generator(5)}).render("f") == "f(tensor([0.0], dtype=float32), generator=torch.Generator().manual_seed(5))"
    assert Call((lookup_step(4, 17, max_rows=2),)).render("g") == "g(LookupStep(vocab=4, seed=17, bos=0, max_rows=2, ties=False, dtype='float64'))"


def test_a_lookup_step_is_the_same_from_its_seed_and_depends_on_the_whole_prefix():
    step = LookupStep(5, 11)
    prefixes = torch.tensor([[0, 1, 2], [0, 2, 2]])
    out = step(prefixes)
    assert torch.equal(out, LookupStep(5, 11)(prefixes))
    assert torch.allclose(out.exp().sum(1), torch.ones(2, dtype=torch.float64))
    assert not torch.equal(out[0], out[1])  # the same last token, another history


def has_a_tie(row: torch.Tensor) -> bool:
    return len(set(row.tolist())) < row.numel()


def test_a_lookup_step_with_ties_gives_exactly_equal_log_probabilities():
    first = torch.zeros(1, 1, dtype=torch.int64)
    assert sum(has_a_tie(LookupStep(6, seed, ties=True)(first)[0]) for seed in range(20)) >= 5
    assert sum(has_a_tie(LookupStep(6, seed)(first)[0]) for seed in range(20)) == 0


@pytest.mark.parametrize(
    ("prefixes", "message"),
    [
        (torch.zeros(2, 1, dtype=torch.int64), "a beam of 1 never has more than 1 live hypotheses"),
        (torch.ones(1, 1, dtype=torch.int64), "starts with <bos> = 0"),
        (torch.zeros(1, 1), "integer tensor"),
        (torch.zeros(3, dtype=torch.int64), "shape (N, t)"),
        (torch.tensor([[0, 9]]), "outside [0, 5)"),
    ],
)
def test_a_step_called_against_the_protocol_says_why(prefixes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        LookupStep(5, 0, max_rows=1)(prefixes)


def test_the_students_error_from_the_step_names_their_line():
    outcome = InProcessRunner(module()).run("two_prefixes", Call((lookup_step(5, 0, max_rows=1),)), "cpu")
    assert "ValueError: step() was called with 2 prefixes at once" in outcome.error and "(student.py, line" in outcome.error


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_both_arguments_are_made_inside_the_sandbox():
    runner = sandbox.SandboxRunner("student", GREEDY, sandbox.Limits())
    try:
        assert runner.start() is None
        step_call = Call((lookup_step(5, 3), 0, 1, 6))
        sandboxed, here = runner.run("greedy", step_call, "cpu"), InProcessRunner(module()).run("greedy", step_call, "cpu")
        assert sandboxed.error is None and sandboxed.output == here.output
        assert sandboxed.inputs_after.args == step_call.args  # the plain data, unchanged
        noisy = Call((torch.zeros(3),), {"generator": generator(7)})
        assert torch.equal(runner.run("noisy", noisy, "cpu").output, InProcessRunner(module()).run("noisy", noisy, "cpu").output)
    finally:
        runner.close()


def test_containers_without_an_argument_are_handed_over_as_they_are():
    """So that a function that changes a dict or list argument in place is seen doing it (09's config dicts)."""
    config, params = {"lr": 0.1}, [torch.zeros(1)]
    args = (params, config)
    assert live(args) is args
    mixed = (config, {"generator": generator(1)})
    made = live(mixed)
    assert made[0] is config and isinstance(made[1]["generator"], torch.Generator)
