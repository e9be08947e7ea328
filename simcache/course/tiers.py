"""Notebook 02's helpers: what a read costs at each tier, where the reads of a run were
served, the decisions each kind of HTTP cache makes, a header-design check, and controls
that re-run the browser → CDN → in-process → Redis → database waterfall.

The functions return plain tables, figures and :class:`~simcache.course.exercises.Check`
verdicts; :class:`WaterfallExplorer` is a plain model (:meth:`WaterfallExplorer.update`)
whose widgets only forward their changes to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from ..engine import run
from ..metrics.result import Result
from ..model.http import Decision
from ..model.http import decide as core_decide
from ..scenario import Scenario
from .exercises import Check
from .plots import OVERALL, _style, _tier_colour, human_ms

DATABASE = "database"
PASSED = "#c7c7c7"  # the grey of reads passed on to the next tier


# -- the latency ladder, simulated ------------------------------------------------------
def ladder(scenario: Scenario, requests: int = 3_000) -> pd.DataFrame:
    """What one read costs when each tier serves it, and when the database does.

    Runs ``scenario`` once per rung with a single key that every tier may keep (one
    content class, ``public, max-age=3600``), no writes and a constant-time database; for
    the rung of tier *i*, the tiers before it have no room (capacity 0), so they pass every
    read on. The median latency of each run is what a read served there costs, the
    look-ups that missed on the way included. Columns: ``served by``, ``latency_ms``.
    """
    if not scenario.tiers:
        raise ValueError("scenario.tiers: the ladder needs at least one cache tier")
    base = scenario.with_values({
        "workload.keys": 1, "workload.write_ratio": 0.0, "workload.missing_ratio": 0.0,
        "workload.fanout": 1, "workload.requests": requests,
        "workload.warmup_requests": requests // 3, "database.service": "constant",
        "workload.content": [{"name": "page", "share": 1.0,
                              "cache_control": "public, max-age=3600"}],
        "faults": [], "protections": []})
    rows = []
    names = [t.name for t in scenario.tiers]
    for rung, name in enumerate([*names, DATABASE]):
        emptied = {f"tiers.{i}.capacity": 0 for i in range(rung)}
        summary = run(base.with_values(emptied)).summary
        rows.append({"served by": name, "latency_ms": summary["latency_p50_ms"]})
    return pd.DataFrame(rows)


# -- where the reads of a run were served -----------------------------------------------
def waterfall(result: Result) -> pd.DataFrame:
    """One row per tier, in the order reads meet them, and one for the database: reads
    that reached it (``requests_in``), reads it answered (``served``), reads it passed on
    (``passed_down``), its hit ratio and the share of all reads it served."""
    tiers = result.tiers
    reads = result.summary["reads"]
    rows = [{"tier": row.tier, "scope": row.scope, "requests_in": int(row.lookups),
             "served": int(row.hits), "passed_down": int(row.lookups - row.hits)}
            for row in tiers.itertuples()]
    db_reads = int(result.summary["db_reads"])
    rows.append({"tier": DATABASE, "scope": "shared", "requests_in": db_reads,
                 "served": db_reads, "passed_down": 0})
    frame = pd.DataFrame(rows)
    frame["hit_ratio"] = frame["served"] / frame["requests_in"].where(frame["requests_in"] > 0)
    frame["share_of_reads"] = frame["served"] / reads if reads else float("nan")
    return frame


def adds_up(frame: pd.DataFrame) -> bool:
    """Whether every tier passed down exactly the reads the next one received (and the
    served counts sum to the reads that entered the first tier)."""
    passed = frame["passed_down"].to_numpy()[:-1]
    received = frame["requests_in"].to_numpy()[1:]
    return bool((passed == received).all()
                and frame["served"].sum() == frame["requests_in"].iloc[0])


def waterfall_chart(result: Result, title: str | None = None) -> go.Figure:
    """Horizontal bars, one per tier from the browser down to the database: the reads
    each tier served (coloured) and passed on (grey); together, the reads that reached it."""
    frame = waterfall(result)
    labels = list(frame["tier"])
    reads = frame["requests_in"].iloc[0] or 1
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=frame["served"], orientation="h", name="served here",
        marker_color=[OVERALL if t == DATABASE else _tier_colour(i)
                      for i, t in enumerate(labels)],
        text=[f"{v:,} ({v / reads:.0%})" for v in frame["served"]], textposition="inside",
        insidetextanchor="start",
        hovertemplate="%{y}: served %{x:,}<extra></extra>"))
    fig.add_trace(go.Bar(
        y=labels, x=frame["passed_down"], orientation="h", name="passed down",
        marker_color=PASSED,
        hovertemplate="%{y}: passed down %{x:,}<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", x=0, y=1.0,
                                                   xanchor="left", yanchor="bottom"))
    fig.update_yaxes(autorange="reversed", ticksuffix="  ")
    fig.update_xaxes(title_text="reads (served here + passed down = reads that reached the tier)")
    s = result.summary
    subtitle = (f"{s['reads']:,.0f} reads: {s['origin_requests'] / s['reads']:.0%} reached the "
                f"application, {s['db_reads'] / s['reads']:.1%} the database")
    return _style(fig, title or "Where the reads were served", subtitle, height=420)


# -- what each kind of cache may do with a content class --------------------------------
def decisions(content: Mapping[str, str],
              decide: Callable[[str, bool], Decision] = core_decide) -> pd.DataFrame:
    """One row per content class and kind of cache (a browser's private one, a CDN's
    shared one): the decision ``decide`` makes for the class's ``Cache-Control``."""
    rows = []
    for name, cache_control in content.items():
        for cache, shared in (("browser (private)", False), ("CDN (shared)", True)):
            d = decide(cache_control, shared)
            rows.append({"class": name, "cache": cache, "stored": d.stored,
                         "fresh_s": d.fresh_s if d.stored else None,
                         "revalidate_always": d.revalidate_always if d.stored else None,
                         "immutable": d.immutable,
                         "stale_while_revalidate_s": d.stale_while_revalidate_s})
    return pd.DataFrame(rows)


