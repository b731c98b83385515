"""tts: Vietnamese message templates, reading rules, speech synthesis and voice OTP (independent of dialer)."""
