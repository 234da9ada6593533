"""The one loader of the data files under `rules/` (settings.RULES_DIR, by default BASE_DIR / "rules"): the
rulebook versions, the 党费 rate table, the 发展党员 workflow, the movements and study-platform parameters.

- YAML is read with a SafeLoader that refuses a key written twice in one mapping (the last would silently win);
- the data is validated with a pydantic model whose every level forbids unknown keys (`extra="forbid"`: a
  model that does not is a programming error, raised as TypeError on first use);
- the result is cached per file and reader, and read again when the file changes: the cache key is the
  resolved path, the modification time (ns) and the size, so a call costs one `stat`;
- every problem is a `RuleFileError` (domain loaders raise a subclass of it, `error=`) whose message, in
  Chinese, names the file and the key path: "规则文件 dues-rates.yaml：schedules.0.brackets.active.2.rate：应为数字。"

`load(name, Model)` is the whole API for a plain file; a loader with checks of its own beyond the model (the
rulebook: checksums, one rule at a time) passes a reader to `load_with`/`cached` and uses `parse_yaml`,
`validate` and `describe_errors`. This module is the bottom layer: it imports nothing from other apps.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.conf import settings
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

PREFIX = "规则文件"
CACHE_SIZE = 128  # files × readers kept; the oldest entry goes first


class RuleFileError(Exception):
    """A rule file that cannot be read, is not YAML, or does not match its model. `message` is Chinese and
    names the file (and, for a validation error, the key path)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- where the files are ----------------------------------------------------------------------------


def rules_dir() -> Path:
    return Path(_rules_dir_str())


def rule_path(name_or_path: str | os.PathLike) -> Path:
    """A file of the rules directory by name (`"dues-rates.yaml"`; any relative path is taken inside the
    rules directory), or an absolute path as given."""
    return Path(_path_str(name_or_path))


def _rules_dir_str() -> str:
    return _dir_str(getattr(settings, "RULES_DIR", None) or None, getattr(settings, "BASE_DIR", None))


@lru_cache(maxsize=16)
def _dir_str(rules_dir_setting: Any, base_dir: Any) -> str:
    return os.fspath(rules_dir_setting or Path(base_dir) / "rules")


def _path_str(name_or_path: str | os.PathLike) -> str:
    return _join(_rules_dir_str(), os.fspath(name_or_path))


@lru_cache(maxsize=256)
def _join(directory: str, name: str) -> str:
    return name if os.path.isabs(name) else os.path.join(directory, name)


@lru_cache(maxsize=256)
def _resolved(path_str: str) -> str:
    """The cache's identity of a file: two spellings of one path share an entry. Resolved once per spelling
    (18 µs, against 2 µs for the `stat` of every call); the file itself is always read through the spelling
    the caller gave, so a symbolic link pointed elsewhere is seen at the next change of time or size."""
    return os.path.realpath(path_str)


