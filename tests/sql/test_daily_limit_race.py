"""20 spends racing a daily limit: however they interleave, what posts never passes the
limit in total (the day's spend is checked and moved on the locked wallet row)."""

import pytest

from tests.sql.test_concurrency import run_at_once


@pytest.mark.single_database  # the owner sets the asset-wide limit; here a user's override
def test_concurrent_spends_never_pass_a_daily_limit(connect, new_user, report):
    user = new_user(gold=10_000)
    connect().execute("SELECT wallet_set_limits(1, NULL, 100, %s)", (user,))
    results = run_at_once(20, connect, lambda c, i: c.execute(
        "SELECT entry_id FROM wallet_spend(%s, 1, 7, %s)", (user, f"race-{i}")).fetchone())  # fmt: skip
    posted = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    report(f"20 spends of 7 racing a daily limit of 100: {len(posted)} posted, {len(refused)} spend_limit_exceeded")
    assert len(posted) == 100 // 7 and set(refused) == {"WA013"}
    (spent,) = connect().execute(
        "SELECT (l ->> 'spent_today')::int FROM wallet_account(%s) a, jsonb_array_elements(a.limits) l"
        " WHERE (l ->> 'asset_type_id')::int = 1", (user,)).fetchone()  # fmt: skip
    assert spent == 7 * len(posted) <= 100
