"""A server that goes away: kill a throwaway private redis-server under a lab, show the
one-line error, and reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .connection import Lab, can_start_private_server, private_lab
from .errors import RedisUnavailable
from .steps import Step, _steps_table


@dataclass(frozen=True)
class FailureDemo:
    """What a lab says when its server dies mid-session, and how it recovers."""

    steps: tuple[Step, ...]
    message: str
    note: str = ""

    def table(self) -> pd.DataFrame:
        return _steps_table(self.steps)


def server_failure_demo(lab: Lab) -> FailureDemo:
    """Kill a throwaway private redis-server under a lab, read the error, reconnect.

    Never touches ``lab``'s own server: a learner's Redis is not ours to stop, and
    fakeredis (in-process) cannot go away.
    """
    if lab.is_fake or not can_start_private_server():
        why = ("fakeredis runs inside Python and cannot go away" if lab.is_fake
               else "no redis-server on PATH to start a throwaway one")
        return FailureDemo((), "", f"ℹ️ Skipped: {why}. On a real server that stops, the next "
                                   "command raises RedisUnavailable with one line naming the "
                                   "server, and `lab.reconnect()` connects again.")
    with private_lab() as spare:
        r, key = spare.client, spare.key("greeting")
        steps = [Step("SET greeting 'hello'", r.set(key, "hello", ex=spare.safety_ttl_s),
                      "the server is up")]
        spare.server.process.kill()  # what a crash, an OOM kill or a closed laptop does
        spare.server.process.wait()
        steps.append(Step("(the redis-server process is killed)", None, ""))
        try:
            r.get(key)
            message = ""
        except RedisUnavailable as error:
            message = str(error)
        steps.append(Step("GET greeting", "RedisUnavailable", "one line, shown above"))
        spare.reconnect(quiet=True)
        steps.append(Step("lab.reconnect()", "PONG" if spare.ping() else "no answer",
                          "a fresh private server"))
        steps.append(Step("GET greeting", r.get(key), "no persistence: the key is gone"))
    return FailureDemo(tuple(steps), message)
