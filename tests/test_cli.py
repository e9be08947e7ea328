"""The ``simcache`` command: runs, sweeps, listings, doctor, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import simcache as sc
from simcache import redis_lab
from simcache.cli.doctor import PACKAGES
from simcache.cli.main import main, parse_value
from simcache.scenario.presets import PRESETS

SMALL = ["--preset", "workshop"]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("simcache")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simcache"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=120)


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("simcache: error: ")
    assert "Traceback" not in stderr
    return lines[0]


# -- through a real process --------------------------------------------------------------
def test_console_script_prints_json_that_parses():
    done = _cli("run", *SMALL, "--set", "tiers.0.ttl_s=30", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"scenario", "summary"}
    assert data["scenario"]["tiers"][0]["ttl_s"] == 30
    assert 0 < data["summary"]["hit_ratio"] < 1


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "simcache", "policies"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "redis-lru" in done.stdout


@pytest.mark.parametrize("args, expected", [
    (["run", "--set", "workload.zipf_alpa=1"], "did you mean 'zipf_alpha'"),
    (["run", "--set", "tiers.0.capacity=-3"], "tiers.0.capacity = -3"),
    (["run", "--config", "/no/such/scenario.toml"], "cannot be read"),
    (["run", "--set", "tiers.0.capacity"], "expected dotted.path=value"),
    (["run", "--preset", "nope"], "unknown preset"),
])
def test_bad_input_is_one_line_and_exit_2(args, expected):
    done = _cli(*args)
    assert done.returncode == 2
    assert expected in _one_error_line(done.stderr)
    assert done.stdout == ""


# -- in process ----------------------------------------------------------------------------
def _json(capsys, *args: str) -> dict:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_set_values_are_toml_with_a_string_fallback(capsys):
    data = _json(capsys, "run", *SMALL, "--set", "tiers.0.eviction=lfu",
                 "--set", "tiers.0.ttl_s=30", "--set", "workload.write_ratio=0.1", "--json")
    tier = data["scenario"]["tiers"][0]
    assert tier["eviction"] == "lfu" and tier["ttl_s"] == 30.0
    assert data["scenario"]["workload"]["write_ratio"] == 0.1
    assert data["summary"]["db_writes"] > 0


def test_set_can_remove_every_tier(capsys):
    data = _json(capsys, "run", *SMALL, "--set", "tiers=[]", "--json")
    assert data["scenario"]["tiers"] == [] and data["summary"]["hit_ratio"] == 0


def test_parse_value():
    assert parse_value("30") == 30 and parse_value("0.5") == 0.5
    assert parse_value("[]") == [] and parse_value("true") is True
    assert parse_value("lfu") == "lfu" and parse_value('"30"') == "30"
    assert parse_value("none") is None and parse_value("redis-lru") == "redis-lru"
    assert parse_value('[{name = "l1", capacity = 10}]') == [{"name": "l1", "capacity": 10}]


def test_run_prints_the_table(capsys):
    assert main(["run", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "hit ratio" in out and "tier local" in out and "tier redis" in out


def test_no_arguments_run_the_built_in_default(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out.startswith(sc.Scenario().describe())


def test_config_file_is_read(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(sc.preset("workshop").with_values({"seed": 3}).to_toml())
    data = _json(capsys, "run", "--config", str(path), "--json")
    assert data["scenario"]["seed"] == 3


@pytest.mark.parametrize("args, expected", [
    (["run", "--set", "tiers.0.capacity=lots"], "must be a number"),
    (["run", "--set", "=3"], "expected dotted.path=value"),
    (["run", "--set", "tiers..capacity=3"], "expected dotted.path=value"),
    (["run", "--config", "scenario.yaml"], "must be a .toml or .json file"),
    (["run", "--preset", "workshop", "--config", "x.toml"], "give one or the other"),
    (["run", "--bogus"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    (["sweep", *SMALL, "--vary", "tiers.0.capacity="], "at least one value"),
    (["sweep", *SMALL, "--vary", "tiers.0.capacity=10", "--columns", "nope"], "nope"),
])
def test_bad_input_in_process(capsys, args, expected):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert expected in _one_error_line(captured.err)


def test_bad_toml_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "broken.toml"
    path.write_text("[workload\nkeys = ")
    assert main(["run", "--config", str(path)]) == 2
    assert "is not valid TOML" in _one_error_line(capsys.readouterr().err)


def test_sweep_prints_a_row_per_value(capsys):
    assert main(["sweep", *SMALL, "--vary", "tiers.0.eviction=lru,lfu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["tiers.0.eviction", "hit_ratio", "db_reads_per_s"]
    assert [line.split()[0] for line in lines[2:]] == ["lru", "lfu"]
    rows = _json(capsys, "sweep", *SMALL, "--vary", "tiers.1.capacity=200,2000", "--json")
    assert [r["tiers.1.capacity"] for r in rows] == [200, 2000]
    assert rows[0]["hit_ratio"] < rows[1]["hit_ratio"]


def test_policies_and_presets_are_listed(capsys):
    assert main(["policies"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(sc.POLICIES)
    assert all(len(line.split()) > 3 for line in out)  # each has its one-line description
    assert main(["presets"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == list(PRESETS)


def test_strategies_protections_faults_and_metrics_are_listed_from_their_registries(capsys):
    from simcache.faults import FAULTS
    from simcache.metrics import METRICS
    from simcache.strategies import READ_STRATEGIES, WRITE_STRATEGIES

    assert main(["strategies"]) == 0
    out = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in out if line.startswith("  ")]
    assert listed == [*READ_STRATEGIES, *WRITE_STRATEGIES]
    assert out[0].startswith("read") and any(line.startswith("write") for line in out)
    assert main(["faults"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == list(FAULTS)
    assert main(["protections"]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["metrics"]) == 0
    out = capsys.readouterr().out
    for m in METRICS:
        assert f"\n{m.key} " in out
    assert "keyspace_hits" in out and "tier.<name>.hit_ratio" in out


def test_doctor_reports_versions_widgets_and_redis(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in PACKAGES:
        assert name in out
    assert "widgets in JupyterLab: yes" in out
    assert f"Redis for the course:  {redis_lab.plan()}" in out


def test_doctor_says_what_to_do_when_widgets_cannot_render():
    from simcache.cli.doctor import widgets_verdict

    ok, text = widgets_verdict({"ipywidgets": "7.8.1", "jupyterlab_widgets": "1.1"})
    assert not ok and "ipywidgets>=8" in text
    ok, text = widgets_verdict({"ipywidgets": "8.1.0", "jupyterlab_widgets": None,
                                "jupyterlab": "4.2"})
    assert not ok and "pip install jupyterlab_widgets" in text


# -- which Redis the course would use --------------------------------------------------------
def test_plan_prefers_simcache_redis_url_then_redis_url():
    plan = redis_lab.plan({"SIMCACHE_REDIS_URL": "redis://u:secret@db:6379/2",
                           "REDIS_URL": "redis://other"})
    assert plan.kind == "url" and "secret" not in str(plan) and "db:6379/2" in plan.target
    assert "SIMCACHE_REDIS_URL" in plan.reason
    assert redis_lab.plan({"REDIS_URL": "redis://other:6379"}).target == "redis://other:6379"


@pytest.mark.parametrize("url", ["fakeredis://", "fake://", "FAKEREDIS://"])
def test_plan_special_url_means_fakeredis(url):
    assert redis_lab.plan({"SIMCACHE_REDIS_URL": url}).kind == "fakeredis"


def test_plan_falls_back_to_a_private_server_then_fakeredis(monkeypatch):
    monkeypatch.setattr(redis_lab.choice.shutil, "which", lambda name: "/opt/bin/redis-server")
    plan = redis_lab.plan({})
    assert plan.kind == "private-server" and "loopback" in plan.target
    monkeypatch.setattr(redis_lab.choice.shutil, "which", lambda name: None)
    plan = redis_lab.plan({})
    assert plan.kind == "fakeredis" and "\n" not in str(plan)


def test_schema_is_json_schema_that_editors_can_check_files_with(capsys):
    import jsonschema  # installed with JupyterLab

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = sc.Scenario.load(Path(__file__).parent.parent / "examples" / "two-tier.toml")
    assert not list(validator.iter_errors(example.to_dict()))
    assert not list(validator.iter_errors({}))
    bad = {"tiers": [{"name": "a", "eviction": "lruu", "capacity": -1}], "workload": {"x": 1}}
    problems = {".".join(map(str, e.absolute_path)) for e in validator.iter_errors(bad)}
    assert problems == {"tiers.0.eviction", "tiers.0.capacity", "workload"}
    tier = schema["$defs"]["Tier"]["properties"]
    assert tier["eviction"]["enum"] == list(sc.POLICIES)
    assert tier["capacity"]["minimum"] == 0


EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_valid_against_the_shipped_schema_and_runs(path, capsys):
    import jsonschema

    shipped = json.loads((path.parent / "scenario.schema.json").read_text())
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == shipped, \
        "examples/scenario.schema.json is stale: simcache schema > examples/scenario.schema.json"
    assert path.read_text().startswith("#:schema ./scenario.schema.json\n")
    scenario = sc.Scenario.load(path)
    assert not list(jsonschema.Draft202012Validator(shipped).iter_errors(scenario.to_dict()))
    short = scenario.with_values({"workload.warmup_requests": 1_000,
                                  "workload.requests": 5_000})
    assert sc.run(short).summary["requests"] == 4_000
