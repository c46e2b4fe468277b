"""Write the tutorial notebooks from the cell sources below, execute them, save them executed.

    python docs/tutorials/build.py                          # all three, full scale
    python docs/tutorials/build.py student analyst          # some of them
    python docs/tutorials/build.py --scale small --out /tmp/nb   # a quick trial elsewhere

Each notebook is held here as text (cells separated by ``%% md`` and ``%% code``
lines), so a change is reviewed as a diff of this file and the notebooks are
regenerated from it. They are executed with nbclient on an ipykernel of this
interpreter, each in a fresh temporary working directory (nothing is written
into the repository but the notebooks), and saved with their outputs (figures
as PNG). The notebooks read ``COLLABSIM_TUTORIAL_SCALE`` (``small`` or
``full``) in their first cell; the committed ones are executed at ``full``, the
test suite runs them at ``small`` (tests/integration/test_tutorials.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SCALES = ("small", "full")
KERNEL = "collabsim-tutorial"
#: Seconds one cell may take before nbclient gives up.
CELL_TIMEOUT = 900

# ---------------------------------------------------------------------------------- analyst
ANALYST = r'''
%% md
# Policy analysis with collabsim: interventions, costs and the difference table

*For the analyst.* The PBG building approval was moved to a joint arrangement of three
offices without its initial conditions: low leader commitment, thin resources and — the
decisive gap — no regional regulation for the building levy (retribusi). This notebook asks
what a city could do about it, and what it would cost:

1. read the `pbg` preset and its workflow;
2. write a **policy timeline** (`[[interventions]]`: the levy regulation passed on a given
   day, with its one-off cost) and run it once, with its **costs**;
3. compare it with other options on **common seeds** (`collabsim compare` with `--variant`),
   and read `differences.csv`, `cost_effectiveness.csv` and `effects.csv` — what each number
   means and how sure it is.

Everything here is the shipped command line (`collabsim …`) and Python API; each command is
printed as you would type it in a terminal. Money is in kRp (thousand rupiah).

%% code
%matplotlib inline
import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython import get_ipython
from IPython.display import display

from collabsim import load_scenario
from collabsim.cli import main as collabsim_main

# small: the quick run the test suite makes; full: the sizes of the stored notebook
SCALE = os.environ.get("COLLABSIM_TUTORIAL_SCALE", "full")
assert SCALE in ("small", "full"), SCALE
if SCALE == "full":   # half the preset's city; its two years, one each side of the start
    CITIZENS, REPLICATIONS, START, CUT = 5_000, 10, 365, ""
    DAY = START + 180  # the policy day: half a year after the joint arrangement starts
else:                 # 1,000 citizens, half-year windows, a shorter burn-in
    CITIZENS, REPLICATIONS, START = 1_000, 3, 180
    CUT = " --steps 360 --set collaboration_start=180 --set burn_in_days=180"
    DAY = START + 90

# everything this notebook writes goes into a fresh folder, not next to the notebook
os.chdir(os.environ.get("COLLABSIM_TUTORIAL_WORKDIR") or tempfile.mkdtemp(prefix="collabsim-"))
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (9, 3.2), "axes.grid": True,
                     "grid.alpha": 0.3})
pd.set_option("display.width", 160)
# scipy warns when every paired difference is the same (e.g. a change that cannot act before
# the start): the interval is then that value, which the tables report as such
warnings.filterwarnings("ignore", message="Precision loss occurred in moment calculation")


def collabsim(command: str) -> None:
    """Run a `collabsim` command line in this process, exactly as typed in a terminal."""
    print("$ collabsim", command, flush=True)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        status = collabsim_main(shlex.split(command))
    # progress is logged every few seconds ("compare: 12/50 runs, …"): keep only the last line
    lines = err.getvalue().splitlines()
    progress = [x for x in lines if re.match(r"^[\w.-]+: \d+/\d+ runs", x)]
    kept = [x for x in lines if x not in progress] + progress[-1:]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    # the commands draw their figure files with matplotlib's Agg backend, which they switch
    # pyplot to: switch this notebook back to inline figures
    get_ipython().run_line_magic("matplotlib", "inline")
    if status:
        raise RuntimeError(f"collabsim {command.split()[0]} exited with status {status}")


print(f"scale {SCALE}: {CITIZENS:,} citizens, {REPLICATIONS} replications, "
      f"collaboration start day {START}, policy day {DAY}")

%% md
## 1. The preset

Scenarios are TOML files read into a closed, validated schema; `load_scenario` takes a preset
name or a path. The PBG preset's agencies and their *initial conditions* (DESIGN §1), and its
six-stage workflow: the two levy stages need a regulation in force, and after the switch
(`collaboration_start`) the legacy building-levy rule no longer covers them.

%% code
pbg = load_scenario("pbg")
agencies = pd.DataFrame({key: a.model_dump() for key, a in pbg.agencies.items()}).T
display(agencies[["name", "leader_commitment", "resources", "regulation_ready",
                  "n_officers", "officer_day_cost"]])
stages = pd.DataFrame([s.model_dump() for s in pbg.licensing.stages])
display(stages[["name", "agency", "service_days", "fee", "levy", "needs_regulation"]])
print(f"steps {pbg.steps} days, collaboration_start day {pbg.collaboration_start}, "
      f"burn-in {pbg.burn_in_days} siloed days before day 0")

%% md
`n_officers` is per 10,000 citizens (capacities scale with `citizens.n`); `officer_day_cost`
(kRp per officer-day) turns officers' time into money. With `--citizens 1000` the desks shrink
tenfold, so a small run is a smaller city, not a noisier copy of the big one.

## 2. A policy timeline: the regulation passed on a day, at a cost

An intervention is a day, a label, the values it sets (dotted key paths, checked like `--set`)
and what it costs: `cost` once on its day, `cost_per_day` from then on. The drafting, council
deliberation and socialisation of a regional regulation are put at 250,000 kRp here — an
assumption, as in `experiments/pbg_regulation_timing.toml`. A scenario file can `extend` a
preset and add the timeline:

%% code
Path("pbg_regulation.toml").write_text(f"""\
extends = "pbg"
name = "pbg_regulation"
description = "PBG with the regional levy regulation passed on day {DAY}"

