"""Settings, read from the environment with an embedded default that needs nothing.

Embedded default (no variables set): SQLite under var/, Celery tasks run in-process,
outbound mail written as one .eml file per message under var/mail/outbox/, uploads
under var/media/.  DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.

Production (HELPDESK_PROFILE=production): refuses to start, with one line naming what is
missing, without SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS, SITE_URL, EMAIL_BACKEND
(and ANYMAIL's WEBHOOK_SECRET and MAIL_WEBHOOK_PROVIDERS when the inbound webhooks are on):
see helpdesk/startup.py.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.translation import gettext_lazy as _

from helpdesk import startup

BASE_DIR = Path(__file__).resolve().parent.parent



class Env(environ.Env):
    """django-environ's Env, except that a value it cannot parse (a number, a JSON, a
    DATABASE_URL of an unknown scheme) stops the start-up with one line naming the variable,
    not a traceback (helpdesk/startup.py)."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as error:
            startup.refuse(startup.INVALID.format(name=var, problem=str(error)[:200]))

    def db_url(self, var="DATABASE_URL", default=environ.Env.NOTSET, engine=None):
        try:
            config = super().db_url(var, default=default, engine=engine)
        except (ValueError, TypeError) as error:  # e.g. a port that is not a number
            startup.refuse(startup.INVALID.format(name=var, problem=type(error).__name__))
        if config.get("ENGINE") not in set(self.DB_SCHEMES.values()):
            startup.refuse(startup.INVALID.format(
                name=var, problem=f"unknown scheme {config.get('ENGINE')!r}, e.g. "
                                  "postgres://user:password@host:5432/helpdesk"))
        return config

    db = db_url


env = Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("HELPDESK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# "embedded" (the default: nothing to configure) or "production" (secrets and services
# required, secure cookies, compressed static files collected by collectstatic).
HELPDESK_PROFILE = startup.profile_checked(env("HELPDESK_PROFILE", default="embedded"))
PRODUCTION = HELPDESK_PROFILE == "production"
# Image build only (`HELPDESK_BUILD_STATIC=1 manage.py collectstatic`): production settings
# without secrets or services; any other command is refused (helpdesk/startup.py).
HELPDESK_BUILD_STATIC = PRODUCTION and startup.build_static(env.ENVIRON)
if PRODUCTION:
    startup.refuse_or_continue(env.ENVIRON)
SECRET_KEY = env("SECRET_KEY", default=(
    "build-time-only-collectstatic-never-serves" if HELPDESK_BUILD_STATIC
    else "embedded-default-insecure-key-change-me-in-production"))
# Rotation: the previous keys, still accepted to verify what they signed (sessions, our
# Message-IDs, prepaid card codes) while new signatures use SECRET_KEY. Comma-separated.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Absolute URL of the site in email links. Embedded default: `make run` passes its HOST and
# PORT; production requires it (https://helpdesk.example.com).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
_SITE_HOST = urlsplit(SITE_URL).hostname or ""
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver",
                                                   *([_SITE_HOST] if _SITE_HOST else [])])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Security, every setting from the environment (documented values: README, Production).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The scheme as the TLS proxy saw it: "HEADER,value" (HTTP_X_FORWARDED_PROTO,https by default
# in production, where a proxy that sets it is required); empty: trust no header.
SECURE_PROXY_SSL_HEADER = startup.proxy_ssl_header(env.list(
    "SECURE_PROXY_SSL_HEADER",
    default=["HTTP_X_FORWARDED_PROTO", "https"] if PRODUCTION else []))
# The client's address: X-Forwarded-For is read only when REMOTE_ADDR is one of these proxies
# (addresses or CIDRs); the rightmost hop that is not a trusted proxy is the client
# (accounts/client_ip.py). Empty: REMOTE_ADDR is the client. When set, the scheme header
# (SECURE_PROXY_SSL_HEADER) and X-Request-ID are believed only from these peers too.
TRUSTED_PROXIES = startup.networks(env.list("TRUSTED_PROXIES", default=[]),
                                   name="TRUSTED_PROXIES")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)

