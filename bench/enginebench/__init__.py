"""The pieces of bench/engine.py: a rig (Redis, simulators, the engine wired as ``autocall serve``
wires it) and one module per group of phases. Run ``bench/engine.py``, not this package."""