[[interventions]]
day = {DAY}
label = "regional levy regulation passed"
cost = 250000        # kRp, one-off (assumption)
set = {{ "agencies.pupr.regulation_ready" = true, "agencies.bapenda.regulation_ready" = true }}
""")
print(Path("pbg_regulation.toml").read_text())
collabsim("validate pbg_regulation.toml")

%% md
One run of it (`collabsim run` writes the daily time series, a summary and a plot). The same
change without a cost can be typed on the command line: `collabsim run pbg --intervene
'545:agencies.pupr.regulation_ready=true,agencies.bapenda.regulation_ready=true'`.

%% code
collabsim(f"run pbg_regulation.toml --seed 7 --citizens {CITIZENS} --out run_regulation{CUT}")

%% code
import json

summary = json.loads(Path("run_regulation/summary.json").read_text())
costs = {k: summary[k] for k in ("cost_staff_total", "cost_campaigns_total",
                                 "cost_interventions_total", "cost_total", "cost_total_after",
                                 "officer_days_total", "officer_days_after")}
pd.Series(costs, name="this run").map("{:,.0f}".format).to_frame()

%% md
`cost_total` is the sum of its parts: officers' time on the service (each desk officer's share
of the day × the agency's `officer_day_cost`), campaigns (none in PBG) and interventions (the
250,000 kRp on the policy day). `cost_total_after` counts only the days from the collaboration
start. The daily series (`timeseries.parquet`, one row per day, one column per metric) show
what the regulation did: files held at the levy stages for want of a rule (`stalled_files`) go
on, and the levy comes in again.

%% code
ts = pd.read_parquet("run_regulation/timeseries.parquet").set_index("day")
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
ts["permits_issued"].rolling(30).sum().plot(ax=axes[0], title="permits issued, last 30 days")
ts["backlog"].plot(ax=axes[1], label="files in process")
ts["stalled_files"].plot(ax=axes[1], label="of which stalled (no regulation)",
                         title="files in process")
ts["levy_share_30d"].plot(ax=axes[2], title="levy ÷ target, last 30 days")
for ax in axes:
    ax.axvline(START, color="grey", ls="--", lw=1, label="joint arrangement starts")
    ax.axvline(DAY, color="purple", ls=":", lw=1.5, label="regulation passed")
    ax.set_xlabel("day")
axes[1].legend(fontsize=8, loc="upper left")
fig.tight_layout()

%% md
One run is one draw of a stochastic world: it shows the mechanism, not the size of an effect.
For that, compare.

## 3. Compare options on common seeds

`collabsim compare A B …` runs every scenario over the same replicate seeds — replicate *r*
has the same seed, so the same citizens, needs and random draws, in every scenario (common
random numbers). `--variant NAME:[DAY:]KEY=VALUE` adds a named variant of the first scenario,
changed from the start or by an intervention on DAY. Four options against `pbg` as shipped:

| name | what changes | declared cost |
|---|---|---|
| `pbg_regulation` | the file above: the regulation passed on the policy day | 250,000 kRp |
| `reg_first` | the regulation in force from the start | none |
| `reg_late` | the file's change typed as a variant: passed on the policy day | none |
| `hire` | PUPR's desk staff from 7 to 10 per 10,000 citizens on the policy day | staff time |

A `--variant` carries no cost of its own: only what it does to officers' time is counted. To
count what a measure costs, give it as an intervention with `cost` in a scenario file.

%% code
collabsim(f"compare pbg pbg_regulation.toml"
          f" --variant 'reg_first:agencies.*.regulation_ready=true'"
          f" --variant 'reg_late:{DAY}:agencies.*.regulation_ready=true'"
          f" --variant 'hire:{DAY}:agencies.pupr.n_officers=10'"
          f" --replications {REPLICATIONS} --citizens {CITIZENS} --seed 2026 --out cmp{CUT}")

%% md
The first table is each scenario's mean over its replications with a 95 % Student-t interval
(`compare.csv`, `headline.csv`). Those intervals are wide because they hold the seed-to-seed
spread of each scenario on its own. The second table, `differences.csv`, is what an analyst
wants: **each scenario minus the first, seed by seed**, then the mean of those paired
differences with its 95 % interval.

%% code
diffs = pd.read_csv("cmp/differences.csv")
print(sorted(diffs.columns))
shown = {"permits_issued_per_month_after": "permits / month, after the start",
         "levy_target_share_after": "levy ÷ target, after the start",
         "informal_share_after": "informal share, after the start",
         "cost_total_after": "cost after the start (kRp)"}
d = diffs[diffs.metric.isin(shown)].assign(metric=lambda t: t.metric.map(shown))
d["difference [95 % CI]"] = [f"{r.difference:+,.3g} [{r.ci_low:+,.3g}, {r.ci_high:+,.3g}]"
                             for r in d.itertuples()]
order = ["pbg_regulation", "reg_late", "reg_first", "hire"]
d.pivot(index="metric", columns="scenario", values="difference [95 % CI]")[order]

%% md
How to read a row: `difference` is the mean over the replications of (scenario − `pbg`) on the
same seed; `ci_low`/`ci_high` are the Student-t 95 % interval of that mean over the `n` paired
differences; `p_value` the paired t-test against no difference; `relative` the difference ÷ the
baseline mean. Pairing removes the noise the two runs share, so a paired interval is much
narrower than the scenarios' own intervals above — but it only speaks of *this* model with
*these* parameter values: it is the uncertainty from chance (seeds), not from the
assumptions (see the researcher tutorial for that). With few replications the intervals are
wide and the t interval leans on the differences being roughly normal; raise
`--replications` before quoting a number.

The same numbers by hand from `runs.csv` (one row per run: scenario, replicate, seed and the
summary outcomes), for one metric:

%% code
from scipy import stats

runs = pd.read_csv("cmp/runs.csv")
metric = "permits_issued_per_month_after"
wide = runs.pivot(index="replicate", columns="scenario", values=metric)
paired = wide["pbg_regulation"] - wide["pbg"]
res = stats.ttest_1samp(paired, 0.0)
ci = res.confidence_interval(0.95)
print("seeds identical across scenarios:",
      runs.groupby("replicate")["seed"].nunique().eq(1).all())
print("per-seed differences:", np.round(paired.to_numpy(), 3))
print(f"mean {paired.mean():+.3f}, 95 % CI [{ci.low:+.3f}, {ci.high:+.3f}], p = {res.pvalue:.3g}")
print(diffs.query("scenario == 'pbg_regulation' and metric == @metric")[
    ["difference", "ci_low", "ci_high", "p_value", "n"]].to_string(index=False))

%% code
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, m in zip(axes, ["permits_issued_per_month_after", "levy_target_share_after",
                        "informal_share_after"], strict=True):
    part = diffs[diffs.metric == m].set_index("scenario").reindex(order)
    y = np.arange(len(order))
    ax.errorbar(part.difference, y, xerr=[part.difference - part.ci_low,
                                          part.ci_high - part.difference],
                fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, order)
    ax.invert_yaxis()
    ax.locator_params(axis="x", nbins=5)
    ax.set_title(f"{shown[m]}\nminus pbg, 95 % CI", fontsize=9)
for ax in axes[1:]:
    ax.set_yticklabels([])
fig.tight_layout()

%% md
## 4. What it buys: `cost_effectiveness.csv`

For every scenario against the first: the extra effect after the start (`extra_effect`: more
permits issued; more levy collected, kRp) over the extra cost after the start (`extra_cost`:
bn Rp for the permit measure, kRp for the levy one), the ratio of the two **means** and a 95 %
paired bootstrap interval (resampling seeds, keeping pairs together). Read `extra_cost` first:

%% code
cost = pd.read_csv("cmp/cost_effectiveness.csv")
with pd.option_context("display.float_format", "{:,.4g}".format):
    display(cost)

%% md
* `pbg_regulation` carries its declared 250,000 kRp (0.25 bn Rp, plus whatever officers'
  time it changes): *extra permits per bn Rp* and *levy gained per Rp spent* are then
  meaningful figures of that decision.
* `reg_first` and `reg_late` make the same change with no declared cost: the extra cost is
  only the small difference in officers' time, so the ratios are huge or n/a (no extra cost,
  or a saving). They are not findings — a measure without a price cannot be ranked by price.
* `hire` costs the new officers' days; its ratio is what the extra desk staff buys. In the
  stored run its effect on permits is not distinguishable from zero and the levy does not
  move: more technical desks do not help files stalled at the levy stages for want of a
  rule.
* A ratio of means is unstable when the extra effect is small against its noise: check that
  the effect's own interval in `differences.csv` excludes zero before reading the ratio.

## 5. Against never joining: `effects.csv`

`compare` also runs each scenario's **never-joint counterfactual**: the same scenario and
seeds with the joint arrangement never starting. `effect` is factual − counterfactual after
the start, paired on the seed, with a 95 % t interval: the effect of the joint arrangement
itself, in each scenario, rather than a before/after change that mixes it with chance.

%% code
effects = pd.read_csv("cmp/effects.csv")
e = effects[effects.metric.isin(shown)].assign(metric=lambda t: t.metric.map(shown))
e["effect [95 % CI]"] = [f"{r.effect:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}]"
                         for r in e.itertuples()]
e.pivot(index="metric", columns="scenario", values="effect [95 % CI]")[["pbg", *order]]

%% md
`compare` also keeps every run's daily series (`timeseries.parquet`: one row per scenario,
replicate and day) and draws the means with 95 % bands (`timeseries_bands.png`). The same
series by hand: permits issued since the start and the levy's 30-day share of target, mean
over the replications.

%% code
series = pd.read_parquet("cmp/timeseries.parquet",
                         columns=["scenario", "replicate", "day", "permits_issued",
                                  "levy_share_30d"])
after = series[series.day >= START].copy()
after["permits since the start"] = after.groupby(["scenario", "replicate"])[
    "permits_issued"].cumsum()
mean = after.groupby(["scenario", "day"])[["permits since the start",
                                            "levy_share_30d"]].mean()
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
styles = {"pbg": {"color": "black", "lw": 2}, "reg_late": {"ls": "--"}}
for name in ["pbg", *order]:
    part = mean.loc[name]
    for ax, column in zip(axes, ["permits since the start", "levy_share_30d"], strict=True):
        ax.plot(part.index, part[column], label=name, **styles.get(name, {}))
axes[0].set_title("permits issued since the start (mean over replications)", fontsize=10)
axes[1].set_title("levy ÷ target, last 30 days (mean over replications)", fontsize=10)
for ax in axes:
    ax.axvline(DAY, color="purple", ls=":", lw=1.5)
    ax.set_xlabel("day")
axes[0].legend(fontsize=8, loc="upper left")
fig.tight_layout()

%% md
`reg_late` (dashed) lies on `pbg_regulation`: the same change on the same day and seeds — the
two differ only in the cost declared for it.

%% md
## What these numbers do and do not say

* Every interval here is over **seeds**: it says how much chance moves the result in this
  model at these parameter values. It says nothing about whether `value_of_time`,
  `permit_value` or `productivity` — assumptions in the preset — are right; the researcher
  tutorial carries the calibration's posterior into the same comparison.
* Costs are what the scenario declares (officers' time at `officer_day_cost`, interventions'
  `cost`), in kRp; a lever without a declared cost looks free.
* `collabsim analyze cmp` and `collabsim report cmp -o report.html` turn the same directory
  into tables, figures and one HTML report; `experiments/pbg_regulation_timing.toml` sweeps
  the policy day as a lever and ranks levers by effect per cost.
'''


# ---------------------------------------------------------------------------------- student
STUDENT = r'''
%% md
# The model step by step

*For the student.* collabsim is an agent-based model of agencies that collaborate to deliver
a public service. This notebook opens it up: build one model of the PBG building approval,
look at its agents (agencies, officers, citizens — all Mesa agents), its two networks, step it
a day at a time and then past the day the joint arrangement starts, read its queues and
metrics, and finally run the interactive view inside the notebook.

%% code
%matplotlib inline
import os
import tempfile

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from IPython.display import Image, display

# small: the quick run the test suite makes; full: the preset's 10,000 citizens
SCALE = os.environ.get("COLLABSIM_TUTORIAL_SCALE", "full")
assert SCALE in ("small", "full"), SCALE
CITIZENS = 10_000 if SCALE == "full" else 1_000
SEED = 42
os.chdir(os.environ.get("COLLABSIM_TUTORIAL_WORKDIR") or tempfile.mkdtemp(prefix="collabsim-"))
plt.rcParams.update({"figure.dpi": 80, "axes.grid": True, "grid.alpha": 0.3})
print(f"scale {SCALE}: {CITIZENS:,} citizens, seed {SEED}")

%% md
## 1. Build a model

`CollabModel` is a `mesa.Model`; one `step()` is one day. It takes a scenario (a preset name,
a TOML file or a `Scenario`), a seed and optionally the number of citizens (capacities scale
with it) and overrides. Building it also runs the **burn-in**: `burn_in_days` siloed days
before day 0, not recorded, so queues and citizens' beliefs start day 0 settled at the old
arrangement's steady state.

%% code
import mesa

from collabsim import CollabModel

m = CollabModel("pbg", seed=SEED, n_citizens=CITIZENS)
print("a mesa.Model:", isinstance(m, mesa.Model))
print(f"day {m.day}; {m.config.burn_in_days} siloed days simulated before it; "
      f"the joint arrangement starts on day {m.config.collaboration_start} "
      f"of {m.config.steps}")
{cls.__name__: len(group) for cls, group in m.agents_by_type.items()}

%% md
## 2. The agents

**Agencies** are Mesa agents with their leader's *initial conditions* (the preparedness
factors of the field studies) and a `commitment` to the joint arrangement that moves during
the run:

%% code
pd.DataFrame([{"agency": a.key, "name": a.label, "leader commitment": a.leader_commitment,
               "commitment now": round(a.commitment, 3), "resources": a.resources,
               "regulation ready": a.regulation_ready, "desk officers (FTE)": a.n_officers,
               "officer agents": len(a.officers)} for a in m.agency_list])

%% md
**Officers** belong to an agency and choose each day how hard to work (a logit choice over
effort levels: recognition from a committed leader and their own intrinsic commitment
against the cost of effort). Each officer agent is a view onto a row of the model's officer
arrays, so the whole corps is updated at once:

%% code
officers = pd.DataFrame([{"agency": o.agency.key, "duty": o.duty, "competence": o.competence,
                          "intrinsic commitment": o.commitment, "effort today": o.effort}
                         for a in m.agency_list for o in a.officers])
officers.round(3)

%% md
**Citizens** are Mesa agents too, made on demand (`m.citizens[i]`) as views onto the citizen
arrays — building a million agents up front would cost more than the simulation. A citizen
with a need for a building approval weighs *apply*, *go informal* (build without it) and
*wait* by what it believes: the permit's value, the wait it expects, the levy, the hassle of
each stage and whether it knows the procedure, against the risk of being caught building
without one. The choice is a multinomial logit:

%% code
from collabsim.choice import logit_probabilities
from collabsim.services.licensing import NEEDING

lic = m.licensing
print("citizens idle / with a need / with a file in process:",
      np.bincount(lic.state, minlength=3).tolist())
needing = np.flatnonzero(lic.state == NEEDING)
who = int(needing[0]) if needing.size else 0
c = m.citizens[who]
print(f"citizen {who}: {c.licensing_state}, expects {c.expected_days:.0f} days, "
      f"knows the procedure: {c.informed}, believes detection {c.detection_belief:.2f}")
u = c.licensing_utilities()
p = logit_probabilities(np.array(list(u.values())), m.config.choice.beta_citizen)
pd.DataFrame({"utility (kRp)": u, "probability": dict(zip(u, p.round(3), strict=True))})

%% md
## 3. Two networks

The **collaboration network** (networkx) ties every pair of agencies; each tie carries
`trust` and `shared_understanding` (the collaborative-governance cycle of Ansell & Gash, 2008)
and counts the hand-offs and failures it has carried. Before the joint arrangement files go
from office to office by letter, and the ties do not learn.

%% code
g = m.collaboration_graph
print(g)
pd.DataFrame([{"tie": f"{a}–{b}", **d} for a, b, d in g.edges(data=True)])

%% md
Citizens talk to each other on a **social network** (a small world: a ring of close ties,
some rewired at random). Word of mouth spreads what they believe about waits and detection,
and how to apply. The model keeps it as arrays; `social_graph_to_networkx` gives a networkx
graph:

%% code
from collabsim.network import social_graph_to_networkx

social = social_graph_to_networkx(m.population.indptr, m.population.indices)
rng = np.random.default_rng(0)
sources = rng.choice(social.number_of_nodes(), 30, replace=False)
hops = [d for s in sources for d in nx.single_source_shortest_path_length(social, int(s)).values()]
print(f"{social.number_of_nodes():,} citizens, {social.number_of_edges():,} ties, "
      f"mean degree {2 * social.number_of_edges() / social.number_of_nodes():.1f}, "
      f"clustering {nx.average_clustering(social):.2f}, "
      f"mean distance {np.mean(hops):.1f} ties (from 30 citizens)")

%% md
## 4. Step it

`m.step()` simulates one day: today's interventions, agencies commit officers, officers choose
effort, citizens decide and files move through the stages, word of mouth and public
information spread, the collaboration cycle updates, and Mesa's `DataCollector` records one
row of metrics.

%% code
m.step()
print(f"now at day {m.day}; the row recorded for day 0:")
m.datacollector.get_model_vars_dataframe().iloc[-1][
    ["day", "applications_submitted", "permits_issued", "backlog", "mean_processing_days",
     "informed_share", "expected_days", "mean_trust", "mean_officer_effort", "cost_staff"]]

%% md
Run to the day the joint arrangement starts, then two months into it. The model logs what
happens (`m.events`); the view turns each event into a sentence.

%% code
from collabsim.viz import panels

m.run(m.config.collaboration_start - m.day)
print(f"day {m.day}: joint arrangement in force: {m.joint}")
m.run(60)
print(f"day {m.day}: joint arrangement in force: {m.joint}")
for line in reversed(panels.event_messages(m, limit=6)):
    print(" ", line)

%% md
## 5. Queues

Every application is a *file* that moves through the workflow's stages; each stage belongs to
an agency, whose desk officers work its queue. In PBG the levy stages need a regional
regulation the joint arrangement does not have: files reaching them are **stalled** until an
office decides what to do (hold, issue without the levy, charge it anyway, or ask an informal
fee). The pipeline now — the table the view draws:

%% code
pipe = panels.pipeline_table(m).pivot_table(index=["order", "stage", "agency"],
                                            columns="status", values="files", aggfunc="sum")
print(f"files in process {lic.backlog()}, of which stalled {lic.stalled_files()}")
pipe.droplevel("order")

%% md
After two months of working together the ties have carried hand-offs and failures, and trust
has moved:

%% code
pd.DataFrame([{"tie": f"{a}–{b}", **d} for a, b, d in g.edges(data=True)]).round(3)

%% md
## 6. Metrics

Each service declares its metrics once (name, label, unit); the `DataCollector` records them
every day and run summaries (before/after means) come from them.

%% code
print(len(m.metrics), "metrics, for example:")
display(pd.DataFrame([{"name": x.name, "label": x.label, "unit": x.unit}
                      for x in m.metrics]).head(8))
df = m.datacollector.get_model_vars_dataframe().set_index("day")
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
df[["backlog", "stalled_files"]].plot(ax=axes[0], title="files in process / stalled")
df[["mean_trust", "mean_commitment"]].plot(ax=axes[1], title="trust and commitment")
df["expected_days"].plot(ax=axes[2], title="days citizens expect a permit to take")
for ax in axes:
    ax.axvline(m.config.collaboration_start, color="grey", ls="--", lw=1)
    ax.set_xlabel("day")
fig.tight_layout()

%% md
## 7. Your own experiment: the same world with the regulation

Flat keyword parameters (`regulation_ready`, `leader_commitment`, …, see
`collabsim.model.FLAT_PARAMETERS`) change every agency at once. With the **same seed** every
random stream is the same, so the difference between the two runs is the change, not chance.

%% code
fixed = CollabModel("pbg", seed=SEED, n_citizens=CITIZENS, regulation_ready=True)
fixed.run(m.day)
both = pd.DataFrame({"as shipped": m.datacollector.get_model_vars_dataframe().iloc[-1],
                     "regulation ready": fixed.datacollector.get_model_vars_dataframe().iloc[-1]})
print(f"both at day {m.day} (the last recorded row is day {m.day - 1}):")
both.loc[["backlog", "stalled_files", "levy_revenue", "mean_trust", "mean_commitment"]]

%% md
## 8. The view inside Jupyter

The interactive view (`collabsim viz` serves it in a browser) is a Solara page: `App` holds
the controls, the KPI cards, the event log, the network, the pipeline and the charts, and
`ViewState` one page's state and the actions its buttons call. A Solara component is a widget
in Jupyter, so the same page runs in a cell (`docs/viz.md` describes how it is built):

%% code
import solara

from collabsim.viz.app import App
from collabsim.viz.state import ViewState

state = ViewState.create(preset="pbg", seed=SEED, n_citizens=CITIZENS)
solara.AppLayout(children=[App(state=state)])

%% md
Press *Step* or *Play* on the page — or drive it from code through the same actions its
buttons call; the page above redraws:

%% code
state.step(30)
state.set_param("leader_commitment", 0.8)   # a slider: rebuilds the world at day 0, same seed
state.step(400)                             # past the start (day 365)
print(f"view: day {state.model.value.day}, leader commitment "
      f"{state.model.value.agency_list[0].leader_commitment}")

%% md
A stored copy of this notebook cannot hold the live page (it needs a running kernel), so here
are the same pictures the page draws, rendered from the view's drawing boards:

%% code
from collabsim.viz import drawing

vm = state.model.value
network = drawing.NetworkBoard(vm, panels.network_layout(vm.collaboration_graph))
pipeline = drawing.PipelineBoard(vm)
kpis = drawing.KpiBoard(vm, markers=panels.timeline_markers(vm))
display(Image(network.render(vm)), Image(pipeline.render(vm)), Image(kpis.render(vm)))

%% md
Where to go next: the analyst tutorial (interventions, costs, comparisons on common seeds)
and the researcher tutorial (sweeps, calibration, policy over the posterior); the model
itself is described in `docs/ODD.md`.
'''

# ------------------------------------------------------------------------------- researcher
RESEARCHER = r'''
%% md
# A research workflow: sweep → calibrate → policy over the posterior

*For the researcher.* Three steps, each a shipped command whose output files are read back
with pandas:

1. **Sweep** an experiment spec over its design (`collabsim sweep`, cut small with
   `--replications`, `--steps`, `--citizens`, `--sample-size`) and analyse it
   (`collabsim analyze`): which levers matter, and where does the policy fail?
2. **Calibrate** the parameters the presets set by assumption against the observed
   patterns of the field studies (`collabsim calibrate`: ABC-SMC) and read the posterior and
   the validation table — honestly, at the tiny budget a notebook can afford.
3. **Run a policy over the posterior** (`collabsim compare … --posterior DIR --draws D`), so
   its effect carries parameter uncertainty as well as stochastic noise.

Each command is printed as you would type it in a terminal and runs in this process, on one
core (`--sequential`); on a workstation use `--workers N`, on a cluster `--scheduler ADDR`
(docs/experiments.md).

%% code
%matplotlib inline
import contextlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython import get_ipython
from IPython.display import Image, display
from PIL import Image as Picture

from collabsim.calibration.spec import CALIBRATION_DIR
from collabsim.cli import main as collabsim_main

# small: the quick run the test suite makes; full: the sizes of the stored notebook
SCALE = os.environ.get("COLLABSIM_TUTORIAL_SCALE", "full")
assert SCALE in ("small", "full"), SCALE
if SCALE == "full":
    CITIZENS, SWEEP_REPLICATIONS, REPLICATIONS, DAY, CUT = 2_000, 2, 3, 545, ""
    POPULATION, BUDGET, PREDICTIVE, DRAWS = 6, 60, 4, 8
else:   # half-year windows, a shorter burn-in
    CITIZENS, SWEEP_REPLICATIONS, REPLICATIONS, DAY = 1_000, 1, 2, 270
    CUT = " --steps 360 --set collaboration_start=180 --set burn_in_days=180"
    POPULATION, BUDGET, PREDICTIVE, DRAWS = 2, 10, 2, 2

os.chdir(os.environ.get("COLLABSIM_TUTORIAL_WORKDIR") or tempfile.mkdtemp(prefix="collabsim-"))
plt.rcParams.update({"figure.dpi": 80, "axes.grid": True, "grid.alpha": 0.3})
pd.set_option("display.width", 160)
# scipy warns when every paired difference is the same (a change that cannot act in a run)
warnings.filterwarnings("ignore", message="Precision loss occurred in moment calculation")


def collabsim(command: str) -> None:
    """Run a `collabsim` command line in this process, exactly as typed in a terminal."""
    print("$ collabsim", command, flush=True)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        status = collabsim_main(shlex.split(command))
    # progress is logged every few seconds ("compare: 12/50 runs, …"): keep only the last line
    lines = err.getvalue().splitlines()
    progress = [x for x in lines if re.match(r"^[\w.-]+: \d+/\d+ runs", x)]
    kept = [x for x in lines if x not in progress] + progress[-1:]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    # the commands draw their figure files with matplotlib's Agg backend, which they switch
    # pyplot to: switch this notebook back to inline figures
    get_ipython().run_line_magic("matplotlib", "inline")
    if status:
        raise RuntimeError(f"collabsim {command.split()[0]} exited with status {status}")


def show(path: str, width: int = 820) -> None:
    """Show a figure file a command wrote, scaled down to the notebook's width."""
    picture = Picture.open(path)
    if picture.width > width:
        picture = picture.resize((width, round(picture.height * width / picture.width)))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="PNG", optimize=True)
    display(Image(buffer.getvalue()))


