"""httpclient.Client: autocall's one HTTP client (webhooks, cloud TTS) over real local servers."""

from __future__ import annotations

import ast
import datetime
import http.client
import socket
import ssl
from pathlib import Path

import gevent
import gevent.event
import gevent.pywsgi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from httpclient import Client, DeadlineExceeded
from tests.conftest import free_port
from tests.engine_fixtures import wait_until
from tests.receivers import GarbageReceiver, RawReceiver, WebhookReceiver

HTTPCLIENT = Path(__file__).parents[1] / "httpclient"


def post(client: Client, url: str, **kw):
    return client.post(url, b"{}", {"Content-Type": "application/json"}, max_body=kw.pop("max_body", 1024), **kw)


def test_connections_to_a_server_are_kept_between_requests():
    with WebhookReceiver(nodelay=True) as receiver:
        client = Client(timeout=5)
        answers = [post(client, f"{receiver.url}/cdr") for _ in range(5)]
        assert [(a.status, a.body, a.truncated) for a in answers] == [(200, b"ok", False)] * 5
        assert receiver.connections == 1
        client.close()


def test_a_server_with_nagles_algorithm_on_keeps_its_connection_with_its_body_in_at_once():
    """pywsgi writes an answer in two sends with Nagle's algorithm on: on a kept connection the second
    waits for the client's ACK, which Linux would delay 40 ms (the client reads in quick-ACK mode)."""
    with WebhookReceiver(nodelay=False) as receiver:
        client = Client(timeout=5)
        answers = [post(client, f"{receiver.url}/cdr", body_wait=0.001) for _ in range(5)]
        assert [(a.status, a.body, a.truncated) for a in answers] == [(200, b"ok", False)] * 5
        assert receiver.connections == 1
        client.close()


def test_a_get_sends_its_path_and_query_without_a_body_and_keeps_the_connection():
    with WebhookReceiver(nodelay=True) as receiver:
        got = receiver.record(lambda q: (q.method, q.path, q.body, "content-length" in q.headers))
        receiver.status["body"] = b"RIFF audio"
        client = Client(timeout=5)
        answers = [client.get(f"{receiver.url}/audio/1.wav?sig=a%20b", {"Accept": "*/*"}, max_body=1024) for _ in "ab"]
        assert [(a.status, a.body, a.truncated) for a in answers] == [(200, b"RIFF audio", False)] * 2
        assert got == [("GET", "/audio/1.wav?sig=a%20b", b"", False)] * 2
        assert receiver.connections == 1
        client.close()


def test_a_get_is_cut_at_the_deadline_like_a_post():
    with WebhookReceiver() as receiver:
        receiver.status["hang"] = 30
        with pytest.raises(DeadlineExceeded):
            Client(timeout=0.2).get(f"{receiver.url}/slow", {}, max_body=10)


def test_a_redirect_is_an_answer_not_followed():
    with WebhookReceiver() as target, WebhookReceiver() as redirecting:
        got = target.record(lambda q: q.path)
        redirecting.status.update(code="307 Temporary Redirect", headers=[("Location", f"{target.url}/elsewhere")])
        answer = post(Client(timeout=5), f"{redirecting.url}/cdr")
        assert (answer.status, answer.reason, answer.headers["Location"]) == (
            307,
            "Temporary Redirect",
            f"{target.url}/elsewhere",
        )
        assert got == [] and target.connections == 0


def test_environment_proxies_are_not_used(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: q.path)
        assert post(Client(timeout=5), f"{receiver.url}/cdr").status == 200
        assert got == ["/cdr"]


def test_a_body_longer_than_asked_for_is_cut_and_its_connection_not_kept():
    with WebhookReceiver(nodelay=True) as receiver:
        receiver.status["body"] = b"x" * 100_000
        client = Client(timeout=5)
        answer = post(client, f"{receiver.url}/cdr", max_body=10)
        assert (answer.status, answer.body, answer.truncated) == (200, b"x" * 10, True)
        assert post(client, f"{receiver.url}/cdr", max_body=100_000).body == b"x" * 100_000
        assert receiver.connections == 2


class LaggingReceiver(RawReceiver):
    """Answers ``200`` with a 2-byte body, then holds the body back until ``release`` is set or the
    client hangs up (``hung_up`` counts those)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = gevent.event.Event()
        self.hung_up = 0

    def answer(self, sock) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        closed = gevent.spawn(sock.recv, 1)  # b"" when the client hangs up
        gevent.wait([closed, self.release], count=1)
        if closed.ready():
            self.hung_up += 1
        else:
            sock.sendall(b"ok")
        closed.kill()


def test_with_a_body_wait_a_lagging_body_is_not_awaited_and_its_connection_is_closed():
    with LaggingReceiver() as lagging:
        answer = post(Client(timeout=5), f"{lagging.url}/cdr", body_wait=0.01)
        assert (answer.status, answer.body, answer.truncated) == (200, b"", True)
        wait_until(lambda: lagging.hung_up == 1)


def test_without_a_body_wait_the_body_is_part_of_the_answer_and_of_the_deadline():
    with LaggingReceiver() as lagging:
        with pytest.raises(DeadlineExceeded, match=r"no complete answer within 0\.2 s"):
            post(Client(timeout=0.2), f"{lagging.url}/cdr")
        wait_until(lambda: lagging.hung_up == 1)
        lagging.release.set()


def test_errors_are_raised_as_what_went_wrong_beneath_urllib3():
    with pytest.raises(ConnectionRefusedError):
        post(Client(timeout=5), f"http://127.0.0.1:{free_port()}/cdr")
    with GarbageReceiver(b"garbage\r\n\r\n") as garbage, pytest.raises(http.client.BadStatusLine):
        post(Client(timeout=5), f"{garbage.url}/cdr")


def test_what_the_connect_function_raises_comes_out_as_it_is():
    class Refused(Exception):
        pass

    def refuse(address, timeout):
        raise Refused(f"{address[0]} refused")

    with pytest.raises(Refused, match=r"hooks\.example refused"):
        post(Client(timeout=5, connect=refuse), "http://hooks.example/cdr")


# -- TLS on a socket the caller's connect function made ---------------------------------------------
def certificate(name: str, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture
def tls_receiver(tmp_path):
    """A TLS receiver on 127.0.0.1 whose self-signed certificate names ``hooks.example``, and a client
    context that trusts it: (port, context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate("hooks.example", key)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None, ssl_context=serving)
    server.start()
    trusting = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    yield server.server_port, trusting
    server.stop(timeout=1)


def to_loopback(address, timeout):
    """A connect function that goes to 127.0.0.1 whatever the name (as the webhook guard goes to the
    address it checked, not to a second lookup)."""
    return socket.create_connection(("127.0.0.1", address[1]), timeout)


def test_tls_checks_the_urls_name_on_a_socket_the_connect_function_made(tls_receiver):
    port, trusting = tls_receiver
    client = Client(timeout=5, connect=to_loopback, ssl_context=trusting)
    assert post(client, f"https://hooks.example:{port}/cdr").status == 200
    with pytest.raises(ssl.SSLCertVerificationError, match=r"other\.example"):
        post(client, f"https://other.example:{port}/cdr")


def test_tls_refuses_a_certificate_nobody_trusts(tls_receiver):
    port, _ = tls_receiver
    with pytest.raises(ssl.SSLCertVerificationError):
        post(Client(timeout=5, connect=to_loopback), f"https://hooks.example:{port}/cdr")


def test_the_client_imports_neither_dialer_nor_tts():
    """Both use it: it sits below them."""
    for path in HTTPCLIENT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] in ("dialer", "tts") for n in names), path