# Bench-only views under /bench/: `make bench` turns them on for its own server; off by
# default, not for production.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)

INSTALLED_APPS = [
    "helpdesk.admin_site.HelpdeskAdminConfig",  # django.contrib.admin, lazy app list
    "helpdesk.apps.HelpdeskConfig",  # the project's system checks (helpdesk/checks.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_standardized_errors",
    "django_filters",
    "anymail",
    "django_otp",  # two-factor authentication (accounts/two_factor.py)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # one-time recovery codes
    "outbox",
    "accounts",
    "credits",
    "catalog",
    "entitlements",
    "sla",
    "tickets",
    "mailgateway",
    "desk",  # the agent desk, inside the admin site (/admin/desk/)
    "django_htmx",
    "reports",
    "webhooks",
]

# Lean: none of our middleware makes a database or cache query of its own.
MIDDLEWARE = [
    # /healthz and /readyz: before any Host check, SSL redirect or session (helpdesk/health.py)
    "helpdesk.middleware.HealthCheckMiddleware",
    # X-Forwarded-Proto and X-Request-ID only from TRUSTED_PROXIES (accounts/client_ip.py)
    "helpdesk.middleware.ProxyHeadersMiddleware",
    "helpdesk.middleware.RequestIdMiddleware",  # early: every log line of the request has it
    "helpdesk.middleware.NulCharacterMiddleware",  # PostgreSQL text cannot hold NUL: a 400
    "django.middleware.security.SecurityMiddleware",
    # settings.CONTENT_SECURITY_POLICY, built once (django-csp's build_policy)
    "helpdesk.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    # Staff (and customers who turned it on) pass the second factor before anything else.
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.FirstLoginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx (the agent desk)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}"
    )
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Tests may pick their own test database name (parallel checkouts on one server).
    if env("TEST_DATABASE_NAME", default=""):
        DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

# The database cache (table created by a migration) is the embedded default's cache, and with
# Redis the store of the login and password-reset throttles while Redis is down.
DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                  "LOCATION": "helpdesk_cache"}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A dead Redis costs milliseconds: short timeouts, no retries (the callers fall
            # back to the database, accounts.cache_guard).
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=0.25),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=0.5),
                "retry_on_timeout": False,
            },
        },
        "database": DATABASE_CACHE,
    }
else:
    CACHES = {"default": DATABASE_CACHE, "database": DATABASE_CACHE,
              # the API's request counters (helpdesk.api.throttles): one process, in memory
              "api_throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                               "LOCATION": "api-throttle"}}
THROTTLE_FALLBACK_CACHE = "database"
API_THROTTLE_CACHE = "default" if REDIS_URL else "api_throttle"
# The configuration (departments and fields, service-level policies, webhook endpoints) kept
# per process under a generation read from Redis (catalog.config_memo); without Redis the
# generation would cost a query of its own, so the configuration is read each time.
CONFIG_MEMO = bool(REDIS_URL)
# After a failed cache call a process leaves the cache alone for this long.
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)

AUTH_USER_MODEL = "accounts.User"
# The portal backend answers only the /sso/callback/ request and only when OIDC_ENABLED.
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend", "accounts.oidc.PortalBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:my_tickets"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in with the vendor's customer portal (OpenID Connect, authorization code flow with
# PKCE, through mozilla-django-oidc; accounts/oidc.py). Off (no button, /sso/ answers 404)
# unless OIDC_RP_CLIENT_ID is set; then the issuer and the four endpoints are required (the
# provider's /.well-known/openid-configuration lists them). Redirect URI to register at the
# provider: SITE_URL + /sso/callback/. README: "Sign-in with the customer portal".
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
# Optional: offered after signing out of the helpdesk ("also sign out of the portal").
OIDC_OP_END_SESSION_ENDPOINT = env("OIDC_OP_END_SESSION_ENDPOINT", default="")
if OIDC_ENABLED:
    startup.oidc_check(env.ENVIRON)
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
# The claim that carries the person's organization: matched against Organization.portal_id.
OIDC_ORGANIZATION_CLAIM = env("OIDC_ORGANIZATION_CLAIM", default="organization")
# A first sign-in of an unknown person of a known organization: "create" (the contact is
# created and signed in) or "approve" (created inactive; staff activate it in the admin).
OIDC_NEW_CONTACTS = startup.choice(env("OIDC_NEW_CONTACTS", default="create"),
                                   name="OIDC_NEW_CONTACTS", choices=("create", "approve"))
