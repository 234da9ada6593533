"""The sort key of a person's name in pinyin order (拼音序), the order a 党务干部 expects of a roster.

Code point order puts 任, 刘, 周, 孙, 张 in that order; pinyin order is 刘 liu, 任 ren, 孙 sun, 张 zhang, 周 zhou.
The key is computed in Python with `pypinyin` and stored beside the name (`Member.name_pinyin`), so that lists
are ordered by one indexed column with the same result on SQLite and PostgreSQL (an ICU collation exists only on
PostgreSQL, and only where the server was built with ICU). Lists built in Python sort with the same function.

The key is the syllables without tones, lower case, separated by a space (which sorts before every letter, so
张三 "zhang san" comes before 张三丰 "zhang san feng" and 张 "zhang" before 章安 "zhang an"). Homophones get the
same key: lists add the name itself (code point, which keeps the same characters together) and the id.
A surname read differently from the common reading (曾 zeng, 单 shan, 解 xie ...) is read as a surname."""

from __future__ import annotations

from functools import lru_cache

# Surnames whose reading as a surname differs from pypinyin's reading of the lone character.
SURNAMES = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "繁": "po",
    "召": "shao",
    "尉": "yu",
    "洗": "xian",
    "种": "chong",
}

# Long enough for any name of `Member.name` (50 characters, each at most 6 letters and a space).
MAX_LENGTH = 350


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """`name`'s pinyin sort key: "刘德华" → "liu de hua", "曾国藩" → "zeng guo fan"; other characters kept
    in lower case ("Tom李" → "tom li")."""
    name = (name or "").strip()
    if not name:
        return ""
    # imported on first use: pypinyin's dictionaries take about 56 MB, which a web or worker process that
    # never writes a name (nor sorts names it has not read from the database) does not need to hold
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name, style=Style.NORMAL)
    if name[0] in SURNAMES:  # a Chinese character: its own syllable, the first
        syllables[0] = SURNAMES[name[0]]
    return " ".join(syllables).lower()[:MAX_LENGTH]