print(f"scale {SCALE}: {CITIZENS:,} citizens per run")

%% md
## 1. A sweep and its analysis

`experiments/pbg_preparedness_grid.toml` is a full factorial on the PBG preset: leader
commitment (0.3 / 0.8) × supporting resources (0.45 / 0.9) × the regional levy regulation
(no / yes), 10 replications per cell on common seeds (stylized fact 3 of the field studies).
`--dry-run` checks a spec and prints its design without running anything — here also the
Sobol spec of the success factors, cut with `--sample-size`:

%% code
collabsim("sweep pbg_preparedness_grid --dry-run")
collabsim("sweep success_factors_sobol --dry-run --sample-size 8 --replications 1")

%% md
The grid, cut to fewer replications and citizens (the manifest records the cut, and resuming
needs the same options):

%% code
collabsim(f"sweep pbg_preparedness_grid --out grid --sequential --quiet"
          f" --replications {SWEEP_REPLICATIONS} --citizens {CITIZENS}{CUT}")
runs = pd.read_parquet("grid/runs.parquet")
manifest = json.loads(Path("grid/manifest.json").read_text())
factors = [p["name"] for p in manifest["parameters"]]
print(f"{len(runs)} runs ({manifest['n_ok']} ok), factors: {factors}")
runs[["run_id", "sample", "replicate", "seed", "status", *factors,
      "permits_issued_per_month_after", "levy_target_share_after"]].head()