# False: customers sign in only through the portal (staff keep their passwords).
OIDC_LOCAL_PASSWORDS_FOR_CUSTOMERS = env.bool("OIDC_LOCAL_PASSWORDS_FOR_CUSTOMERS", default=True)
# Leeway for the ID token's exp/iat/nbf against our clock, at most 300 s.
OIDC_CLOCK_SKEW_SECONDS = max(0, min(300, env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)))
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=5.0)  # each call to the provider
# The client authenticates at the token endpoint with HTTP Basic (client_secret_basic)
# rather than in the form (client_secret_post, the default).
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's end-session endpoint
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_CREATE_USER = False  # accounts/oidc.py decides (organization claim, OIDC_NEW_CONTACTS)
# "Remember me" unchecked: the session ends with the browser; checked: two weeks.
SESSION_COOKIE_AGE = 14 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
# With Redis, sessions are read from it and written through to the database (they survive a
# Redis restart); without it, the cache is itself the database, so sessions stay there.
# Each user's permission set kept in Redis between requests (accounts.permission_cache).
PERMISSION_CACHE = env.bool("PERMISSION_CACHE", default=bool(REDIS_URL))
# accounts.sessions: Django's database store with our Redis read-through/write-through cache in
# front, guarded against Redis being down (the database answers instead).
SESSION_ENGINE = "accounts.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_MAX_AGE_SECONDS = 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Two-factor authentication (TOTP + one-time recovery codes): required for staff, superusers
# and members of TWO_FACTOR_REQUIRED_GROUPS, who cannot reach the admin before they enrol;
# optional for customers. TWO_FACTOR_REQUIRED=false turns the requirement off (the test suite
# does, apart from the two-factor tests).
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
TWO_FACTOR_REQUIRED_GROUPS = ["Agents", "Support managers"]  # managers: the reports
TWO_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Helpdesk")
# The admin lists devices (a superuser deletes a lost one, and its owner enrols again) but
# never shows their secrets, QR codes or recovery codes to another person.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A signed-in session's "last seen" on the profile page is written at most this often.
SESSION_LAST_SEEN_SECONDS = 300

