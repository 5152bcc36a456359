"""Racing a daily limit: however spends, and holds made and voided, interleave, what posts
never passes the limit in total (the day's spend is checked and moved on the locked
wallet row), and what a voided hold counted comes back."""

import psycopg
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


@pytest.mark.single_database
def test_holds_voided_the_same_day_give_their_allowance_back(connect, new_user, report):
    """10 clients each hold 10 and void it while 10 spend 7, under a daily limit of 100: what
    counts at any moment (spends and open holds) never passes it, and once the holds are
    voided only the spends count, so the rest of the allowance is there to spend."""
    user = new_user(gold=10_000)
    connect().execute("SELECT wallet_set_limits(1, NULL, 100, %s)", (user,))

    def hold_void_or_spend(c, i):
        if i % 2:
            return c.execute("SELECT entry_id FROM wallet_spend(%s, 1, 7, %s)", (user, f"hv-spend-{i}")).fetchone()
        (hold_id,) = c.execute("SELECT hold_id FROM wallet_hold(%s, 1, 10, %s)", (user, f"hv-hold-{i}")).fetchone()
        c.execute("SELECT wallet_void(%s, %s)", (user, hold_id))
        return "voided"

    results = run_at_once(20, connect, hold_void_or_spend)
    spends = [r for r in results if isinstance(r, tuple)]
    report(
        f"10 hold-and-void cycles of 10 racing 10 spends of 7 under a daily limit of 100: {len(spends)} spends"
        f" posted, {results.count('voided')} holds made and voided, {results.count('WA013')} spend_limit_exceeded"
    )
    assert len(spends) + results.count("voided") + results.count("WA013") == 20  # no other outcome
    conn = connect()
    (spent,) = conn.execute(
        "SELECT (l ->> 'spent_today')::int FROM wallet_account(%s) a, jsonb_array_elements(a.limits) l"
        " WHERE (l ->> 'asset_type_id')::int = 1", (user,)).fetchone()  # fmt: skip
    assert spent == 7 * len(spends) <= 100  # every hold gave back what it counted
    conn.execute("SELECT wallet_spend(%s, 1, %s, 'hv-rest')", (user, 100 - spent))  # the rest of the allowance
    with pytest.raises(psycopg.Error) as refused:
        conn.execute("SELECT wallet_spend(%s, 1, 1, 'hv-over')", (user,))
    assert refused.value.diag.sqlstate == "WA013"
