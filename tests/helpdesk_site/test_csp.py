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


def views():
    from django.http import HttpResponse

    from helpdesk.middleware import policy_update

    def plain(request):
        return HttpResponse("ok")

    @policy_update({"img-src": ["https://images.example"]})
    def updated(request):
        return HttpResponse("ok")

    def own(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    def missing(request):
        return HttpResponse("nope", status=404)

    return plain, updated, own, missing


def policy(rf, view, path="/"):
    from helpdesk.middleware import ContentSecurityPolicyMiddleware

    return ContentSecurityPolicyMiddleware(view)(rf.get(path)).get("Content-Security-Policy")


def test_the_policy_and_view_decorators_apply(rf):
    plain, updated, own, missing = views()
    assert "default-src 'self'" in policy(rf, plain)
    assert "img-src https://images.example" in policy(rf, updated)
    assert policy(rf, own) == "default-src 'none'"  # a view's own header is kept
    assert policy(rf, missing) == policy(rf, plain)


def test_the_policy_is_django_csps_byte_for_byte(rf):
    """The header built once is what django-csp's build_policy and its own middleware send,
    for a plain response and for a view's update (csp_update's)."""
    from csp.decorators import csp_update
    from csp.middleware import CSPMiddleware
    from csp.utils import build_policy

    plain, updated, _own, _missing = views()

    @csp_update({"img-src": ["https://images.example"]})
    def csp_updated(request):
        return plain(request)

    assert policy(rf, plain) == build_policy()
    assert policy(rf, plain) == CSPMiddleware(plain)(rf.get("/"))["Content-Security-Policy"]
    assert policy(rf, updated) == CSPMiddleware(csp_updated)(rf.get("/"))["Content-Security-Policy"]
    assert policy(rf, updated) == build_policy(update={"img-src": ["https://images.example"]})


@pytest.mark.django_db
def test_a_page_sends_django_csps_policy(client):
    from csp.utils import build_policy

    response = client.get("/accounts/login/")
    assert response["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in response


def test_report_only_excluded_prefixes_and_debug_pages(rf, settings):
    plain, _updated, _own, missing = views()
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY,
                                        "EXCLUDE_URL_PREFIXES": ["/outside/"]}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    from helpdesk.middleware import ContentSecurityPolicyMiddleware

    response = ContentSecurityPolicyMiddleware(plain)(rf.get("/"))
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert policy(rf, plain, "/outside/page/") is None
    settings.DEBUG = True
    assert policy(rf, missing) is None  # Django's debug 404 page, as django-csp leaves it
    assert policy(rf, plain) is not None


def test_a_nonce_in_the_policy_is_refused(settings):
    from csp.constants import NONCE
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk.middleware import ContentSecurityPolicyMiddleware

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    with pytest.raises(ImproperlyConfigured):
        ContentSecurityPolicyMiddleware(lambda request: None)


def test_django_csps_per_response_api_is_not_used():
    """The middleware reads no view decorator nor nonce of django-csp's (they live in
    private attributes): a view that needs more uses helpdesk.middleware.policy_update."""
    used = re.compile(r"csp\.(decorators|middleware|context_processors)|csp_nonce|\{% *csp")
    found = [relative for relative in [*python_modules(), *our_templates()]
             if used.search((ROOT / relative).read_text())]
    assert found == []
