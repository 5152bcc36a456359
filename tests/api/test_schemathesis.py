"""Schemathesis against the running service's /openapi.json with every check on
(server errors, schema and header conformance, negative data rejection, ignored auth,
...), each route group with the token that may call it."""

import re
import subprocess
import sys
from pathlib import Path

from tests.support import ALICE

HERE = Path(__file__).parent / "schemathesis"
GROUPS = [  # (caller, routes)
    (
        "alice",
        [
            "/wallet/spend",
            "/wallet/balance",
            "/wallet/transactions",
            "/auth/whoami",
            "/wallet/holds",
            "/wallet/holds/{hold_id}/capture",
            "/wallet/holds/{hold_id}/void",
            "/wallet/exchanges",
            "/exchange-rates",
        ],
    ),
    ("payments", ["/wallet/topup", "/wallet/refunds"]),
    ("rewards", ["/wallet/bonus"]),
    ("game", ["/accounts", "/wallet/batch", "/wallet/reversals", "/wallet/transfers"]),
    ("support", ["/accounts/{user_id}/status", "/accounts/{user_id}/limits", "/accounts/{user_id}"]),
    ("finance", ["/reports/reconciliation"]),
    (None, ["/auth/login", "/auth/token", "/healthz", "/readyz", "/openapi.json"]),
]


def test_schemathesis_finds_nothing(api, server_env, report):
    binary = Path(sys.executable).parent / "schemathesis"  # installed beside this interpreter
    totals, outputs = {"cases": 0, "failures": 0}, []
    for caller, routes in GROUPS:
        command = [
            str(binary),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{api.base}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "20261124",
            "--workers",
            "1",
        ]
        if caller:
            token = api.user_token(ALICE) if caller == "alice" else api.service_token(caller)
            command += ["-H", f"Authorization: Bearer {token}"]
        for route in routes:
            command += ["--include-path", route]
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=600,
            env={**server_env, "SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": str(HERE)},
        )
        generated = re.search(r"(\d+) generated", proc.stdout)
        totals["cases"] += int(generated.group(1)) if generated else 0
        totals["failures"] += proc.returncode != 0
        outputs.append(f"--- {caller}: exit {proc.returncode}\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}")
    report(
        f"schemathesis, all checks: {totals['cases']} cases over {sum(len(r) for _, r in GROUPS)} routes, "
        f"{totals['failures']} failing groups"
    )
    assert totals["failures"] == 0, "\n".join(outputs)
    assert totals["cases"] > 100
