"""The visualization page rendered headless (no browser): controls, components, Step, Reset.

The page is rendered with ``solara.render`` inside an ``AppLayout`` (as
``solara run`` does), and driven through its widgets: the Step and Reset
buttons, the sliders and the seed field.
"""

from __future__ import annotations

import argparse
import functools
import time
from typing import ClassVar

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara

from platform_abm.common.errors import InputError
from platform_abm.platform.model import PlatformModel
from platform_abm.platform.scenario import Scenario
from platform_abm.viz.cli import add_commands, solara_command
from platform_abm.viz.platform import figures
from platform_abm.viz.platform.components import COMPONENTS, CollectiveMetrics, StatusLine
from platform_abm.viz.platform.page import PageModel, PlatformPage
from platform_abm.viz.platform.params import (
    SIDEBAR,
    PlatformControls,
    model_kwargs,
    renormalise_levels,
)
from platform_abm.viz.scenarios import SCENARIO_ENV_VAR
from platform_abm.viz.session import RejectedParameters
from platform_abm.viz.values import parse_seed

PLOT_CLASSES = ("pabm-drift", "pabm-theta", "pabm-utility", "pabm-histogram", "pabm-groups")

SMALL = Scenario(
    name="viz-small",
    seed=3,
    rounds=25,
    source="gaussian",
    n=1500,
    d=4,
    strategic_features=(0, 1),
)


def recording_class(base: type = PageModel):
    """A subclass of a page's model class that records every model it builds.

    Reset builds with the class of the current model, so Reset's models are
    recorded too. ``functools.wraps`` keeps the base's explicit signature visible
    to Mesa, which passes a ``scenario`` keyword to constructors that take
    ``**kwargs``.
    """

    class Recording(base):
        built: ClassVar[list] = []

        @functools.wraps(base.__init__)
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            type(self).built.append(self)

    return Recording


_OPEN: list = []


@pytest.fixture(autouse=True)
def close_rendered_pages():
    """Close every page a test rendered.

    Outside a Solara server all rendered pages share Mesa's update counter, so
    a page left open would re-render on every later Step (of any test).
    """
    yield
    while _OPEN:
        _OPEN.pop().close()


def render(component):
    """Render ``component()`` inside an AppLayout, as ``solara run`` does; closed after the test."""

    @solara.component
    def App():
        with solara.AppLayout():
            component()

    _, rc = solara.render(App(), handle_error=False)
    _OPEN.append(rc)
    return rc


def render_page(scenario: Scenario = SMALL):
    model_class = recording_class()
    rc = render(lambda: PlatformPage(scenario, model_class=model_class))
    return rc, model_class.built


def button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def images(rc, classes: tuple[str, ...] = PLOT_CLASSES) -> dict[str, bytes]:
    """The page's plot images, keyed by their CSS class among ``classes``."""
    found = {}
    for widget in rc.find(ipywidgets.Image).widgets:
        for css in classes:
            if css in widget._dom_classes:
                found[css] = bytes(widget.value)
    return found


def text_present(rc, text: str) -> bool:
    return bool(rc.find(v.Html, children=[text]).widgets)


def first_images(rc, built, classes: tuple[str, ...] = PLOT_CLASSES) -> dict[str, bytes]:
    """The plots of a page just rendered: one model built, every plot a PNG, time 0."""
    assert len(built) == 1
    found = images(rc, classes)
    assert set(found) == set(classes)
    assert all(png.startswith(b"\x89PNG") for png in found.values())
    assert text_present(rc, "Time: 0.0")
    return found


def widget_text(widget) -> str:
    """Every string shown by a widget and its descendants (texts, HTML, Markdown)."""
    parts = []
    for name in ("children", "items"):
        for child in getattr(widget, name, None) or []:
            parts.append(child if isinstance(child, str) else widget_text(child))
    html = getattr(widget, "unsafe_innerHTML", None)
    if html:
        parts.append(html)
    template = getattr(widget, "template", None)
    if isinstance(template, str):  # solara.Markdown renders into a template
        parts.append(template.split("<script>")[0])
    return " ".join(parts)


def notice_text(rc) -> str:
    """The sidebar's message about the last refused Reset."""
    return widget_text(rc.find(v.Html, class_="pabm-notice").widget)


def bad_seed_is_refused(rc, built) -> None:
    """After one Step, a seed that is not a number is flagged before Reset, and Reset
    keeps the stepped model and says why."""
    button(rc, "Step").click()
    type_seed(rc, "twelve")
    assert rc.find(v.Html, class_="pabm-pending-error").widgets  # shown before Reset
    button(rc, "Reset").click()
    assert len(built) == 1
    assert built[0].steps == 1
    assert "seed: got 'twelve'" in notice_text(rc)


def small_model(**changes) -> PlatformModel:
    """A 300-user Gaussian platform model with a constant ε."""
    return PlatformModel(
        **{
            "population": "gaussian",
            "n_users": 300,
            "n_features": 3,
            "strategic_features": (0,),
            "epsilon_distribution": "constant",
            "rng": 0,
        }
        | changes
    )


