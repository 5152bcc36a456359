#!/usr/bin/env python3
"""Instructions per request of the API process, counted by callgrind: the HTTP layer's
own cost (Flask, validation, limits, logs, metrics, psycopg's side of the call), without
the database's work, the server's sockets or the machine's noise. The same count to
about 1% run after run, so a change to the request path can be judged by it.

    python bench/api_instructions.py [--requests N]

Starts a throwaway cluster, migrates and seeds it, opens 10,000 bench users funded with
one paid lot each, then runs the app in a Python process under
`valgrind --tool=callgrind`, called as a WSGI application (as a server calls it, with
production settings and the API's own database login) for N requests of each route:
`GET /auth/whoami` with a service token, `POST /wallet/spend` of 1 GOLD by a random user
with a fresh key, and `POST /wallet/batch` of 100 such spends. Each count is taken twice,
after 50 and after 50 + N requests, and the difference divided by N.
"""

import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as bench  # noqa: E402  (the bench cluster and its users)
from http_api import api_env  # noqa: E402  (the API's environment as the HTTP section runs it)

USERS = 10_000
BATCH = 100
WARM = 50
ROUTES = ("whoami", "spend", f"batch of {BATCH}")


def child(route: str, count: int) -> None:
    """Inside valgrind: the app, `count` requests of `route` after WARM to warm up."""
    from wallet_api import create_app

    app = create_app()
    rng = random.Random()  # fresh keys in every run: the database keeps the earlier runs' postings

    def call(method: str, path: str, body: bytes = b"", token: str = "") -> tuple[str, bytes]:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True, "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
        }  # fmt: skip
        status: list[str] = []
        answer = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
        return status[0], answer

    def spend() -> dict:
        who = f"00000000-0000-4000-8000-{rng.randint(1, USERS):012d}"
        return {
            "user_id": who,
            "asset_type_id": 1,
            "amount": 1,
            "idempotency_key": str(uuid.UUID(int=rng.getrandbits(128))),
        }

    credentials = json.dumps({"client_id": "game", "client_secret": "game-dev"}).encode()
    token = json.loads(call("POST", "/auth/token", credentials)[1])["access_token"]
    for _ in range(WARM + count):
        if route == "whoami":
            status, answer = call("GET", "/auth/whoami", token=token)
        elif route == "spend":
            status, answer = call("POST", "/wallet/spend", json.dumps(spend()).encode(), token)
        else:
            body = {"postings": [{"kind": "spend", **spend()} for _ in range(BATCH)]}
            status, answer = call("POST", "/wallet/batch", json.dumps(body).encode(), token)
        if not status.startswith("20"):
            raise SystemExit(f"{route}: {status} {answer[:500]!r}")


def instructions(route: str, count: int, env: dict, workdir: Path) -> int:
    out = workdir / "callgrind.out"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
           "--child", route, "--requests", str(count)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    total = int(re.search(r"^summary: (\d+)", out.read_text(), re.M).group(1))
    out.unlink()
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--child", choices=ROUTES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests)
        return 0
    if not shutil.which("valgrind"):
        print("api_instructions: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with bench.throwaway_cluster("wallet-api-ir-") as (cluster, tmp):
        bench.funded_bench_database(cluster, USERS)
        env = {**api_env(cluster, workers=1, threads=1), "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics")}
        os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])
        n = args.requests
        print(f"instructions per request of the API process (callgrind, {n} requests each, the app called as "
              f"WSGI, {USERS:,} users):")  # fmt: skip
        for route in ROUTES:
            count = n if route in ("whoami", "spend") else max(1, n // 10)
            per_request = (instructions(route, count, env, tmp) - instructions(route, 0, env, tmp)) / count
            print(f"  {route:<15} {per_request:12,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
