"""A discrete-event model of an autodialer shift, for bench/autodialer_pacing.py and
tests/test_pacing_autodialer.py: dialer/pacing/agents.py's decide() against simulated leads and agents."""
