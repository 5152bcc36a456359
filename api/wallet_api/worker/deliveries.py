"""Webhook deliveries, run by the worker's `wallet.deliver_webhooks` job. The decisions
live in SQL: wallet_webhook_fan_out makes a pending delivery per matching event,
wallet_webhook_claim hands out what is due (leased, so a worker killed mid-send leaves
it due again; at most a few per receiver, none to a receiver paused after failures or
already at its share of the worker's slots),
wallet_webhook_settle records the outcome (delivered, retried after a backoff with
jitter, or dead after the retry window; a receiver whose deliveries time out is paused
as a whole). This module only signs (Standard Webhooks, with the subscription's secret) and
sends, each delivery on its own: one slow receiver never holds another's deliveries.

A delivery has one deadline for all of it (connecting, sending, the answer's status
line and headers; the body is never read), so a receiver that trickles its answer costs
at most that long. Before connecting, the receiver's name is resolved and the request
goes to that address only; a loopback, private or link-local address is refused unless
WALLET_WEBHOOK_PRIVATE_TARGETS=allow. Redirects are never followed.

Settings (environment):
  WALLET_WEBHOOK_RETRY_SECONDS     keep retrying a failing delivery this long (86400)
  WALLET_WEBHOOK_BACKOFF_CAP_SECONDS  longest wait between two attempts, and longest
                                   pause of a failing receiver (3600)
  WALLET_WEBHOOK_TIMEOUT_SECONDS   deadline of one delivery, all of it (10)
  WALLET_WEBHOOK_CONCURRENCY       deliveries in flight (16)
  WALLET_WEBHOOK_PER_RECEIVER      of which to one subscription at most (4)
  WALLET_WEBHOOK_RUN_SECONDS       how long one run keeps claiming before the next takes
                                   over (5); what it claimed is sent and settled on
  WALLET_WEBHOOK_LEASE_SECONDS     a claimed delivery is due again after this long if
                                   its worker died (60; more than the timeout)
  WALLET_WEBHOOK_PRIVATE_TARGETS   `allow`: send to loopback and private addresses too
                                   (receivers on the operator's own network)
"""

import asyncio
import ipaddress
import json
import logging
import socket
import time
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import psycopg
from prometheus_client import Counter, Gauge
from standardwebhooks.webhooks import Webhook

from wallet_api.config import DeliverySettings

log = logging.getLogger("wallet_api.worker")
DELIVERIES = Counter("wallet_webhook_deliveries", "Webhook delivery attempts by outcome (delivered, failed: to be "
                     "retried, dead)", ["outcome"])  # fmt: skip
FANNED_OUT = Counter("wallet_webhook_fanned_out", "Webhook deliveries made from new events")
PENDING = Gauge("wallet_webhook_pending", "Deliveries waiting, by subscription", ["subscription"])
OLDEST_PENDING = Gauge("wallet_webhook_oldest_pending_event_seconds", "Age of the oldest event not yet delivered to "
                       "a subscription (0: none waiting)", ["subscription"])  # fmt: skip
FAN_OUT_POSITIONS = 10000  # feed positions per subscription per call
CLAIM_BATCH = 100


@dataclass(frozen=True)
class Delivery:
    subscription_id: int
    event_id: int
    attempt: int
    url: str
    secret: str
    payload: str
    claimed_at: float  # monotonic


class RefusedTarget(Exception):
    """The receiver's address is one deliveries must not go to."""


def signed_request(event_id: int, secret: str, payload: str) -> dict[str, str]:
    """The Standard Webhooks headers for one delivery: webhook-id is the event id."""
    now = datetime.now(UTC)
    msg_id = str(event_id)
    return {
        "content-type": "application/json",
        "user-agent": "wallet-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, payload),
    }


