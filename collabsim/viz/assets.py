"""Solara's web assets for machines without access to a CDN.

A Solara page loads its JavaScript and CSS (the Vue/Vuetify app, RequireJS,
Font Awesome) through the server's ``/_solara/cdn/`` proxy, which serves them
from a cache directory (``<prefix>/share/solara/cdn``) and otherwise downloads
them from a public CDN. Where that CDN cannot be reached (closed networks, CI)
the page stays blank. Nothing is downloaded at run time: the ``solara-assets``
package from PyPI installs most of the files with collabsim, and set-up
(``make venv``, or ``python -m collabsim.viz.assets``) adds any package the
installed Solara's page needs that it lacks, with ``npm pack`` from the npm
registry. The packages and versions are read from the installed Solara's page
template (for the Vue version ipyvue provides), so an upgrade of Solara asks
for its own versions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "fetch_assets", "missing_assets", "required_assets"]

_PINNED = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/")
_PATH_PIN = re.compile(r"^/?((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/")


def cache_dir() -> Path:
    """The directory Solara's CDN proxy serves from (``SOLARA_ASSETS_PROXY_CACHE_DIR``)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def required_assets() -> list[tuple[str, str]]:
    """The npm packages (name, exact version) the installed Solara's page loads."""
    import ipyvue
    import solara.server
    import solara.server.settings as settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    vue3 = ipyvue.__version__.startswith("3")  # as solara.server.server decides
    found = {(n, v) for n, v in _PINNED.findall(template.read_text(encoding="utf-8"))
             if ("vuetify3" in n) == vue3 or "vuetify" not in n}
    fa = _PATH_PIN.match(settings.assets.fontawesome_path)
    if fa:
        found.add((fa.group(1), fa.group(2)))
    return sorted(found)


def missing_assets(directory: Path | None = None) -> list[tuple[str, str]]:
    """Required packages not yet in the cache."""
    root = directory or cache_dir()
    return [(n, v) for n, v in required_assets() if not (root / f"{n}@{v}").is_dir()]


def _unpack(tgz: Path, dest: Path) -> None:
    """Unpack an npm tarball's ``package/`` folder into ``dest`` (atomically)."""
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".unpack-"))
    try:
        with tarfile.open(tgz) as tf:
            tf.extractall(work, filter="data")
        top = work / "package"
        if not top.is_dir():  # a few packages use another top folder name
            top = next(p for p in work.iterdir() if p.is_dir())
        top.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fetch_assets(directory: Path | None = None, npm: str = "npm", timeout: float = 300.0
                 ) -> list[str]:
    """Put every missing asset package into Solara's cache with ``npm pack``.

    Args:
        directory: The cache directory (default: Solara's).
        npm: The npm executable.
        timeout: Seconds allowed per package.

    Returns:
        The ``name@version`` of each package fetched (empty when none was missing).

    Raises:
        RuntimeError: when npm is missing or a package cannot be fetched.
    """
    root = directory or cache_dir()
    todo = missing_assets(root)
    if not todo:
        return []
    exe = shutil.which(npm)
    if exe is None:
        raise RuntimeError(f"{npm} not found: cannot fetch Solara's web assets "
                           f"({', '.join(f'{n}@{v}' for n, v in todo)}) into {root}")
    fetched = []
    for name, version in todo:
        spec = f"{name}@{version}"
        dest = root / spec
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([exe, "pack", spec, "--pack-destination", tmp, "--silent"],
                                  capture_output=True, text=True, timeout=timeout, check=False)
            tarballs = list(Path(tmp).glob("*.tgz"))
            if proc.returncode or not tarballs:
                raise RuntimeError(f"npm pack {spec} failed: {proc.stderr.strip()[-500:]}")
            if not dest.exists():  # another process may have won the race
                _unpack(tarballs[0], dest)
        fetched.append(spec)
    return fetched


def main() -> int:
    """Set-up step: fetch whatever Solara's page needs that is not installed yet."""
    try:
        fetched = fetch_assets()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"collabsim: could not fetch Solara's web assets: {exc}")
        return 1
    print(f"collabsim: Solara web assets in {cache_dir()}"
          + (f" (fetched {', '.join(fetched)})" if fetched else " (complete)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
