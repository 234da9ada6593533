"""The rulebook files and their loader (no database)."""

import copy
import hashlib
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

from dangjian.compliance.clauses import all_clauses, clause_text
from dangjian.compliance.rulebook import RulebookError, list_versions, load_ruleset, published_checksums

REPO_RULES = Path(django_settings.BASE_DIR) / "rules"

VERSION_1_IDS = [
    "ORG-BRANCH-MIN-MEMBERS",
    "ORG-BRANCH-MAX-MEMBERS",
    "ORG-COMMITTEE-REQUIRED",
    "ORG-SECRETARY-IN-POST",
    "ORG-TERM-ON-TIME",
    "MTG-ASSEMBLY-QUARTERLY",
    "MTG-COMMITTEE-MONTHLY",
    "MTG-GROUP-MONTHLY",
    "MTG-LECTURE-QUARTERLY",
    "MTG-THEME-DAY-MONTHLY",
    "MTG-ORG-LIFE-ANNUAL",
    "MTG-MEMBER-REVIEW-ANNUAL",
    "MTG-DEMOCRATIC-LIFE-ANNUAL",
    "LECTURE-SECRETARY-ANNUAL",
    "MTG-ASSEMBLY-QUORUM",
    "MTG-COMMITTEE-QUORUM",
    "MTG-DEMOCRATIC-LIFE-QUORUM",
]

RULE = {
    "id": "ORG-BRANCH-MIN-MEMBERS",
    "title": "党支部正式党员不少于3名",
    "clause": "（十）",
    "basis": "《中国共产党支部工作条例（试行）》第四条（BR-01）",
    "key_sentence": "健全优化基层党组织设置",
    "applies_to": ["zhibu"],
    "weight": 1.0,
    "severity": "required",
    "check": "min_formal_members",
    "params": {"min_formal": 3},
}
RULESET = {
    "id": "test-rules",
    "version": 1,
    "title": "测试规则",
    "published": "2026-11-26",
    "rules": [RULE],
}


@pytest.fixture
def rules_dir(tmp_path, settings):
    settings.RULES_DIR = tmp_path
    return tmp_path


def write(directory: Path, data: dict, name: str = "v1.yaml") -> Path:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).replace("'2026-11-26'", "2026-11-26")
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def with_rule(**changes) -> dict:
    data = copy.deepcopy(RULESET)
    rule = data["rules"][0]
    for key, value in changes.items():
        if value is None:
            rule.pop(key)
        else:
            rule[key] = value
    return data


def refused(directory: Path, data: dict | str) -> str:
    if isinstance(data, str):
        (directory / "v1.yaml").write_text(data, encoding="utf-8")
    else:
        write(directory, data)
    with pytest.raises(RulebookError) as excinfo:
        load_ruleset(1)
    return excinfo.value.message


# --- version 1 --------------------------------------------------------------------------------------


def test_version_1_has_exactly_the_seventeen_rules_of_the_issue():
    ruleset = load_ruleset(1)
    assert (ruleset.id, ruleset.version) == ("shanghai-jiguan", 1)
    assert [r.id for r in ruleset.rules] == VERSION_1_IDS
    assert ruleset.checksum == hashlib.sha256((REPO_RULES / "v1.yaml").read_bytes()).hexdigest()


def test_only_the_member_cap_is_advisory():
    ruleset = load_ruleset(1)
    assert [r.id for r in ruleset.rules if r.severity == "advisory"] == ["ORG-BRANCH-MAX-MEMBERS"]


def test_rules_apply_to_the_types_of_the_issue():
    applies = {r.id: sorted(r.applies_to) for r in load_ruleset(1).rules}
    assert applies["ORG-SECRETARY-IN-POST"] == ["dangwei", "dangzu", "zhibu", "zongzhi"]
    assert applies["ORG-TERM-ON-TIME"] == ["dangwei", "zhibu", "zongzhi"]
    assert applies["MTG-GROUP-MONTHLY"] == ["xiaozu"]
    assert applies["LECTURE-SECRETARY-ANNUAL"] == ["dangzu", "zhibu"]
    assert applies["MTG-DEMOCRATIC-LIFE-ANNUAL"] == applies["MTG-DEMOCRATIC-LIFE-QUORUM"] == ["dangzu"]
    others = set(VERSION_1_IDS) - {
        "ORG-SECRETARY-IN-POST",
        "ORG-TERM-ON-TIME",
        "MTG-GROUP-MONTHLY",
        "LECTURE-SECRETARY-ANNUAL",
        "MTG-DEMOCRATIC-LIFE-ANNUAL",
        "MTG-DEMOCRATIC-LIFE-QUORUM",
    }
    assert {rule_id: applies[rule_id] for rule_id in others} == {rule_id: ["zhibu"] for rule_id in others}


