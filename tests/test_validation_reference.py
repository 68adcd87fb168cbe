"""The scenario reference (docs/scenarios.md) is generated from the declarations and current."""

import importlib.util
from pathlib import Path

from platform_abm.common.learners import LEARNERS, learner_table
from platform_abm.curation import schema as curation_schema
from platform_abm.platform import schema

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "scenario_reference", ROOT / "scripts" / "scenario_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_is_up_to_date():
    text = _generator().reference()
    committed = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert committed == text, "run: python scripts/scenario_reference.py"


def test_every_declared_key_is_documented_with_its_allowed_values():
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    tables = [
        schema.ScenarioTable,
        schema.PopulationTable,
        schema.UsersTable,
        schema.RunTable,
        schema.OutputTable,
        curation_schema.CurationTable,
        curation_schema.FactionTable,
        *(learner_table(name) for name in LEARNERS),
    ]
    for table in tables:
        for name, info in table.model_fields.items():
            assert f"| `{info.alias or name}` |" in text, (table.__name__, name)
    assert "| `max_iter` | an integer >= 1 and <= 1000000 | `100` |" in text
    assert "| `rounds` | an integer >= 1 and <= 100000 | `25` | round limit |" in text
