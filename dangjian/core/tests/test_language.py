from django.urls import reverse


def test_chinese_by_default_even_for_an_english_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_footer_switch_selects_english(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()


def test_english_catalog_is_compiled_and_used(db):
    from django.utils import translation

    with translation.override("en"):
        assert translation.gettext("操作日志") == "Audit log"


def _po_entries(path) -> dict[tuple[str, str], str]:
    """(msgctxt, msgid) → msgstr of the translated entries of a .po file (plural entries: their first form); a
    string line outside an entry fails."""
    import ast

    entries: dict[tuple[str, str], str] = {}
    fields: dict[str, str] = {}
    current = ""

    def flush() -> None:
        if "msgid" in fields and fields["msgid"] and fields.get("msgstr"):
            entries[(fields.get("msgctxt", ""), fields["msgid"])] = fields["msgstr"]
        fields.clear()

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            if not line:
                flush()
                current = ""
            continue
        if line.startswith('"'):
            # msgfmt would glue a string left alone after a blank line (merge debris) to the translation before it
            assert current, f"django.po line {number}: a string that belongs to no entry"
            fields[current] += ast.literal_eval(line)
            continue
        key, _, text = line.partition(" ")
        key = "msgstr" if key == "msgstr[0]" else key
        if key in ("msgctxt", "msgid") and "msgstr" in fields:
            flush()
        current = key
        fields[key] = ast.literal_eval(text)
    flush()
    return entries


def test_the_compiled_english_catalogue_holds_every_translation_of_the_source():
    """The committed .mo is the .po compiled (compilemessages skips a .po older than its .mo: after a merge that
    kept one side's .mo, its translations would silently be missing)."""
    import gettext
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "locale" / "en" / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    missing = []
    for (context, msgid), msgstr in _po_entries(folder / "django.po").items():
        key = f"{context}\x04{msgid}" if context else msgid
        found = catalog.get(key, catalog.get((key, 0)))
        if found != msgstr:
            missing.append(msgid)
    assert missing == []
