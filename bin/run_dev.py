#!/usr/bin/env python3
"""`make run`: DATABASE_URL, or a project-local cluster in .data/ kept between runs;
migrate; load the dev seed; print the dev credentials and a first curl; serve with
gunicorn on PORT (default 8000)."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bin"))
from pgcluster import PgCluster  # noqa: E402

BANNER = """
Wallet API on http://localhost:{port}  (development only: these credentials are seed data)

  users     Alice  0f6d220d-61fa-4be7-b0a2-e05dbd9aee32  password alice-dev
            Bob    b55709be-d0f6-467e-942c-cc04155ad54c  password bob-dev
  services  payments / payments-dev  (wallet:topup wallet:read)
            rewards  / rewards-dev   (wallet:bonus wallet:read)
            game     / game-dev      (wallet:spend accounts:write wallet:read)

First call (log in as Alice and read her balance):

  TOKEN=$(curl -s localhost:{port}/auth/login -H 'Content-Type: application/json' \\
      -d '{{"user_id":"0f6d220d-61fa-4be7-b0a2-e05dbd9aee32","password":"alice-dev"}}' \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s localhost:{port}/wallet/balance -H "Authorization: Bearer $TOKEN"

Database: {database}   (stop the local one with `make stop-db`)
"""


def main() -> int:
    env = dict(os.environ)
    env.setdefault("WALLET_ENV", "development")
    env.setdefault("PORT", "8000")
    data = ROOT / ".data"
    if not env.get("DATABASE_URL"):
        cluster = PgCluster(data)
        cluster.ensure()
        env["DATABASE_URL"] = cluster.url
    if not env.get("JWT_SECRET_KEY"):
        secret_file = data / "jwt-secret"
        if not secret_file.exists():
            data.mkdir(exist_ok=True)
            secret_file.write_text(secrets.token_urlsafe(48))
            secret_file.chmod(0o600)
        env["JWT_SECRET_KEY"] = secret_file.read_text().strip()
    python = sys.executable
    for step in ("migrate", "seed"):
        subprocess.run([python, "-m", "wallet_api.schema", step], env=env, check=True)
    print(BANNER.format(port=env["PORT"], database=env["DATABASE_URL"]), flush=True)
    os.execve(python, [python, "-m", "gunicorn", "-c", str(ROOT / "api" / "gunicorn.conf.py"),
                       "wallet_api.wsgi:app"], env)


if __name__ == "__main__":
    sys.exit(main())
