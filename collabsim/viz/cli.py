"""``collabsim viz``: serve the interactive view and open it in a browser.

The page is served by ``solara run collabsim.viz.app`` with the same
interpreter, which replaces this process (on POSIX) so that stopping it stops
the server; the scenario, seed, number of citizens and language shown first
travel to it as ``COLLABSIM_VIZ_*`` environment variables. For a class, serve
on every address (``--host 0.0.0.0``): every browser tab gets its own worlds,
and a tab closed (or gone idle without a connection) is released after
``--idle-minutes`` (Solara's ``SOLARA_KERNEL_CULL_TIMEOUT``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from collabsim.errors import CollabsimError

__all__ = ["cmd_viz", "register", "server_command", "server_env"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``viz`` command to the main parser."""
    p = subparsers.add_parser("viz", help="open the interactive view (Solara) in a browser")
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--no-browser", action="store_true",
                   help="serve without opening a browser")
    p.add_argument("--scenario", default=None, help="preset shown first (default pbg)")
    p.add_argument("--seed", type=int, default=None, help="seed of the first run (default 42)")
    p.add_argument("--citizens", type=int, default=None,
                   help="number of citizens (default: the preset's)")
    p.add_argument("--lang", choices=("en", "id"), default=None,
                   help="language of the page: en (English, default) or id (Bahasa Indonesia)")
    p.add_argument("--intervene", dest="interventions", action="append", default=[],
                   metavar="DAY:KEY=VALUE[,KEY=VALUE]",
                   help="start with an intervention, e.g. 545:agencies.pupr.regulation_ready=true")
    p.add_argument("--idle-minutes", type=float, default=10.0,
                   help="release a session this many minutes after its browser tab has gone "
                        "(default 10)")
    p.set_defaults(func=cmd_viz)


def server_command(port: int, host: str = "127.0.0.1", open_browser: bool = False
                   ) -> list[str]:
    """The command line that serves the page."""
    return [sys.executable, "-m", "solara", "run", "collabsim.viz.app", "--port", str(port),
            "--host", host, "--production", "--open" if open_browser else "--no-open"]


def server_env(scenario: str | None = None, seed: int | None = None,
               citizens: int | None = None, lang: str | None = None,
               idle_minutes: float | None = None,
               interventions: list[str] | None = None) -> dict[str, str]:
    """The server's environment: ours plus the first run's settings and the idle release."""
    env = dict(os.environ)
    if interventions:
        import json

        from collabsim.interventions import parse_intervention

        added = [{"day": iv["day"], "lever": k, "value": v}
                 for iv in map(parse_intervention, interventions) for k, v in iv["set"].items()]
        env["COLLABSIM_VIZ_INTERVENE"] = json.dumps(added)
    for key, value in (("PRESET", scenario), ("SEED", seed), ("CITIZENS", citizens),
                       ("LANG", lang)):
        if value is not None:
            env[f"COLLABSIM_VIZ_{key}"] = str(value)
    if idle_minutes is not None:
        env["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{max(idle_minutes, 0.05) * 60:.0f}s"
    return env


def _check(args: argparse.Namespace) -> None:
    from collabsim.scenario import list_presets

    if not 0 <= args.port <= 65535:
        raise CollabsimError(f"--port: must be 0–65535 (got {args.port})")
    if args.scenario is not None and args.scenario not in list_presets():
        raise CollabsimError(f"--scenario: unknown preset '{args.scenario}'; presets: "
                             f"{', '.join(list_presets())}")
    if args.citizens is not None and args.citizens < 10:
        raise CollabsimError(f"--citizens: must be at least 10 (got {args.citizens})")
    if args.idle_minutes <= 0:
        raise CollabsimError(f"--idle-minutes: must be more than 0 (got {args.idle_minutes})")
    if args.seed is not None and args.seed < 0:
        raise CollabsimError(f"--seed: must be 0 or more (got {args.seed})")


def cmd_viz(args: argparse.Namespace) -> int:
    """Serve the view until interrupted; returns the server's exit status."""
    _check(args)
    if args.interventions:  # refused here, with the one-line error, not in the server
        from collabsim.interventions import parse_intervention, with_interventions
        from collabsim.scenario import load_scenario

        with_interventions(load_scenario(args.scenario or "pbg"),
                           [parse_intervention(t) for t in args.interventions])
    from collabsim.viz.assets import cache_dir, missing_assets

    missing = missing_assets()
    if missing:
        print(f"warning: Solara's web assets {', '.join(f'{n}@{v}' for n, v in missing)} are "
              f"not in {cache_dir()} (set-up installs them: `python -m collabsim.viz.assets`); "
              "the page will try to load them from the public CDN", file=sys.stderr)
    url = f"http://{args.host}:{args.port}/"
    print(f"collabsim viz: serving on {url} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    cmd = server_command(args.port, args.host, open_browser=not args.no_browser)
    env = server_env(args.scenario, args.seed, args.citizens, args.lang, args.idle_minutes,
                     args.interventions)
    if os.name == "posix":
        # become the server: stopping this process (Ctrl+C, kill) stops the server too
        os.execve(cmd[0], cmd, env)
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        raise
