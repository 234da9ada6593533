"""The theme's main action is the red `btn-dj`: no template uses Bootstrap's blue `btn-primary` beside it (the
annual assessment's and the export's buttons were blue while every other main action was red)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def test_no_template_uses_bootstraps_blue_primary_button():
    found = [
        str(path.relative_to(TEMPLATES))
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "btn-primary" in path.read_text(encoding="utf-8")
    ]
    assert TEMPLATES.is_dir() and len(list(TEMPLATES.rglob("*.html"))) > 50
    assert found == []
