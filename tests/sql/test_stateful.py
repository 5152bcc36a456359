"""A hypothesis state machine drives top-ups, bonuses, spends, replays and key reuse
through the SQL functions against an in-memory model of the balances, checking the
model and wallet_verify() after every step."""

import uuid

import psycopg
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from tests.conftest import database_url

KINDS = ["topup", "bonus", "spend"]
amounts = st.integers(min_value=1, max_value=500) | st.sampled_from([9007199254740991, 1])
bad_amounts = st.sampled_from([0, -1, 9007199254740992, None])


class WalletMachine(RuleBasedStateMachine):
    calls = Bundle("calls")

    @initialize()
    def open_wallets(self):
        self.conn = psycopg.connect(database_url(), autocommit=True)
        self.conn.execute("SET ROLE wallet_service")
        self.users = [uuid.uuid4() for _ in range(2)]
        for user in self.users:
            self.conn.execute("SELECT wallet_open_account(%s, 'hypothesis')", (user,))
        self.balances = {(u, a): 0 for u in self.users for a in (1, 2)}
        self.answers = {}  # (user, key) -> (kind, asset, amount, entry_id, balance)

    def teardown(self):
        if hasattr(self, "conn"):
            self.conn.close()

    def post(self, kind, user, asset, amount, key):
        try:
            return self.conn.execute(
                f"SELECT entry_id, balance, replayed FROM wallet_{kind}(%s, %s, %s, %s)", (user, asset, amount, key)
            ).fetchone(), None
        except psycopg.Error as exc:
            return None, exc.diag.sqlstate

    @rule(
        target=calls,
        kind=st.sampled_from(KINDS),
        user_index=st.integers(0, 1),
        asset=st.sampled_from([1, 2]),
        amount=amounts,
    )
    def new_call(self, kind, user_index, asset, amount):
        user, key = self.users[user_index], str(uuid.uuid4())
        row, error = self.post(kind, user, asset, amount, key)
        balance = self.balances[(user, asset)]
        new = balance - amount if kind == "spend" else balance + amount
        if new < 0:
            assert error == "WA006" and row is None
        elif new > 2**63 - 1:
            assert error == "WA001" and row is None
        else:
            assert error is None and row[1] == new and row[2] is False
            self.balances[(user, asset)] = new
            self.answers[(user, key)] = (kind, asset, amount, row[0], new)
        return (user, key)

    @rule(call=calls)
    def replay(self, call):
        if call not in self.answers:
            return
        kind, asset, amount, entry_id, balance = self.answers[call]
        row, error = self.post(kind, call[0], asset, amount, call[1])
        assert error is None and row == (entry_id, balance, True)

    @rule(call=calls, kind=st.sampled_from(KINDS), delta=st.integers(1, 3))
    def reuse_key(self, call, kind, delta):
        if call not in self.answers:
            return
        first_kind, asset, amount, *_ = self.answers[call]
        changed_amount = amount + delta if amount + delta <= 9007199254740991 else amount - delta
        row, error = self.post(kind, call[0], asset, changed_amount, call[1])
        assert error == "WA005" and row is None

    @rule(call=calls, amount=bad_amounts, kind=st.sampled_from(KINDS))
    def bad_amount(self, call, amount, kind):
        row, error = self.post(kind, call[0], 1, amount, f"bad-{uuid.uuid4()}")
        assert error == "WA001"

    @invariant()
    def balances_match_the_model_and_the_ledger(self):
        if not hasattr(self, "conn"):
            return
        for user in self.users:
            rows = self.conn.execute("SELECT asset_type_id, balance FROM wallet_balance(%s)", (user,)).fetchall()
            assert {(user, a): b for a, b in rows} == {k: v for k, v in self.balances.items() if k[0] == user}
        assert self.conn.execute("SELECT * FROM wallet_verify()").fetchall() == []


WalletMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
test_wallet_state_machine = WalletMachine.TestCase
