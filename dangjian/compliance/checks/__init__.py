"""The engine's own check kinds: the organisation as it stands (ORG-*), read from the org tree, the posts
and the member counts. Every other kind is a domain app's plug-in (`<app>/rules.py`)."""

from dangjian.compliance.checks import state  # noqa: F401  (registers the state check kinds)
from dangjian.compliance.registry import REGISTRY, STATUSES, CheckKind, Due, Outcome, Params, register

__all__ = ["REGISTRY", "STATUSES", "CheckKind", "Due", "Outcome", "Params", "register"]
