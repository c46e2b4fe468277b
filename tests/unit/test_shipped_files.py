"""The suite cannot pass by leaving things out: shipped files are pinned, skips are honest.

A deleted preset or spec fails here (and in every test parametrised over
``shipped_preset`` / ``shipped_spec``); no test skips because one of collabsim's
own modules fails to import; ``make test`` requires the browser test to run.
"""

from __future__ import annotations

import re
from pathlib import Path

from collabsim.experiments.spec import EXPERIMENT_DIR
from collabsim.scenario import list_presets
from collabsim.scenario.io import PRESET_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_presets_are_the_pinned_ones(shipped_presets):
    on_disk = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))
    assert on_disk, f"no presets in {PRESET_DIR}"
    assert on_disk == sorted(shipped_presets) == list_presets(), (
        f"shipped {on_disk}, pinned {sorted(shipped_presets)}: a pinned preset is missing, or "
        "a new one is not yet in SHIPPED_PRESETS (tests/conftest.py)")


def test_the_shipped_specs_are_the_pinned_ones(shipped_specs):
    on_disk = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))
    assert on_disk, f"no experiment specs in {EXPERIMENT_DIR}"
    assert on_disk == sorted(shipped_specs), (
        f"shipped {on_disk}, pinned {sorted(shipped_specs)}: a pinned spec is missing, or a "
        "new one is not yet in SHIPPED_SPECS (tests/conftest.py)")


def test_every_pinned_preset_is_shipped(shipped_preset):
    assert (PRESET_DIR / f"{shipped_preset}.toml").is_file(), shipped_preset


def test_every_pinned_spec_is_shipped(shipped_spec):
    assert (EXPERIMENT_DIR / f"{shipped_spec}.toml").is_file(), shipped_spec


def test_no_test_skips_on_a_missing_collabsim_module():
    pattern = re.compile(r"""importorskip\(\s*["']collabsim""")
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").rglob("*.py"))
                 if pattern.search(p.read_text())]
    assert not offenders, f"importorskip of collabsim's own modules hides failures: {offenders}"


def test_make_test_requires_the_browser_test():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no test target in the Makefile"
    body = recipe.group(1)
    assert "COLLABSIM_REQUIRE_BROWSER=1" in body, body
    assert "not browser" not in body, body
