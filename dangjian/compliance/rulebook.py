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
from pathlib import Path
from typing import Any, Literal

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
from dangjian.core.rulefiles import RuleFileError, cached, describe_errors, parse_yaml, rules_dir, validate
from dangjian.orgs.choices import OrgType

MANIFEST = "checksums.txt"
FILE_PATTERN = re.compile(r"^v([1-9][0-9]*)\.yaml$")


class RulebookError(RuleFileError):
    """A rulebook problem (a RuleFileError: the file, the rule and the problem, in Chinese)."""


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


# --- loading ----------------------------------------------------------------------------------------


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


def _load_cached(path_str: str, mtime_ns: int, size: int) -> Ruleset:
    """The ruleset of this version (mtime, size) of the file, read once (core.rulefiles' cache)."""
    return cached(path_str, (mtime_ns, size), _read_ruleset, error=RulebookError)


def _read_ruleset(path: Path, data: bytes) -> Ruleset:
    checksum = hashlib.sha256(data).hexdigest()
    name = path.name
    published = published_checksums(path.parent).get(name)
    if published is not None and published != checksum:
        raise RulebookError(
            f"规则文件 {name} 已发布，内容不得修改（校验和与 {MANIFEST} 不符）：修改规则请发布新版本。"
        )
    raw = parse_yaml(data, name)  # a SafeLoader refusing duplicate keys; RuleFileError → RulebookError
    if not isinstance(raw, dict):
        raise RulebookError(f"规则文件 {name}：顶层应为映射（id、version、title、published、rules）。")
    head = validate(raw, RulesetFile, name)
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
