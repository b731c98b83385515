"""Tests against a real FreeSWITCH (skipped unless AUTOCALL_REALFS names its install prefix)."""
