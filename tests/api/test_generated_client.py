"""An integrating engineer's path: generate a Python client from the served OpenAPI
document with openapi-python-client (any generator warning fails the test), then run
the README's walkthrough through it."""

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support import ALICE, PASSWORDS, ROOT


@pytest.fixture(scope="module")
def client_package(api, tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    (folder / "openapi.json").write_text(api.get("/openapi.json").text)
    bin_dir = Path(sys.executable).parent  # the generator formats with this venv's ruff
    proc = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(folder / "openapi.json"),
         "--meta", "none", "--output-path", str(folder / "wallet_client"), "--fail-on-warning",
         "--config", str(ROOT / "docs" / "openapi-python-client.yml")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "warning" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("wallet_client")
    finally:
        sys.path.remove(str(folder))


def test_walkthrough_through_the_generated_client(client_package, api):
    from wallet_client import AuthenticatedClient, Client
    from wallet_client.api.auth import issue_service_token, login
    from wallet_client.api.postings import post_batch, spend, topup
    from wallet_client.api.wallet import get_balance, list_transactions
    from wallet_client.models import (
        BatchPosting,
        BatchPostingKind,
        BatchRequest,
        ClientCredentials,
        LoginRequest,
        Posting,
        Problem,
        ProblemCode,
        SpendRequest,
        SpendRequestMetadata,
        TopupRequest,
    )

    anonymous = Client(base_url=api.base)
    token = issue_service_token.sync(
        client=anonymous, body=ClientCredentials(client_id="payments", client_secret="payments-dev")
    )
    payments = AuthenticatedClient(base_url=api.base, token=token.access_token)
    alice = uuid.UUID(ALICE)

    def gold(client: AuthenticatedClient, **query) -> int:
        balances = get_balance.sync(client=client, **query)
        return next(b.balance for b in balances.balances if b.asset_type_id == 1)

    start = gold(payments, user_id=alice)
    payment_id = f"pay-{uuid.uuid4()}"
    first = topup.sync_detailed(
        client=payments, body=TopupRequest(user_id=alice, asset_type_id=1, amount=500, payment_id=payment_id)
    )
    assert first.status_code == 201 and isinstance(first.parsed, Posting)
    assert first.parsed.balance == start + 500 and not first.parsed.replayed
    again = topup.sync_detailed(
        client=payments, body=TopupRequest(user_id=alice, asset_type_id=1, amount=500, payment_id=payment_id)
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert (again.parsed.entry_id, again.parsed.balance, again.parsed.replayed) == (
        first.parsed.entry_id, start + 500, True)  # fmt: skip

    token = login.sync(client=anonymous, body=LoginRequest(user_id=alice, password=PASSWORDS[ALICE]))
    user = AuthenticatedClient(base_url=api.base, token=token.access_token)
    metadata = SpendRequestMetadata.from_dict({"item": "sword"})
    spent = spend.sync_detailed(
        client=user, body=SpendRequest(asset_type_id=1, amount=120, idempotency_key=f"order-{uuid.uuid4()}",
                                       metadata=metadata))  # fmt: skip
    assert spent.status_code == 201 and spent.parsed.balance == start + 380
    assert gold(user) == start + 380

    refused = spend.sync_detailed(
        client=user, body=SpendRequest(asset_type_id=1, amount=10**12, idempotency_key=f"order-{uuid.uuid4()}")
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, Problem)
    assert refused.parsed.code == ProblemCode.INSUFFICIENT_FUNDS

    seen, before, pages = [], None, 0
    while True:
        page = list_transactions.sync(client=user, limit=50, **({"before": before} if before else {}))
        seen += page.items
        pages += 1
        if page.next_before is None:
            break
        before = page.next_before
    ids = [item.entry_id for item in seen]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    assert seen[0].amount == -120 and seen[0].metadata.to_dict() == {"item": "sword"}
    assert first.parsed.entry_id in ids

    game_token = issue_service_token.sync(
        client=anonymous, body=ClientCredentials(client_id="game", client_secret="game-dev")
    )
    game = AuthenticatedClient(base_url=api.base, token=game_token.access_token)
    key = f"batch-{uuid.uuid4()}"
    postings = [
        BatchPosting(kind=BatchPostingKind.SPEND, user_id=alice, asset_type_id=1, amount=amount, idempotency_key=k)
        for amount, k in [(10, key + "-1"), (10**12, key + "-2")]
    ]
    outcomes = post_batch.sync(client=game, body=BatchRequest(postings=postings))
    assert [(o.item, o.status) for o in outcomes.items] == [(1, 201), (2, 422)]
    assert outcomes.items[0].balance == start + 370 and outcomes.items[1].code == "insufficient_funds"

    from wallet_client.api.transfers import exchange, list_exchange_rates, transfer
    from wallet_client.models import ExchangeRequest, TransferRequest

    bob = uuid.UUID("b55709be-d0f6-467e-942c-cc04155ad54c")
    moved = transfer.sync_detailed(
        client=game, body=TransferRequest(from_user_id=alice, to_user_id=bob, asset_type_id=2, amount=5, fee=1,
                                          idempotency_key=f"gift-{uuid.uuid4()}"))  # fmt: skip
    assert moved.status_code == 201 and (moved.parsed.amount, moved.parsed.fee) == (5, 1)
    assert moved.parsed.to_user_id == bob and moved.parsed.to_entry_id > moved.parsed.entry_id
    rates = list_exchange_rates.sync(client=user)
    assert [(r.from_asset_type_id, r.to_asset_type_id, r.numerator, r.denominator) for r in rates.items] == [
        (1, 2, 10, 1)]  # fmt: skip
    changed = exchange.sync_detailed(
        client=user, body=ExchangeRequest(from_asset_type_id=1, to_asset_type_id=2, amount=2,
                                          idempotency_key=f"ex-{uuid.uuid4()}"))  # fmt: skip
    assert changed.status_code == 201 and changed.parsed.to_amount == 20 and changed.parsed.user_id == alice
