"""The parts of bench/tts_intelligibility.py: scoring, the phone path, the texts, the recogniser, the runs."""