def test_numbers_are_parameters():
    ruleset = load_ruleset(1)
    assert ruleset.rule("ORG-BRANCH-MIN-MEMBERS").params == {"min_formal": 3}
    assert ruleset.rule("ORG-BRANCH-MAX-MEMBERS").params == {"max_members": 50}
    assert ruleset.rule("ORG-COMMITTEE-REQUIRED").params == {
        "committee_threshold": 7,
        "min_committee_posts": 3,
    }
    assert ruleset.rule("MTG-ASSEMBLY-QUORUM").typed_params.strict is True
    life = ruleset.rule("MTG-DEMOCRATIC-LIFE-QUORUM").typed_params
    assert (life.numerator, life.denominator, life.strict) == (2, 3, False)
    assert ruleset.rule("MTG-LECTURE-QUARTERLY").typed_params.period == "quarter"


def test_uncertain_numbers_say_so_in_the_note():
    ruleset = load_ruleset(1)
    assert "BR-13" in ruleset.rule("MTG-LECTURE-QUARTERLY").note
    assert "BR-13" in ruleset.rule("LECTURE-SECRETARY-ANNUAL").note


def test_every_rule_cites_a_regulation_row_and_quotes_its_clause():
    for rule in load_ruleset(1).rules:
        assert "《" in rule.basis and "（" in rule.basis, rule.id
        assert rule.key_sentence in clause_text(rule.clause), rule.id


def test_clause_text_normalises_the_ascii_parentheses_of_the_source():
    assert clause_text("（十一）").startswith("（十一）建强支部战斗堡垒。扎实推进党支部标准化、规范化建设，")
    assert clause_text("(十一)") == clause_text("（十一）")
    assert "部门党组（党委）书记每年至少讲1次党课" in clause_text("（三）")
    assert list(all_clauses())[:3] == ["（一）", "（二）", "（三）"]
    assert len(all_clauses()) == 20
    with pytest.raises(KeyError):
        clause_text("（二十一）")


def test_published_files_are_unchanged():
    manifest = published_checksums(REPO_RULES)
    files = sorted((p.name for p in REPO_RULES.glob("v*.yaml")), key=lambda n: int(n[1:-5]))
    # every version is published except, at most, the newest one while it is being drafted; the manifest also
    # lists the published assessment schemes (dangjian.assessment.scheme), checked the same way below
    schemes = {p.name for p in REPO_RULES.glob("assessment-*.yaml")}
    assert files and set(files[:-1]) <= set(manifest) - schemes <= set(files)
    for name, digest in manifest.items():
        assert hashlib.sha256((REPO_RULES / name).read_bytes()).hexdigest() == digest, name


def test_list_versions_and_latest(rules_dir):
    write(rules_dir, RULESET)
    write(rules_dir, {**RULESET, "version": 2, "title": "测试规则第二版"}, "v2.yaml")
    (rules_dir / "notes.yaml").write_text("x: 1", encoding="utf-8")
    assert list_versions() == [1, 2]
    assert load_ruleset().title == "测试规则第二版"
    assert load_ruleset(1).title == "测试规则"


def test_unknown_version_is_an_error(rules_dir):
    write(rules_dir, RULESET)
    with pytest.raises(RulebookError, match="规则库版本 3 不存在（现有版本：1）"):
        load_ruleset(3)


def test_empty_directory_is_an_error(rules_dir):
    with pytest.raises(RulebookError, match="没有规则文件"):
        load_ruleset()


# --- malformed files --------------------------------------------------------------------------------


def test_unknown_top_level_key_is_refused(rules_dir):
    assert refused(rules_dir, {**RULESET, "author": "x"}) == "规则文件 v1.yaml：author：不允许的字段。"


def test_missing_top_level_key_is_refused(rules_dir):
    data = {k: v for k, v in RULESET.items() if k != "published"}
    assert refused(rules_dir, data) == "规则文件 v1.yaml：published：缺少必填字段。"


