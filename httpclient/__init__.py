"""autocall's outgoing HTTP: one pooled client for webhooks and the cloud TTS (see :mod:`httpclient.client`).

A package of its own, below ``dialer`` and ``tts``: it imports neither.
"""

from httpclient.client import Answer, Client, Connector, DeadlineExceeded

__all__ = ["Answer", "Client", "Connector", "DeadlineExceeded"]
