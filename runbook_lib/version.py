"""The version of stack-runbooks (kept equal to pyproject.toml's; a test checks it)."""

VERSION = "0.1.0"
