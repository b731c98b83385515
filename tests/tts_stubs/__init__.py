"""Local stubs of TTS vendors' documented wire formats, one module per vendor (issue 20)."""
