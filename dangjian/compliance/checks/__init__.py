"""Registered checks. Importing this package registers every check kind in `REGISTRY`."""

from dangjian.compliance.checks import (  # noqa: F401  (register the check kinds)
    dues,
    elections,
    meetings,
    movements,
    pipeline,
    state,
    talks,
    training,
)
from dangjian.compliance.checks.base import REGISTRY, STATUSES, CheckKind, Due, Outcome, Params, register

__all__ = ["REGISTRY", "STATUSES", "CheckKind", "Due", "Outcome", "Params", "register"]