def is_public(address: str) -> bool:
    """The same rule as wallet.is_public_address: routed on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def pinned(url: str, private_targets: bool) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL to request with the receiver's name resolved once (so that the address
    checked is the address connected to), with the Host header and TLS name to send."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedTarget(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not private_targets and not all(is_public(a) for a in addresses):
        raise RefusedTarget(f"refused: {host} is a loopback, private or link-local address ({addresses[0]})")
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"host": host_header}, extensions


async def send(client: httpx.AsyncClient, delivery: Delivery, settings: DeliverySettings) -> str | None:
    """Sends one delivery within its deadline; answers None when the receiver took it
    (2xx), else why not."""
    try:
        async with asyncio.timeout(settings.timeout):
            url, host, extensions = await pinned(delivery.url, settings.private_targets)
            headers = {**signed_request(delivery.event_id, delivery.secret, delivery.payload), **host}
            request = client.build_request("POST", url, content=delivery.payload.encode(), headers=headers,
                                           extensions=extensions)  # fmt: skip
            response = await client.send(request, stream=True)  # the body is not wanted
            await response.aclose()
    except TimeoutError:
        return f"TimeoutError: no answer within {settings.timeout:g} s"
    except RefusedTarget as exc:
        return str(exc)[:500]
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


class Sender:
    """The worker's deliveries in flight, across runs: each is sent as a task of its own
    and settled (on the sender's own connection) as soon as it is answered, so a run
    never waits for a slow receiver and a receiver never has more than `per_receiver`
    in flight however many runs claimed for it."""

    def __init__(self, database_url: str, settings: DeliverySettings):
        self.database_url, self.settings = database_url, settings
        self.counts: Tally[str] = Tally()
        self.in_flight: set[asyncio.Task] = set()
        self.per_receiver: Tally[int] = Tally()
        self.waiting: list[Delivery] = []  # claimed while their receiver had no free slot
        self.wake = asyncio.Event()  # a delivery was answered (a run's listener also sets it on new events)
        self._conn: psycopg.AsyncConnection | None = None
        self._client = httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)
        self._lock = asyncio.Lock()

    def free_slots(self) -> int:
        return self.settings.concurrency - len(self.in_flight) - len(self.waiting)

    def busy_receivers(self) -> list[int]:
        """Subscriptions with as many deliveries in flight or waiting as they may have:
        the next claim leaves theirs in the database."""
        waiting = Tally(d.subscription_id for d in self.waiting)
        return [s for s in {*self.per_receiver, *waiting}
                if self.per_receiver[s] + waiting[s] >= self.settings.per_receiver]  # fmt: skip

    def add(self, deliveries: list[Delivery]) -> None:
        self.waiting.extend(deliveries)
        self.start_sends()

    def start_sends(self) -> None:
        """Starts the waiting deliveries whose receivers have a free slot. One that could
        not start before its lease might run out is left to be claimed again, never
        sent twice at once."""
        lease, still = self.settings.lease.total_seconds(), []
        for delivery in self.waiting:
            if time.monotonic() - delivery.claimed_at + self.settings.timeout >= lease:
                continue
            if self.per_receiver[delivery.subscription_id] >= self.settings.per_receiver:
                still.append(delivery)
                continue
            self.per_receiver[delivery.subscription_id] += 1
            task = asyncio.create_task(self.deliver(delivery))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        self.waiting = still

    async def deliver(self, delivery: Delivery) -> None:
        try:
            error = await send(self._client, delivery, self.settings)
            state = await self.settle(delivery, error)
            outcome = "delivered" if error is None else "dead" if state == "dead" else "failed"
            self.counts[outcome] += 1
            DELIVERIES.labels(outcome).inc()
        except Exception as exc:  # noqa: BLE001 - left leased: claimed again when the lease ends
            log.warning(json.dumps({"job": "wallet.deliver_webhooks", "unsettled": delivery.event_id,
                                    "error": f"{type(exc).__name__}: {exc}"[:300]}))  # fmt: skip
        finally:
            self.per_receiver[delivery.subscription_id] -= 1
            self.wake.set()
            self.start_sends()

    async def settle(self, delivery: Delivery, error: str | None) -> str:
        async with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
                cur = await self._conn.execute(
                    "SELECT state FROM public.wallet_webhook_settle(%s::bigint[], %s::bigint[], %s::integer[],"
                    " %s::text[], %s, %s)",
                    ([delivery.subscription_id], [delivery.event_id], [delivery.attempt], [error],
                     self.settings.retry_for, self.settings.backoff_cap),
                )  # fmt: skip
                (state,) = await cur.fetchone() or ("pending",)
                return state
            except psycopg.OperationalError:
                if self._conn is not None:
                    await self._conn.close()
                self._conn = None
                raise

    async def drain(self) -> None:
        """Waits for the deliveries in flight (each within its deadline), then closes."""
        self.waiting.clear()
        while self.in_flight:
            await asyncio.wait(set(self.in_flight))
        await self._client.aclose()
        if self._conn is not None:
            await self._conn.close()


async def report_backlog(conn: psycopg.AsyncConnection) -> None:
    cur = await conn.execute(
        "SELECT subscription_id, pending, oldest_pending_event_at FROM public.wallet_webhook_backlog()"
    )
    now = datetime.now(UTC)
    for subscription_id, pending, oldest in await cur.fetchall():
        PENDING.labels(str(subscription_id)).set(pending)
        OLDEST_PENDING.labels(str(subscription_id)).set((now - oldest).total_seconds() if oldest else 0)


async def listen(database_url: str, wake: asyncio.Event) -> None:
    """Wakes the run on every NOTIFY wallet_events (the worker's notifier sends them)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("LISTEN wallet_events")
        async for _ in conn.notifies():
            wake.set()


async def deliver_webhooks(database_url: str, sender: Sender) -> dict[str, int]:
    """Fans out and claims for `run_for` seconds, woken by new events and by answered
    deliveries, handing what it claims to the sender (which sends and settles each on
    its own, beyond this run's end). Answers counts for the log line."""
    settings = sender.settings
    deadline = time.monotonic() + settings.run_for
    counts = {"fanned_out": 0, "claimed": 0}
    settled_before = dict(sender.counts)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        listener = asyncio.create_task(listen(database_url, sender.wake))
        try:
            await report_backlog(conn)
            while (left := deadline - time.monotonic()) > 0:
                sender.wake.clear()
                cur = await conn.execute("SELECT public.wallet_webhook_fan_out(%s)", (FAN_OUT_POSITIONS,))
                (made,) = await cur.fetchone() or (0,)
                counts["fanned_out"] += made
                FANNED_OUT.inc(made)
                claimed: list[Delivery] = []
                if (free := sender.free_slots()) > 0:
                    cur = await conn.execute(
                        "SELECT subscription_id, event_id, attempt, url, secret, payload"
                        " FROM public.wallet_webhook_claim(%s, %s, %s::bigint[], %s)",
                        (min(CLAIM_BATCH, free), settings.lease, sender.busy_receivers(), settings.per_receiver),
                    )
                    now = time.monotonic()
                    claimed = [Delivery(s, e, a, u, k, p, claimed_at=now) for s, e, a, u, k, p in await cur.fetchall()]
                    counts["claimed"] += len(claimed)
                    sender.add(claimed)
                if not made and not claimed:
                    # new events and answered deliveries wake it at once; retries come due by time
                    try:
                        await asyncio.wait_for(sender.wake.wait(), min(left, 0.5))
                    except TimeoutError:
                        pass
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    for outcome in ("delivered", "failed", "dead"):
        counts[outcome] = sender.counts[outcome] - settled_before.get(outcome, 0)
    return counts


def log_run(counts: dict[str, int], started: float) -> None:
    """One line per run that did something."""
    if not any(counts.values()):
        return
    log.info(json.dumps({"job": "wallet.deliver_webhooks", **counts,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))  # fmt: skip