# Failed logins: at most LOGIN_FAILURE_LIMIT per (email, IP) within LOGIN_FAILURE_WINDOW.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
# Password-reset emails: at most PASSWORD_RESET_EMAIL_LIMIT requests per target address and
# PASSWORD_RESET_IP_LIMIT per client IP within PASSWORD_RESET_WINDOW_SECONDS; over a limit the
# requester sees the usual "sent" page, nothing is sent and a warning is logged.
PASSWORD_RESET_EMAIL_LIMIT = env.int("PASSWORD_RESET_EMAIL_LIMIT", default=5)
PASSWORD_RESET_IP_LIMIT = env.int("PASSWORD_RESET_IP_LIMIT", default=20)
PASSWORD_RESET_WINDOW_SECONDS = env.int("PASSWORD_RESET_WINDOW_SECONDS", default=3600)

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Attachments are never served from MEDIA_URL: only through the permission-checked views.
MEDIA_URL = "/media-not-served/"
# Attachments' store: local disk under MEDIA_ROOT (embedded default) or, when
# AWS_STORAGE_BUCKET_NAME is set, an S3-compatible object store (private objects, random
# keys) shared by every web process and worker, on any host.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
# Downloads stay behind the permission-checked views. "stream" (default): the web process
# reads the object and sends it (works when browsers cannot reach the store's endpoint,
# e.g. an internal MinIO; no URL that outlives the check). "redirect": a 302 to a signed
# URL valid ATTACHMENT_SIGNED_URL_SECONDS (the bytes skip the web process; the endpoint must
# be reachable by browsers, e.g. AWS S3 itself). Local disk always streams.
ATTACHMENT_DOWNLOAD = env("ATTACHMENT_DOWNLOAD", default="stream")
ATTACHMENT_SIGNED_URL_SECONDS = env.int("ATTACHMENT_SIGNED_URL_SECONDS", default=60)
if AWS_STORAGE_BUCKET_NAME:
    from helpdesk.storage_config import s3_storage

    STORAGES["default"] = s3_storage(
        bucket_name=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env("AWS_S3_ENDPOINT_URL", default=""),
        access_key=env("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env("AWS_SECRET_ACCESS_KEY", default=""),
        region_name=env("AWS_S3_REGION_NAME", default=""),
        addressing_style=env("AWS_S3_ADDRESSING_STYLE", default=""),
        signed_url_seconds=ATTACHMENT_SIGNED_URL_SECONDS,
        connect_timeout_seconds=env.float("AWS_S3_CONNECT_TIMEOUT_SECONDS", default=5),
        read_timeout_seconds=env.float("AWS_S3_READ_TIMEOUT_SECONDS", default=30),
    )

# Credits: a manual adjustment of at most CREDIT_ADJUSTMENT_MAX_MINUTES (either sign) is booked
# at once; a larger one waits for a second staff member's approval (four-eyes); none may
# exceed CREDIT_ADJUSTMENT_LIMIT_MINUTES, approved or not (a form error).
CREDIT_ADJUSTMENT_MAX_MINUTES = env.int("CREDIT_ADJUSTMENT_MAX_MINUTES", default=10_000)
CREDIT_ADJUSTMENT_LIMIT_MINUTES = env.int("CREDIT_ADJUSTMENT_LIMIT_MINUTES", default=1_000_000)

# Attachments
ATTACHMENT_MAX_FILE_BYTES = env.int("ATTACHMENT_MAX_FILE_BYTES", default=20 * 1024 * 1024)
ATTACHMENT_MAX_TICKET_BYTES = env.int("ATTACHMENT_MAX_TICKET_BYTES", default=50 * 1024 * 1024)
ATTACHMENT_REFUSED_EXTENSIONS = env.list(
    "ATTACHMENT_REFUSED_EXTENSIONS",
    default=[
        "exe", "bat", "cmd", "com", "scr", "pif", "msi", "vbs", "vbe", "js", "jse", "wsf",
        "wsh", "ps1", "jar", "cpl", "hta", "lnk", "reg", "dll", "html", "htm", "svg",
        "xhtml", "shtml",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# Mail
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Soporte / Support <support@helpdesk.example>")
SERVER_EMAIL = env("SERVER_EMAIL", default="helpdesk@helpdesk.example")
# The free department where the wizard's sales fixes lead (renewals, warranty extensions);
# empty: those fixes link to CONTRACT_RENEWAL_URL instead.
SALES_DEPARTMENT_CODE = env("SALES_DEPARTMENT_CODE", default="sales-questions")
SUPPORT_INBOUND_ADDRESS = env("SUPPORT_INBOUND_ADDRESS", default="support@helpdesk.example")
MAIL_OUTBOX_DIR = Path(env("MAIL_OUTBOX_DIR", default=str(VAR_DIR / "mail" / "outbox")))
# Production requires EMAIL_BACKEND (an anymail.backends.* backend, or Django's SMTP backend
# with the EMAIL_HOST… settings below); the .eml files are the embedded default only.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="helpdesk.mail_backends.EmlFileBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds per SMTP socket operation
ANYMAIL = env.json("ANYMAIL", default={})
# The ESP inbound webhooks (/mail/anymail/<provider>/…) are mounted only when enabled AND
# ANYMAIL has a WEBHOOK_SECRET (basic auth): an unset secret never means "accept anyone";
# and only those of the providers in use, MAIL_WEBHOOK_PROVIDERS (e.g. "postmark"; the
# others answer 404). Enabled by default exactly when a secret or a provider is set;
# production refuses to start when enabled without both.
MAIL_WEBHOOK_PROVIDERS = startup.webhook_providers(env.ENVIRON)
MAIL_WEBHOOKS_ENABLED = startup.webhooks_enabled(env.ENVIRON)
# Secret for the HMAC that signs our Message-IDs (defaults to a key derived from SECRET_KEY).
MAIL_MESSAGE_ID_SECRET = env("MAIL_MESSAGE_ID_SECRET", default="")
# Its previous values, still accepted (comma-separated); with no MAIL_MESSAGE_ID_SECRET the
# key is derived from SECRET_KEY and SECRET_KEY_FALLBACKS are accepted.
MAIL_MESSAGE_ID_SECRET_FALLBACKS = env.list("MAIL_MESSAGE_ID_SECRET_FALLBACKS", default=[])
MAIL_MESSAGE_ID_DOMAIN = env("MAIL_MESSAGE_ID_DOMAIN", default="helpdesk.example")

# Sender authentication (mailgateway/inbound/authenticity.py). Authentication-Results
# headers are trusted only when their authserv-id is one of these (the MTA's or provider's,
# which must remove any such header already in the mail it receives).
MAIL_AUTHSERV_IDS = [v.lower() for v in env.list("MAIL_AUTHSERV_IDS", default=[])]
# DNS servers ("host" or "host:port") for the gateway's own DKIM/SPF/DMARC lookups; empty:
# the system resolver.
MAIL_AUTH_DNS_SERVERS = env.list("MAIL_AUTH_DNS_SERVERS", default=[])
MAIL_AUTH_DNS_TIMEOUT_SECONDS = env.float("MAIL_AUTH_DNS_TIMEOUT_SECONDS", default=5.0)
# What a DMARC failure does for a sender domain without its own SenderDomainPolicy row:
# "enforce" (quarantine, never thread) or "none" (record the verdict only).
MAIL_DMARC_DEFAULT_POLICY = env("MAIL_DMARC_DEFAULT_POLICY", default="enforce")

# SMTP listener (mailgateway/sources/smtp.py): the only recipients accepted (others: 550).
MAIL_SMTP_RECIPIENTS = [v.lower() for v in env.list(
    "MAIL_SMTP_RECIPIENTS", default=[SUPPORT_INBOUND_ADDRESS])]
# Who may deliver: when either is set, a client must authenticate (AUTH PLAIN/LOGIN with
# these credentials) or connect from a trusted relay (CIDRs, e.g. the MTA's address).
MAIL_SMTP_AUTH_USER = env("MAIL_SMTP_AUTH_USER", default="")
MAIL_SMTP_AUTH_PASSWORD = env("MAIL_SMTP_AUTH_PASSWORD", default="")
MAIL_SMTP_TRUSTED_RELAYS = env.list("MAIL_SMTP_TRUSTED_RELAYS", default=[])
# AUTH only over TLS (STARTTLS with this certificate and key) unless set to false.
MAIL_SMTP_AUTH_REQUIRE_TLS = env.bool("MAIL_SMTP_AUTH_REQUIRE_TLS", default=True)
MAIL_SMTP_TLS_CERT_FILE = env("MAIL_SMTP_TLS_CERT_FILE", default="")
MAIL_SMTP_TLS_KEY_FILE = env("MAIL_SMTP_TLS_KEY_FILE", default="")
MAIL_SMTP_DATA_SIZE_LIMIT = env.int("MAIL_SMTP_DATA_SIZE_LIMIT", default=50 * 1024 * 1024)
# Messages accepted per peer address per minute (451 beyond, the client retries later).
MAIL_SMTP_RATE_PER_MINUTE = env.int("MAIL_SMTP_RATE_PER_MINUTE", default=60)

# Celery: in-process unless a broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not bool(REDIS_URL))
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A message a worker took and never acknowledged (SIGKILL, lost host) goes back to the queue
# once it is older than the visibility timeout; every worker looks for such messages every
# CELERY_UNACKED_RESTORE_SECONDS (kombu's default would be every 100 s). 120 s: our longest
# task (an inbound batch of 50 messages, an IMAP poll of IMAP_BATCH, a ticket email with
# 50 MB of attachments over SMTP with EMAIL_TIMEOUT) runs well under it, and a task still
# running past it is only delivered twice: every task is idempotent and sends are claimed.
# Retry countdowns stay below it (an ETA held longer than it would be delivered again).
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=120)
CELERY_UNACKED_RESTORE_SECONDS = env.int("CELERY_UNACKED_RESTORE_SECONDS", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_SECONDS,
    "unacked_restore_throttle": 1,
    # A worker killed while it restores holds kombu's restore lock until it expires (300 s
    # by default): the next restore would wait that long.
    "unacked_mutex_expire": max(5, 3 * CELERY_UNACKED_RESTORE_SECONDS),
    "socket_connect_timeout": 2,
}
TASK_RETRY_MAX_COUNTDOWN_SECONDS = max(1, min(600, CELERY_VISIBILITY_TIMEOUT_SECONDS // 2))
# Publishing during a broker outage gives up quickly (the outbox sweep dispatches later);
# after a failure a process leaves new rows to the sweep for OUTBOX_DISPATCH_PAUSE_SECONDS.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.2}
# Transactional outbox (outbox app): tasks and emails are recorded with the change that
# causes them and dispatched after commit; the sweep dispatches what is still pending after
# OUTBOX_DISPATCH_AFTER_SECONDS. A send is claimed for OUTBOX_SEND_CLAIM_SECONDS (longer
# than any send takes with EMAIL_TIMEOUT): a run killed mid-send is retried after it.
OUTBOX_DISPATCH_AFTER_SECONDS = env.int("OUTBOX_DISPATCH_AFTER_SECONDS", default=60)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=30.0)
OUTBOX_DISPATCH_PAUSE_SECONDS = env.float("OUTBOX_DISPATCH_PAUSE_SECONDS", default=15.0)
OUTBOX_SEND_CLAIM_SECONDS = env.int("OUTBOX_SEND_CLAIM_SECONDS", default=90)
# A task dispatched this long ago whose run never ended lost its broker message (Redis
# restarted without persistence; a worker SIGKILLed between kombu's BRPOP and its
# unacknowledged record): the sweep dispatches it again. Longer than the visibility
# timeout plus the longest retry chain, so a run still alive is only duplicated (no-op).
OUTBOX_REDISPATCH_AFTER_SECONDS = env.int(
    "OUTBOX_REDISPATCH_AFTER_SECONDS", default=max(900, 5 * CELERY_VISIBILITY_TIMEOUT_SECONDS))
OUTBOX_DISPATCH_MAX = env.int("OUTBOX_DISPATCH_MAX", default=10)
# Emails are drained in batches (issue 16): the tasks named here are recorded as handed to
# a drain, and after commit a process publishes one outbox_drain message unless one is
# already queued on the broker (a cache flag, cleared when the drain starts, held
# OUTBOX_DRAIN_FLAG_SECONDS at most); a
# drain claims up to OUTBOX_DRAIN_BATCH rows at a time (SKIP LOCKED), sends them over one
# backend connection, each still claimed and marked sent on its own (send_claim), and hands
# a row that fails to its own task, which retries it as before.
OUTBOX_DRAINED_TASKS = ("mailgateway.tasks.send_ticket_notification",
                        "outbox.tasks.outbox_email_send")
OUTBOX_DRAIN_FLAG_SECONDS = env.float("OUTBOX_DRAIN_FLAG_SECONDS", default=10.0)
OUTBOX_DRAIN_BATCH = env.int("OUTBOX_DRAIN_BATCH", default=50)
OUTBOX_DRAIN_ROUNDS = env.int("OUTBOX_DRAIN_ROUNDS", default=10)
# Health (/readyz): the worker heartbeat (a beat task) and mail still unsent after N minutes.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=30.0)
READY_HEARTBEAT_MAX_AGE_SECONDS = env.int("READY_HEARTBEAT_MAX_AGE_SECONDS", default=180)
READY_PENDING_MAIL_MINUTES = env.int("READY_PENDING_MAIL_MINUTES", default=15)
# Retention (daily beat jobs, each also a management command).
RETENTION_INBOUND_RAW_DAYS = env.int("RETENTION_INBOUND_RAW_DAYS", default=90)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
RETENTION_RUN_SECONDS = env.float("RETENTION_RUN_SECONDS", default=24 * 3600.0)
CELERY_BEAT_SCHEDULE: dict = {
    "entitlements-contract-reminders": {
        "task": "entitlements.tasks.contract_reminders_dispatch",
        "schedule": 3600.0,  # hourly; each reminder is sent once per contract end date
    },
    "tickets-sla-warnings": {
        "task": "tickets.tasks.sla_warnings_dispatch",
        "schedule": 60.0,  # at-risk and breach warnings, each once per due time
    },
    "credits-expiry": {
        "task": "credits.tasks.credits_expire_all",
        "schedule": 3600.0 * 6,  # does nothing unless CREDITS_EXPIRY_MONTHS is set
    },
    "outbox-sweep": {"task": "outbox.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    "worker-heartbeat": {"task": "outbox.tasks.worker_heartbeat",
                         "schedule": WORKER_HEARTBEAT_SECONDS},
    "retention-outbox": {"task": "outbox.tasks.outbox_prune",
                         "schedule": RETENTION_RUN_SECONDS},
    "retention-sessions": {"task": "outbox.tasks.sessions_clear",
                           "schedule": RETENTION_RUN_SECONDS},
    "retention-session-index": {"task": "accounts.tasks.user_sessions_prune",
                                "schedule": RETENTION_RUN_SECONDS},
    "retention-api-idempotency-keys": {"task": "accounts.tasks.api_idempotency_keys_prune",
                                       "schedule": RETENTION_RUN_SECONDS},
    "retention-inbound-raw": {"task": "mailgateway.tasks.inbound_raw_reduce",
                              "schedule": RETENTION_RUN_SECONDS},
    # The queue overview's counts, kept in the cache (tickets/tasks.py).
    "tickets-queue-overview": {"task": "tickets.tasks.queue_overview_refresh",
                               "schedule": 30.0},
    # The reports' daily roll-ups (reports/rollups.py).
    "reports-rollups": {"task": "reports.tasks.rollups_refresh", "schedule": 300.0},
}
# Reports: days are counted in this time zone (the support team's) for every reader; the
# beat job recomputes the last RECENT days each run and catches up BATCH missing days a run.
REPORTS_TIME_ZONE = env("REPORTS_TIME_ZONE", default=TIME_ZONE)
REPORTS_ROLLUP_RECENT_DAYS = env.int("REPORTS_ROLLUP_RECENT_DAYS", default=2)
REPORTS_ROLLUP_BATCH_DAYS = env.int("REPORTS_ROLLUP_BATCH_DAYS", default=120)
# Mail gateway: IMAP mailbox polled by beat (TLS only), re-queue of pending inbound mail,
# rate limit of automatic mail per ticket and address.
IMAP_HOST = env("IMAP_HOST", default="")
IMAP_PORT = env.int("IMAP_PORT", default=993)
IMAP_USER = env("IMAP_USER", default="")
IMAP_PASSWORD = env("IMAP_PASSWORD", default="")
IMAP_MAILBOX = env("IMAP_MAILBOX", default="INBOX")
IMAP_SSL_VERIFY = env.bool("IMAP_SSL_VERIFY", default=True)
IMAP_CA_FILE = env("IMAP_CA_FILE", default="")
IMAP_BATCH = env.int("IMAP_BATCH", default=200)
IMAP_POLL_SECONDS = env.int("IMAP_POLL_SECONDS", default=60)
MAIL_INBOUND_REQUEUE_MINUTES = env.int("MAIL_INBOUND_REQUEUE_MINUTES", default=10)
# A stored message that fails this many times is quarantined ("processing failed repeatedly").
MAIL_INBOUND_MAX_ATTEMPTS = env.int("MAIL_INBOUND_MAX_ATTEMPTS", default=20)
MAIL_AUTOMATIC_LIMIT_COUNT = env.int("MAIL_AUTOMATIC_LIMIT_COUNT", default=10)
MAIL_AUTOMATIC_LIMIT_MINUTES = env.int("MAIL_AUTOMATIC_LIMIT_MINUTES", default=10)
CELERY_BEAT_SCHEDULE["mail-requeue-stale-inbound"] = {
    "task": "mailgateway.tasks.requeue_stale_inbound",
    "schedule": 300.0,
}
if IMAP_HOST:
    CELERY_BEAT_SCHEDULE["mail-poll-imap"] = {
        "task": "mailgateway.tasks.poll_imap",
        "schedule": float(IMAP_POLL_SECONDS),
    }

# REST API (helpdesk/api/, /api/v1/): personal access tokens or the session, one error format
# (drf-standardized-errors), cursor pagination, throttles per token, per user and per client
# address (429 with Retry-After), an OpenAPI 3.1 schema for signed-in users only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "helpdesk.api.permissions.TokenScope"],
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api.errors.ApiAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.throttles.ApiRateThrottle",
                                 "helpdesk.api.throttles.ApiUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": env("API_THROTTLE_RATE", default="600/minute"),
        "api_user": env("API_USER_THROTTLE_RATE", default="1200/minute"),
    },
    "DEFAULT_VERSIONING_CLASS": None,
}
# Outgoing webhooks (webhooks/): never to loopback, private or reserved addresses unless
# this is on (tests, a closed network).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# DNS servers ("host:port") that resolve webhook hosts; empty: the system's resolver.
WEBHOOK_DNS_SERVERS = env.list("WEBHOOK_DNS_SERVERS", default=[])
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "helpdesk.api.errors.ApiExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "415",
                                   "429", "500"],
    "ERROR_SCHEMAS": {"409": "helpdesk.api.errors.ConflictErrorResponse"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API", "VERSION": "1.0.0", "OAS_VERSION": "3.1.0",
    "DESCRIPTION": "Tickets, credits, entitlements and the agents' desk. Authenticate with "
                   "`Authorization: Bearer hd_…` (a personal access token from your profile "
                   "page) or the browser's session. Another organization's object answers "
                   "404, exactly like a missing one; the `agent/` and `billing/` endpoints "
                   "answer 404 to a caller who is not an agent (not billing staff).",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_URLCONF": "helpdesk.api.schema_urls",
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "PurchaseOrderStatusEnum": "credits.models.PurchaseOrder.Status",
        "InboundStatusEnum": "mailgateway.models.InboundMessage.Status",
        "WebhookEventEnum": "webhooks.models.Event",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ParseErrorCodeEnum": "drf_standardized_errors.openapi_serializers.ParseErrorCodeEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
        "LedgerBookingKindEnum": [("purchase", "purchase"), ("adjustment", "adjustment")],
    },
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
                             "helpdesk.api.errors.no_nul_in_parameters",
                             "helpdesk.api.errors.operation_links"],
}

# Logs: one JSON object a line in production (LOG_FORMAT=json), plain text in the embedded
# default; every record carries the request id (helpdesk.request_id), in the worker too.
LOG_FORMAT = env("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "helpdesk.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# The worker logs through LOGGING above (its records carry the task's request id).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A request id sent by the proxy in front (X-Request-ID) is used only when it is trusted, and
# with TRUSTED_PROXIES set only from one of those peers (helpdesk.middleware).
REQUEST_ID_TRUST_HEADER = env.bool("REQUEST_ID_TRUST_HEADER", default=False)

# Content-Security-Policy on every response (helpdesk.middleware, in django-csp's settings
# format): no inline script or style anywhere (static/css, static/js), no framing, no
# plugins, forms post to this site only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Error reports to Sentry only when SENTRY_DSN is set (no personal data sent).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default=HELPDESK_PROFILE),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Demo data is loaded by `make run` (embedded default) and never in production unless asked.
# The embedded default serves static files straight from the source folders (no
# collectstatic step); production serves the collected, compressed copies.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=HELPDESK_PROFILE == "embedded")
