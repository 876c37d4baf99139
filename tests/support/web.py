"""A customer's or an agent's browser over real HTTP (requests), for tests against gunicorn:
logs in and submits tickets through the real forms (CSRF token and submission key read from
the page, as a browser sends them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import requests

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY_INPUT = re.compile(r'name="submission_key" value="([^"]+)"')


@dataclass
class WebClient:
    base_url: str
    statuses: list[int] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.session.get(self.base_url + path, allow_redirects=False, timeout=30,
                                    **kwargs)
        self.statuses.append(response.status_code)
        return response

    def post_form(self, path: str, data: dict, *, page: requests.Response | None = None
                  ) -> requests.Response:
        """POST `data` to `path` with the CSRF token of `page` (by default, GET `path`)."""
        page = page if page is not None else self.get(path)
        token = CSRF_INPUT.search(page.text)
        assert token, f"no CSRF token on {path} ({page.status_code})"
        response = self.session.post(self.base_url + path, allow_redirects=False, timeout=30,
                                     data={"csrfmiddlewaretoken": token.group(1), **data},
                                     headers={"Referer": self.base_url + path})
        self.statuses.append(response.status_code)
        return response

    def login(self, email: str, password: str) -> requests.Response:
        return self.post_form("/accounts/login/", {"username": email, "password": password})

    def submit_ticket(self, *, department_code: str, subject: str, message: str
                      ) -> requests.Response:
        path = f"/tickets/new/{department_code}/"
        page = self.get(path)
        key = SUBMISSION_KEY_INPUT.search(page.text)
        assert key, f"no submission form on {path} ({page.status_code})"
        return self.post_form(path, {"submission_key": key.group(1), "subject": subject,
                                     "message": message}, page=page)