%% md
Every run's seed is in the table (`collabsim run pbg --seed SEED` with the row's values
repeats it), and replicate *r* has the same seed in every cell, so differences between cells
are the factors', not the seeds'. The mean of two outcomes in each cell:

%% code
cells = runs.groupby(factors)[["permits_issued_per_month_after",
                               "levy_target_share_after"]].mean()
cells.round(2)

%% md
`collabsim analyze` writes the tables (CSV and Parquet) and figures of a results directory:
factor effects with Welch intervals and Hedges' g, PRIM boxes (which settings lead to
failure?), the levers ranked by effect per cost, and which stylized facts hold *in these
results*. The network figure re-runs chosen runs; `--no-network` skips it.

%% code
collabsim("analyze grid --no-network --format png")

%% code
effects = pd.read_parquet("grid/analysis/tables/factor_effects.parquet")
outcomes = ["permits_issued_per_month_after", "levy_target_share_after"]
effects[effects.metric.isin(outcomes)][
    ["factor", "reference_level", "level", "metric", "diff", "diff_ci_low", "diff_ci_high",
     "hedges_g", "p_value", "n_a", "n_b"]].round(3)

%% md
Each row is one factor's level against its reference level, **marginal over the other
factors** (every cell of the grid at that level, all replications): `diff` with its Welch 95 %
interval, Hedges' g and Welch's p. With a few replications per cell these are rough (the spec
has 10).