# -- choosing headers -------------------------------------------------------------------
def with_headers(scenario: Scenario, headers: Mapping[str, str]) -> Scenario:
    """``scenario`` with the ``Cache-Control`` of the named content classes replaced."""
    names = [c.name for c in scenario.workload.content]
    changes = {}
    for name, value in headers.items():
        if name not in names:
            raise ValueError(f"headers: {name!r} is not a content class; allowed: "
                             f"{', '.join(names)}")
        changes[f"workload.content.{names.index(name)}.cache_control"] = value
    return scenario.with_values(changes)


def headers_check(headers: Mapping[str, Any], scenario: Scenario, *, private: str,
                  max_origin_share: float, max_staleness_s: float) -> Check:
    """Check a header design: the ``private`` class is never stored by a shared cache
    (RFC 9111 §5.2.2.7), and a run of ``scenario`` with these headers sends at most
    ``max_origin_share`` of its reads to the application and serves no copy more than
    ``max_staleness_s`` out of date. Never raises."""
    blank = [name for name, value in headers.items() if value is None or value is Ellipsis]
    if blank:
        return Check(False, "missing", f"✏️ Fill in {', '.join(f'`{n}`' for n in blank)}: "
                                       "replace `None` with a Cache-Control value and run "
                                       "this cell again.")
    wrong = [name for name, value in headers.items() if not isinstance(value, str)]
    if wrong:
        return Check(False, "invalid", f"❌ Not yet: {', '.join(f'`{n}`' for n in wrong)} "
                                       "should be a string such as \"public, max-age=60\".")
    if core_decide(headers[private], True).stored:
        return Check(False, "wrong", f"❌ Not yet: with `{headers[private]}` a CDN may store "
                                     f"the {private} pages, one user's data served to others. "
                                     "Hint: which directive keeps a response out of shared "
                                     "caches only (RFC 9111 §5.2.2.7)?")
    try:
        s = run(with_headers(scenario, headers)).summary
    except ValueError as err:
        return Check(False, "invalid", f"❌ Not yet: {str(err).splitlines()[0]}")
    share, oldest = s["origin_requests"] / s["reads"], s["staleness_max_s"]
    shown = (f"{share:.1%} of reads reached the application (at most {max_origin_share:.0%} "
             f"wanted); the oldest copy served was {oldest:.1f} s out of date (at most "
             f"{max_staleness_s:g} s wanted)")
    if oldest > max_staleness_s:
        return Check(False, "high", f"❌ Not yet: {shown}. Hint: a copy can be as old as the "
                                    "longest lifetime any cache gives it; which class "
                                    "changes, and where is it kept longest?")
    if share > max_origin_share:
        return Check(False, "high", f"❌ Not yet: {shown}. Hint: which class still goes to "
                                    "the application on every read? `private` keeps a "
                                    "response out of shared caches only; with a lifetime "
                                    "(`max-age`) each browser may reuse its own copy.")
    return Check(True, "ok", f"✅ Correct: {shown}.")


