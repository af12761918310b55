"""Hostile and broken submissions for assignment 02, and what the grader must do with each."""
