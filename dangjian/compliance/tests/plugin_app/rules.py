"""The test plug-in: a check kind "code_prefix" (the 组织编码 starts with a prefix), its fact provider, its
label, its link and its evidence kind — nothing in the engine names any of them."""

from __future__ import annotations

from pydantic import Field

from dangjian.compliance.facts import register_facts
from dangjian.compliance.registry import (
    REGISTRY,
    EvidenceItem,
    EvidenceRef,
    Link,
    Outcome,
    Params,
    register,
    register_evidence,
    register_param_labels,
    register_short_titles,
)


class PrefixParams(Params):
    prefix: str = Field(min_length=1)


@register_facts("test_codes")
def load_codes(ids_sq, orgs, year, as_of):
    return {org.pk: org.code for org in orgs}


@register_evidence("test_org")
def resolve_orgs(user, ids):
    return {pk: EvidenceItem(EvidenceRef("test_org", pk), None, f"组织 {pk}") for pk in ids}


def link(rule, org, status):
    return Link(f"/fix/{org.code}/", "去改编码") if status == "fail" else None


if "code_prefix" not in REGISTRY:  # the app registry may be reloaded within one test run

    @register(
        "code_prefix", PrefixParams, facts=("test_codes",), evidence="test_org", label="编码前缀", link=link
    )
    def code_prefix(facts, window, p: PrefixParams) -> Outcome:
        code = facts.extra["test_codes"]
        if code.startswith(p.prefix):
            return Outcome("pass", f"编码 {code} 以 {p.prefix} 开头。", [], [facts.ref.id])
        return Outcome("fail", f"编码 {code} 不以 {p.prefix} 开头。", [code])


register_param_labels({"prefix": "编码前缀"})
register_short_titles({"TEST-CODE-PREFIX": "编码"})
