"""A customer's or an agent's browser over real HTTP (requests), for tests against gunicorn:
logs in and submits tickets through the real forms (CSRF token and submission key read from
the page, as a browser sends them), posts files (multipart), follows redirects when asked.
One instance is one person's browser; its cookies go to every web process it is pointed at
(a load balancer in front of them: pass a full URL instead of a path).

Behind a TLS proxy (`tls_proxy=True`): every request says X-Forwarded-Proto: https, the
secure cookies go back over the plain HTTP hop, and with `site_url` the browser sends the
public Host, Origin and Referer of that URL, as a real proxy passes them on."""

from __future__ import annotations

import http.cookiejar
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests
from requests.cookies import get_cookie_header

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY_INPUT = re.compile(r'name="submission_key" value="([^"]+)"')
TIMEOUT_SECONDS = 60

# (form field, file name, content), as a browser's file input sends it.
Upload = tuple[str, str, bytes]


class ProxiedTlsPolicy(http.cookiejar.DefaultCookiePolicy):
    """The browser talks https to the proxy: secure cookies go back (the proxy forwards them
    to gunicorn over plain HTTP)."""

    def return_ok_secure(self, cookie, request):
        return True


class ProxiedTlsSession(requests.Session):
    """A session whose Cookie header comes from its own jar under ProxiedTlsPolicy, also
    on redirects (requests otherwise copies the cookies into a jar of default policy, which
    keeps secure cookies off a plain HTTP URL)."""

    def __init__(self):
        super().__init__()
        self.cookies.set_policy(ProxiedTlsPolicy())

    def _cookie_header(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers.pop("Cookie", None)
        cookie = get_cookie_header(self.cookies, prepared)
        if cookie:
            prepared.headers["Cookie"] = cookie

    def prepare_request(self, request):
        prepared = super().prepare_request(request)
        self._cookie_header(prepared)
        return prepared

    def rebuild_auth(self, prepared_request, response):
        super().rebuild_auth(prepared_request, response)
        self._cookie_header(prepared_request)


@dataclass
class WebClient:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    follow: bool = False  # follow redirects (each request may say otherwise)
    site_url: str | None = None  # the public URL: Host, Origin and Referer come from it
    tls_proxy: bool = False
    statuses: list[int] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self):
        if self.tls_proxy:
            self.session = ProxiedTlsSession()
            self.session.headers["X-Forwarded-Proto"] = "https"
        self.session.headers.update(self.headers)
        if self.site_url:
            self.session.headers.update({"Host": urlsplit(self.site_url).netloc,
                                         "Origin": self.site_url})

    @classmethod
    def force_login(cls, base_url: str, user, **kwargs) -> WebClient:
        """A browser already logged in as `user` (a session made by Django's test client)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        web = cls(base_url, **kwargs)
        name = settings.SESSION_COOKIE_NAME
        web.session.cookies.set(name, client.cookies[name].value)
        return web

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def _record(self, response: requests.Response) -> requests.Response:
        self.statuses.extend(r.status_code for r in (*response.history, response))
        return response

    def get(self, path: str, *, follow: bool | None = None, **kwargs) -> requests.Response:
        follow = self.follow if follow is None else follow
        return self._record(self.session.get(self.url(path), allow_redirects=follow,
                                             timeout=TIMEOUT_SECONDS, **kwargs))

    def post_form(self, path: str, data: dict, *, page: requests.Response | None = None,
                  files: list[Upload] | None = None, follow: bool | None = None
                  ) -> requests.Response:
        """POST `data` (and `files`, multipart) to `path` with the CSRF token of `page` (by
        default, GET `path`), or of the CSRF cookie when the page has no form."""
        page = page if page is not None else self.get(path)
        token = CSRF_INPUT.search(page.text)
        token = token.group(1) if token else self.session.cookies.get("csrftoken")
        assert token, f"no CSRF token on {path} ({page.status_code})"
        referer = (self.site_url + urlsplit(self.url(path)).path if self.site_url
                   else self.url(path))
        follow = self.follow if follow is None else follow
        upload = [(name, (filename, content)) for name, filename, content in files or ()]
        return self._record(self.session.post(
            self.url(path), data={"csrfmiddlewaretoken": token, **data}, files=upload or None,
            headers={"Referer": referer}, allow_redirects=follow, timeout=TIMEOUT_SECONDS))

    def login(self, email: str, password: str, *, path: str = "/accounts/login/",
              **extra: str) -> requests.Response:
        return self.post_form(path, {"username": email, "password": password, **extra})

    def submit_ticket(self, *, department_code: str, subject: str, message: str,
                      files: list[Upload] | None = None, base_url: str | None = None
                      ) -> requests.Response:
        """The department's submit form, filled and posted (redirects as `self.follow`)."""
        path = f"{base_url or ''}/tickets/new/{department_code}/"
        page = self.get(path)
        key = SUBMISSION_KEY_INPUT.search(page.text)
        assert key, f"no submission form on {path} ({page.status_code}): {page.text[:2000]}"
        return self.post_form(path, {"submission_key": key.group(1), "subject": subject,
                                     "message": message}, page=page, files=files)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "checkbox", "submit"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and attrs.get("value") \
                and not self.fields[self._select]:
            self.fields[self._select] = attrs["value"]

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(page: requests.Response | str) -> dict[str, str]:
    """The fields of the page's forms as a browser would post them untouched: inputs (not
    file, checkbox or submit) with their values, textareas with their text, selects with
    their first option that has a value."""
    parser = _FormParser()
    parser.feed(page if isinstance(page, str) else page.text)
    return parser.fields
