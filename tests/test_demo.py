"""The README's main command works end to end (a few hundred leads), as a user runs it."""

import subprocess
import sys


def test_the_demo_runs_a_campaign_through_the_daemon_and_the_simulator():
    proc = subprocess.run(
        [sys.executable, "-m", "dialer.cli", "demo", "--calls", "200", "--time-scale", "0.005", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "finished in" in proc.stdout and "GET /v1/autocall/report:" in proc.stdout
    answered = next(line for line in proc.stdout.splitlines() if line.strip().startswith("answered"))
    assert int(answered.split()[-1]) > 0
    assert "leads recalled at least once" in proc.stdout