%% code
show("grid/analysis/figures/main_effects.png")

%% code
tables = Path("grid/analysis/tables")
display(pd.read_parquet(tables / "prim_boxes.parquet"))  # one row per box, or a note
limits = pd.read_parquet(tables / "prim_limits.parquet")   # each box's restrictions
if len(limits):
    display(limits)
facts = pd.read_parquet(tables / "stylized_facts.parquet")
facts[["fact", "status", "statement"]]

%% md
PRIM's box says where the failure rule (by default: the levy below half its target after the
start) concentrates — *coverage* is the share of all failing runs inside the box, *density*
the share of the box's runs that fail; with too few runs it keeps no box and says so.
`collabsim report grid -o grid.html` puts all of this in one HTML file.

## 2. Calibration against the observed patterns

The preset's utility scales, desk productivity and the risk of charging a levy without a rule
are assumptions. `calibration/jambi.toml` declares priors on six of them and fits them by
approximate Bayesian computation (ABC-SMC, pyabc) to weak patterns from the case figures
(`calibration/patterns.toml`: PBG permits a year, processing days, the fall in applications,
the levy's share of target, SPP-IRT's counselling demand), keeping three patterns **held
out** for validation (docs/calibration.md).

%% code
print((CALIBRATION_DIR / "jambi.toml").read_text().split("[priors")[0])
collabsim("calibrate jambi --dry-run")

