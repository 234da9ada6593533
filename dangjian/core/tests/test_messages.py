"""core.messages: a message is kept as a msgid and its parameters and rendered in the active language."""

import ast
import copy
import datetime as dt
import json
import pickle
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

import dangjian
from dangjian.core.messages import Join, Message, dump, load, render

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")

# msgids of the English catalog (locale/en/LC_MESSAGES/django.po)
TODO = "本年度尚未%(held)s。"
HOLD = "召开%(type)s"
ASSEMBLY = "支部党员大会"
MONTHS = "%(n)s个月"
MISSING = "%(year)s年缺少%(n)s个季度的%(type)s：%(periods)s。"


def zh(value) -> str:
    with translation.override("zh-hans"):
        return str(value)


def en(value) -> str:
    with translation.override("en"):
        return str(value)


def nested() -> Message:
    return Message(TODO, held=Message(HOLD, type=Message(ASSEMBLY)))


def test_rendered_in_the_active_language():
    message = Message("已满足：%(day)s%(title)s在任。", day="2026-05-31", title=Message("书记"))
    assert zh(message) == "已满足：2026-05-31书记在任。"
    assert en(message) == "Met: on 2026-05-31 the post of Secretary was filled."


def test_nested_fragments_are_translated_too():
    assert zh(nested()) == "本年度尚未召开支部党员大会。"
    assert en(nested()) == "Still to do this year: hold the Branch general meeting."


def test_lists_are_joined_with_a_translated_separator():
    periods = Join(["2026-Q2", "2026-Q3"])
    message = Message.plural(MISSING, year=2026, n=2, type=Message(ASSEMBLY), periods=periods)
    assert zh(message) == "2026年缺少2个季度的支部党员大会：2026-Q2、2026-Q3。"
    assert en(message) == "In 2026 the Branch general meeting is missing for 2 quarters: 2026-Q2, 2026-Q3."
    assert zh(Join([])) == "" and zh(Join(["甲"])) == "甲"
    assert en(Join(["a", "b"], "；")) == "a; b"
    # a list given as a parameter is a Join with "、"; its items may be fragments
    assert Message(MISSING, periods=["a", "b"]).params["periods"] == Join(["a", "b"])
    assert en(Join([Message(ASSEMBLY), "x"])) == "Branch general meeting, x"


def test_plural_forms_follow_n():
    assert (zh(Message.plural(MONTHS, n=1)), zh(Message.plural(MONTHS, n=6))) == ("1个月", "6个月")
    assert (en(Message.plural(MONTHS, n=1)), en(Message.plural(MONTHS, n=6))) == ("1 month", "6 months")
    with pytest.raises(TypeError):
        Message.plural(MONTHS, months=6)


def test_parameters_are_kept_as_json_values():
    message = Message("x", day=dt.date(2026, 5, 1), hours=Decimal("1.50"), n=3, name="甲")
    assert message.params == {"day": "2026-05-01", "hours": "1.50", "n": 3, "name": "甲"}
    with pytest.raises(TypeError):
        Message("x", hours=1.5)
    with pytest.raises(TypeError):
        Message("x", nothing=None)


def test_to_json_and_back():
    message = Message.plural(
        MISSING,
        year=2026,
        n=2,
        type=Message(ASSEMBLY),
        periods=Join([Message(HOLD, type=Message(ASSEMBLY)), "2026-Q3"], "；"),
    )
    data = message.to_json()
    assert data == {
        "m": MISSING,
        "p": {
            "year": 2026,
            "n": 2,
            "type": {"m": ASSEMBLY},
            "periods": {"j": [{"m": HOLD, "p": {"type": {"m": ASSEMBLY}}}, "2026-Q3"], "s": "；"},
        },
        "n": 1,
    }
    assert json.loads(json.dumps(data)) == data  # plain JSON
    again = Message.from_json(json.loads(json.dumps(data)))
    assert again == message and hash(again) == hash(message)
    assert (zh(again), en(again)) == (zh(message), en(message))
    assert Join(["a"]).to_json() == {"j": ["a"]}  # the default separator is left out


