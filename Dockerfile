# The wallet API (granian, api/wallet_api/serve.py) on port 8000, as a non-root user.
# The same Makefile targets as CI: `make migrate seed api-login` (one-shot step in docker-compose.yml) and `make serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VENV=/opt/venv HOST=0.0.0.0 PORT=8000 WALLET_ENV=production

RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wallet

WORKDIR /app
COPY requirements.txt pyproject.toml Makefile ./
COPY api ./api
COPY sql ./sql
RUN make venv-runtime

USER wallet
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s \
  CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["make", "serve"]
