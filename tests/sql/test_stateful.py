"""A hypothesis state machine drives top-ups and bonuses (some expiring), spends,
refunds (clamp and debt) and reversals, holds, captures (whole, part, replayed, too
much, too late) and voids, replays, key reuse, bad amounts, a clock it moves, expiry
sweeps, and freezes and limits set and lifted by support through the SQL functions,
against an in-memory model of each wallet's lots,
holds and debt. After every step the balances, their paid/free split, what is held and
available and the debt must match the model, wallet_verify() must be clean, and every
entry must have its event in the feed.

The clock: lot and hold expiries are 50-second multiples ahead of the model's time, and
moving the clock moves this machine's open lots' and holds' expires_at back by as much,
so the database sees exactly the lots and holds the model sees as expired (real time
elapsed is far below 50 s)."""

import uuid
from dataclasses import dataclass, field

import psycopg
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import database_url

KINDS = ["topup", "bonus", "spend"]
amounts = st.integers(min_value=1, max_value=200)
bad_amounts = st.sampled_from([0, -1, 9007199254740992, None])
expiries = st.sampled_from([None, None, 50, 100, 150])  # seconds ahead of the model's clock


@dataclass
class Lot:
    seq: int
    cls: str
    remaining: int
    expires: int | None  # model seconds


@dataclass
class Hold:
    hold_id: int
    amount: int
    reserved: list[tuple[Lot, int]]  # in the order reserved
    expires: int  # model seconds
    answer: tuple  # what wallet_hold answered
    state: str = "open"
    capture: tuple | None = None  # (key, amount asked, what wallet_capture answered)


@dataclass
class Wallet:
    lots: list[Lot] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    debt: int = 0

    def held(self) -> int:
        return sum(h.amount for h in self.holds if h.state == "open")

    def release(self, reserved: list[tuple[Lot, int]]) -> None:
        """Reserved credit goes back to its lots (of an expired lot, it is gone with it)."""
        for lot, bite in reserved:
            lot.remaining += bite

    def live(self, now: int) -> list[Lot]:
        return [lot for lot in self.lots if lot.remaining and (lot.expires is None or lot.expires > now)]

    def in_spend_order(self, cls: str, now: int) -> list[Lot]:
        return sorted((lot for lot in self.live(now) if lot.cls == cls),
                      key=lambda lot: (lot.expires is None, lot.expires or 0, lot.seq))  # fmt: skip

    def take_from(self, lots: list[Lot], amount: int) -> list[tuple[Lot, int]]:
        takes = []
        for lot in lots:
            bite = min(amount, lot.remaining)
            if bite:
                lot.remaining -= bite
                takes.append((lot, bite))
                amount -= bite
        return takes

    def repay(self, lots: list[Lot], now: int) -> int:
        """Debt is repaid first from credit just made (its unexpired lots)."""
        live = [lot for lot in lots if lot.expires is None or lot.expires > now]
        repaid = sum(bite for _, bite in self.take_from(live, self.debt))
        self.debt -= repaid
        return repaid

    def view(self, now: int) -> tuple[int, int, int]:
        """balance, paid, free: live lots, and what open holds reserve whatever its lot's expiry."""
        reserved = [(lot, bite) for h in self.holds if h.state == "open" for lot, bite in h.reserved]
        paid = sum(lot.remaining for lot in self.live(now) if lot.cls == "paid")
        paid += sum(bite for lot, bite in reserved if lot.cls == "paid")
        free = sum(lot.remaining for lot in self.live(now) if lot.cls == "free")
        free += sum(bite for lot, bite in reserved if lot.cls == "free")
        return paid + free, paid, free

    def available(self, now: int) -> int:
        return self.view(now)[0] - self.held()

    def take(self, amount: int, now: int) -> list[tuple[Lot, int]]:
        """Free first; within a class expiring lots soonest first, then oldest first."""
        takes = self.take_from(self.in_spend_order("free", now) + self.in_spend_order("paid", now), amount)
        assert sum(bite for _, bite in takes) == amount
        return takes


def split(takes: list[tuple[Lot, int]]) -> tuple[int, int]:
    return (sum(b for lot, b in takes if lot.cls == "paid"), sum(b for lot, b in takes if lot.cls == "free"))


