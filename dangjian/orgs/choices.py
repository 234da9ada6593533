from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.choices import chinese_label, label_to_value  # noqa: F401  (re-exported)


class OrgType(models.TextChoices):
    GONGWEI = "gongwei", _("工委")
    DANGZU = "dangzu", _("党组")
    DANGWEI = "dangwei", _("党委")
    ZONGZHI = "zongzhi", _("党总支")
    ZHIBU = "zhibu", _("党支部")
    XIAOZU = "xiaozu", _("党小组")


# Which types each type may hang under (None: it is the root).
ALLOWED_PARENTS: dict[str, frozenset[str] | None] = {
    OrgType.GONGWEI: None,
    OrgType.DANGZU: frozenset({OrgType.GONGWEI}),
    OrgType.DANGWEI: frozenset({OrgType.GONGWEI}),
    OrgType.ZONGZHI: frozenset({OrgType.DANGWEI}),
    OrgType.ZHIBU: frozenset({OrgType.DANGWEI, OrgType.ZONGZHI}),
    OrgType.XIAOZU: frozenset({OrgType.ZHIBU}),
}

# 任期年限 when none is given (党章 第三十一条; 《关于党的基层组织任期的意见》: see EL-01, ORG-01..03).
DEFAULT_TERM_YEARS: dict[str, int] = {
    OrgType.DANGWEI: 5,
    OrgType.ZONGZHI: 3,
    OrgType.ZHIBU: 3,
}

# Organisations a member can belong to directly.
MEMBER_ORG_TYPES = frozenset({OrgType.ZHIBU, OrgType.XIAOZU})


class PostTitle(models.TextChoices):
    SECRETARY = "shuji", _("书记")
    DEPUTY_SECRETARY = "fushuji", _("副书记")
    ORGANIZATION = "zuzhi", _("组织委员")
    PROPAGANDA = "xuanchuan", _("宣传委员")
    DISCIPLINE = "jijian", _("纪检委员")
    COMMITTEE = "weiyuan", _("委员")
    GROUP_LEADER = "xiaozuzhang", _("党小组长")


COMMITTEE_TITLES = frozenset(
    {
        PostTitle.SECRETARY,
        PostTitle.DEPUTY_SECRETARY,
        PostTitle.ORGANIZATION,
        PostTitle.PROPAGANDA,
        PostTitle.DISCIPLINE,
        PostTitle.COMMITTEE,
    }
)


def allowed_titles(org_type: str) -> frozenset[str]:
    if org_type == OrgType.XIAOZU:
        return frozenset({PostTitle.GROUP_LEADER})
    return COMMITTEE_TITLES
