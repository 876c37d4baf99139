"""CSV exports neutralise formula injection in every text cell (credits/csv_export.py)."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from credits import services
from credits.csv_export import csv_cell, csv_writer
from credits.models import CreditAccount


@pytest.mark.parametrize("value", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                   "\t=1", "\r=1", "=HYPERLINK(\"x\")"])
def test_text_a_spreadsheet_would_evaluate_gets_an_apostrophe(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", " =1 is text", "a=b", "", "-5", "+300", "-1.5",
                                   7, -7, None])
def test_other_cells_are_left_alone(value):
    assert csv_cell(value) == value


def test_every_cell_of_a_row_is_guarded():
    out = io.StringIO()
    csv_writer(out).writerow(["=a", "ok", "@b", 3, "-c"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=a", "ok", "'@b", "3", "'-c"]


def test_every_export_uses_the_one_writer():
    """No CSV writer outside credits/csv_export.py: a new export cannot forget the guard."""
    base = Path(settings.BASE_DIR)
    offenders = [str(path.relative_to(base)) for path in base.glob("*/**/*.py")
                 if not {".venv", "tests", "node_modules"} & set(path.parts)
                 and path.name != "csv_export.py"
                 and ("csv.writer(" in (text := path.read_text()) or "csv.DictWriter(" in text)]
    assert offenders == []


@pytest.mark.django_db
def test_the_ledger_export_guards_every_text_column(client, two_orgs):
    services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=50,
                           reason="@SUM(1)", actor=two_orgs.agent)
    two_orgs.agent.full_name = "=cmd()"
    two_orgs.agent.save()
    client.force_login(two_orgs.maria)
    response = client.get(reverse("credits:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][3:] == ["+50", "50", "'@SUM(1)", "'=cmd()"]
    assert CreditAccount.objects.get(organization=two_orgs.acme).balance_minutes == 50
