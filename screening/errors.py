"""One error tree for the domain. No HTTP status codes here: transport layers map classes to codes.

    TiersightError
    ├── InputError                 bad input from the user; CLI exit code 2
    │   ├── UnreadableFileError    a file that cannot be read at all (empty, binary, wrong format)
    │   ├── RuleError              a bad rule folder: file, rule id and reason
    │   ├── NetworkLoadError       a shipments or registry file that cannot be loaded
    │   └── NotFoundError          an id or name the caller asked for does not exist
    └── InternalError              a defect or an environment failure; CLI exit code 1

Row-level problems are not exceptions: they come back as `model.RowError` values so that the
rest of a file is still screened.
"""

from __future__ import annotations


class TiersightError(Exception):
    """Base of every error the domain raises on purpose."""


class InputError(TiersightError):
    """The caller gave input we cannot use; the message is one plain sentence for a person."""


class UnreadableFileError(InputError):
    """A submitted file cannot be read at all."""


class RuleError(InputError):
    """A rule folder is invalid: names the file, the rule id (when known) and the reason."""

    def __init__(self, file: str, rule_id: str | None, reason: str) -> None:
        self.file = file
        self.rule_id = rule_id
        self.reason = reason
        where = f"{file}, rule {rule_id}" if rule_id else file
        super().__init__(f"{where}: {reason}")


class NetworkLoadError(InputError):
    """A network file (shipments or registry) cannot be loaded."""


class NotFoundError(InputError):
    """A requested object does not exist."""


class InternalError(TiersightError):
    """Something that is not the caller's fault."""