def set_slider(rc, label: str, value: float) -> None:
    rc.find(v.Slider, label=label).widget.v_model = value


def type_seed(rc, text: str) -> None:
    field = rc.find(v.TextField, label="Seed").widget
    field.v_model = text
    field.fire_event("keyup.enter", None)


# ----------------------------------------------------------------- parameters
def test_level_weights_are_renormalised():
    assert renormalise_levels((0.0, 1.0, 1.0, 0.0)) == (0.0, 0.5, 0.5)
    assert renormalise_levels((0.2, 0.2, 0.0, 0.4)) == pytest.approx((0.25, 0.25, 0.0, 0.5))
    with pytest.raises(InputError) as err:
        renormalise_levels((0.0, 0.0, 0.0, 0.0))
    assert err.value.field == "level mix"


@pytest.mark.parametrize("text", ["abc", "4.2", "-1", "", str(2**63)])
def test_bad_seed_is_refused_with_the_field_named(text):
    with pytest.raises(InputError) as err:
        parse_seed(text)
    assert err.value.field == "seed"


def test_seed_text_is_cast_to_int():
    assert parse_seed(" 42 ") == 42
    assert parse_seed(7) == 7


def test_controls_become_model_parameters():
    scenario = Scenario(source="gaussian", n=500, d=3, strategic_features=(0,))
    controls = SIDEBAR.parse_controls(
        scenario,
        {"epsilon": 1.0, "level_0": 1.0, "level_1": 3.0, "level_2": 0.0, "level_3": 0.0}
        | {"reg": "1e-3", "seed": "11", "n_users": 800, "max_rounds": 9},
    )
    kwargs = model_kwargs(scenario, controls)
    assert kwargs["levels"] == (0.25, 0.75)
    assert kwargs["learner_params"] == {"reg": 1e-3}
    assert kwargs["rng"] == 11
    assert kwargs["n_users"] == 800
    assert kwargs["max_rounds"] == 9
    # The default scenario's ε is lognormal: the slider sets its median, σ is kept.
    assert kwargs["epsilon"] == 1.0
    assert kwargs["epsilon_distribution"] == "lognormal"
    assert kwargs["epsilon_sigma"] == scenario.epsilon.sigma


def test_model_errors_name_the_control():
    # The model refuses a collective without members (1e-5 of 1500 users) and
    # an ε out of range; the page names the control and its value.
    for values, message in (
        ({"alpha": 1e-5}, "collective α: got 1e-05; allowed: "),
        ({"epsilon": -0.5}, "ε: got -0.5; allowed: a finite number > 0"),
        ({"max_rounds": 0}, "round limit: got 0; allowed: an integer >= 1"),
        ({"reg": "-1"}, "learner regularisation: got -1.0; allowed: "),
    ):
        rejected = PageModel(base=SMALL, **values)
        assert isinstance(rejected, RejectedParameters)
        assert rejected.message.startswith(message), rejected.message


def test_unknown_control_is_refused():
    with pytest.raises(InputError) as err:
        SIDEBAR.parse_controls(SMALL, {"temperature": 3})
    assert err.value.field == "temperature"


def test_page_model_returns_a_rejection_instead_of_raising():
    rejected = PageModel(base=SMALL, seed="not a seed")
    assert isinstance(rejected, RejectedParameters)
    assert "seed" in rejected.message
    model = PageModel(base=SMALL, seed="5", epsilon=0.7)
    assert isinstance(model, PlatformModel)
    assert model.controls == PlatformControls(
        population="gaussian",
        n_users=1500,
        epsilon=0.7,
        level_0=0.0,
        level_1=0.5,
        level_2=0.5,
        level_3=0.0,
        alpha=0.0,
        collective_lambda=0.5,
        reg=None,
        max_rounds=25,
        seed=5,
    )


# ----------------------------------------------------------------- the page
def test_page_builds_steps_and_every_component_renders():
    rc, built = render_page()
    before = first_images(rc, built)
    model = built[0]

    button(rc, "Step").click()
    button(rc, "Step").click()
    assert model.time == 2
    assert model.steps == 2
    assert text_present(rc, "Time: 2.0")
    after = images(rc)
    for css in ("pabm-drift", "pabm-theta", "pabm-utility", "pabm-histogram"):
        assert after[css] != before[css], css
    # Membership does not change with the rounds: the group view is drawn once.
    assert after["pabm-groups"] == before["pabm-groups"]
    assert rc.find(v.CardTitle, children=["Status"]).widgets


def test_reset_with_new_parameters_rebuilds_the_model():
    rc, built = render_page()
    button(rc, "Step").click()
    theta_before = built[0].theta.copy()
    set_slider(rc, "ε (manipulation budget)", 1.5)
    set_slider(rc, "Level 3 weight", 1.0)
    type_seed(rc, "3")
    button(rc, "Reset").click()
    assert len(built) == 2
    model = built[1]
    assert model.time == 0
    assert model.controls.epsilon == 1.5
    # Weights 0, 0.5, 0.5, 1 renormalised.
    assert tuple(model.fractions) == pytest.approx((0.0, 0.25, 0.25, 0.5))
    button(rc, "Step").click()
    assert not np.allclose(model.theta, theta_before)
    # The old model is not stepped any more.
    assert built[0].steps == 1


