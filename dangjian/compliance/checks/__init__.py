"""Registered checks. Importing this package registers every check kind in `REGISTRY`."""

from dangjian.compliance.checks import dues, meetings, movements, pipeline, state  # noqa: F401  (register the check kinds)
from dangjian.compliance.checks.base import REGISTRY, STATUSES, CheckKind, Due, Outcome, Params, register

__all__ = ["REGISTRY", "STATUSES", "CheckKind", "Due", "Outcome", "Params", "register"]
