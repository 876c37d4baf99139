"""Locate the shared mail corpus (../shared/mail-corpus beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings


def corpus_dir() -> Path:
    """The corpus directory; skips outside CI when it is absent, fails in CI."""
    candidates = [Path(settings.BASE_DIR).parent / "shared" / "mail-corpus"]
    if os.environ.get("MAIL_CORPUS_DIR"):
        candidates.append(Path(os.environ["MAIL_CORPUS_DIR"]))
    for candidate in candidates:
        if (candidate / "MANIFEST.tsv").is_file():
            return candidate
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"mail corpus not found in {candidates} (CI=true)")
    pytest.skip(f"mail corpus not found in {candidates}; set MAIL_CORPUS_DIR")


def manifest(kind: str) -> list[str]:
    root = corpus_dir()
    rows = (line.split("\t") for line in (root / "MANIFEST.tsv").read_text().splitlines()[1:])
    return [path for path, file_kind in rows if file_kind.strip() == kind]
