"""Transfers between shards under faults (docs/sharding.md, "Transfers between shards"):
8 clients transfer between users of different shards through the router while, in turn,
the router's backends are killed mid-transfer, the worker is SIGKILLed before it can
finish what they left, and the server holding the odd shards is stopped (as a crash) and
started, then the worker is started again. Afterwards no credit
is lost or made, every acknowledged transfer is complete, none is left half-done once the
worker has run, replays answer the same, and every shard verifies."""

import random
import signal
import statistics
import threading
import time
import uuid
from collections import Counter

import psycopg
import pytest

from wallet_dev.shards import SECOND_SERVERS

CLIENTS = 8
USERS = 32
FUNDING = 1_000
ASSET = 2


def _mine(shard_urls, users) -> tuple[int, int]:
    """What my users hold over all shards, and what is in flight between them (fresh
    connections: a shard's server may have been restarted)."""
    held = in_flight = 0
    for url in shard_urls:
        with psycopg.connect(url, autocommit=True) as conn:
            (balance, sent) = conn.execute(
                "SELECT (SELECT coalesce(sum(w.balance), 0) FROM wallet.wallets w"
                "        JOIN wallet.accounts a USING (account_id)"
                "        WHERE a.user_id = ANY(%(users)s) AND w.asset_type_id = %(asset)s),"
                "       (SELECT coalesce(sum(amount), 0) FROM wallet.shard_transfers"
                "        WHERE side = 'out' AND state = 'sent' AND from_user_id = ANY(%(users)s))",
                {"users": users, "asset": ASSET},
            ).fetchone()
        held, in_flight = held + balance, in_flight + sent
    return held, in_flight


class Client(threading.Thread):
    """Transfers between random users of two shards until stopped, reconnecting when the
    router goes away; keeps every attempt and what it was answered."""

    def __init__(self, number: int, router_url: str, users: list, shard_of, stop: threading.Event):
        super().__init__(daemon=True)
        self.number, self.router_url, self.users, self.shard_of, self.stop = number, router_url, users, shard_of, stop
        self.attempts: list[tuple[str, uuid.UUID, uuid.UUID, int]] = []
        self.answers: dict[str, tuple] = {}
        self.outcomes: Counter = Counter()
        self.rng = random.Random(number)

    def _connect(self) -> psycopg.Connection | None:
        try:
            conn = psycopg.connect(self.router_url, autocommit=True, connect_timeout=2)
            conn.execute("SET ROLE wallet_service")
            return conn
        except psycopg.OperationalError:
            time.sleep(0.2)
            return None

    def run(self) -> None:
        conn = None
        while not self.stop.is_set():
            if conn is None or conn.closed:
                conn = self._connect()
                continue
            sender, recipient = self.rng.sample(self.users, 2)
            if self.shard_of(sender) == self.shard_of(recipient):
                continue
            key = f"fault-{self.number}-{len(self.attempts)}"
            amount = self.rng.randint(1, 20)
            self.attempts.append((key, sender, recipient, amount))
            try:
                self.answers[key] = conn.execute(
                    "SELECT entry_id, balance, to_entry_id, to_balance FROM wallet_transfer(%s, %s, %s, %s, %s)",
                    (sender, recipient, ASSET, amount, key),
                ).fetchone()
                self.outcomes["acknowledged"] += 1
            except psycopg.Error as exc:
                state = exc.diag.sqlstate or "connection"
                self.outcomes["refused" if state.startswith("WA") else f"unknown ({state})"] += 1
                if conn.closed or isinstance(exc, psycopg.OperationalError):
                    conn.close()
                    conn = None
        if conn is not None:
            conn.close()


def _kill_router_backends_mid_transfer(router_url: str, shard_url: str) -> int:
    """Holds every step on one shard where it writes its record (a lock on its table),
    then terminates the router backends running a transfer: they die between steps, and
    the steps they had started on the shard commit when the lock goes."""
    with psycopg.connect(shard_url) as blocker, psycopg.connect(router_url, autocommit=True) as owner:
        blocker.execute("LOCK TABLE wallet.shard_transfers IN EXCLUSIVE MODE")
        time.sleep(1)
        (killed,) = owner.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
            "   AND query LIKE '%%wallet_transfer%%'"
        ).fetchone()
        blocker.rollback()
    return killed


