"""The exercise framework shared by students' self-checks and the instructors' grader.

An assignment is described once, declaratively (`kit.spec`), and that description drives
the public pytest tests, the hidden grading tests, the autograder and the notebooks.
"""
