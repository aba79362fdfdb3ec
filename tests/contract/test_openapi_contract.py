"""The API keeps its OpenAPI contract: schemathesis against the running app (issue 10).

It reads ``/api/v1/openapi.json`` from the real web process and sends generated requests,
valid and not, to every operation (and follows the document's links between them): no
answer may be a 5xx, and every answer must match the document in status, headers, content
type and body. One check is left out: ``positive_data_acceptance``, which expects every
schema-valid request to succeed, while business rules (a model that exists and is switched
on, a message with visible text, budgets, one's own chat) refuse some with a documented
422, 403 or 404. The seed is fixed so a failure reproduces; its summary line ends the run.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.summary import add_summary_line

SEED = "20261123"


def test_schemathesis_finds_no_failure_against_the_running_app(stack, tmp_path):
    stack.flask("users", "create", "--email", "fuzz@example.com", "--name", "Fuzz Tester",
                "--password", "correct horse battery")
    token = stack.flask("tokens", "create", "fuzz@example.com", "--name", "schemathesis").strip()
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--no-color", "run", f"{stack.web_url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"), "--seed", SEED,
        # An event stream never ends by itself: each generated request to it is read for 2 s.
        "--request-timeout", "2",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = result.stdout + result.stderr
    lines = output.splitlines()
    summary = [line.strip("= ") for line in lines if line.startswith("=") and " in " in line]
    cases = [lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if line.strip() == "Test cases:"]
    add_summary_line(f"schemathesis (seed {SEED}): {cases[-1] if cases else '?'}; "
                     f"{summary[-1] if summary else 'no summary line'}")
    assert result.returncode == 0, output[-8000:]
