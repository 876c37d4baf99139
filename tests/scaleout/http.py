"""A browser made of the standard library (urllib + a cookie jar): logs in through the real
forms, posts multipart forms with files, follows redirects. One instance is one person's
browser; its cookies go to every web process (a load balancer in front of them)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener


@dataclass
class Page:
    status: int
    url: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def hidden(self, name: str) -> str:
        match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"',
                          self.text)
        assert match, f"no hidden input {name!r} on {self.url}"
        return match[1]


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]
              ) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data post; files are (field, name, bytes)."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for field, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    def __init__(self, *, timeout_seconds: float = 60):
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar))
        self.timeout_seconds = timeout_seconds

    def _open(self, request: Request) -> Page:
        try:
            with self.opener.open(request, timeout=self.timeout_seconds) as response:
                return Page(response.status, response.url, response.read())
        except HTTPError as error:
            return Page(error.code, error.url, error.read())

    def get(self, url: str) -> Page:
        return self._open(Request(url))

    def post(self, url: str, fields: dict[str, str],
             files: list[tuple[str, str, bytes]] | None = None) -> Page:
        fields = {"csrfmiddlewaretoken": self.csrf_token(), **fields}
        if files is None:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = multipart(fields, files)
        return self._open(Request(url, data=body, headers={"Content-Type": content_type}))

    def csrf_token(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def log_in(self, login_url: str, *, email: str, password: str, **extra: str) -> Page:
        self.get(login_url)  # the CSRF cookie
        page = self.post(login_url, {"username": email, "password": password, **extra})
        assert page.status == 200 and "/login/" not in page.url, (page.status, page.url)
        return page
