"""Errors a user can fix: the CLI prints their lines and exits with status 2."""

from __future__ import annotations

__all__ = ["CollabsimError"]


class CollabsimError(ValueError):
    """Bad input, with one line per problem in ``problems``.

    Each line should name the file (or option), the key path and what is allowed.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
