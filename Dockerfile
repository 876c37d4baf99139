# syntax=docker/dockerfile:1
# The production image: web (gunicorn), worker, beat and smtp all run from it, each through a
# script under deploy/bin/ (the same scripts tests/deploy/ runs for real). See README,
# "Production".
#
#   docker build -t helpdesk .

# --- builder: wheels for every pinned dependency of pyproject.toml -------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip wheel --wheel-dir /wheels -r requirements.txt

# --- final: no compilers, no pip cache, a non-root user ------------------------------------
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    HELPDESK_PROFILE=production \
    HELPDESK_VAR_DIR=/var/lib/helpdesk \
    STATIC_ROOT=/app/staticfiles \
    WEB_BIND=0.0.0.0:8000 \
    SMTP_BIND_HOST=0.0.0.0
RUN groupadd --system helpdesk \
 && useradd --system --gid helpdesk --home-dir /var/lib/helpdesk --shell /usr/sbin/nologin helpdesk
COPY --from=builder /build/requirements.txt /tmp/requirements.txt
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt
WORKDIR /app
# Owned by root, read-only for the helpdesk user; .dockerignore keeps .env*, venvs, var/ out.
COPY . .
# The build-time switch: production settings without secrets or services, for collectstatic
# only (the manifest of the production static storage is written here, into the image).
RUN python -m compileall -q helpdesk accounts catalog credits entitlements sla tickets mailgateway webhooks desk reports outbox \
 && HELPDESK_BUILD_STATIC=1 deploy/bin/collectstatic \
 && test -s "$STATIC_ROOT/staticfiles.json" \
 && mkdir -p /var/lib/helpdesk \
 && chown helpdesk:helpdesk /var/lib/helpdesk \
 && chmod 0750 /var/lib/helpdesk
USER helpdesk
EXPOSE 8000 2525
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["deploy/bin/healthcheck", "web"]
CMD ["deploy/bin/web"]
