"""``platform-abm viz [SCENARIO]``: serve the visualization page with ``solara run``.

The command validates the scenario (a platform or a curation scenario: its
family chooses the page), then runs ``solara run`` on
:mod:`platform_abm.viz.app` in a child process bound to a loopback address by
default, in production mode (no file watching), without opening a browser,
without Solara's version check or usage statistics, and with the front-end
served from the locally installed ``solara-assets`` (no CDN), so that the page
works with no internet access.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from platform_abm.common.commands import add_command, add_scenario_argument
from platform_abm.common.errors import InputError
from platform_abm.viz.scenarios import SCENARIO_ENV_VAR, load_page_scenario

APP_MODULE = "platform_abm.viz.app"
"""Module that ``solara run`` serves."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def solara_command(
    scenario: str | Path | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the page.

    Args:
        scenario: Scenario TOML file the page starts from, of the platform or the
            curation family (None: the built-in platform default).
        host: Address to listen on.
        port: TCP port (0: any free port, chosen by Solara).

    Returns:
        The argument vector and the full environment of the child process.

    Raises:
        InputError: When the scenario is invalid or of an unknown family, or the
            host or port is not allowed.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65_535:
        raise InputError("--port", port, "an integer between 0 and 65535")
    if not host or any(c.isspace() for c in host):
        raise InputError("--host", host, "a host name or IP address")
    env = dict(os.environ)
    if scenario is not None:
        path = Path(scenario).expanduser().resolve()
        load_page_scenario(path)  # fail here, with the CLI's message, rather than in the page
        env[SCENARIO_ENV_VAR] = str(path)
    else:
        env.pop(SCENARIO_ENV_VAR, None)
    env.update(
        {
            # No usage statistics (they would leave the machine) and the locally
            # installed front-end assets, served by the Solara server itself.
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_ASSETS_PROXY": "True",
            "SOLARA_THEME_SHOW_BANNER": "False",
        }
    )
    # Solara warns on every plain-http loopback page load that its session cookie
    # falls back to SameSite=Lax; that is expected here and only clutters the log.
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), quiet]))
    argv = [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    return argv, env


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cmd_viz(args: argparse.Namespace) -> int:
    argv, env = solara_command(args.scenario, args.host, args.port)
    if not _is_loopback(args.host):
        print(
            f"platform-abm viz: warning: listening on {args.host}, reachable from other machines",
            file=sys.stderr,
        )
    print(f"platform-abm viz: serving on http://{args.host}:{args.port} (Ctrl-C stops)")
    child = subprocess.Popen(argv, env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 0


def add_commands(subparsers: Any) -> None:
    """Register ``viz`` on the ``platform-abm`` sub-command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    viz = add_command(
        subparsers,
        "viz",
        _cmd_viz,
        summary="watch and steer a platform or curation model in the browser",
        description="Serve the Mesa SolaraViz page of a platform or curation scenario on this "
        "machine (works offline). Open the printed address in a browser; Ctrl-C stops the server.",
    )
    add_scenario_argument(viz)
    viz.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (default: 8765)")
    viz.add_argument(
        "--host", default=DEFAULT_HOST, help="address to listen on (default: 127.0.0.1)"
    )
