"""The Dask worker settings of a sweep: the environment spelling is the configuration."""

from __future__ import annotations

import dask
import distributed  # noqa: F401  (registers Dask's distributed defaults)

from collabsim.experiments.runners import DASK_WORKER_CONFIG, dask_worker_environment


def test_the_environment_variables_read_back_as_the_worker_config():
    env = dask_worker_environment()
    assert all(k.startswith("DASK_DISTRIBUTED__") for k in env)
    read = dask.config.collect_env(env)  # what a `dask worker` started with them reads
    with dask.config.set(read):
        for key, value in DASK_WORKER_CONFIG.items():
            assert dask.config.get(key) == value, key


def test_the_settings_are_the_ones_dask_knows():
    # a misspelt key would be a silent no-op in every worker: each must exist in Dask's defaults
    for key in DASK_WORKER_CONFIG:
        assert dask.config.get(key, default=KeyError) is not KeyError, key
    assert DASK_WORKER_CONFIG["distributed.worker.profile.enabled"] is False
