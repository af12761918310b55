"""Reference solutions: the same API as the stubs. Never shipped to students."""
