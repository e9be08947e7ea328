"""Cache invalidation by pub/sub: a writer publishes each change, and readers with local
copies drop theirs when the message arrives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .connection import Lab


@dataclass(frozen=True)
class InvalidationEvent:
    """One step of the pub/sub invalidation story."""

    step: int
    app: str
    action: str
    value: str | None
    note: str


@dataclass(frozen=True)
class InvalidationDemo:
    """A writer publishes each change; subscribed readers drop their local copies."""

    events: tuple[InvalidationEvent, ...]
    receivers: int          # what PUBLISH returned: subscribers that got the message
    dropped: int            # local copies the readers dropped
    delivery_ms: float      # publish → the last reader has dropped its copy
    stale_before: bool      # a reader served the old value before the message arrived
    fresh_after: bool       # every reader served the new value after it
    served_after: dict[str, str | None] = field(default_factory=dict)  # app → value, last GET
    missed: tuple[str, ...] = ()  # readers that were disconnected during the PUBLISH

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{**e.__dict__, "value": "" if e.value is None else e.value}
                             for e in self.events])


_ABSENT = object()


class LocalCache:
    """An app's in-process copy of Redis values, invalidated by a pub/sub channel."""

    def __init__(self, client: Any, channel: str, name: str):
        self.client, self.channel, self.name = client, channel, name
        self.copy: dict[str, str | None] = {}
        self.pubsub = client.pubsub(ignore_subscribe_messages=False)
        self.pubsub.subscribe(channel)
        self._confirm()

    def _confirm(self, timeout_s: float = 5.0) -> None:
        # SUBSCRIBE is only active once the server has confirmed it; a PUBLISH sent
        # before that would not reach this app.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.1)
            if message and message["type"] == "subscribe":
                return
        raise TimeoutError(f"{self.name}: no subscribe confirmation on {self.channel}")

    def get(self, key: str) -> tuple[str | None, str]:
        if key in self.copy:
            return self.copy[key], "local copy"
        value = self.client.get(key)
        self.copy[key] = value
        return value, "read from Redis"

    def drain(self, timeout_s: float = 2.0, expect: int = 1) -> int:
        """Process invalidation messages; return how many keys were dropped."""
        dropped = 0
        deadline = time.monotonic() + timeout_s
        while dropped < expect and time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.05)
            if (message and message["type"] == "message"
                    and self.copy.pop(message["data"], _ABSENT) is not _ABSENT):
                dropped += 1
        return dropped

    def disconnect(self) -> None:
        """Lose the subscription (a network drop, a restart): messages meanwhile are lost."""
        self.pubsub.close()

    def reconnect(self) -> None:
        """Subscribe again; the local copy is kept, as a reconnecting client's would be."""
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=False)
        self.pubsub.subscribe(self.channel)
        self._confirm()

    def close(self) -> None:
        self.pubsub.close()


def pubsub_invalidation(lab: Lab, readers: int = 1, name: str = "price:42", *,
                        disconnected: int = 0) -> InvalidationDemo:
    """App A writes and publishes the key; ``readers`` other apps drop their local copy.

    Each reader is a separate client with its own local dict and its own subscription,
    as separate processes would be. Without the message a reader keeps serving its old
    copy; pub/sub is fire-and-forget, so a reader that is disconnected at that moment
    misses the message (a TTL on local copies bounds the damage). The last
    ``disconnected`` readers lose their subscription just before the PUBLISH and
    subscribe again just after it, keeping their local copies. PUBLISH returns the number
    of clients the message was sent to, not how many processed it.
    """
    if readers < 1:
        raise ValueError(f"readers = {readers!r}: must be >= 1")
    if not 0 <= disconnected <= readers:
        raise ValueError(f"disconnected = {disconnected!r}: must be 0 to readers ({readers})")
    writer, key, channel = lab.client, lab.key(name), lab.channel("invalidate")
    writer.set(key, "10.00", ex=300)
    clients = [lab.new_client() for _ in range(readers)]
    apps = [LocalCache(c, channel, f"B{i + 1}") for i, c in enumerate(clients)]
    events: list[InvalidationEvent] = []

    def log(app: str, action: str, value: str | None, note: str) -> None:
        events.append(InvalidationEvent(len(events) + 1, app, action, value, note))

    try:
        with lab.guard():
            for app in apps:
                value, how = app.get(key)
                log(app.name, f"GET {name}", value, how)
            writer.set(key, "12.50", ex=300)
            log("A", f"SET {name} '12.50'", "12.50", "the price changes in Redis")
            stale = [app.get(key) for app in apps]
            for app, (value, how) in zip(apps, stale, strict=True):
                log(app.name, f"GET {name}", value, f"{how}: stale until told")
            away = apps[len(apps) - disconnected:]
            for app in away:
                app.disconnect()
                log(app.name, "connection lost", None, "its subscription is gone")
            t0 = time.perf_counter()
            receivers = writer.publish(channel, key)
            log("A", f"PUBLISH invalidate {name}", None,
                f"returns {receivers}: the message was sent to {receivers} client(s)")
            dropped = sum(app.drain() for app in apps if app not in away)
            delivery_ms = (time.perf_counter() - t0) * 1e3
            for app in apps:
                if app in away:
                    app.reconnect()
                    log(app.name, "reconnected", None, "subscribed again; the message is gone")
                else:
                    log(app.name, "message received", None, f"drops its copy of {name}")
            fresh = [app.get(key) for app in apps]
            for app, (value, how) in zip(apps, fresh, strict=True):
                log(app.name, f"GET {name}", value, how)
    finally:
        for app in apps:
            app.close()
        for c in clients:
            c.close()
        writer.delete(key)
    return InvalidationDemo(
        tuple(events), int(receivers), dropped, delivery_ms,
        stale_before=all(v == "10.00" for v, _ in stale),
        fresh_after=all(v == "12.50" for v, _ in fresh),
        served_after={app.name: v for app, (v, _) in zip(apps, fresh, strict=True)},
        missed=tuple(app.name for app in away))
