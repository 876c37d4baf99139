"""Helpers of the two-factor tests: the code an authenticator app would show."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or `steps_ahead` 30-second steps later: a
    device accepts each time step once, and one step of drift either way)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)  # the app: no drift
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def pending_device(client) -> TOTPDevice:
    """The authenticator the setup page shows (its secret waits in the session)."""
    from accounts.security_views import PENDING_KEY_SESSION_KEY

    return TOTPDevice(key=client.session[PENDING_KEY_SESSION_KEY])
