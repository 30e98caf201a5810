# One app process. Several of them share one PostgreSQL record behind a reverse proxy (compose.yaml);
# alone, with a volume on /data, it keeps its record in SQLite.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WORKSHOP_DB=/data/workshop.db

WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY workshop ./workshop
COPY static ./static
COPY sessions ./sessions
# Every dependency at the version in constraints.txt (tests/test_containers.py checks it against pyproject.toml).
# /data/plans is made here, owned by the app, so a fresh volume mounted on it (compose.yaml) is writable.
RUN pip install --no-compile -c constraints.txt '.[postgres]' \
    && groupadd --system --gid 10001 workshop \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home workshop \
    && install -d -o 10001 -g 10001 /data/plans \
    && rm -rf /src

# Numeric, so an orchestrator can tell it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
WORKDIR /data
EXPOSE 8000

# /healthz: the process answers; a load balancer should also watch /readyz (the record answers).
# Build in docker format (docker build, or podman/buildah with --format docker): OCI images drop HEALTHCHECK.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

CMD ["sh", "-c", "exec workshop serve --host 0.0.0.0 --port 8000 --db \"$WORKSHOP_DB\""]