%% md
A real calibration takes hours (`make calibrate` makes 600 runs, the spec's budget is
1,200). Here it is cut to what a notebook can wait for: a few particles, one generation,
a budget of some sixty runs and a few posterior-predictive draws. **Read what follows as a
demonstration of the files, not as a result**: a posterior of a handful of particles from
the first generation is the prior, thinned once. (At the small scale of the test suite the
spec itself is cut further, to one replication at 300 citizens per particle.)

%% code
spec = "jambi"
if SCALE == "small":
    text = (CALIBRATION_DIR / "jambi.toml").read_text()
    text = (text.replace('patterns = "patterns.toml"',
                         f'patterns = "{(CALIBRATION_DIR / "patterns.toml").as_posix()}"')
                .replace("replications = 2 ", "replications = 1 ")
                .replace("n_citizens = 1000 ", "n_citizens = 300 "))
    Path("jambi_small.toml").write_text(text)
    spec = "jambi_small.toml"
collabsim(f"calibrate {spec} --out calibration --sequential --quiet"
          f" --population-size {POPULATION} --budget {BUDGET} --max-generations 2"
          f" --predictive-draws {PREDICTIVE}")

%% md
`posterior.parquet` holds one row per accepted particle of the last generation: its
parameter values, its importance `weight` (they sum to 1), its `distance` from the patterns
and its `seed`:

