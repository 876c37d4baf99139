"""Organizations, their contacts and staff users. Login is by email address."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    is_reseller = models.BooleanField(_("reseller"), default=False)
    # A reseller's contacts may open tickets for its customers' deployments.
    customers = models.ManyToManyField(
        "self", symmetrical=False, related_name="resellers", blank=True,
        verbose_name=_("customers (when reseller)"),
    )
    # The organization's identifier in the vendor's customer portal, as its OpenID Connect
    # organization claim carries it (settings.OIDC_ORGANIZATION_CLAIM). Empty: nobody is
    # created in this organization on a first sign-in with the portal.
    portal_id = models.CharField(
        _("customer portal ID"), max_length=100, unique=True, null=True, blank=True,
        help_text=_("The organization's identifier in the customer portal. A person of this "
                    "organization signing in with the portal for the first time becomes "
                    "its contact."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("details_confirmed_at", timezone.now())
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        CONTACT = "contact", _("Contact")
        ORG_ADMIN = "org_admin", _("Organization admin")

    class Language(models.TextChoices):
        SPANISH = "es", _("Spanish")
        ENGLISH = "en", _("English")

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    # Blank: follow the browser's language.
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    # The browser's language at the last sign-in: emails follow it while `language` is blank
    # (an email has no browser to ask).
    browser_language = models.CharField(_("browser language at the last sign-in"), max_length=8,
                                        choices=Language.choices, blank=True, editable=False)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="UTC")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True,
        related_name="contacts", verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CONTACT)
    details_confirmed_at = models.DateTimeField(_("contact details confirmed"), null=True, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    @property
    def mail_language(self) -> str:
        """The language of the emails this person gets: the one chosen, else the browser's
        at the last sign-in, else the site's."""
        from django.conf import settings

        return self.language or self.browser_language or settings.LANGUAGE_CODE

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_org_admin(self) -> bool:
        return self.organization_id is not None and self.role == self.Role.ORG_ADMIN

    @property
    def needs_details_confirmation(self) -> bool:
        return self.organization_id is not None and self.details_confirmed_at is None

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else self.email)


class SecurityEvent(models.Model):
    """The audit trail of account security: failed logins (the staff see them in the admin
    and unlock an address and client there), unlocks, two-factor enrolment and removal,
    recovery codes used, sessions signed out. Append-only."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGIN_LOCKED = "login_locked", _("Login refused: locked")
        LOGIN_UNLOCKED = "login_unlocked", _("Login unlocked by staff")
        TWO_FACTOR_ENABLED = "2fa_enabled", _("Two-factor authentication enabled")
        TWO_FACTOR_DISABLED = "2fa_disabled", _("Two-factor authentication disabled")
        TWO_FACTOR_FAILED = "2fa_failed", _("Wrong two-factor code")
        RECOVERY_CODE_USED = "recovery_used", _("Recovery code used")
        RECOVERY_CODES_NEW = "recovery_new", _("New recovery codes")
        SESSIONS_ENDED = "sessions_ended", _("Sessions signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        API_TOKEN_CREATED = "token_created", _("API token created")
        API_TOKEN_REVOKED = "token_revoked", _("API token revoked")

    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    email = models.CharField(_("email address"), max_length=254, blank=True)
    ip = models.CharField(_("client IP"), max_length=64, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [models.Index(fields=["kind", "email", "ip"], name="accounts_secevent_pair")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.email} {self.ip}"


class UserSession(models.Model):
    """One signed-in session of a user (the index behind "your sessions" on the profile
    page; the session data itself stays in the session store)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions",
                             verbose_name=_("user"))
    session_key = models.CharField(_("session"), max_length=40, unique=True)
    ip = models.CharField(_("client IP"), max_length=64, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip}"


class ApiToken(models.Model):
    """A personal access token for the REST API (accounts.api_tokens). Only a hash of the
    secret is stored: the token is shown once, when it is created. Its scopes bound what it
    may do, on top of what its user may do: read (GET), write (changes), billing (the
    billing endpoints; staff only)."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")
        BILLING = "billing", _("Billing")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("hash"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiIdempotencyKey(models.Model):
    """A write sent with an Idempotency-Key header (helpdesk.api.idempotency): the first
    answer is kept and returned again for the same key, instead of doing the write twice.
    status_code 0: the first request is still running."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key = models.CharField(_("key"), max_length=100)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("status"), default=0)
    response = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("API idempotency key")
        verbose_name_plural = _("API idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="accounts_api_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