def test_a_hash_is_computed_once_and_never_travels(monkeypatch):
    message = Message.plural(MONTHS, n=2)
    assert hash(message) == hash(Message.plural(MONTHS, n=2)) != hash(Message(MONTHS, n=2))
    calls = []
    real_sorted = sorted
    monkeypatch.setattr("builtins.sorted", lambda *a, **k: calls.append(1) or real_sorted(*a, **k))
    kept = hash(message)
    assert {message: 1}[Message.plural(MONTHS, n=2)] == 1
    assert hash(message) == kept and len(calls) == 1  # only the new message's hash was computed
    monkeypatch.undo()
    # pickled (a process pool's results) or copied: the hash is computed again where it is used, since another
    # process hashes strings differently
    for other in (pickle.loads(pickle.dumps(message)), copy.copy(message), copy.deepcopy(message)):
        assert other._hash is None
        assert other == message and hash(other) == kept and other.is_plural


def test_equality():
    assert nested() == nested() and hash(nested()) == hash(nested())
    assert Message("x", a=1, b=2) == Message("x", b=2, a=1)
    assert hash(Message("x", a=1, b=2)) == hash(Message("x", b=2, a=1))
    assert Message(MONTHS, n=2) != Message.plural(MONTHS, n=2)
    assert Message(HOLD, type="a") != Message(HOLD, type="b")
    # a str compares with the rendering in the active language
    with translation.override("zh-hans"):
        assert nested() == "本年度尚未召开支部党员大会。" and "本年度尚未召开支部党员大会。" == nested()
        assert "支部党员大会" in nested() and nested().startswith("本年度") and nested().endswith("。")
        assert (nested(), 1) == ("本年度尚未召开支部党员大会。", 1)
    with translation.override("en"):
        assert nested() == "Still to do this year: hold the Branch general meeting."
        assert nested() != "本年度尚未召开支部党员大会。"
    assert nested() != 1


def test_a_literal_percent_sign_is_doubled_in_the_msgid():
    message = Message.plural(
        "已满足：%(n)s次选举的候选人数均比应选名额多%(percent)s%%以上。", n=2, percent=20
    )
    assert zh(message) == "已满足：2次选举的候选人数均比应选名额多20%以上。"
    assert en(message) == "Met: at all 2 elections the candidates outnumbered the seats by 20% or more."


def test_stored_values_and_plain_texts():
    """dump/load/render: a message as its dict, a plain text (a check that does not translate, a row kept
    before messages were translatable) as it is."""
    assert dump(nested()) == nested().to_json()
    assert load(dump(nested())) == nested()
    assert render(dump(nested())) == zh(nested())
    with translation.override("en"):
        assert render(dump(nested())) == en(nested()) == render(nested())
        assert render("本年度尚未召开支部党员大会。") == "本年度尚未召开支部党员大会。"
    assert dump("plain") == "plain" and load("plain") == "plain"
    assert load(None) == "" and render(None) == ""
    with pytest.raises(TypeError):
        dump(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Message.from_json({"m": "x", "p": {"a": 1.5}})


def test_repr_names_the_msgid():
    assert repr(Message.plural(MONTHS, n=2)) == "Message.plural('%(n)s个月', n=2)"
    assert repr(Join(["a"])) == "Join(['a'], '、')"


# --- the English catalog has every msgid of a kept message -------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def kept_msgids():
    """(msgid, plural, where) of every `Message("…")` and `Message.plural("…")` in the project's code, and of
    `gettext_noop("…")` in the modules that build messages (fragments and separators chosen at run time)."""
    root = Path(dangjian.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        source = path.read_text(encoding="utf-8")
        if "dangjian.core.messages" not in source and path.name != "messages.py":
            continue
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            msgid, func, where = node.args[0].value, node.func, f"{path.relative_to(root)}:{node.lineno}"
            if isinstance(func, ast.Name) and func.id in ("Message", "gettext_noop"):
                yield msgid, False, where
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "plural"
                and getattr(func.value, "id", "") == "Message"
            ):
                yield msgid, True, where


def test_every_kept_message_has_an_english_translation_with_the_same_placeholders():
    found = list(kept_msgids())
    assert len(found) > 130  # the checks' messages are found
    problems = []
    with translation.override("en"):
        for msgid, plural, where in found:
            forms = (
                [translation.ngettext(msgid, msgid, 1), translation.ngettext(msgid, msgid, 2)]
                if plural
                else [translation.gettext(msgid)]
            )
            for text in forms:
                if text == msgid and CJK.search(msgid):
                    problems.append(f"{where}: no English for {msgid!r}")
                elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)):
                    problems.append(f"{where}: the English {text!r} has other placeholders than {msgid!r}")
    assert problems == []


def test_a_message_without_parameters_is_its_text():
    assert zh(Message("差额比例（%）")) == "差额比例（%）"
