"""Property: any scenario document either runs or is refused with one named InputError.

Hypothesis generates scenario documents of both families from small valid ones
by mutating them: wrong types, missing and extra keys, tables replaced by
scalars, extreme and non-finite numbers, every learner with every learner's
parameters. Each document is written as a TOML file and run through the
command line. It must either run (exit 0; or exit 1 for a run that failed by
itself, e.g. diverged, reported in one line) or be refused with exit 2 and one
line ``<field>: got <value>; allowed: <what>``; never a traceback, and nothing
may be written outside the run's output folder.
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_abm.cli import main
from platform_abm.common.learners import LEARNERS, learner_names

PLATFORM = {
    "scenario": {"name": "prop", "seed": 0, "rounds": 2},
    "population": {"source": "gaussian", "n": 60, "d": 2, "strategic_features": [0]},
    "users": {"epsilon": 0.5, "levels": {"1": 0.5, "2": 0.5}},
    "learner": {"name": "exact"},
    "run": {"tolerance": 1e-12, "divergence_bound": 1e6},
    "output": {"agent_sample": 0},
}
COLLECTIVE = {
    "name": "c",
    "members": {"fraction": 0.2},
    "strategy": {"family": "shift", "features": [0], "shared": True, "budget": 0.5},
    "utility": {"kind": "loss-alignment", "lambda": 0.5},
    "solver": {"kind": "stackelberg", "selfish": "none"},
}
CURATION = {
    "scenario": {"name": "prop", "family": "curation", "seed": 0, "rounds": 2},
    "curation": {
        "fidelity": "grid",
        "mix": 0.0,
        "public_users": 1,
        "grid": {"size": 9, "low": -2.0, "high": 2.0},
        "initial": {"kind": "uniform"},
        "owner": {"centre": [0.0, 0.0], "radius": 1.0, "temperature": 0.5, "pool": 3},
        "factions": [{"name": "public", "centre": [1.0, 0.0], "pool": 2, "share": 1.0}],
        "sampled": {"initial_points": 40, "owner_keep": 10, "public_keep": 5, "gmm_components": 2},
    },
}

LEARNER_KEYS = sorted({key for cls in LEARNERS.values() for key in cls._get_param_names()})
EXTRA_KEYS = {
    "platform": [
        "scenario.description",
        "population.path",
        "population.label",
        "population.features",
        "users.epsilon.distribution",
        "users.epsilon.median",
        "users.epsilon.sigma",
        "users.epsilon.low",
        "users.epsilon.high",
        "output.dir",
        "sweep.seeds",
        *(f"learner.{key}" for key in LEARNER_KEYS),
        "colour",
        "users.colour",
    ],
    "curation": [
        "curation.order",
        "curation.initial.centre",
        "curation.initial.scale",
        "curation.owner.slope",
        "curation.factions.0.activity",
        "curation.factions.1",
        "output.dir",
        "colour",
        "curation.colour",
    ],
}

SCALARS = st.one_of(
    st.sampled_from(
        [
            *(-1, 0, 1, 2, 3, 7, 2**31, 2**63 - 1, -(2**63), True, False),
            *(-1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, 3.7, 1e300, math.nan, math.inf, -math.inf),
            *("", "x", "fast", "yes", "1", "0.5", "..", "/", "a/b", "\x00", "é"),
            *("credit", "gaussian", "csv", "synthetic-credit", *learner_names()),
            *("lognormal", "uniform", "sampled", "gaussian", "owner", "public-first"),
        ]
    ),
    st.integers(min_value=-5, max_value=12),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)
NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 1e-300, 1e-7, 0.5, 1.0, 1e6, 1e7, 1e300, math.nan, math.inf]),
    st.floats(min_value=-10, max_value=10),
    st.integers(min_value=-2, max_value=6),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["1", "2", "a", "name", "kind", "x"]), inner, max_size=3)
    ),
    max_leaves=5,
)


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    paths = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            paths.append(path)
            paths += _leaf_paths(value, f"{path}.")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            path = f"{prefix}{index}"
            paths.append(path)
            paths += _leaf_paths(value, f"{path}.")
    return paths


def _set(doc: dict, path: str, value: Any, delete: bool = False) -> None:
    node: Any = doc
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            return
    last = parts[-1]
    if isinstance(node, dict):
        if delete:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and last.isdigit():
        index = int(last)
        if delete and index < len(node):
            node.pop(index)
        elif not delete:
            node[min(index, len(node) - 1) if index < len(node) else len(node) :] = [value]


@st.composite
def documents(draw: Any) -> tuple[str, dict]:
    family = draw(st.sampled_from(["platform", "curation"]))
    doc = copy.deepcopy(PLATFORM if family == "platform" else CURATION)
    if family == "platform":
        doc["learner"]["name"] = draw(st.sampled_from(learner_names()))
        if draw(st.booleans()):
            doc["collectives"] = [copy.deepcopy(COLLECTIVE)]
    elif draw(st.sampled_from([False] * 5 + [True])):  # the sampled loop is slower
        doc["curation"]["fidelity"] = "sampled"
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _leaf_paths(doc) + EXTRA_KEYS[family]
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["number", "value", "value", "delete"]))
        value = draw(NUMBERS if action == "number" else VALUES)
        _set(doc, path, value, delete=action == "delete")
    if draw(st.sampled_from([False] * 9 + [True])):  # now and then, the whole top level
        doc = draw(st.one_of(st.just({}), st.dictionaries(st.sampled_from(["scenario"]), SCALARS)))
    return family, doc


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are valid in a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(value)


def to_toml(doc: dict) -> str:
    """The document as TOML: scalars and arrays at the top, then one [table] per table."""
    lines = [
        f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)
    ]
    for key, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{json.dumps(key)}]")
            lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


ONE_LINE_INPUT_ERROR = re.compile(
    r"^platform-abm: error: (\S[^\n]*?): got [^\n]*; allowed: [^\n]+\n$"
)
ONE_LINE_ERROR = re.compile(r"^platform-abm: error: [^\n]+\n$")


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*")}


@settings(
    max_examples=140,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents())
def test_every_document_runs_or_is_refused_with_a_named_field(tmp_path, monkeypatch, capsys, case):
    family, doc = case
    work = tmp_path / "w"
    if work.exists():
        import shutil

        shutil.rmtree(work)
    work.mkdir()
    monkeypatch.chdir(work)
    scenario = work / "s.toml"
    scenario.write_text(to_toml(doc))
    before = _files(work)
    code = main(["run", str(scenario), "--out", str(work / "out"), "--quiet"])
    captured = capsys.readouterr()
    if code == 2:
        assert ONE_LINE_INPUT_ERROR.match(captured.err), (family, doc, captured.err)
    elif code == 1:  # the run started and failed by itself (diverged): one line, not a crash
        assert ONE_LINE_ERROR.match(captured.err), (family, doc, captured.err)
        assert "internal error" not in captured.err and "out of memory" not in captured.err
    else:
        assert code == 0, (family, doc, code, captured.err)
        assert "Traceback" not in captured.err
    written = _files(work) - before
    outside = {path for path in written if work / "out" not in (path, *path.parents)}
    assert not outside, (doc, sorted(map(str, outside)))
    if code != 0:
        assert not (work / "out").exists()


@pytest.mark.parametrize("family", ["platform", "curation"])
def test_the_base_documents_run(tmp_path, family):
    doc = PLATFORM if family == "platform" else CURATION
    path = tmp_path / "s.toml"
    path.write_text(to_toml(doc))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
