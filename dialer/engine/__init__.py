"""The dialing engine: in-flight calls, their outcome records, the engine."""
