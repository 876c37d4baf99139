"""A small HTTP/1.1 load generator for `make bench`: threads, each with its own client
(cookies of its own signed-in user), requests built once as bytes, responses read with
the least parsing that still checks the status.

Keep-alive is used when the server offers it; gunicorn's sync workers close every
connection after the response, so with them each request opens a new TCP connection, as
any client of that server does. The client's own CPU time is measured (it shares the
machine's cores with the server): `LoadResult.client_cpu_percent` is the percentage of one
core the whole generator used during the window.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpError(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One connection at a time to 127.0.0.1:port, with its own cookie jar."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout_seconds: float = 60):
        self.host, self.port, self.timeout_seconds = host, port, timeout_seconds
        self.cookies: dict[str, str] = {}
        self._sock: socket.socket | None = None

    # --- wire -------------------------------------------------------------------------

    def build(self, method: str, path: str, *, body: bytes = b"", content_type: str = "",
              extra: str = "") -> bytes:
        """The request's bytes (with the cookies held now): build once, send many times."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "User-Agent: helpdesk-bench", "Accept: text/html"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        if extra:
            lines.append(extra)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def send(self, request: bytes) -> Response:
        for attempt in (1, 2):
            if self._sock is None:
                self._sock = socket.create_connection((self.host, self.port),
                                                      timeout=self.timeout_seconds)
                fresh = True
            else:
                fresh = False
            try:
                self._sock.sendall(request)
                return self._read()
            except (ConnectionError, HttpError):
                self.close()
                if fresh or attempt == 2:  # a kept-alive socket the server had closed: retry
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> Response:
        sock, data = self._sock, b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise HttpError("connection closed before the response headers")
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            headers[name] = value
        length = headers.get("content-length")
        if length is not None:
            while len(body) < int(length):
                chunk = sock.recv(65536)
                if not chunk:
                    raise HttpError("connection closed inside the body")
                body += chunk
            if headers.get("connection", "").lower() == "close":
                self.close()
        else:
            while chunk := sock.recv(65536):
                body += chunk
            self.close()
        for raw in cookies:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return Response(status, headers, body)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # --- conveniences (setup, not timed) ------------------------------------------------

    def get(self, path: str) -> Response:
        return self.send(self.build("GET", path))

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        from urllib.parse import urlencode

        return self.send(self.build("POST", path, body=urlencode(fields).encode(),
                                    content_type="application/x-www-form-urlencoded"))

    def csrf_token(self, path: str) -> str:
        response = self.get(path)
        match = CSRF_FIELD.search(response.body)
        if response.status != 200 or not match:
            raise HttpError(f"GET {path}: HTTP {response.status}, no CSRF field")
        return match.group(1).decode()

    def login(self, email: str, password: str, *, totp_key: bytes | None = None) -> None:
        """Sign in through the real login form (CSRF token from the page), and with
        `totp_key` through the second factor too, as an agent's authenticator app would."""
        path = "/accounts/login/"
        token = self.csrf_token(path)
        response = self.post_form(path, {"csrfmiddlewaretoken": token, "username": email,
                                         "password": password})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise HttpError(f"login of {email}: HTTP {response.status} (expected 302)")
        if totp_key is not None:
            self._second_factor(email, totp_key)

    def _second_factor(self, email: str, totp_key: bytes) -> None:
        from django_otp.oath import totp

        path = "/accounts/two-factor/verify/"
        page = self.get(path)
        if page.status == 302:  # no second factor asked (TWO_FACTOR_REQUIRED=false)
            return
        match = CSRF_FIELD.search(page.body)
        response = self.post_form(path, {"csrfmiddlewaretoken": match.group(1).decode(),
                                         "code": f"{totp(totp_key):06d}"} if match else {})
        if response.status != 302:
            raise HttpError(f"second factor of {email}: HTTP {response.status}")


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]],
              boundary: str) -> bytes:
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode())
    for name, filename, content in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                   .encode() + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


class SubmitRequests:
    """The submit wizard's final POST for one signed-in client: a fresh submission key per
    request (as each rendering of the form carries), the rest of the body built once."""

    KEY_MARK = "00000000-0000-0000-0000-000000000000"

    def __init__(self, client: Client, path: str, *, attachment: bytes | None):
        token = client.csrf_token(path)  # GET step 2 of the wizard, as a browser does
        boundary = "----helpdesk-bench-" + uuid.uuid4().hex
        body = multipart({"csrfmiddlewaretoken": token, "submission_key": self.KEY_MARK,
                          "subject": "Calls drop after 30 seconds on the main trunk",
                          "message": "Since this morning every outbound call drops after 30 "
                                     "seconds.\nSteps: call any mobile number, wait.\n"},
                         [("attachments", "trace.pcap", attachment)] if attachment else [],
                         boundary)
        whole = client.build("POST", path, body=body,
                             content_type=f"multipart/form-data; boundary={boundary}")
        self.client = client
        self.before, self.after = whole.split(self.KEY_MARK.encode())

    def __call__(self) -> Response:
        return self.client.send(self.before + str(uuid.uuid4()).encode() + self.after)


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    elapsed_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def percentile_ms(self, pct: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def client_cpu_percent(self) -> float:
        return 100 * self.client_cpu_seconds / self.elapsed_seconds if self.elapsed_seconds else 0


def run_load(senders: list[Callable[[], Response]], *, duration_seconds: float,
             warmup_seconds: float, expect: int = 200, location: str = "") -> LoadResult:
    """Each sender in its own thread, in a loop: warm-up (not recorded), then the timed
    window. A response other than `expect` (with a Location containing `location`, when
    given) is an error (counted, not timed)."""
    result, lock = LoadResult(), threading.Lock()
    barrier = threading.Barrier(len(senders) + 1)
    warmed = threading.Semaphore(0)  # released once by each thread after its first response
    phase = {"record": False, "stop": False}

    def loop(send: Callable[[], Response]) -> None:
        barrier.wait()
        mine: list[float] = []
        errors, first_error, first = 0, "", True
        while not phase["stop"]:
            recording = phase["record"]
            started = time.perf_counter()
            try:
                response = send()
                ok = response.status == expect and location in response.location
                problem = "" if ok else f"HTTP {response.status} {response.body[:300]!r}"
            except (OSError, HttpError) as error:
                ok, problem = False, f"{type(error).__name__}: {error}"
            if first:
                warmed.release()
                first = False
            if not recording:
                continue
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1
                first_error = first_error or problem
        with lock:
            result.latencies_ms.extend(mine)
            result.errors += errors
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=loop, args=(send,), daemon=True) for send in senders]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(warmup_seconds)
    for _ in threads:  # and every client has had an answer (a fresh server's first ones
        warmed.acquire(timeout=120)  # import and compile on the request)
    phase["record"] = True
    started, cpu = time.perf_counter(), time.process_time()
    time.sleep(duration_seconds)
    phase["stop"] = True
    for thread in threads:
        thread.join()
    result.elapsed_seconds = time.perf_counter() - started
    result.client_cpu_seconds = time.process_time() - cpu
    return result