def test_transfers_between_shards_survive_the_router_a_shard_and_the_worker_failing(
    router_url, shard_urls, shard_of, start_router_worker, report
):
    server_b = SECOND_SERVERS.get(router_url)
    if server_b is None:
        pytest.skip("needs the throwaway sharded wallet of the test session (its second server is stopped)")
    with psycopg.connect(router_url, autocommit=True) as owner:
        owner.execute("SELECT wallet_set_transfer_policy(%s, 'all')", (ASSET,))
        users = [uuid.uuid4() for _ in range(USERS)]
        for user in users:
            owner.execute("SELECT wallet_open_account(%s, 'faulty mover')", (user,))
            owner.execute("SELECT * FROM wallet_topup(%s, %s, %s, %s)", (user, ASSET, FUNDING, f"fund-{user}"))
    assert _mine(shard_urls, users) == (USERS * FUNDING, 0)

    worker, _ = start_router_worker(WALLET_TRANSFERS_CRON="* * * * * */1")
    stop = threading.Event()
    clients = [Client(n, router_url, users, shard_of, stop) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    try:
        time.sleep(2)
        killed = _kill_router_backends_mid_transfer(router_url, shard_urls[0])
        worker.send_signal(signal.SIGKILL)  # before it takes what the kills left in flight
        worker.wait()
        time.sleep(1)
        server_b.stop("immediate")  # the odd shards, as a crash
        time.sleep(2)
        server_b.start()
        time.sleep(1)
        worker, _ = start_router_worker(WALLET_TRANSFERS_CRON="* * * * * */1")
        time.sleep(3)
    finally:
        stop.set()
        for client in clients:
            client.join(30)
    faults_over = time.monotonic()

    # the worker finishes what the faults left in flight
    while _mine(shard_urls, users)[1] and time.monotonic() - faults_over < 60:
        time.sleep(0.5)
    completed_after = time.monotonic() - faults_over
    worker.send_signal(signal.SIGTERM)
    worker.wait(30)

    outcomes = sum((client.outcomes for client in clients), Counter())
    held, in_flight = _mine(shard_urls, users)
    assert in_flight == 0, f"transfers still in flight {completed_after:.1f} s after the faults"
    assert held == USERS * FUNDING, "no credit lost or made"
    sent_rows = []
    for url in shard_urls:
        with psycopg.connect(url, autocommit=True) as conn:
            sent_rows += conn.execute(
                "SELECT e.idempotency_key, t.state, t.in_entry_id, extract(epoch FROM t.settled_at - t.created_at)"
                " FROM wallet.shard_transfers t JOIN wallet.ledger_entries e"
                "   ON e.account_id = t.account_id AND e.entry_id = t.out_entry_id"
                " WHERE t.side = 'out' AND t.from_user_id = ANY(%s)",
                (users,),
            ).fetchall()
    states = {key: (state, in_entry) for key, state, in_entry, _ in sent_rows}
    assert all(state in ("delivered", "undone") for state, _ in states.values()), "none half-done"
    answers = {key: answer for client in clients for key, answer in client.answers.items()}
    for key, (_, _, to_entry_id, _) in answers.items():
        assert states[key] == ("delivered", to_entry_id), f"acknowledged transfer {key} is complete"

    # replays answer the same: the acknowledged their first answer, the others what became of them
    replayed = Counter()
    with psycopg.connect(router_url, autocommit=True) as conn:
        conn.execute("SET ROLE wallet_service")
        for client in clients:
            for key, sender, recipient, amount in client.attempts:
                try:
                    row = conn.execute(
                        "SELECT entry_id, balance, to_entry_id, to_balance, replayed"
                        " FROM wallet_transfer(%s, %s, %s, %s, %s)",
                        (sender, recipient, ASSET, amount, key),
                    ).fetchone()
                except psycopg.Error as exc:
                    assert exc.diag.sqlstate.startswith("WA"), f"{key}: {exc}"
                    assert states.get(key, ("undone",))[0] == "undone" or key not in states
                    replayed["refused"] += 1
                    continue
                if key in answers:
                    assert row[:4] == answers[key] and row[4], f"the replay of {key} answers its first call"
                    replayed["as first answered"] += 1
                else:
                    replayed["replayed" if row[4] else "made now"] += 1
                    assert row[4] == (key in states)
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == [], "every shard verifies"
    assert _mine(shard_urls, users) == (USERS * FUNDING, 0)

    finished_by_worker = [seconds for _, _, _, seconds in sent_rows if seconds > 1]
    report(
        f"{CLIENTS} clients, {sum(len(c.attempts) for c in clients)} transfers between shards: {dict(outcomes)};"
        f" {killed} router backends killed mid-transfer, the worker SIGKILLed, the odd shards' server down 2 s;"
        f" replays {dict(replayed)}"
    )
    report(
        f"in flight after the faults: 0 after {completed_after:.1f} s; {len(finished_by_worker)} transfers finished"
        f" by the worker or a replay, in flight for"
        f" {statistics.median(finished_by_worker) if finished_by_worker else 0:.1f} s median,"
        f" {max(finished_by_worker, default=0):.1f} s at most"
    )
    assert outcomes["acknowledged"] > 50, "the clients got through between the faults"
    assert finished_by_worker, "the faults left transfers between steps for the worker"
    assert any(key.startswith("unknown") for key in outcomes), "the faults cut transfers short"
