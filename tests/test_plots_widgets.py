"""Presentation: charts build with the expected traces and stay small; the Explorer's
callback works without a browser; the notebook setup; the core never imports any of it."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys

import pandas as pd
import plotly.graph_objects as go
import pytest

import simcache as sc
from simcache.course import LATENCY_LADDER, plots
from simcache.scenario.presets import preset

PRESENTATION = ("plotly", "ipywidgets", "IPython", "redis", "fakeredis", "simcache.course.plots",
                "simcache.course.widgets")


@pytest.mark.parametrize("module", ["simcache", "simcache.course", "simcache.scenario.presets",
                                    "simcache.cli", "simcache.cli.doctor", "simcache.redis_lab"])
def test_core_and_cli_import_no_presentation_module(module):
    code = (f"import sys, {module}; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {PRESENTATION[:5]!r} "
            f"or m in {PRESENTATION[5:]!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def result() -> sc.Result:
    # About 100 rows: the size the JSON budget below is stated for.
    return sc.run(preset("workshop").with_values(
        {"workload.write_ratio": 0.05, "metrics.interval_s": 0.15}))


@pytest.fixture(scope="module")
def others() -> list[sc.Result]:
    small = {"workload.requests": 6_000, "workload.warmup_requests": 2_000}
    return [sc.run(preset("workshop").with_values({**small, "tiers": []})),
            sc.run(preset("workshop").with_values(small))]


# -- dashboard ------------------------------------------------------------------------------
def test_dashboard_has_a_trace_per_series(result):
    fig = plots.dashboard(result)
    assert type(fig) is go.Figure  # never a FigureWidget
    names = [t.name for t in fig.data]
    for expected in ("overall", "local", "redis", "reads/s", "writes/s", "p50", "p99",
                     "local entries", "redis entries", "local capacity", "redis capacity",
                     "evictions/s"):
        assert expected in names
    # Tier hit ratios count only the lookups reaching the tier: legend and hover say so.
    redis = next(t for t in fig.data if t.name == "redis")
    assert "of the lookups reaching redis" in redis.hovertemplate
    assert fig.layout.annotations[0].text == "Hit ratio (tiers: of lookups reaching them)"
    assert fig.layout.height <= 600
    assert fig.layout.template.layout.paper_bgcolor is not None  # a template is applied
    log_axes = [ax for ax in fig.layout if ax.startswith("yaxis") and fig.layout[ax].type == "log"]
    assert len(log_axes) == 1
    capacities = {t.name: t.y[0] for t in fig.data if t.name.endswith("capacity")}
    assert capacities == {"local capacity": 100, "redis capacity": 1000}
    assert fig.layout.title.text.startswith("One run over time: hit ratio ")
    assert "%" in fig.layout.title.text and fig.layout.title.subtitle.text


def test_dashboard_json_stays_small(result):
    assert 90 <= len(result.timeseries) <= 110
    size = len(plots.dashboard(result).to_json())
    assert size < 100_000, f"{size / 1000:.0f} kB"


def test_dashboard_without_writes_or_tiers(others):
    no_cache, cached = others
    fig = plots.dashboard(no_cache)
    assert "writes/s" not in [t.name for t in fig.data]
    assert any(a.text == "no cache tiers" for a in fig.layout.annotations)
    assert plots.dashboard(cached, title="Mine").layout.title.text == "Mine"


def test_one_tier_hit_ratio_shows_only_the_overall_line(others):
    """With one tier its own hit ratio is the overall one: a second, hidden line would
    only add a legend entry with nothing visible behind it."""
    one_tier = sc.run(preset("workshop").with_values(
        {"workload.requests": 3_000, "workload.warmup_requests": 1_000,
         "tiers": [{"name": "redis", "capacity": 500}]}))
    fig = plots.panel(one_tier, "hit_ratio")
    assert [t.name for t in fig.data] == ["overall"]
    assert [t.name for t in plots.panel(others[1], "hit_ratio").data] == \
        ["overall", "local", "redis"]


def test_log_axes_have_a_labelled_tick_beyond_every_point():
    frame = pd.DataFrame({"hit_ratio": [0.9, 0.95, 0.99], "latency_p99_ms": [0.6, 12, 64]})
    fig = plots.curve(frame, "hit_ratio", "latency_p99_ms", log_y=True)
    ticks = list(fig.layout.yaxis.tickvals)
    assert ticks[0] <= 0.6 and ticks[-1] >= 64
    low, high = fig.layout.yaxis.range
    assert 10 ** low <= ticks[0] and 10 ** high >= ticks[-1]


def test_over_time_draws_timeseries_columns(result):
    fig = plots.over_time(result, "latency_p99_ms", title="tail")
    (line,) = fig.data
    assert line.name == "latency p99" and fig.layout.title.text == "tail"
    assert fig.layout.yaxis.title.text == "latency p99 (ms)"
    assert len(plots.over_time(result, ["latency_p50_ms", "latency_p99_ms"]).data) == 2
    with pytest.raises(ValueError, match="'nope' is not a timeseries column"):
        plots.over_time(result, "nope")


def test_over_time_overlays_runs(result, others):
    fig = plots.over_time([result, others[1]], "db_reads_per_s", labels=["a", "b"])
    assert [line.name for line in fig.data] == ["a", "b"]
    assert fig.layout.xaxis.rangemode != "tozero"  # rows start after the warm-up
    both = plots.over_time([result, others[1]], ["latency_p50_ms", "hit_ratio"],
                           labels=["a", "b"])
    assert [line.name for line in both.data] == ["a: latency p50", "a: hit ratio",
                                                 "b: latency p50", "b: hit ratio"]
    with pytest.raises(ValueError, match="labels"):
        plots.over_time([result, result], "hit_ratio", labels=["one"])


def test_compare_zooms_in_on_small_shares(others):
    fig = plots.compare(others, ["no cache", "two tiers"], metrics=["stale_ratio"])
    top = max(float(r.summary["stale_ratio"]) for r in others)
    assert fig.layout.yaxis.range[1] == pytest.approx(top * 1.15 if top else 1.12)
    assert plots.metric_label("db_reads")[0] == "DB reads"


def test_single_panels(result):
    for name in plots.PANELS:
        fig = plots.panel(result, name)
        assert len(fig.data) >= 1 and fig.layout.height <= 600
    with pytest.raises(ValueError, match="panel = 'nope'"):
        plots.panel(result, "nope")


# -- compare, curve, ladder ---------------------------------------------------------------------
def test_compare_has_one_subplot_per_metric_and_readable_units(others):
    fig = plots.compare(others, ["no cache", "two tiers"])
    assert len(fig.data) == 3 and all(isinstance(t, go.Bar) for t in fig.data)
    assert list(fig.data[0].x) == ["no cache", "two tiers"]
    assert fig.data[0].text[0] == "0.0%" and fig.data[0].text[1].endswith("%")
    assert fig.data[2].text[1].endswith(" ms")
    # bar labels read like the rest of the course: µs below a millisecond, s above 1,000 ms
    tiny = plots.compare(others, ["a", "b"], metrics=["db_wait_mean_ms"]).data[0].text
    assert all(t == "–" or t.endswith(("µs", "ns", " ms", " s")) for t in tiny)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["hit ratio (%)", "DB reads (/s)", "latency p99 (ms)"]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_compare_slants_labels_only_when_they_do_not_fit(others):
    level = plots.compare(others, ["no cache", "two tiers"])
    assert level.layout.xaxis.tickangle == 0
    crowded = plots.compare(others * 2, ["invalidate", "write-through", "write-behind",
                                         "write-around"],
                            metrics=["hit_ratio", "stale_ratio", "db_reads_per_s",
                                     "latency_p99_ms"])
    assert crowded.layout.xaxis.tickangle == -30 and crowded.layout.xaxis.automargin


def test_compare_rejects_mismatches(others):
    with pytest.raises(ValueError, match="labels"):
        plots.compare(others, ["only one"])
    with pytest.raises(ValueError, match="'nope' is not a summary key"):
        plots.compare(others, ["a", "b"], metrics=("nope",))


def test_curve_with_theory_and_target():
    frame = pd.DataFrame(
        {"tiers.0.capacity": [10, 100, 1000], "hit_ratio": [0.3, 0.6, 0.9]})
    fig = plots.curve(frame, "tiers.0.capacity", "hit_ratio",
                      theory=([10, 1000], [0.32, 0.91], "Che"), target=0.9, log_x=True)
    assert [t.name for t in fig.data] == ["simulated hit ratio", "Che"]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].y0 == 0.9
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.tickformat == ".0%"
    assert "entries" in fig.layout.xaxis.title.text
    with pytest.raises(ValueError, match="'misses_ratio' is not in the table"):
        plots.curve(frame, "tiers.0.capacity", "misses_ratio")


def test_latency_ladder_is_a_log_bar_chart_of_the_table():
    fig = plots.latency_ladder()
    (bars,) = fig.data
    assert bars.orientation == "h" and fig.layout.xaxis.type == "log"
    assert list(bars.x) == [row.latency_ms for row in LATENCY_LADDER]
    assert list(bars.customdata) == [row.name for row in LATENCY_LADDER]
    assert bars.text[1] == "100 ns" and bars.text[-1] == "150 ms"
    assert bars.showlegend is False  # one colour: nothing to explain


def test_latency_ladder_highlight_has_a_legend_and_keeps_the_order():
    marked = ["Redis, same LAN", "DB query, slow"]
    fig = plots.latency_ladder(highlight=marked, highlight_label="used below")
    others, red = fig.data
    assert red.name == "used below" and red.showlegend and others.showlegend
    assert list(red.customdata) == marked
    assert len(fig.layout.yaxis.categoryarray) == len(LATENCY_LADDER)  # ladder order kept
    with pytest.raises(ValueError, match="'Redis, moon' not on the ladder"):
        plots.latency_ladder(highlight=["Redis, moon"])


@pytest.mark.parametrize("ms, text", [(2e-6, "2 ns"), (0.5, "500 µs"), (12, "12 ms"),
                                      (2500, "2.5 s"), (0.0057267, "5.73 µs"),
                                      (0.99971, "1 ms"), (17_100, "17.1 s"),
                                      (2_730_000, "2,730 s"), (0, "0 ms")])
def test_human_ms(ms, text):
    assert plots.human_ms(ms) == text


# -- the Explorer ----------------------------------------------------------------------------
CONTROLS = ["tiers.0.capacity", "workload.zipf_alpha", "tiers.1.ttl_s"]


@pytest.fixture
def explorer():
    from simcache.course.widgets import Explorer

    return Explorer(preset("workshop"), controls=CONTROLS, debounce_s=0.05)


def test_explorer_builds_one_control_per_field(explorer, capsys):
    import ipywidgets as w

    capacity, alpha, ttl = (explorer.controls[p] for p in CONTROLS)
    assert isinstance(capacity, w.SelectionSlider) and capacity.value == 100
    assert 0 in [v for _, v in capacity.options]
    assert isinstance(alpha, w.FloatSlider) and (alpha.min, alpha.max) == (0, 2)
    assert alpha.step == 0.05
    assert isinstance(ttl, w.SelectionSlider) and ttl.label == "no TTL"
    assert not any(c.continuous_update for c in explorer.controls.values())
    assert explorer.result is not None and explorer.figures
    assert "hit ratio" in explorer.status.value
    assert capsys.readouterr().out == ""  # the constructor displays nothing


def test_update_changes_scenario_and_result(explorer):
    before = explorer.result
    result = explorer.update({"tiers.0.capacity": 500, "tiers.1.ttl_s": 2})
    assert result is explorer.result and result is not before
    assert explorer.scenario.tiers[0].capacity == 500
    assert explorer.scenario.tiers[1].ttl_s == 2
    assert explorer.controls["tiers.0.capacity"].value == 500  # the controls follow
    assert explorer.controls["tiers.1.ttl_s"].label == "2 s"
    assert result.summary["expirations"] > 0


def test_moving_a_control_reruns(explorer):
    explorer.controls["workload.zipf_alpha"].value = 1.5
    assert explorer.scenario.workload.zipf_alpha == 1.5
    explorer.controls["tiers.1.ttl_s"].value = 10.0
    assert explorer.scenario.tiers[1].ttl_s == 10
    explorer.controls["tiers.1.ttl_s"].value = math.inf  # the "no TTL" end of the slider
    assert explorer.scenario.tiers[1].ttl_s is None


def test_the_ttl_scale_stops_below_the_length_of_the_run(explorer):
    """A TTL as long as the run expires nothing, so the slider does not offer one."""
    from simcache.course.widgets import Explorer, simulated_duration_s

    run_s = simulated_duration_s(explorer.scenario)
    assert run_s == pytest.approx(20.0)  # workshop: 20,000 requests at 1,000/s
    stops = [v for _, v in explorer.controls["tiers.1.ttl_s"].options]
    assert stops[-1] == math.inf and max(stops[:-1]) < run_s and 0.1 in stops
    longer = preset("workshop").with_values({"workload.rate_rps": 100})  # a 200 s run
    stops = [v for _, v in Explorer(longer, controls=["tiers.1.ttl_s"]).controls[
        "tiers.1.ttl_s"].options]
    assert 120 in stops and 300 not in stops
    # a TTL the scenario already has stays reachable, even beyond the run
    own = Explorer(preset("workshop").with_values({"tiers.1.ttl_s": 600}),
                   controls=["tiers.1.ttl_s"]).controls["tiers.1.ttl_s"]
    assert own.value == 600 and own.label == "600 s"


def test_reset_returns_to_the_starting_scenario(explorer):
    start = explorer.scenario
    first = explorer.result.summary
    explorer.update({"workload.zipf_alpha": 1.5, "tiers.1.ttl_s": 2})
    explorer.update({"tiers.0.capacity": -1})  # rejected: leaves an error behind
    assert explorer.error is not None
    result = explorer.reset()
    assert explorer.scenario == start and explorer.error is None
    assert result.summary == first  # seeded: the same run again
    assert explorer.controls["workload.zipf_alpha"].value == start.workload.zipf_alpha
    assert explorer.controls["tiers.1.ttl_s"].label == "no TTL"
    assert "Rejected" not in explorer.status.value


def test_summary_line_formats_latency_like_the_charts(explorer):
    explorer.update({"database.latency_ms": 200, "database.concurrency": 1})  # overloaded
    p99 = explorer.result.summary["latency_p99_ms"]
    assert p99 > 1000
    assert f"p99 {plots.human_ms(p99)}" in explorer.status.value
    assert "e+" not in explorer.status.value


def test_an_invalid_value_shows_a_message_instead_of_raising(explorer):
    scenario, result = explorer.scenario, explorer.result
    assert explorer.update({"tiers.0.capacity": 10**10}) is result
    assert explorer.scenario is scenario
    assert explorer.error.startswith("tiers.0.capacity = 10000000000: must be")
    assert "⚠ Rejected:" in explorer.status.value and "Traceback" not in explorer.status.value
    assert explorer.update({"workload.warmup_requests": 10**6}) is result
    assert "must be less than requests" in explorer.error
    explorer.update({"tiers.0.capacity": 200})
    assert explorer.error is None and "⚠" not in explorer.status.value


def test_a_burst_of_changes_costs_one_run_on_a_running_loop(explorer):
    runs = []
    simulate = explorer._simulate
    explorer._simulate = lambda scenario: (runs.append(scenario), simulate(scenario))[1]

    async def burst():
        for capacity in (200, 500, 1000):
            explorer.controls["tiers.0.capacity"].value = capacity
        explorer.controls["workload.zipf_alpha"].value = 0.8
        assert runs == []
        await asyncio.sleep(0.3)

    asyncio.run(burst())
    assert len(runs) == 1
    assert runs[0].tiers[0].capacity == 1000 and runs[0].workload.zipf_alpha == 0.8


def test_charts_go_into_the_output_area_once_shown(explorer, monkeypatch):
    import plotly.io as pio

    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype")
    assert explorer.output.outputs == ()  # nothing is drawn before the explorer is shown
    explorer._shown = True
    explorer.update({"workload.zipf_alpha": 0.5})
    (output,) = explorer.output.outputs
    figure = output["data"]["application/vnd.plotly.v1+json"]
    assert "hit ratio" in figure["layout"]["title"]["text"]
    assert "Zipf(0.5)" in figure["layout"]["title"]["subtitle"]["text"]
    json.dumps(explorer.output.outputs)  # widget state must be plain JSON
    explorer.update({"workload.zipf_alpha": -1})  # rejected: the last charts stay
    assert explorer.output.outputs[0]["data"] == output["data"]


def test_explorer_rejects_unknown_charts_and_text_fields():
    from simcache.course.widgets import Explorer

    with pytest.raises(ValueError, match="'pie' is not a chart"):
        Explorer(preset("workshop"), controls=[], charts=("pie",))
    with pytest.raises(ValueError, match="only numbers and choices"):
        Explorer(preset("workshop"), controls=["tiers.0.name"])


def test_explorer_other_charts_and_dropdowns():
    import ipywidgets as w

    from simcache.course.widgets import Explorer

    ex = Explorer(preset("workshop"), controls=["tiers.0.eviction", "database.concurrency"],
                  charts=("hit_ratio", "latency"))
    assert isinstance(ex.controls["tiers.0.eviction"], w.Dropdown)
    assert list(ex.controls["tiers.0.eviction"].options) == list(sc.POLICIES)
    assert (ex.controls["database.concurrency"].min, ex.controls["database.concurrency"].max) \
        == (1, 64)
    assert len(ex.figures) == 2
    ex.controls["tiers.0.eviction"].value = "lfu"
    assert ex.scenario.tiers[0].eviction == "lfu"
    assert hasattr(ex, "_ipython_display_")


# -- notebook setup ----------------------------------------------------------------------------
def test_setup_outside_ipython_only_prints(capsys, monkeypatch):
    import plotly.io as pio

    from simcache.course import notebook

    monkeypatch.setattr(notebook, "_shell", lambda: None)
    before = pio.renderers.default
    info = notebook.setup(seed=7)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"simcache {sc.__version__} · Python ")
    assert "Redis: " in out[0]
    assert info.seed == 7 and info.renderer is None and pio.renderers.default == before


def test_setup_in_ipython_shows_simcache_errors_as_one_line(capsys, monkeypatch):
    import plotly.io as pio
    from IPython.core.interactiveshell import InteractiveShell

    from simcache.course import notebook

    shell = InteractiveShell.instance()
    before = pio.renderers.default
    monkeypatch.setattr(notebook, "_shell", lambda: shell)
    try:
        info = notebook.setup(quiet=True)
        assert info.renderer == pio.renderers.default == "plotly_mimetype"
        done = shell.run_cell("import simcache\n"
                              "simcache.Scenario().with_values({'tiers.0.capacity': -1})")
        assert isinstance(done.error_in_exec, sc.ScenarioError)  # the cell still fails
        text = capsys.readouterr().out
        assert "ScenarioError: tiers.0.capacity = -1: must be" in text
        assert "Traceback" not in text and "with_values" not in text
        # A ValueError from simcache's own code is short too; anybody else's is not.
        shell.run_cell("simcache.compare([], ['a'])")
        text = capsys.readouterr().out
        assert "ValueError: labels" in text and "Traceback" not in text
        shell.run_cell("int('x')")
        assert "Traceback" in capsys.readouterr().out
    finally:
        pio.renderers.default = before
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()


def test_figure_arrays_are_stored_as_compact_binary(result):
    # What a notebook saves for a figure under the plotly_mimetype renderer: numpy arrays
    # become base64 typed arrays, which is what keeps a saved dashboard small.
    data = json.loads(plots.dashboard(result).to_json())
    overall = next(t for t in data["data"] if t["name"] == "overall")
    assert set(overall["y"]) == {"dtype", "bdata"}


# -- notebook 08: nodes of a clustered tier, controls for protection options -----------------
@pytest.fixture(scope="module")
def clustered() -> list[sc.Result]:
    base = sc.Scenario.from_dict({
        "seed": 8, "workload": {"keys": 200, "zipf_alpha": 1.0, "rate_rps": 4_000.0,
                                "requests": 8_000, "warmup_requests": 2_000},
        "tiers": [{"name": "redis", "capacity": 200, "nodes": 4, "node_ops_per_s": 1_500.0}]})
    return [sc.run(base), sc.run(base.with_values({"tiers.0.hot_keys": 1,
                                                   "tiers.0.hot_key_replicas": 4}))]


def test_nodes_draws_utilisation_and_p99_per_node_for_each_run(clustered):
    fig = plots.nodes(clustered, ["one copy", "4 replicas"])
    assert type(fig) is go.Figure and len(fig.data) == 4  # two panels per run
    util, p99 = fig.data[0], fig.data[1]
    assert list(util.x) == ["node 0", "node 1", "node 2", "node 3"]
    assert list(util.y) == pytest.approx(list(clustered[0].nodes["utilization"]))
    assert util.name == "one copy" and p99.showlegend is False
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis2.type == "log"
    assert fig.layout.yaxis.range[1] >= 1.1  # the 100 % line is always in view
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].y0 == 1.0
    assert all(t.endswith(("µs", "ms", " s")) for t in p99.text)
    assert p99.textposition == "outside" and fig.layout.showlegend  # labelled, two runs
    assert len(fig.to_json()) < 30_000
    crowded = plots.nodes(clustered * 2, ["a", "b", "c", "d"])
    assert crowded.data[1].textposition == "none"  # four runs: values on hover only
    assert plots.nodes(clustered[0]).layout.showlegend is False


def test_nodes_rejects_runs_without_nodes(clustered, others):
    with pytest.raises(ValueError, match="has no tier with nodes"):
        plots.nodes([clustered[0], others[1]], ["a", "b"])
    with pytest.raises(ValueError, match="labels"):
        plots.nodes(clustered, ["a"])


def test_controls_for_protection_options():
    import ipywidgets as w

    from simcache.course.widgets import Explorer

    herd = sc.Scenario.from_dict({
        "seed": 1, "workload": {"keys": 1, "rate_rps": 2_000.0, "requests": 4_000,
                                "warmup_requests": 500},
        "tiers": [{"name": "redis", "capacity": 10, "ttl_s": 0.2}],
        "database": {"latency_ms": 20.0, "service": "constant"},
        "protections": [{"kind": "xfetch", "beta": 1.0},
                        {"kind": "lock", "on_timeout": "stale"}]})
    ex = Explorer(herd, controls=["protections.0.beta", "protections.1.on_timeout",
                                  "protections.1.lock_timeout_ms"], charts=("db_load",))
    beta, on_timeout, timeout = (ex.controls[p] for p in ex.controls)
    assert isinstance(beta, w.FloatSlider) and (beta.min, beta.max, beta.value) == (0.1, 5, 1)
    assert beta.description == "xfetch β" and "protections.0.beta" in beta.tooltip
    assert isinstance(on_timeout, w.Dropdown)
    assert list(on_timeout.options) == ["stale", "error", "load"]
    assert isinstance(timeout, w.SelectionSlider) and timeout.value == 1000
    beta.value = 2.0
    assert ex.scenario.protections[0].beta == 2.0 and ex.error is None
    on_timeout.value = "error"
    assert ex.scenario.protections[1].on_timeout == "error"
    for bad in ("protections.2.beta", "protections.0.gamma", "protections.0.kind"):
        with pytest.raises(ValueError, match="protections"):
            Explorer(herd, controls=[bad])


def test_controls_for_penetration_and_node_fields(clustered):
    from simcache.course.widgets import make_control

    scenario = clustered[1].scenario.with_values({
        "workload.missing_ratio": 0.2, "protections": [{"kind": "bloom"}]})
    ratio = make_control(scenario, "workload.missing_ratio")
    assert (ratio.min, ratio.max, ratio.value) == (0, 1, 0.2)
    assert make_control(scenario, "workload.missing_keys").value == 100_000
    replicas = make_control(scenario, "tiers.0.hot_key_replicas")
    assert (replicas.min, replicas.max, replicas.value) == (1, 16, 4)
    assert replicas.description == "redis hot-key replicas"
    bits = make_control(scenario, "protections.0.bits_per_key")
    assert (bits.value, bits.step, bits.description) == (10, 1, "bloom bits per key")
