"""When and how fast to dial: calling windows, rate limits, the pacer."""