class WalletMachine(RuleBasedStateMachine):
    calls = Bundle("calls")

    @initialize()
    def open_wallets(self):
        self.conn = psycopg.connect(database_url(), autocommit=True)
        self.admin = psycopg.connect(database_url(), autocommit=True)
        self.conn.execute("SET ROLE wallet_service")
        self.users = [uuid.uuid4() for _ in range(2)]
        for user in self.users:
            self.conn.execute("SELECT wallet_open_account(%s, 'hypothesis')", (user,))
        self.wallets = {(u, a): Wallet() for u in self.users for a in (1, 2)}
        self.now = 0
        self.seq = 0
        self.answers = {}  # (user, key) -> (kind, asset, amount, answered row)
        self.credits = {}  # (user, key) of a top-up -> (wallet, its lot, amount, refunded so far)
        self.spends = {}  # (user, key) of a spend -> (wallet, takes, amount, reversed so far, given per lot)
        self.holds = {}  # (user, key) of a hold -> (wallet, asset, Hold)
        for index in range(2):  # every wallet starts with paid and free credit, so steps can spend, hold, refund
            for asset in (1, 2):
                self.new_call("topup", index, asset, 150, None)
                self.new_call("bonus", index, asset, 60, 100 if asset == 1 else None)

    def teardown(self):
        for name in ("conn", "admin"):
            if hasattr(self, name):
                getattr(self, name).close()

    def post(self, kind, user, asset, amount, key, expires_in=None):
        query = f"SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_{kind}(%s, %s, %s, %s"
        params = [user, asset, amount, key]
        if expires_in is not None:
            query += ", '{}', now() + %s * interval '1 second'"
            params.append(expires_in)
        try:
            return self.conn.execute(query + ")", params).fetchone(), None
        except psycopg.Error as exc:
            return None, exc.diag.sqlstate

    @rule(target=calls, kind=st.sampled_from([*KINDS, "spend"]), user_index=st.integers(0, 1),
          asset=st.sampled_from([1, 1, 2]),
          amount=amounts, expires_in=expiries)  # fmt: skip
    def new_call(self, kind, user_index, asset, amount, expires_in):
        user, key = self.users[user_index], str(uuid.uuid4())
        wallet = self.wallets[(user, asset)]
        if kind == "spend":
            expires_in = None
        row, error = self.post(kind, user, asset, amount, key, expires_in)
        balance = wallet.view(self.now)[0]
        if kind == "spend" and amount > wallet.available(self.now):
            assert error == "WA006" and row is None
            return (user, key)
        assert error is None and row[2] is False, error
        if kind == "spend":
            takes = wallet.take(amount, self.now)
            expected = (balance - amount, False, *split(takes))
            self.spends[(user, key)] = [wallet, takes, amount, 0, {}]
        else:
            self.seq += 1
            cls = "paid" if kind == "topup" else "free"
            expires = None if expires_in is None else self.now + expires_in
            lot = Lot(self.seq, cls, amount, expires)
            wallet.lots.append(lot)
            repaid = wallet.repay([lot], self.now) if wallet.debt else 0
            expected = (
                balance + amount - repaid,
                False,
                amount if cls == "paid" else 0,
                amount if cls == "free" else 0,
            )
            if kind == "topup":
                self.credits[(user, key)] = [wallet, lot, amount, 0]
        assert row[1:] == expected
        self.answers[(user, key)] = (kind, asset, amount, row)
        return (user, key)

    @rule(target=calls, user_index=st.integers(0, 1), asset=st.sampled_from([1, 2]), keep=st.sampled_from([0, 0, 5]))
    def drain(self, user_index, asset, keep):
        """Spends all but `keep` of a wallet, so that refunds find too little and leave debt."""
        user, key = self.users[user_index], str(uuid.uuid4())
        wallet = self.wallets[(user, asset)]
        balance, available = wallet.view(self.now)[0], wallet.available(self.now)
        if available <= keep:
            return (user, key)
        row, error = self.post("spend", user, asset, available - keep, key)
        takes = wallet.take(available - keep, self.now)
        assert error is None and row[1:] == (balance - available + keep, False, *split(takes))
        self.spends[(user, key)] = [wallet, takes, available - keep, 0, {}]
        self.answers[(user, key)] = ("spend", asset, available - keep, row)
        return (user, key)

    @precondition(lambda self: getattr(self, "credits", None))
    @rule(pick=st.integers(0, 1000), fraction=st.sampled_from([0.3, 0.5, 1.0, 1.2]),
          policy=st.sampled_from(["clamp", "debt"]))  # fmt: skip
    def refund(self, pick, fraction, policy):
        call = list(self.credits)[pick % len(self.credits)]
        wallet, own, amount, refunded = self.credits[call]
        ask = max(1, int(amount * fraction))
        key = str(uuid.uuid4())
        try:
            row = self.conn.execute(
                "SELECT balance, replayed, recovered, unrecovered FROM wallet_refund(%s, %s, %s, %s, %s)",
                (call[0], call[1], ask, key, policy),
            ).fetchone()
        except psycopg.Error as exc:
            assert refunded + ask > amount and exc.diag.sqlstate == "WA008", exc
            return
        assert refunded + ask <= amount
        self.credits[call][3] += ask
        balance = wallet.view(self.now)[0]
        first = [own] if own in wallet.live(self.now) else []
        order = first + [lot for lot in wallet.in_spend_order("paid", self.now) if lot is not own]
        takes = wallet.take_from(order + wallet.in_spend_order("free", self.now), ask)
        recovered = sum(b for _, b in takes)
        if policy == "debt":
            wallet.debt += ask - recovered
        assert row == (balance - recovered, False, recovered, ask - recovered)

    @precondition(lambda self: getattr(self, "spends", None))
    @rule(pick=st.integers(0, 1000), fraction=st.sampled_from([0.3, 0.5, 1.0, 1.2]))
    def reverse(self, pick, fraction):
        call = list(self.spends)[pick % len(self.spends)]
        wallet, takes, amount, reversed_, given = self.spends[call]
        ask = max(1, int(amount * fraction))
        try:
            row = self.conn.execute(
                "SELECT balance, replayed, paid_amount, free_amount FROM wallet_reverse_spend(%s, %s, %s, %s)",
                (call[0], call[1], ask, str(uuid.uuid4())),
            ).fetchone()
        except psycopg.Error as exc:
            assert reversed_ + ask > amount and exc.diag.sqlstate == "WA008", exc
            return
        assert reversed_ + ask <= amount
        self.spends[call][3] += ask
        left, gives = ask, []
        for lot, bite in reversed(takes):  # most recently taken first
            give = min(left, bite - given.get(id(lot), 0))
            if give > 0:
                given[id(lot)] = given.get(id(lot), 0) + give
                lot.remaining += give
                gives.append((lot, give))
                left -= give
        assert left == 0
        repaid = wallet.repay([lot for lot, _ in gives], self.now) if wallet.debt else 0
        # what went back to lots that repaid debt came out of them again, in the order given
        assert row == (wallet.view(self.now)[0], False, *split(gives))
        assert repaid >= 0

    @rule(user_index=st.integers(0, 1), asset=st.sampled_from([1, 1, 2]), amount=st.one_of(amounts, st.none()),
          expires_in=st.sampled_from([50, 100, 150]))  # fmt: skip
    def hold(self, user_index, asset, amount, expires_in):
        """A hold of `amount`, or of everything available (None): it spans every lot."""
        user, key = self.users[user_index], str(uuid.uuid4())
        wallet = self.wallets[(user, asset)]
        amount = amount or wallet.available(self.now) or 1
        try:
            row = self.conn.execute(
                "SELECT hold_id, available, expires_at, replayed"
                " FROM wallet_hold(%s, %s, %s, %s, %s * interval '1 second')",
                (user, asset, amount, key, expires_in),
            ).fetchone()
        except psycopg.Error as exc:
            assert amount > wallet.available(self.now) and exc.diag.sqlstate == "WA006", exc
            return
        available = wallet.available(self.now)
        assert amount <= available and row[1] == available - amount and row[3] is False
        held = Hold(row[0], amount, wallet.take(amount, self.now), self.now + expires_in, row)
        wallet.holds.append(held)
        self.holds[(user, key)] = (wallet, asset, held)

    def pick_hold(self, pick):
        call = list(self.holds)[pick % len(self.holds)]
        return call, *self.holds[call]

    @precondition(lambda self: getattr(self, "holds", None))
    @rule(pick=st.integers(0, 1000), fraction=st.sampled_from([None, 0.4, 1.0, 1.5]), again=st.booleans())
    def capture(self, pick, fraction, again):
        (user, _), wallet, _, held = self.pick_hold(pick)
        if again and held.capture:  # the same key and amount again: a replay of the first answer
            key, ask, first = held.capture
        else:
            key, ask = str(uuid.uuid4()), None if fraction is None else max(1, int(held.amount * fraction))
        try:
            row = self.conn.execute(
                "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_capture(%s, %s, %s, %s)",
                (user, held.hold_id, key, ask),
            ).fetchone()
        except psycopg.Error as exc:
            if held.state != "open":
                assert (exc.diag.sqlstate, exc.diag.message_detail) == ("WA010", f"state: {held.state}"), exc
            else:
                assert ask > held.amount and exc.diag.sqlstate == "WA008", exc
            return
        if again and held.capture:
            assert row == (first[0], first[1], True, first[3], first[4])
            return
        assert held.state == "open" and (ask or held.amount) <= held.amount
        left, taken, rest = ask or held.amount, [], []
        for lot, bite in held.reserved:
            take = min(left, bite)
            left -= take
            taken += [(lot, take)] if take else []
            rest += [(lot, bite - take)] if bite > take else []
        held.state = "captured"
        wallet.release(rest)
        assert row == (row[0], wallet.view(self.now)[0], False, *split(taken))
        held.capture = (key, ask, row)

    @precondition(lambda self: getattr(self, "holds", None))
    @rule(pick=st.integers(0, 1000))
    def void(self, pick):
        (user, _), wallet, _, held = self.pick_hold(pick)
        try:
            row = self.conn.execute("SELECT hold_id, available, state FROM wallet_void(%s, %s)",
                                    (user, held.hold_id)).fetchone()  # fmt: skip
        except psycopg.Error as exc:
            assert held.state in ("captured", "expired"), exc
            assert (exc.diag.sqlstate, exc.diag.message_detail) == ("WA010", f"state: {held.state}"), exc
            return
        assert held.state in ("open", "voided")
        if held.state == "open":
            held.state = "voided"
            wallet.release(held.reserved)
        assert row == (held.hold_id, wallet.available(self.now), "voided")

    @precondition(lambda self: getattr(self, "holds", None))
    @rule(pick=st.integers(0, 1000), other_amount=st.booleans())
    def replay_hold(self, pick, other_amount):
        (user, key), _, asset, held = self.pick_hold(pick)
        try:
            row = self.conn.execute(
                "SELECT hold_id, available, expires_at, replayed FROM wallet_hold(%s, %s, %s, %s, '1 hour')",
                (user, asset, held.amount + other_amount, key),
            ).fetchone()
        except psycopg.Error as exc:
            assert other_amount and exc.diag.sqlstate == "WA005", exc
            return
        # the first answer (expires_at aside: the clock moved it)
        assert not other_amount and (row[0], row[1], row[3]) == (held.answer[0], held.answer[1], True)
        row, error = self.post("spend", user, asset, 1, key)  # an entry keyed like a hold
        assert error == "WA005" and row is None

    @rule(seconds=st.sampled_from([50, 100]))
    def time_passes(self, seconds):
        """Moves this machine's open lots' and holds' expiries back by `seconds`; a lot
        that crosses into the past expires just after its wallet's last entry, as real
        time would have it (an entry's balance_after never counted a lot that expired
        later). Holds that reach their expiry release their credit in the model."""
        self.now += seconds
        self.admin.execute(
            "UPDATE wallet.holds h SET expires_at = h.expires_at - %s * interval '1 second'"
            " FROM wallet.accounts a WHERE a.account_id = h.account_id AND a.user_id = ANY(%s) AND h.state = 'open'",
            (seconds, self.users),
        )
        self.admin.execute(
            "UPDATE wallet.wallets w SET next_hold_expiry = (SELECT min(h.expires_at) FROM wallet.holds h"
            "   WHERE h.account_id = w.account_id AND h.asset_type_id = w.asset_type_id AND h.state = 'open')"
            " FROM wallet.accounts a WHERE a.account_id = w.account_id AND a.user_id = ANY(%s)",
            (self.users,),
        )
        for wallet in self.wallets.values():
            for held in wallet.holds:
                if held.state == "open" and held.expires <= self.now:
                    held.state = "expired"
                    wallet.release(held.reserved)
        self.admin.execute(
            "UPDATE wallet.lots l SET expires_at = CASE WHEN l.expires_at - %(s)s * interval '1 second' > now()"
            "   THEN l.expires_at - %(s)s * interval '1 second'"
            "   ELSE greatest(l.expires_at - %(s)s * interval '1 second',"
            "                 (SELECT max(e.created_at) FROM wallet.ledger_entries e WHERE e.account_id = l.account_id"
            "                  AND e.asset_type_id = l.asset_type_id) + interval '1 microsecond') END"
            " FROM wallet.accounts a WHERE a.account_id = l.account_id AND a.user_id = ANY(%(users)s)"
            "   AND l.expires_at > now()",
            {"s": seconds, "users": self.users},
        )
        self.admin.execute(
            "UPDATE wallet.wallets w SET next_expiry = (SELECT min(l.expires_at) FROM wallet.lots l"
            "   WHERE l.account_id = w.account_id AND l.asset_type_id = w.asset_type_id AND l.remaining > 0)"
            " FROM wallet.accounts a WHERE a.account_id = w.account_id AND a.user_id = ANY(%s)",
            (self.users,),
        )

    @rule()
    def sweep(self):
        row = self.conn.execute("SELECT lots_expired, holds_expired FROM wallet_expire(1000)").fetchone()
        assert row[0] >= 0 and row[1] >= 0

    @rule(call=calls)
    def replay(self, call):
        if call not in self.answers:
            return
        kind, asset, amount, first = self.answers[call]
        row, error = self.post(kind, call[0], asset, amount, call[1])
        assert error is None and row == (first[0], first[1], True, first[3], first[4])

    @rule(call=calls, kind=st.sampled_from(KINDS), delta=st.integers(1, 3))
    def reuse_key(self, call, kind, delta):
        if call not in self.answers:
            return
        _, asset, amount, _ = self.answers[call]
        row, error = self.post(kind, call[0], asset, amount + delta, call[1])
        assert error == "WA005" and row is None

    @rule(call=calls, asset=st.sampled_from([1, 2]))
    def controls_refuse_and_lift(self, call, asset):
        """Support freezes the account of a call's user, then sets a daily limit of 0 and a
        cap at the balance: a new spend, and a top-up under the cap, are refused with the
        control's own error and write nothing, a replay still answers its first answer, and
        once each control is lifted every wallet is as the model has it (the invariant)."""
        user = call[0]
        self.conn.execute("SELECT wallet_set_account_status(%s, 'frozen', 'hypothesis')", (user,))
        try:
            assert self.post("spend", user, asset, 1, f"frozen-{uuid.uuid4()}") == (None, "WA011")
            self.replay(call)
        finally:
            self.conn.execute("SELECT wallet_set_account_status(%s, 'active', 'hypothesis')", (user,))
        balance = self.wallets[(user, asset)].view(self.now)[0]
        self.conn.execute("SELECT wallet_set_limits(%s, %s, 0, %s)", (asset, balance, user))
        try:
            assert self.post("spend", user, asset, 1, f"limited-{uuid.uuid4()}") == (None, "WA013")
            assert self.post("topup", user, asset, 1, f"capped-{uuid.uuid4()}") == (None, "WA012")
        finally:
            self.conn.execute("SELECT wallet_set_limits(%s, NULL, NULL, %s)", (asset, user))

    @rule(call=calls, amount=bad_amounts, kind=st.sampled_from(KINDS))
    def bad_amount(self, call, amount, kind):
        row, error = self.post(kind, call[0], 1, amount, f"bad-{uuid.uuid4()}")
        assert error == "WA001"

    @invariant()
    def balances_and_splits_match_the_model_and_the_ledger(self):
        if not hasattr(self, "conn"):
            return
        for user in self.users:
            rows = self.conn.execute("SELECT asset_type_id, balance, paid, free, held, available, debt"
                                     " FROM wallet_balance(%s)", (user,)).fetchall()  # fmt: skip
            assert {(user, a): tuple(values) for a, *values in rows} == {
                k: (*w.view(self.now), w.held(), w.available(self.now), w.debt)
                for k, w in self.wallets.items() if k[0] == user}  # fmt: skip
        assert self.conn.execute("SELECT * FROM wallet_verify()").fetchall() == []
        # every entry has its event, placed in the feed (each step committed; placed as the
        # worker's next run would)
        self.admin.execute("SELECT wallet_notify_events()")
        entries, events = self.admin.execute(
            "SELECT (SELECT array_agg(e.entry_id ORDER BY e.entry_id) FROM wallet.ledger_entries e"
            "        JOIN wallet.accounts a USING (account_id) WHERE a.user_id = ANY(%(u)s)),"
            "       (SELECT array_agg(v.entry_id ORDER BY v.entry_id) FROM wallet.feed_events v"
            "        JOIN wallet.accounts a USING (account_id)"
            "        WHERE a.user_id = ANY(%(u)s) AND v.type LIKE 'entry.%%')",
            {"u": self.users},
        ).fetchone()
        assert entries == events


WalletMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
test_wallet_state_machine = WalletMachine.TestCase
