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


# at most this many letters of a pinyin search are read (a name's syllables are few)
SEARCH_LETTERS = 30


def search_pattern(query: str) -> str | None:
    """A regular expression over the stored key (`name_key`) matching the names a pinyin search means, or None when
    the query is not pinyin (anything but Latin letters and spaces). Each syllable of the name gives a prefix of
    itself, in order from the first: "wangfang", "wangf", "wf" and "wang f" all find 王芳 ("wang fang"), "wf" finds
    王芳 and 吴飞 but not 汪涵; the same expression on PostgreSQL and on SQLite (Django gives it a REGEXP)."""
    letters = "".join(query.split()).lower()
    if not letters or len(letters) > SEARCH_LETTERS or not letters.isascii() or not letters.isalpha():
        return None
    # between two letters of the query: the same syllable goes on, or the rest of it and the space are skipped
    return "^" + "(?:[a-z]* )?".join(letters)
