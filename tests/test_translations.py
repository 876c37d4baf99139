"""The Spanish catalog is complete and the committed .mo matches the .po."""

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LC = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"


def _needs(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} (gettext) is missing in CI")
        pytest.skip(f"{tool} (gettext) is not installed")


def test_every_message_has_a_spanish_translation():
    _needs("msgattrib")
    out = subprocess.run(["msgattrib", "--untranslated", "--only-fuzzy", str(LC / "django.po")],
                         capture_output=True, text=True, check=True).stdout
    fuzzy = out.count("\nmsgid ")
    out = subprocess.run(["msgattrib", "--untranslated", str(LC / "django.po")],
                         capture_output=True, text=True, check=True).stdout
    untranslated = [line for line in out.splitlines() if line.startswith("msgid ")][1:]
    assert untranslated == [] and fuzzy == 0


def test_committed_mo_matches_the_po(tmp_path):
    _needs("msgfmt")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(LC / "django.po")], check=True)
    with fresh.open("rb") as a, (LC / "django.mo").open("rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog
