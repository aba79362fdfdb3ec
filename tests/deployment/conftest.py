"""The multi-host cluster (``cluster.py``) for the whole deployment suite; it needs root (network
namespaces) and Debian's haproxy, redis-server and PostgreSQL server, which `.ci/run` installs."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.deployment.cluster import Cluster, missing_tools


@pytest.fixture(scope="session")
def cluster(request):
    if os.geteuid() != 0:
        pytest.skip("the multi-host test makes network namespaces: run it as root (as .ci/run is)")
    if missing := missing_tools():
        pytest.fail(f"the multi-host test needs {', '.join(missing)} (.ci/run installs them)")
    workdir = Path(tempfile.mkdtemp(prefix="confab-cluster-"))  # outside pytest's owner-only folder:
    workdir.chmod(0o755)  # PostgreSQL runs as its own user
    found = Cluster(workdir)
    try:
        found.start()
        found.enter_client()
        found.wait_until_serving()
        yield found
    finally:
        if request.session.testsfailed:
            print(found.logs()[-20000:])
        found.stop()