def test_invalid_parameters_show_a_message_and_keep_the_model():
    rc, built = render_page()
    bad_seed_is_refused(rc, built)

    # A valid Reset afterwards clears the message.
    type_seed(rc, "12")
    for level in range(4):
        set_slider(rc, f"Level {level} weight", 0.0)
    button(rc, "Reset").click()
    assert len(built) == 1  # all level weights zero: refused as well
    assert "level mix" in notice_text(rc)
    set_slider(rc, "Level 0 weight", 1.0)
    button(rc, "Reset").click()
    assert len(built) == 2
    assert not rc.find(v.Html, class_="pabm-notice").widgets


def test_two_sessions_do_not_share_a_model():
    rc_a, built_a = render_page()
    _, built_b = render_page()
    assert built_a[0] is not built_b[0]
    button(rc_a, "Step").click()
    assert built_a[0].steps == 1
    assert built_b[0].steps == 0


def test_collective_metrics_show_only_with_a_collective():
    model = small_model()
    _, rc = solara.render(CollectiveMetrics(model), handle_error=False)
    assert not rc.find(v.Html, class_="pabm-collectives").widgets

    # A real collective, as the sidebar builds it for α = 0.2 and λ = 0.5.
    model = PageModel(base=SMALL, alpha=0.2, collective_lambda=0.5, seed="3")
    assert isinstance(model, PlatformModel), getattr(model, "message", "")
    assert model.collective_names == ["collective"]
    members = int(np.sum(model.collective_ids == 0))
    assert members == 300  # 20% of 1500
    model.step()
    record = model.round_record
    assert {"B_collective", "phi_collective", "psi_collective"} <= set(record)
    _, rc = solara.render(CollectiveMetrics(model), handle_error=False)
    table = widget_text(rc.find(v.Html, class_="pabm-collectives").widget)
    assert str(members) in table
    for key in ("B_collective", "phi_collective", "psi_collective"):
        assert f"{record[key]:.4g}" in table or f"{record[key]:.3g}" in table
    graph = figures.group_graph(model, sample=60)
    hubs = {n for n, kind in graph.nodes(data="kind") if kind == "group"}
    assert hubs == {"collective collective", "level 1", "level 2"}
    assert graph.nodes["collective collective"]["size"] == members


def test_status_line_names_the_status_and_regime():
    model = small_model(max_rounds=1)
    model.step()
    box, _ = solara.render(StatusLine(model), handle_error=False)
    html = widget_text(box)
    assert "round-limit" in html
    assert model.regime.code in html


def test_components_are_the_issue_list():
    names = [c.__name__ for c in COMPONENTS]
    assert names == [
        "StatusLine",
        "DriftChart",
        "ThetaChart",
        "UtilityChart",
        "FeatureHistogram",
        "GroupView",
    ]


# ----------------------------------------------------------------- command line
def test_viz_command_line(tmp_path):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        '[scenario]\nname = "s"\n[population]\nsource = "gaussian"\nn = 100\n'
        "strategic_features = [0]\n"
    )
    args = parser.parse_args(["viz", str(scenario), "--port", "9123"])
    assert (args.scenario, args.port, args.host) == (str(scenario), 9123, "127.0.0.1")
    argv, env = solara_command(args.scenario, args.host, args.port)
    assert argv[1:5] == ["-m", "solara", "run", "platform_abm.viz.app"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "9123"
    assert {"--production", "--no-open", "--no-check-version"} <= set(argv)
    assert env[SCENARIO_ENV_VAR] == str(scenario.resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    with pytest.raises(InputError):
        solara_command(args.scenario, "127.0.0.1", 70_000)
    unknown = tmp_path / "u.toml"
    unknown.write_text('[scenario]\nfamily = "epidemic"\n')
    with pytest.raises(InputError) as err:
        solara_command(unknown)
    assert err.value.field == "scenario.family"


# ----------------------------------------------------------------- timing (printed)
def test_step_and_render_time_at_20000_users(capsys):
    """Print the time of one Step (model round + re-render of every component).

    Not a timed assertion: the machines are shared. CPU time is the process's
    own, wall time includes waiting for the CPU.
    """
    scenario = Scenario(
        name="timing",
        seed=0,
        source="gaussian",
        n=20_000,
        d=10,
        strategic_features=(0, 1, 2),
        tolerance=1e-300,
    )
    rc, built = render_page(scenario)
    assert len(built[0].levels) == 20_000
    step = button(rc, "Step")
    step.click()  # first round: warms caches
    wall, cpu = [], []
    for _ in range(3):
        w0, c0 = time.perf_counter(), time.process_time()
        step.click()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    assert built[0].steps == 4
    with capsys.disabled():
        print(
            f"\nviz step+render at 20,000 users: wall {np.median(wall):.3f} s, "
            f"CPU {np.median(cpu):.3f} s (median of 3)"
        )
