"""A real IMAP server for tests: Debian's dovecot on a random port, over TLS with a
self-signed certificate, a maildir under a temporary directory; and a TCP proxy that can
cut the connection after a number of bytes (to drop a connection in the middle of a fetch).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-test-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"IMAP server did not listen on {port}")


@dataclass
class Dovecot:
    root: Path
    port: int
    cert: Path
    process: subprocess.Popen
    uid: int
    gid: int

    @property
    def maildir(self) -> Path:
        return self.root / "home" / USER / "Maildir"

    def deliver(self, raw: bytes) -> None:
        """Put a message in the mailbox as an MTA would (maildir tmp/ then new/)."""
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid)
        tmp.rename(self.maildir / "new" / name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _ids() -> tuple[str, str, int, int]:
    if os.geteuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", mail.pw_uid, mail.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def start(root: Path) -> Dovecot:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    internal, login, uid, gid = _ids()
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    home = root / "home" / USER
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    for path in (root / "home", home, home / "Maildir", *[(home / "Maildir" / s)
                                                         for s in ("cur", "new", "tmp")]):
        os.chown(path, uid, gid)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Dovecot(root=root, port=port, cert=cert, process=process, uid=uid, gid=gid)
    try:
        _wait_port(port)
    except RuntimeError:
        server.stop()
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        raise RuntimeError(f"dovecot failed: {output}\n{server.log()}") from None
    return server


def available() -> bool:
    return Path(DOVECOT).exists() and shutil.which("openssl") is not None


class CuttingProxy:
    """TCP proxy to the server; once armed, forwards `budget_bytes` more from the server
    and then closes both sides (the client sees the connection drop mid-response)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed_budget: int | None = None
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, budget_bytes: int) -> None:
        with self._lock:
            self.armed_budget = budget_bytes
        if budget_bytes <= 0:
            self._close_all()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_server: bool) -> None:
        try:
            while not self.cut.is_set():
                data = source.recv(4096)
                if not data:
                    break
                if from_server:
                    with self._lock:
                        if self.armed_budget is not None:
                            data = data[:max(self.armed_budget, 0)]
                            self.armed_budget -= len(data)
                            exhausted = self.armed_budget <= 0
                        else:
                            exhausted = False
                    if data:
                        target.sendall(data)
                    if exhausted:
                        self._close_all()
                        return
                else:
                    target.sendall(data)
        except OSError:
            pass
        finally:
            if self.cut.is_set():
                self._close_all()

    def _close_all(self) -> None:
        self.cut.set()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._close_all()
        self.listener.close()
