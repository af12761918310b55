"""Publishing the kit: a student release, an nbgrader course and Gradescope autograders.

All three are built from the same sources (solutions, stubs, exercise records, hidden
tests), so they cannot drift apart; see docs/releases.md.

    python -m autograder.release student    --out DIR [--assignment NN ...]
    python -m autograder.release nbgrader   --out DIR [--assignment NN ...]
    python -m autograder.release gradescope --out DIR [--assignment NN ...]
"""
