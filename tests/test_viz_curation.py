"""The curation page rendered headless (no browser), its controls, and the family dispatch.

As in ``test_viz_render.py``, the page is rendered with ``solara.render`` inside
an ``AppLayout`` (as ``solara run`` does) and driven through its widgets: the
Step and Reset buttons, the sliders, the selects and the seed field.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara
from matplotlib.figure import Figure
from test_viz_render import (  # noqa: F401 (close_rendered_pages: an autouse fixture)
    _OPEN,
    bad_seed_is_refused,
    button,
    close_rendered_pages,
    first_images,
    notice_text,
    recording_class,
    render,
    set_slider,
    text_present,
    type_seed,
    widget_text,
)
from test_viz_render import images as plot_images

from platform_abm.cli import main
from platform_abm.common.errors import InputError
from platform_abm.curation.figures import draw_heatmap
from platform_abm.curation.model import CurationModel
from platform_abm.curation.scenario import CurationScenario, FactionSpec, GridSpec
from platform_abm.viz import app
from platform_abm.viz.cli import solara_command
from platform_abm.viz.curation.components import CurationStatus
from platform_abm.viz.curation.figures import DistancePlot, HeatmapPlot, curator_discs
from platform_abm.viz.curation.page import CurationPage, CurationPageModel
from platform_abm.viz.curation.params import SIDEBAR, model_kwargs, user_params
from platform_abm.viz.scenarios import SCENARIO_ENV_VAR, load_page_scenario
from platform_abm.viz.session import RejectedParameters

CURATION_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "curation"
CURATION_FILES = sorted(CURATION_DIR.glob("*.toml"))
DISJOINT = CURATION_DIR / "disjoint.toml"
PLOT_CLASSES = ("pabm-heatmap", "pabm-distance", "pabm-satisfaction", "pabm-mass")

# The disjoint regime on a coarser grid (41 × 41, spacing 0.25): the page's plots
# cost the same, the rounds less.
SMALL = dataclasses.replace(
    load_page_scenario(DISJOINT).scenario, name="viz-curation", grid=GridSpec(size=41)
)


def render_page(scenario: CurationScenario = SMALL):
    model_class = recording_class(CurationPageModel)
    rc = render(lambda: CurationPage(scenario, model_class=model_class))
    return rc, model_class.built


def images(rc) -> dict[str, bytes]:
    return plot_images(rc, PLOT_CLASSES)


def card_text(rc, css: str) -> str:
    """The text of the one card carrying the CSS class ``css``."""
    (card,) = [w for w in rc.find(v.Card).widgets if css in (w.class_ or "").split()]
    return widget_text(card)


def choose(rc, label: str, value: str) -> None:
    rc.find(v.Select, label=label).widget.v_model = value


# ----------------------------------------------------------------- scenarios and controls
@pytest.mark.parametrize("path", CURATION_FILES, ids=lambda p: p.stem)
def test_every_curation_scenario_file_is_served(path):
    family, scenario = load_page_scenario(path)
    assert family == "curation"
    assert isinstance(scenario, CurationScenario)
    argv, env = solara_command(path, port=0)
    assert argv[1:5] == ["-m", "solara", "run", "platform_abm.viz.app"]
    assert env[SCENARIO_ENV_VAR] == str(path.resolve())
    # The sidebar starts from the file's own values.
    specs = user_params(scenario)
    assert specs["public_centre_x"]["value"] == scenario.factions[0].centre[0]
    assert specs["owner_pool"]["value"] == scenario.owner.pool
    assert specs["seed"]["value"] == str(scenario.seed)


def test_controls_become_model_parameters():
    controls = SIDEBAR.parse_controls(
        SMALL,
        {"public_centre_x": 1.5, "owner_pool": 7, "public_temperature": 0.25, "seed": " 9 "}
        | {"order": "public-first", "mix": 0.1},
    )
    kwargs = model_kwargs(SMALL, controls)
    (public,) = kwargs["factions"]
    assert public["centre"] == [1.5, 0.0]
    assert public["temperature"] == 0.25
    assert public["pool"] == SMALL.factions[0].pool
    assert kwargs["owner_pool"] == 7
    assert kwargs["order"] == "public-first"
    assert kwargs["mix"] == 0.1
    assert kwargs["rng"] == 9
    assert kwargs["grid_size"] == 41  # not a control: from the scenario
    model = CurationModel(**kwargs)
    assert model.regimes == ["partial"]


def test_public_controls_set_the_first_of_several_factions():
    second = FactionSpec(name="fringe", centre=(-3.0, 1.0), pool=2)
    scenario = dataclasses.replace(SMALL, factions=(SMALL.factions[0], second), public_users=2)
    specs = user_params(scenario)
    assert specs["public_pool"]["label"] == "Public pool M (public)"
    kwargs = model_kwargs(scenario, SIDEBAR.parse_controls(scenario, {"public_pool": 9}))
    assert [f["pool"] for f in kwargs["factions"]] == [9, 2]
    assert kwargs["factions"][1]["centre"] == [-3.0, 1.0]

    # Every curator gets its curves and its row of the status line.
    model = CurationPageModel(base=scenario, public_pool=9)
    model.step()
    box, rc = solara.render(CurationStatus(model), handle_error=False)
    _OPEN.append(rc)
    status = widget_text(box)
    assert "public disjoint, fringe disjoint" in status
    assert "<td>fringe</td>" in status
    plot = DistancePlot(model)
    plot.png()
    assert [line.get_label() for line in plot.ax.get_lines()] == ["owner", "public", "fringe"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"seed": "twelve"}, "seed: got 'twelve'"),
        ({"fidelity": "exact"}, "fidelity: got 'exact'"),
        ({"owner_pool": 2.5}, "owner pool K: got 2.5; allowed: a whole number"),
        # Ranges are the model's: its error is renamed after the control.
        ({"owner_temperature": 0.0}, "owner τ: got 0.0"),
        ({"public_pool": 0}, "public pool M: got 0"),
        ({"mix": 1.5}, "mix fraction: got 1.5"),
    ],
)
def test_page_model_rejects_with_the_control_named(values, message):
    rejected = CurationPageModel(base=SMALL, **values)
    assert isinstance(rejected, RejectedParameters)
    assert rejected.message.startswith(message), rejected.message


# ----------------------------------------------------------------- the page
def test_page_renders_and_step_changes_the_heat_map():
    rc, built = render_page()
    before = first_images(rc, built, PLOT_CLASSES)
    model = built[0]
    status = card_text(rc, "pabm-status")
    assert "round 0 of 100" in status
    assert "public disjoint" in status

    p0 = model.p.copy()
    button(rc, "Step").click()
    button(rc, "Step").click()
    assert model.steps == 2
    assert text_present(rc, "Time: 2.0")
    assert not np.allclose(model.p, p0)
    after = images(rc)
    for css in PLOT_CLASSES:
        assert after[css] != before[css], css
    status = card_text(rc, "pabm-status")
    assert "round 2 of 100" in status
    assert f"{model.metrics['owner_satisfaction']:.4g}" in status

    # The colour scale is a choice of the heat map: switching it redraws the heat map only.
    choose(rc, "Heat map colour scale", "linear")
    linear = images(rc)
    assert linear["pabm-heatmap"] != after["pabm-heatmap"]
    assert linear["pabm-distance"] == after["pabm-distance"]


def test_heat_map_shows_p_as_draw_heatmap_does():
    model = CurationModel.from_scenario(SMALL)
    plot = HeatmapPlot(model, "linear")
    for _ in range(3):
        model.step()
    plot.png()
    fresh = Figure().add_subplot()
    draw_heatmap(fresh, model.p, model.grid_size, model.low, model.high, curator_discs(model))
    np.testing.assert_array_equal(plot.image.get_array(), fresh.images[0].get_array())
    assert plot.image.get_clim() == pytest.approx(fresh.images[0].get_clim())


def test_reset_applies_the_controls():
    rc, built = render_page()
    button(rc, "Step").click()
    set_slider(rc, "Public centre x", 1.5)
    set_slider(rc, "Owner pool K", 6)
    choose(rc, "Order", "public-first")
    type_seed(rc, "4")
    assert "public centre x 1.5" in card_text(rc, "pabm-parameters")  # shown before Reset
    button(rc, "Reset").click()
    assert len(built) == 2
    model = built[1]
    assert model.steps == 0
    assert (model.order, model.owner.pool, model.regimes) == ("public-first", 6, ["partial"])
    assert model.factions[0].centre == (1.5, 0.0)
    assert "public partial" in card_text(rc, "pabm-status")
    button(rc, "Step").click()
    assert model.steps == 1
    assert built[0].steps == 1  # the old model is not stepped any more


def test_invalid_controls_show_a_message_and_keep_the_model():
    rc, built = render_page()
    bad_seed_is_refused(rc, built)

    # A value only the model refuses (a slider pushed below its range).
    type_seed(rc, "12")
    set_slider(rc, "Owner τ", 0.0)
    button(rc, "Reset").click()
    assert len(built) == 1
    assert "owner τ: got 0" in notice_text(rc)
    assert text_present(rc, "Time: 1.0")

    # A valid Reset afterwards clears the message.
    set_slider(rc, "Owner τ", 0.5)
    button(rc, "Reset").click()
    assert len(built) == 2
    assert built[1].controls.seed == 12
    assert not rc.find(v.Html, class_="pabm-notice").widgets


def test_sampled_fidelity_runs_on_the_page():
    rc, built = render_page(
        dataclasses.replace(
            SMALL,
            sampled=dataclasses.replace(
                SMALL.sampled, initial_points=300, owner_keep=40, public_keep=20
            ),
        )
    )
    choose(rc, "Fidelity", "sampled")
    button(rc, "Reset").click()
    model = built[-1]
    assert model.fidelity == "sampled"
    before = images(rc)
    button(rc, "Step").click()
    assert model.steps == 1
    assert images(rc)["pabm-heatmap"] != before["pabm-heatmap"]
    assert "sampled" in card_text(rc, "pabm-status")


# ----------------------------------------------------------------- the app and the command line
def test_app_chooses_the_page_from_the_family(monkeypatch, tmp_path):
    monkeypatch.setenv(SCENARIO_ENV_VAR, str(DISJOINT))
    rc = render(app.Page)
    assert set(images(rc)) == set(PLOT_CLASSES)
    assert rc.find(v.Slider, label="Public centre x").widgets

    platform = tmp_path / "platform.toml"
    platform.write_text(
        '[scenario]\nname = "p"\nrounds = 3\n[population]\nsource = "gaussian"\nn = 200\n'
        "d = 3\nstrategic_features = [0]\n"
    )
    monkeypatch.setenv(SCENARIO_ENV_VAR, str(platform))
    rc = render(app.Page)
    assert not images(rc)
    assert rc.find(v.Slider, label="ε (manipulation budget)").widgets

    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[scenario]\nname = "u"\nfamily = "epidemic"\n')
    monkeypatch.setenv(SCENARIO_ENV_VAR, str(unknown))
    rc = render(app.Page)
    assert "scenario.family: got 'epidemic'" in widget_text(rc.find(v.Alert).widget)


def test_cli_refuses_a_bad_file_before_serving(tmp_path, capsys):
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[scenario]\nname = "u"\nfamily = "epidemic"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text(DISJOINT.read_text().replace("pool = 4", "pool = 0"))
    for path, field in ((unknown, "scenario.family"), (broken, "curation.factions[0].pool")):
        with pytest.raises(InputError) as err:
            solara_command(path)
        assert err.value.field == field
        assert main(["viz", str(path)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"platform-abm: error: {field}: got ")
