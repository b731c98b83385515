"""The README's main command works end to end (a few calls), as a user runs it."""

import subprocess
import sys


def test_the_demo_places_calls_through_redis_and_the_simulator():
    proc = subprocess.run(
        [sys.executable, "-m", "dialer.cli", "demo", "--calls", "5", "--time-scale", "0.01", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "done 5/5" in proc.stdout
    assert "HGETALL autocall:demo:by_cause" in proc.stdout
