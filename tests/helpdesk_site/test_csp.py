"""Content-Security-Policy on every response, and no inline script or style left in our
templates or in HTML built in Python (email templates excepted: mail clients need inline
styles). The pages in a real browser: tests/e2e/test_csp_browser.py."""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=\s*[\"']"
                    r"|javascript:", re.I)
MAIL_TEMPLATE = re.compile(r"(^|/)(mail|email)/")


def our_templates():
    for path in sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(".venv") and not MAIL_TEMPLATE.search(relative):
            yield relative


def python_modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith((".venv", "tests/", "bench/")) and "/migrations/" not in relative:
            yield relative


@pytest.mark.parametrize("relative", list(our_templates()))
def test_no_inline_script_or_style_in_templates(relative):
    assert INLINE.findall((ROOT / relative).read_text()) == []


def test_no_inline_style_in_html_built_in_python():
    found = {relative: INLINE.findall((ROOT / relative).read_text()) for relative in python_modules()}
    assert {relative: hits for relative, hits in found.items() if hits} == {}


@pytest.mark.django_db
@pytest.mark.parametrize("path,status", [("/accounts/login/", 200), ("/", 302),
                                         ("/admin/login/", 200), ("/nope/", 404)])
def test_every_response_has_the_policy(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    policy = dict(part.strip().split(" ", 1) for part in
                  response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"


def test_the_policy_and_view_decorators_apply(rf):
    from csp.decorators import csp_exempt, csp_update
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def plain(request):
        return HttpResponse("ok")

    @csp_update({"img-src": ["https://images.example"]})
    def updated(request):
        return HttpResponse("ok")

    @csp_exempt()
    def exempt(request):
        return HttpResponse("ok")

    def policy(view):
        return CSPMiddleware(view)(rf.get("/")).get("Content-Security-Policy")

    assert "default-src 'self'" in policy(plain)
    assert "img-src https://images.example" in policy(updated)
    assert policy(exempt) is None