def test_unknown_rule_key_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(owner="x"))
    assert message == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：owner：不允许的字段。"


def test_duplicate_rule_ids_are_refused(rules_dir):
    data = copy.deepcopy(RULESET)
    data["rules"].append(copy.deepcopy(RULE))
    assert refused(rules_dir, data) == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：编号重复。"


def test_unknown_check_kind_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(check="magic"))
    assert message.startswith("规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：check：未知的检查类型“magic”")


def test_parameter_of_the_wrong_type_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(params={"min_formal": "3"}))
    assert message == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：参数无效：params.min_formal：应为整数。"


def test_missing_parameter_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(params={}))
    assert (
        message
        == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：参数无效：params.min_formal：缺少必填字段。"
    )


def test_extra_parameter_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(params={"min_formal": 3, "max": 9}))
    assert message == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：参数无效：params.max：不允许的字段。"


def test_parameter_out_of_range_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(params={"min_formal": 0}))
    assert message == "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：参数无效：params.min_formal：应≥ 1。"


def test_bad_parameter_value_is_refused(rules_dir):
    data = with_rule(
        check="periodic_meetings", params={"meeting_type": "party", "period": "week", "min_per_period": 1}
    )
    message = refused(rules_dir, data)
    assert "params.meeting_type：未知的活动类型“party”" in message
    assert "params.period：取值“week”无效，应为 'month' or 'quarter'" in message


def test_lecture_scope_must_cover_every_type_the_rule_applies_to(rules_dir):
    data = with_rule(
        check="secretary_lecture",
        applies_to=["zhibu", "dangzu"],
        params={
            "meeting_type": "lecture",
            "title": "shuji",
            "min_count": 1,
            "records_in": {"zhibu": "subtree"},
        },
    )
    assert refused(rules_dir, data).endswith("records_in 缺少适用组织类型 dangzu 的记录范围。")


def test_unknown_org_type_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(applies_to=["zhibu", "branch"]))
    assert message.startswith(
        "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：applies_to：未知的组织类型 branch"
    )


def test_bad_severity_is_refused(rules_dir):
    message = refused(rules_dir, with_rule(severity="critical"))
    assert message == (
        "规则文件 v1.yaml：规则 ORG-BRANCH-MIN-MEMBERS：severity：取值“critical”无效，应为 'required' or 'advisory'。"
    )


def test_missing_rule_field_names_the_rule_by_position_when_it_has_no_id(rules_dir):
    assert refused(rules_dir, with_rule(id=None)) == "规则文件 v1.yaml：规则 第1条：id：缺少必填字段。"


def test_bad_clause_is_refused(rules_dir):
    assert "clause：格式不符合要求" in refused(rules_dir, with_rule(clause="11"))


def test_key_written_twice_is_refused(rules_dir):
    text = (
        write(rules_dir, RULESET)
        .read_text(encoding="utf-8")
        .replace("title: 测试规则\n", "title: 测试规则\ntitle: 又一个\n")
    )
    message = refused(rules_dir, text)
    assert message.startswith("规则文件 v1.yaml 不是有效的 YAML：")
    assert "字段“title”重复" in message


def test_not_yaml_is_refused(rules_dir):
    assert refused(rules_dir, "rules: [").startswith("规则文件 v1.yaml 不是有效的 YAML：")
    assert (
        refused(rules_dir, "- 1\n- 2\n")
        == "规则文件 v1.yaml：顶层应为映射（id、version、title、published、rules）。"
    )


def test_version_must_match_the_file_name(rules_dir):
    assert refused(rules_dir, {**RULESET, "version": 2}) == "规则文件 v1.yaml：version 为 2，与文件名不符。"


def test_editing_a_published_file_is_refused(rules_dir):
    path = write(rules_dir, RULESET)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (rules_dir / "checksums.txt").write_text(f"# published\n{digest}  v1.yaml\n", encoding="utf-8")
    assert load_ruleset(1).checksum == digest
    message = refused(rules_dir, {**RULESET, "title": "改过的标题"})
    assert (
        message
        == "规则文件 v1.yaml 已发布，内容不得修改（校验和与 checksums.txt 不符）：修改规则请发布新版本。"
    )