%% code
posterior = pd.read_parquet("calibration/posterior.parquet")
calibration = json.loads(Path("calibration/calibration.json").read_text())
print(f"{len(posterior)} particles, generation {posterior['generation'].max()}, "
      f"{calibration['abc_runs']} ABC runs")
posterior.drop(columns=[c for c in posterior if c.startswith("pattern:")]).round(4)

%% code
summary = pd.read_csv("calibration/posterior_summary.csv")
summary

%% md
`posterior_summary.csv` gives each parameter's weighted median and 90 % interval against its
prior, the share of the prior's 90 % interval the posterior's keeps, and whether the patterns
constrain it (`constrained`, with a `note` where they do not). With a handful of particles
the weighted quantiles are those of a few points: an interval can look narrow only because
few particles were accepted. The marginals against the priors:

%% code
show("calibration/posterior_marginals.png")

%% md
The **validation table**: for every pattern, fitted or held out, the observation, the
posterior-predictive median and 90 % interval (new runs of particles drawn by weight, each on
a fresh seed: parameter uncertainty and noise together), and whether it is met (the median
within one tolerance of the observed range):

%% code
validation = pd.read_csv("calibration/validation.csv")
validation[["pattern", "role", "observed_low", "observed_high", "tolerance",
            "predictive_median", "predictive_q05", "predictive_q95", "met"]].round(3)

