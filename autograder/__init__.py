"""The instructors' grader: sandboxed, trusted-parent grading of every assignment."""
