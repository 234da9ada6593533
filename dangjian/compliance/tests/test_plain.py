"""A rule's basis and note in plain words: the research remarks (reference codes, confidence, 条号推定,
parameter keys, version notes) are left out, the articles and the rule's content stay."""

from __future__ import annotations

from dangjian.compliance.plain import plain_basis, plain_note
from dangjian.compliance.rulebook import load_ruleset


def test_basis_keeps_the_article_and_drops_nested_research_remarks():
    basis = (
        "《中国共产党支部工作条例（试行）》第十五条（BR-12，党委（党组）书记每年至少讲1次党课；条号推定）；"
        "党支部书记每年至少讲1次为地方规定（BR-13）"
    )
    assert (
        plain_basis(basis) == "《中国共产党支部工作条例（试行）》第十五条；党支部书记每年至少讲1次为地方规定"
    )
    assert (
        plain_basis("2019—2023年全国党员教育培训工作规划（EDU-09，MEDIUM）")
        == "2019—2023年全国党员教育培训工作规划"
    )
    assert plain_basis(
        "《中国共产党发展党员工作细则》（2014）（条号待核，第三方资料作第二十五条）（DEV-15）"
    ) == ("《中国共产党发展党员工作细则》（2014）")
    kept = "《中国共产党章程》第七条（党龄从转为正式党员之日算起）"
    assert plain_basis(kept) == kept  # a remark that is content stays


def test_note_drops_provenance_sentences_and_names_rules_by_title():
    note = (
        "来源不确定（BR-13 为 LOW）：条例原文只要求党员“按期”参加党课，故周期和次数为参数。"
        "党费数额每年年初核定（FEE-12，来源可信度中等），工资变动自变动当月起执行（FEE-09）。"
        "到会人数另见 MTG-ASSEMBLY-QUORUM。是否严格为参数 strict（第5版为 false）。"
    )
    titles = {"MTG-ASSEMBLY-QUORUM": "支部党员大会到会正式党员超过半数"}
    assert plain_note(note, titles) == (
        "党费数额每年年初核定，工资变动自变动当月起执行。到会人数另见“支部党员大会到会正式党员超过半数”。"
    )


def test_no_published_rule_shows_provenance_in_plain_words():
    import re

    marks = re.compile(r"[A-Z]{2,}-\d+\b|条号|待核|MEDIUM|\bLOW\b|HIGH|可信度|来源不确定|\b[a-z]+_[a-z_]+\b")
    ruleset = load_ruleset()
    titles = {r.id: r.title for r in ruleset.rules}
    for rule in ruleset.rules:
        basis, note = plain_basis(rule.basis), plain_note(rule.note, titles)
        assert (basis and "《" in basis) or "规划" in basis or "意见" in basis, rule.id
        assert marks.search(basis) is None and marks.search(note) is None, (rule.id, basis, note)


def test_a_rule_id_in_a_remark_is_named_by_its_title_even_when_it_ends_in_a_number():
    titles = {"MEM-ABROAD-STUDY-5Y": "出国（境）学习研究党员", "MEM-MOBILE-CONTACT": "流动党员定期联系"}
    note = "由支部保持定期联系（MEM-MOBILE-CONTACT），学习满期的另行研究处理（MEM-ABROAD-STUDY-5Y），依规处理（FEE-08）。"
    assert plain_note(note, titles) == (
        "由支部保持定期联系（“流动党员定期联系”），学习满期的另行研究处理（“出国（境）学习研究党员”），依规处理。"
    )
    # the v8 note of MEM-TRANSFER-DUE names both rules
    rules = load_ruleset(8)
    found = plain_note(rules.rule("MEM-TRANSFER-DUE").note, {r.id: r.title for r in rules.rules})
    assert f"“{rules.rule('MEM-ABROAD-STUDY-5Y').title}”" in found