%% md
A pattern *met* by a posterior this close to the prior mostly says the prior already covered
the observation; a *missed* one is a finding about the mechanism or a sourced parameter, not
something to tune away (docs/calibration.md discusses the shipped calibration's misses).

## 3. A policy run over the posterior

The question: what does passing the regional levy regulation half a year after the start do
to PBG's permits and levy? First at the preset's values (noise only), then over draws from the
posterior: `--posterior DIR --draws D` runs every scenario and variant once per drawn particle
(drawn by weight), each draw over the same replicate seeds, and pools the draws by Rubin's
rules: `noise_var` (within draws), `param_var` (between draws) and `param_share`, the
parameters' share of the variance.

%% code
policy = f"--variant 'reg_late:{DAY}:agencies.*.regulation_ready=true'"
size = f"--replications {REPLICATIONS} --citizens {CITIZENS} --seed 2026 --no-counterfactual"
collabsim(f"compare pbg {policy} {size} --out policy_preset{CUT}")

%% md
The same comparison over the posterior. The command warns that SPP-IRT's `permit_value`
applies to none of these scenarios (the calibration fitted PBG and SPP-IRT together): it is
left out, as it should be.

%% code
collabsim(f"compare pbg {policy} {size} --posterior calibration --draws {DRAWS}"
          f" --out policy_posterior{CUT}")

%% md
`posterior_draws.csv` lists the particles drawn (by weight, with replacement: one can come up
more than once, so draw more times than there are particles); `differences.csv` gains the
split of each interval's variance:

%% code
draws = pd.read_csv("policy_posterior/posterior_draws.csv")
display(draws.round(4))
metrics = {"permits_issued_per_month_after": "permits / month, after the start",
           "levy_target_share_after": "levy ÷ target, after the start"}
preset = pd.read_csv("policy_preset/differences.csv").assign(run="preset values")
over = pd.read_csv("policy_posterior/differences.csv").assign(run="over the posterior")
both = pd.concat([preset, over], ignore_index=True)
both = both[both.metric.isin(metrics)].assign(metric=lambda t: t.metric.map(metrics))
both[["run", "metric", "difference", "ci_low", "ci_high", "n", "draws", "noise_var",
      "param_var", "param_share"]].round(4)

%% code
fig, axes = plt.subplots(1, 2, figsize=(10, 2.6))
for ax, (label, part) in zip(axes, both.groupby("metric", sort=False), strict=True):
    y = np.arange(len(part))
    ax.errorbar(part.difference, y, xerr=[part.difference - part.ci_low,
                                          part.ci_high - part.difference], fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, part.run)
    ax.set_ylim(len(part) - 0.4, -0.6)
    ax.set_title(f"regulation on day {DAY} minus none:\n{label}, 95 % CI", fontsize=9)
fig.tight_layout()

%% md
How to read it:

* **At the preset's values** the interval is the Student-t interval of the mean paired
  difference over the replications (common seeds): stochastic noise only, at parameter
  values nobody measured.
* **Over the posterior** each draw gives its own paired difference; the pooled interval
  holds both the noise within draws and the spread between them (`param_var`, with Rubin's
  allowance for a finite number of draws), with Satterthwaite's degrees of freedom. A large
  `param_share` says more replications will not narrow the interval — better-identified
  parameters (more patterns, a larger calibration budget) would.
* In the stored run the effect over the posterior is smaller than at the preset's values,
  and most of its variance (`param_share` around 0.8) comes from the parameters: under
  several drawn particles almost nobody applies formally (the validation table's missed PBG
  permits a year), and a levy rule then has few files to act on.
* With the few draws and particles a notebook affords, both intervals are rough; the
  posterior here is close to its prior. The workflow is the point: rerun the calibration
  with a real `--budget` (the same `--out` continues it) and the same `compare --posterior`
  line gives the policy effect under the calibrated uncertainty.
* `collabsim sweep SPEC --posterior DIR --draws D` does the same for every point of an
  experiment's design; docs/experiments.md ("Policy results over the posterior") lists every
  column and how the draws are pooled.
'''

# ---------------------------------------------------------------------- the notebooks
NOTEBOOKS: dict[str, str] = {"researcher": RESEARCHER, "analyst": ANALYST, "student": STUDENT}


def cells_of(text: str) -> list[nbformat.NotebookNode]:
    """Cells from the ``%% md`` / ``%% code`` text of a notebook."""
    cells, kind, lines = [], None, []

    def flush() -> None:
        if kind is not None:
            source = "\n".join(lines).strip("\n")
            make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
            cells.append(make(source))

    for line in text.splitlines():
        if line in ("%% md", "%% code"):
            flush()
            kind, lines = line[3:], []
        else:
            lines.append(line)
    flush()
    return cells


def notebook(name: str) -> nbformat.NotebookNode:
    """The notebook ``name``, unexecuted, from its cell sources."""
    nb = nbformat.v4.new_notebook()
    nb.cells = cells_of(NOTEBOOKS[name])
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name}-{i:02d}"  # stable ids: regenerating gives no spurious diff
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def kernel_manager(folder: Path) -> KernelManager:
    """A manager of an ipykernel of this very interpreter (whatever kernels are installed)."""
    spec = folder / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)
    # local sockets (absolute, the kernel starts in another directory), not TCP on localhost
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs, transport="ipc",
                         ip=str(folder / "kernel"))


@dataclass
class Executed:
    """An executed notebook and what it took.

    Attributes:
        notebook: The notebook, with its outputs.
        seconds: Wall-clock seconds, kernel start to end.
        cpu_seconds: CPU seconds of the kernel process (None where it cannot be read).
    """

    notebook: nbformat.NotebookNode
    seconds: float
    cpu_seconds: float | None


def _cpu_seconds(km: KernelManager) -> float | None:
    """CPU time (user + system) of the kernel process and its children so far."""
    try:
        import psutil

        proc = psutil.Process(km.provisioner.pid)
        parts = [proc, *proc.children(recursive=True)]
        return sum(t.user + t.system for t in (q.cpu_times() for q in parts))
    except Exception:  # no psutil, a provisioner without a pid, a process gone
        return None


def execute(nb: nbformat.NotebookNode, scale: str, workdir: Path,
            timeout: int = CELL_TIMEOUT) -> Executed:
    """Execute ``nb`` in place at ``scale`` with ``workdir`` as its working directory.

    Raises:
        nbclient.exceptions.CellExecutionError: when a cell fails.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COLLABSIM_TUTORIAL_SCALE": scale,
           "COLLABSIM_TUTORIAL_WORKDIR": str(workdir), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="collabsim-kernel-") as kernels:
        km = kernel_manager(Path(kernels))
        client = NotebookClient(nb, km=km, timeout=timeout, record_timing=False,
                                store_widget_state=False,
                                resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute(env=env, cwd=str(workdir))
            cpu = _cpu_seconds(km)
        finally:
            if km.has_kernel:  # a manager passed in is not shut down by nbclient
                km.shutdown_kernel(now=True)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return Executed(nb, time.perf_counter() - start, cpu)


def build(name: str, scale: str = "full", out: Path = HERE) -> Executed:
    """Execute notebook ``name`` in a temporary working directory and write it to ``out``."""
    with tempfile.TemporaryDirectory(prefix=f"collabsim-{name}-") as work:
        run = execute(notebook(name), scale, Path(work))
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(run.notebook, out / f"{name}.ipynb")
    return run


def main(argv: list[str] | None = None) -> int:
    """Command line: build the named notebooks (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"notebooks to build (default: all of {', '.join(NOTEBOOKS)})")
    parser.add_argument("--scale", choices=SCALES, default="full",
                        help="sizes the notebooks run at (default full: the stored notebooks)")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="where the executed notebooks go (default: next to this script)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(NOTEBOOKS))
    if unknown:
        parser.error(f"unknown notebook(s) {', '.join(unknown)}; have: {', '.join(NOTEBOOKS)}")
    for name in args.names or list(NOTEBOOKS):
        run = build(name, args.scale, args.out)
        cpu = "" if run.cpu_seconds is None else f" ({run.cpu_seconds:.0f} s of kernel CPU)"
        print(f"{name}: executed at {args.scale} scale in {run.seconds:.0f} s{cpu} -> "
              f"{args.out / (name + '.ipynb')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
