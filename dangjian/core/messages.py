"""Messages that are kept and shown later, in the viewer's language.

A compliance check runs in whatever language the refresh happens to run in, and its results are kept in the
database (`compliance.kept`) for pages shown later in the viewer's language. So a check does not format its
message: it returns a `Message`, a gettext msgid (the Simplified Chinese text, as everywhere in the interface,
with named `%(name)s` placeholders so that a translation may reorder them) and its parameters. The message is
rendered — `str(message)` — in the language active at that moment: `gettext(msgid) % params`.

A parameter is
- data, shown as it is: a `str` (a name, a date "2026-05-31", a period "2026-Q2") or an `int`
  (a `Decimal` or a date given as a parameter is turned into its `str` at once, so that the message is the same
  after being kept);
- a translatable fragment: a nested `Message` (a choice label such as `Message("支部党员大会")`, a phrase);
- a list of those: a `Join`, whose separator is itself a msgid ("、" is ", " in English). A `list` or `tuple`
  given as a parameter becomes a `Join` with "、".

A msgid with parameters writes a literal "%" as "%%"; a msgid without any is shown as it is.

`Message.plural(msgid, n=…)` chooses the plural form by the parameter `n` (`ngettext`, with the same Chinese
text as singular and plural msgid; English has "1 quarter", "3 quarters").

`to_json()` / `Message.from_json()` turn a message into a plain, nested dict for a JSON column and back:
`{"m": msgid, "p": {name: value}, "n": 1}` ("p" left out without parameters, "n" only for a plural message),
a `Join` `{"j": [values], "s": separator}` ("s" left out for "、"). `dump`, `load` and `render` also accept a
plain `str`: the text of a check that does not translate its messages, or of a row kept before messages were
translatable, is stored and shown as it is.

A message compares equal to another message with the same msgid and parameters, and to a `str` equal to its
rendering in the active language (so that `result.message == "已满足：…"` reads naturally in tests).

`dangjian makemessages` (core/management/commands/makemessages.py) extracts the msgids of `Message(…)` and
`Message.plural(…)` calls; the English translations are in `locale/en/LC_MESSAGES/django.po`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from django.core.signals import setting_changed
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

LIST_SEPARATOR = gettext_noop("、")

# (language, msgid) → its translation: rendering the kept results of a city looks up a few hundred msgids
# hundreds of thousands of times; a message and its fragments read the active language once
_translated: dict[tuple[str | None, str], str] = {}


def _gettext(msgid: str, language: str | None) -> str:
    key = (language, msgid)
    text = _translated.get(key)
    if text is None:
        text = _translated[key] = gettext(msgid)
    return text


def _forget_translations(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:  # Django reloads its catalogs too
        _translated.clear()


setting_changed.connect(_forget_translations)

Value: TypeAlias = "str | int | Message | Join"
Stored: TypeAlias = "dict[str, Any] | str"


PLAIN = frozenset({str, int})  # data parameters (exact types: the fast path of a hot loop)


def _value(value: Any) -> Value:
    """A parameter as kept: data as str or int, fragments as Message or Join."""
    if isinstance(value, (str, int, Message, Join)):  # bool is an int: shown as True/False, avoid it
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (list, tuple)):
        return Join(value)
    raise TypeError(f"a message parameter must be str, int, Decimal, date, Message or a list, not {value!r}")


def _shown(value: Value, language: str | None) -> str | int:
    if isinstance(value, (Message, Join)):
        return value._render(language)
    return value


def _dump(value: Value) -> Any:
    if isinstance(value, (Message, Join)):
        return value.to_json()
    return value


def _load(value: Any) -> Value:
    if isinstance(value, (str, int)):
        return value
    if isinstance(value, dict):
        return Join.from_json(value) if "j" in value else Message.from_json(value)
    raise ValueError(f"not a kept message parameter: {value!r}")


class Message:
    """A msgid and its parameters, rendered by `str()` in the active language. Not changed once made: its JSON
    form is computed once (a fragment shared by many messages, a period's label or a member's shortfall, is
    dumped once for all of them when a city's results are kept)."""

    __slots__ = ("_hash", "_json", "is_plural", "msgid", "params")

    msgid: str
    params: dict[str, Value]
    is_plural: bool

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = msgid
        for name, value in params.items():  # a dict of this call's own
            if type(value) not in _KEPT:
                params[name] = _value(value)
        self.params = params
        self.is_plural = False
        self._json: dict[str, Any] | None = None
        self._hash: int | None = None

    @classmethod
    def plural(cls, msgid: str, /, **params: Any) -> Message:
        """A message whose form depends on the integer parameter `n`."""
        if not isinstance(params.get("n"), int):
            raise TypeError("a plural message needs an integer parameter n")
        message = cls(msgid, **params)
        message.is_plural = True
        return message

    def __str__(self) -> str:
        return self._render(get_language())

    def _render(self, language: str | None) -> str:
        """The rendering in `language`, which must be the active one (__str__ reads it once for the message and
        its parts: the translations are cached per language)."""
        if self.is_plural:
            n = self.params["n"]
            assert isinstance(n, int)
            text = ngettext(self.msgid, self.msgid, n)
        else:
            text = _gettext(self.msgid, language)
        if not self.params:  # the text as it is (a choice's label may hold a "%")
            return text
        return text % {name: _shown(value, language) for name, value in self.params.items()}

    def __repr__(self) -> str:
        params = "".join(f", {name}={value!r}" for name, value in self.params.items())
        return f"Message{'.plural' if self.is_plural else ''}({self.msgid!r}{params})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.is_plural, self.params) == (other.msgid, other.is_plural, other.params)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:  # of the message, not of its rendering (a str equal to it hashes differently)
        # computed once: a member's shortfall groups tens of thousands of members by their message
        if self._hash is None:
            self._hash = hash((self.msgid, self.is_plural, tuple(sorted(self.params.items()))))
        return self._hash

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """Pickled or copied without its hash: another process hashes strings differently."""
        return None, {
            "msgid": self.msgid,
            "params": self.params,
            "is_plural": self.is_plural,
            "_json": self._json,
            "_hash": None,
        }

    # a few str methods on the rendering, for callers (and tests) that read the text
    def __contains__(self, text: str) -> bool:
        return text in str(self)

    def startswith(self, prefix: str | tuple[str, ...]) -> bool:
        return str(self).startswith(prefix)

    def endswith(self, suffix: str | tuple[str, ...]) -> bool:
        return str(self).endswith(suffix)

    def to_json(self) -> dict[str, Any]:
        """The stored form (shared: the caller must not change it)."""
        if self._json is not None:
            return self._json
        data: dict[str, Any] = {"m": self.msgid}
        if self.params:
            data["p"] = {name: v if type(v) in PLAIN else _dump(v) for name, v in self.params.items()}
        if self.is_plural:
            data["n"] = 1
        self._json = data
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        message = cls.__new__(cls)  # the parameters are JSON values already
        message.msgid = data["m"]
        params = data.get("p")
        message.params = {name: _load(value) for name, value in params.items()} if params else {}
        message.is_plural = bool(data.get("n"))
        message._json = None
        message._hash = None
        return message


class Join:
    """Items (data or fragments) joined by a translated separator ("、" by default). Not changed once made (its
    JSON form is computed once, as a Message's)."""

    __slots__ = ("_json", "items", "sep")

    items: tuple[Value, ...]
    sep: str

    def __init__(self, items: Iterable[Any], sep: str = LIST_SEPARATOR) -> None:
        self.items = tuple(_value(item) for item in items)
        self.sep = sep
        self._json: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self._render(get_language())

    def _render(self, language: str | None) -> str:
        return _gettext(self.sep, language).join(str(_shown(item, language)) for item in self.items)

    def __repr__(self) -> str:
        return f"Join({list(self.items)!r}, {self.sep!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Join):
            return (self.items, self.sep) == (other.items, other.sep)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.items, self.sep))

    def __bool__(self) -> bool:
        return bool(self.items)

    def to_json(self) -> dict[str, Any]:
        """The stored form (shared: the caller must not change it)."""
        if self._json is not None:
            return self._json
        data: dict[str, Any] = {"j": [_dump(item) for item in self.items]}
        if self.sep != LIST_SEPARATOR:
            data["s"] = self.sep
        self._json = data
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Join:
        join = cls.__new__(cls)
        join.items = tuple(_load(item) for item in data["j"])
        join.sep = data.get("s", LIST_SEPARATOR)
        join._json = None
        return join


# the exact types a parameter is kept as (the fast path of the hot loops of a city-wide evaluation)
_KEPT = frozenset({str, int, Message, Join})


def dump(message: Message | str) -> Stored:
    """What to store in a JSON column: a message's dict, or a plain text as it is."""
    if isinstance(message, Message):
        return message.to_json()
    if isinstance(message, str):
        return message
    raise TypeError(f"not a message: {message!r}")


def load(value: Stored | None) -> Message | str:
    """A stored message back: a Message from its dict, a plain text (an old row) as it is."""
    if isinstance(value, dict):
        return Message.from_json(value)
    return value or ""


def render(value: Message | Stored | None) -> str:
    """The text in the active language of a message, a stored message or a plain text."""
    if isinstance(value, dict):
        value = Message.from_json(value)
    return str(value) if value is not None else ""