# -- controls for the waterfall ---------------------------------------------------------
class WaterfallExplorer:
    """Controls for one content class's ``max-age`` and ``s-maxage``, the CDN's capacity
    and PoPs, and whether browsers cache at all; each change re-runs ``scenario`` (a
    scenario with a ``per-client`` and a ``per-pop`` tier, like the ``waterfall`` preset)
    and redraws where the reads were served. Call :meth:`update` to drive it from code."""

    SETTINGS = ("max_age_s", "s_maxage_s", "cdn_capacity", "pops", "browser")

    def __init__(self, scenario: Scenario, content: str = "product"):
        names = [c.name for c in scenario.workload.content]
        if content not in names:
            raise ValueError(f"content: {content!r} is not a content class; allowed: "
                             f"{', '.join(names)}")
        scopes = [t.scope for t in scenario.tiers]
        if "per-client" not in scopes or "per-pop" not in scopes:
            raise ValueError("scenario.tiers: needs a browser tier (scope \"per-client\") "
                             "and a CDN tier (scope \"per-pop\")")
        self.base, self.content = scenario, content
        self._browser = scopes.index("per-client")
        cdn = scenario.tiers[scopes.index("per-pop")]
        self.settings: dict[str, Any] = {"max_age_s": 10, "s_maxage_s": 60,
                                         "cdn_capacity": cdn.capacity, "pops": cdn.pops,
                                         "browser": True}
        self.scenario = scenario
        self.result: Result | None = None
        self.figure: go.Figure | None = None
        self.run_s = 0.0
        sliders = {
            "max_age_s": widgets.SelectionSlider(
                options=[0, 1, 5, 10, 30, 60, 300, 3600], value=10,
                description=f"{content} max-age (s)"),
            "s_maxage_s": widgets.SelectionSlider(
                options=[0, 1, 5, 10, 30, 60, 300, 3600], value=60,
                description=f"{content} s-maxage (s)"),
            "cdn_capacity": widgets.SelectionSlider(
                options=sorted({50, 100, 200, 500, 1_000, 2_000, cdn.capacity}),
                value=cdn.capacity, description="CDN entries per PoP"),
            "pops": widgets.SelectionSlider(options=sorted({1, 2, 3, 5, 10, cdn.pops}),
                                            value=cdn.pops, description="CDN PoPs"),
            "browser": widgets.Checkbox(value=True, description="browser caches"),
        }
        style = {"description_width": "150px"}
        for key, control in sliders.items():
            control.style = style
            if isinstance(control, widgets.SelectionSlider):
                control.continuous_update = False
            control.observe(lambda change, key=key: self.update({key: change["new"]}),
                            names="value")
        self.controls = sliders
        self.status = widgets.HTML()
        self.output = widgets.Output()
        grid = widgets.GridBox(list(sliders.values()), layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(340px, 1fr))", grid_gap="4px 16px"))
        self.widget = widgets.VBox([grid, self.status, self.output])
        self._shown = False
        self.update({})

    def scenario_for(self, settings: Mapping[str, Any]) -> Scenario:
        """The scenario these settings describe."""
        unknown = sorted(set(settings) - set(self.SETTINGS))
        if unknown:
            raise ValueError(f"settings: {', '.join(unknown)} unknown; allowed: "
                             f"{', '.join(self.SETTINGS)}")
        s = {**self.settings, **settings}
        d = self.base.to_dict()
        for c in d["workload"]["content"]:
            if c["name"] == self.content:
                c["cache_control"] = (f"public, max-age={int(s['max_age_s'])}, "
                                      f"s-maxage={int(s['s_maxage_s'])}")
        for t in d["tiers"]:
            if t.get("scope") == "per-pop":
                t["capacity"], t["pops"] = int(s["cdn_capacity"]), int(s["pops"])
        if not s["browser"]:
            del d["tiers"][self._browser]
        return Scenario.from_dict(d)

    def update(self, settings: Mapping[str, Any]) -> Result:
        """Apply ``settings`` (names in :attr:`SETTINGS`), re-run, redraw; the Result."""
        scenario = self.scenario_for(settings)
        start = time.perf_counter()
        result = run(scenario)
        self.run_s = time.perf_counter() - start
        self.settings.update(settings)
        self.scenario, self.result = scenario, result
        self.figure = waterfall_chart(result)
        self.status.value = self.summary()
        self._draw()
        return result

    def summary(self) -> str:
        """One line about the latest run."""
        assert self.result is not None
        s = self.result.summary
        return (f"<b>{s['origin_requests'] / s['reads']:.0%} of reads reach the application</b>"
                f" · origin {s['origin_bytes_per_s'] / 1e3:,.0f} kB/s · DB "
                f"{s['db_reads_per_s']:,.0f} reads/s · stale reads {s['stale_ratio']:.1%} "
                f"(oldest {s['staleness_max_s']:.0f} s) · p50 {human_ms(s['latency_p50_ms'])}"
                f" <span style='color:#888'>(simulated in {self.run_s:.2f} s)</span>")

    def _draw(self) -> None:
        # As Explorer._draw: the figure goes straight into the Output's outputs, so a
        # redraw from a widget callback needs no ``with output:``.
        if not self._shown or self.figure is None:
            return
        data = dict(self.figure._repr_mimebundle_() or {})
        data.setdefault("text/plain", "<plotly figure: where the reads were served>")
        self.output.outputs = ({"output_type": "display_data", "data": data,
                                "metadata": {}},)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        self._shown = True
        self._draw()
