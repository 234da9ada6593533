"""The rulebook: versioned YAML files `rules/v<N>.yaml` (the directory is `settings.RULES_DIR`, by default
BASE_DIR / "rules"), validated on load and never edited once published.

A published file's sha256 is listed in `rules/checksums.txt` ("<sha256>  v1.yaml"); loading a listed file
whose content no longer matches is an error (a change is a new version, so old results stay reproducible).
Every problem is a `RulebookError` whose message (in Chinese) names the file, the rule and the problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from django.conf import settings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from dangjian.compliance.checks import REGISTRY
from dangjian.orgs.choices import OrgType

MANIFEST = "checksums.txt"
FILE_PATTERN = re.compile(r"^v([1-9][0-9]*)\.yaml$")


class RulebookError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str = Field(min_length=1)
    clause: str = Field(pattern=r"^（[一二三四五六七八九十]+）$")
    basis: str = Field(min_length=1)
    key_sentence: str = Field(min_length=1)
    applies_to: list[str] = Field(min_length=1)
    weight: float = Field(ge=0)
    severity: Literal["required", "advisory"]
    check: str
    params: dict[str, Any]
    note: str = ""

    _typed_params: Any = PrivateAttr(default=None)

    @field_validator("applies_to")
    @classmethod
    def _org_types(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in OrgType.values]
        if unknown:
            raise ValueError(f"未知的组织类型 {'、'.join(unknown)}（可用：{'、'.join(OrgType.values)}）")
        if len(set(value)) != len(value):
            raise ValueError("组织类型重复")
        return value

    @field_validator("check")
    @classmethod
    def _known_check(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"未知的检查类型“{value}”（已注册：{'、'.join(sorted(REGISTRY))}）")
        return value

    @model_validator(mode="after")
    def _params(self) -> Rule:
        kind = REGISTRY[self.check]
        try:
            typed = kind.params.model_validate(self.params)
        except ValidationError as exc:
            raise ValueError(f"参数无效：{describe_errors(exc, prefix='params')}") from None
        if kind.validate_rule is not None:
            kind.validate_rule(self.applies_to, typed)
        self._typed_params = typed
        return self

    def __hash__(self) -> int:  # usable as a dict key (the id is unique within a ruleset)
        return hash(self.id)

    @property
    def typed_params(self) -> Any:
        """The parameters as the check's typed model."""
        return self._typed_params


class RulesetFile(BaseModel):
    """The top level of a rulebook file."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    published: dt.date
    rules: list[dict[str, Any]] = Field(min_length=1)


class Ruleset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int
    title: str
    published: dt.date
    rules: list[Rule]
    checksum: str  # sha256 of the file

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# --- error messages ---------------------------------------------------------------------------------

_MESSAGES = {
    "extra_forbidden": "不允许的字段",
    "missing": "缺少必填字段",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
}


def _describe(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"取值“{error.get('input')}”无效，应为 {ctx.get('expected')}"
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
    parts = []
    for error in exc.errors():
        loc = ".".join(str(x) for x in ((prefix,) if prefix else ()) + tuple(error["loc"]))
        parts.append(f"{loc}：{_describe(error)}" if loc else _describe(error))
    return "；".join(parts)


# --- loading ----------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice in one mapping (the last would silently win)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"字段“{key}”重复", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def rules_dir() -> Path:
    return Path(getattr(settings, "RULES_DIR", None) or Path(settings.BASE_DIR) / "rules")


def list_versions() -> list[int]:
    directory = rules_dir()
    if not directory.is_dir():
        return []
    return sorted(int(m.group(1)) for p in directory.iterdir() if (m := FILE_PATTERN.match(p.name)))


def published_checksums(directory: Path | None = None) -> dict[str, str]:
    """File name → sha256 from the manifest of published versions."""
    path = (directory or rules_dir()) / MANIFEST
    if not path.exists():
        return {}
    result = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            result[name.strip()] = digest
    return result


def load_ruleset(version: int | None = None) -> Ruleset:
    """The ruleset of `version` (the latest when None), validated and cached."""
    versions = list_versions()
    if not versions:
        raise RulebookError(f"规则目录 {rules_dir()} 中没有规则文件（v1.yaml、v2.yaml……）。")
    if version is None:
        version = versions[-1]
    if version not in versions:
        raise RulebookError(f"规则库版本 {version} 不存在（现有版本：{'、'.join(map(str, versions))}）。")
    return load_ruleset_file(rules_dir() / f"v{version}.yaml")


def load_ruleset_file(path: Path | str) -> Ruleset:
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RulebookError(f"规则文件 {path.name} 无法读取：{exc.strerror}。") from exc
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _load_cached(path_str: str, mtime_ns: int, size: int) -> Ruleset:
    path = Path(path_str)
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    name = path.name
    published = published_checksums(path.parent).get(name)
    if published is not None and published != checksum:
        raise RulebookError(
            f"规则文件 {name} 已发布，内容不得修改（校验和与 {MANIFEST} 不符）：修改规则请发布新版本。"
        )
    try:
        raw = yaml.load(data.decode("utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulebookError(f"规则文件 {name} 不是有效的 YAML：{exc}") from exc
    if not isinstance(raw, dict):
        raise RulebookError(f"规则文件 {name}：顶层应为映射（id、version、title、published、rules）。")
    try:
        head = RulesetFile.model_validate(raw)
    except ValidationError as exc:
        raise RulebookError(f"规则文件 {name}：{describe_errors(exc)}。") from exc
    match = FILE_PATTERN.match(name)
    if match and int(match.group(1)) != head.version:
        raise RulebookError(f"规则文件 {name}：version 为 {head.version}，与文件名不符。")
    rules = _rules(name, head.rules)
    return Ruleset(
        id=head.id,
        version=head.version,
        title=head.title,
        published=head.published,
        rules=rules,
        checksum=checksum,
    )


def _rules(name: str, raw_rules: list[dict[str, Any]]) -> list[Rule]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id") if isinstance(raw.get("id"), str) else f"第{index}条"
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            raise RulebookError(f"规则文件 {name}：规则 {rule_id}：{describe_errors(exc)}。") from exc
        if rule.id in seen:
            raise RulebookError(f"规则文件 {name}：规则 {rule.id}：编号重复。")
        seen.add(rule.id)
        rules.append(rule)
    return rules
