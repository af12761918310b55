import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from classes import Classes, grade_every_class  # noqa: E402


@pytest.fixture(scope="session")
def graded_classes(tmp_path_factory) -> Classes:
    """Every assignment's class, graded once by the autograder for all the tests that read a grade (tests/classes.py)."""
    return grade_every_class(tmp_path_factory.mktemp("classes"), sandboxed=shutil.which("bwrap") is not None)


@pytest.fixture(scope="session")
def instructor_class(tmp_path_factory):
    """02's class of 24 graded once by the CLI (tests/instructor.py): the class report's, `show`'s and the
    browser's tests all read this one run; a test that changes OUT works on a copy."""
    from instructor import grade_instructor_class

    return grade_instructor_class(tmp_path_factory.mktemp("instructor"))