# --- YAML -------------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice in one mapping (the last would silently win)."""

    def construct_document(self, node: yaml.Node) -> Any:
        self._refuse_duplicate_keys(node, (), set())
        return super().construct_document(node)

    def _refuse_duplicate_keys(self, node: yaml.Node, path: tuple[str, ...], visited: set[int]) -> None:
        if id(node) in visited:  # an alias of a node already checked
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[Hashable] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` overrides on purpose
                    self._refuse_duplicate_keys(value_node, path, visited)
                    continue
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, Hashable):  # an unhashable key is refused by the construction itself
                    if key in seen:
                        where = f"{'.'.join(path)}：" if path else ""
                        raise yaml.constructor.ConstructorError(
                            None, None, f"{where}字段“{key}”重复", key_node.start_mark
                        )
                    seen.add(key)
                self._refuse_duplicate_keys(value_node, (*path, str(key)), visited)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._refuse_duplicate_keys(item, (*path, str(index)), visited)


def parse_yaml(text: str | bytes, name: str) -> Any:
    """The YAML document in `text` (a file's content), with safe types only and no key written twice."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RuleFileError(
                f"{PREFIX} {name} 不是有效的 YAML：第 {exc.start + 1} 字节起不是 UTF-8 编码的文本。"
            ) from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{PREFIX} {name} 不是有效的 YAML：{_yaml_problem(exc)}") from exc


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or not problem:
        return str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem}（{context}）" if context else problem
    return f"第 {mark.line + 1} 行第 {mark.column + 1} 列：{detail}"


# --- validation and its messages --------------------------------------------------------------------

_MESSAGES = {
    "extra_forbidden": "不允许的字段",
    "missing": "缺少必填字段",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
}

_INSTANCE_MESSAGES = {"Decimal": "应为数字", "date": "应为日期（YYYY-MM-DD）"}


def _describe(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"取值“{error.get('input')}”无效，应为 {ctx.get('expected')}"
    if kind == "is_instance_of":  # strict mode
        return _INSTANCE_MESSAGES.get(str(ctx.get("class")), f"类型应为 {ctx.get('class')}")
    if kind == "string_pattern_mismatch":
        return f"格式不符合要求（{ctx.get('pattern')}）"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[
            kind
        ]
        bound = next(iter(ctx.values()), "")
        return f"应{sign} {bound}"
    return _MESSAGES.get(kind, error["msg"])


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """A pydantic error in Chinese: "key.path：problem", several joined by "；"."""
    parts = []
    for error in exc.errors():
        loc = ".".join(str(x) for x in ((prefix,) if prefix else ()) + tuple(error["loc"]))
        parts.append(f"{loc}：{_describe(error)}" if loc else _describe(error))
    return "；".join(parts)


def validate(raw: Any, model: type[M], name: str) -> M:
    """`raw` (a parsed file) as `model`; RuleFileError naming the file and the key path otherwise."""
    _require_forbid(model)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise RuleFileError(f"{PREFIX} {name}：{describe_errors(exc)}。") from exc


@lru_cache(maxsize=64)
def _require_forbid(model: type[BaseModel]) -> None:
    lax = sorted(_lax_models(model, set()))
    if lax:
        raise TypeError(f"rule file models must forbid unknown keys (extra='forbid'): {', '.join(lax)}")


def _lax_models(model: type[BaseModel], visited: set[type]) -> set[str]:
    if model in visited:
        return set()
    visited.add(model)
    lax = set() if model.model_config.get("extra") == "forbid" else {model.__qualname__}
    for field in model.model_fields.values():
        for nested in _models_in(field.annotation):
            lax |= _lax_models(nested, visited)
    return lax


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return [annotation] if issubclass(annotation, BaseModel) else []
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


# --- loading and the cache --------------------------------------------------------------------------

_cache: dict[
    tuple[str, Hashable], tuple[int, int, Any]
] = {}  # (resolved path, reader) → (mtime, size, value)


def load(name_or_path: str | os.PathLike, model: type[M], *, error: type[RuleFileError] = RuleFileError) -> M:
    """The file (a name in the rules directory, or an absolute path) validated as `model`, parsed once per
    version of the file. Every problem raises `error` (RuleFileError or a subclass)."""
    return load_with(name_or_path, _model_reader(model), error=error)


def load_with(
    name_or_path: str | os.PathLike,
    reader: Callable[[Path, bytes], T],
    *,
    error: type[RuleFileError] = RuleFileError,
) -> T:
    """`reader(path, content)` for the file, called once per version of the file (`reader` must be a
    module-level function or otherwise stable: it is part of the cache key)."""
    path_str = _path_str(name_or_path)
    return cached(path_str, file_stamp(path_str, error=error), reader, error=error)


def file_stamp(path: str | os.PathLike, *, error: type[RuleFileError] = RuleFileError) -> tuple[int, int]:
    """(mtime in ns, size) of the file: what tells a changed file."""
    try:
        stat = os.stat(path)
    except FileNotFoundError as exc:
        raise error(f"{PREFIX} {Path(path).name} 不存在（{Path(path).parent}）。") from exc
    except OSError as exc:
        raise error(f"{PREFIX} {Path(path).name} 无法读取：{exc.strerror}。") from exc
    return stat.st_mtime_ns, stat.st_size


def cached(
    path: str | os.PathLike,
    stamp: tuple[int, int],
    reader: Callable[[Path, bytes], T],
    *,
    error: type[RuleFileError] = RuleFileError,
) -> T:
    """`reader`'s value for the version `stamp` (file_stamp) of the file: from the cache when that version
    was read before, else read now (replacing the entry of an older version)."""
    path_str = os.fspath(path)
    key = (_resolved(path_str), reader)
    hit = _cache.get(key)
    if hit is not None and (hit[0], hit[1]) == stamp:
        return hit[2]
    path_obj = Path(path_str)
    try:
        try:
            data = path_obj.read_bytes()
        except OSError as exc:
            raise RuleFileError(f"{PREFIX} {path_obj.name} 无法读取：{exc.strerror}。") from exc
        value = reader(path_obj, data)
    except RuleFileError as exc:
        if isinstance(exc, error):
            raise
        raise error(exc.message) from exc
    _cache.pop(key, None)
    while len(_cache) >= CACHE_SIZE:
        try:
            del _cache[next(iter(_cache))]
        except (KeyError, StopIteration, RuntimeError):  # another thread evicted it
            break
    _cache[key] = (*stamp, value)
    return value


def clear_cache() -> None:
    _cache.clear()


@lru_cache(maxsize=64)
def _model_reader(model: type[M]) -> Callable[[Path, bytes], M]:
    """One reader per model (a stable cache key)."""
    _require_forbid(model)

    def read(path: Path, data: bytes) -> M:
        raw = parse_yaml(data, path.name)
        if not isinstance(raw, dict):
            raise RuleFileError(f"{PREFIX} {path.name}：顶层应为映射（键: 值）。")
        return validate(raw, model, path.name)

    read.__qualname__ = f"read[{model.__qualname__}]"
    return read
