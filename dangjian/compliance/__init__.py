"""The rulebook (versioned YAML under `rules/`), its registered checks, the set-based fact builders,
the evaluator and the 本月/本季度待办 list. The evaluation semantics are in `periods.py` (windows and
required periods) and `checks/` (one pure function per check kind)."""
