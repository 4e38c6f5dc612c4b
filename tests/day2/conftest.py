"""Day-2 operations: run against the whole lab (every topology at once),
by `make drill` only."""
