# syntax=docker/dockerfile:1
# One image for every component of the loyalty platform. Pick the component with the command:
#   docker run IMAGE services.member        (python -m services.member; likewise points, tier, rewards,
#   docker run IMAGE gateway                 billing, operator, common.dev.migrate_all, <svc>.jobs <job>)
# The Helm chart sets `command: ["python", "-m", ...]` for each Deployment, Job and CronJob.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# --- builder: the locked dependencies in a virtualenv, and gen/ from proto/ ------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The project's runtime dependencies (not the test extra) at the versions of requirements.lock, in a
# layer that only changes with them; the (empty) project itself is removed: its source comes next.
COPY pyproject.toml requirements.lock ./
RUN pip install --constraint requirements.lock . \
 && pip uninstall --yes loyalty-platform
COPY services/ services/
COPY gateway/ gateway/
COPY proto/ proto/
COPY scripts/gen_proto.py scripts/gen_proto.py
RUN python scripts/gen_proto.py \
 && python -m compileall -q /src/services /src/gateway /src/gen /opt/venv/lib

# --- ui: the web app (gateway/ui): dependencies in their own layer, then the sources and the build --
FROM ${NODE_IMAGE} AS ui
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WORKDIR /src/gateway/ui
COPY gateway/ui/package.json gateway/ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY gateway/ui/ ./
RUN npm run build && mkdir -p /out/ui && cp -r dist /out/ui/dist

# --- runtime: no compilers, no package manager caches, a numeric non-root user --------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/gen:/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid ${UID} loyalty \
 && useradd --system --uid ${UID} --gid ${UID} --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin loyalty
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --from=builder /src/gen gen/
COPY --from=builder /src/services services/
COPY --from=builder /src/gateway gateway/
# The built UI (gateway/ui/dist), when there is one; otherwise the gateway serves its plain home page.
COPY --from=ui /out/ gateway/
USER 10001:10001
EXPOSE 8080 50051 50052 50053 50054 50055
# Kubernetes probes (native gRPC, /healthz) do the health checking; nothing to check without them.
HEALTHCHECK NONE
ENTRYPOINT ["python", "-m"]
CMD ["gateway"]
