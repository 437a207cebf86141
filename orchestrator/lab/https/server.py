"""One node's Tomcat on 8443: TLS, Basic auth, routing to AXL, Control Center and RIS.

The listener follows the node's life: it is closed while the node is down (clients see
connection refused, as with a rebooting VM) and reopened on the same port when the node
boots. Until Cisco Tomcat (and, for AXL, the AXL Web Service) is STARTED again, requests
get HTTP 503.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import http.server
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind
from orchestrator.lab.https import axl, controlcenter, risport
from orchestrator.lab.https.soapxml import XML_TYPE, Reply, Request, html_page
from orchestrator.lab.nodes import STARTED, Node
from orchestrator.lab.world import World
from orchestrator.soap import CONTROL_CENTER_WSDL, RISPORT_WSDL

AXL_PATH = "/axl/"
CONTROL_CENTER_PATH = "/controlcenterservice2/services/ControlCenterServices"
RIS_PATH = "/realtimeservice2/services/RISService70"
MAX_BODY = 1 << 20  # no legitimate request of ours comes near this
REALM = "Cisco Tomcat"  # (inferred)

Handler = Callable[[Request], Reply]


class _Handler(http.server.BaseHTTPRequestHandler):
    # Keep-alive, like Tomcat: clients reuse one TLS connection for many requests.
    protocol_version = "HTTP/1.1"
    server: NodeHttpsServer  # type: ignore[assignment]
    server_version = ""
    sys_version = ""

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(html_page(413, "Request Entity Too Large", "request body refused"))
            self.close_connection = True
            return
        self._serve(self.rfile.read(length))

    def _serve(self, body: bytes) -> None:
        reply = self.server.dispatch(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            self.client_address[0],
        )
        if reply is None:  # node went down: drop the connection like a dead host
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def send_response(self, code: int, message: str | None = None) -> None:
        # 599 is not in http.HTTPStatus; give it CUCM's reason phrase.
        if message is None and code == 599:
            message = "Incorrect axl version"
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:
        # Silent: a 160-node fleet would drown the lab's console, and headers (with
        # credentials) must never reach a log anyway.
        return


class NodeHttpsServer:
    def __init__(
        self,
        world: World,
        node_name: str,
        ssl_context: ssl.SSLContext,
        port: int = 0,
        *,
        ris_window_seconds: float = 60.0,
        connection_timeout: float = 30.0,
    ) -> None:
        self.world = world
        self.node_name = node_name
        self.node: Node = world.nodes[node_name]
        self.ssl_context = ssl_context
        self.port = port
        self.connection_timeout = connection_timeout
        self.ris_limiter = risport.RateLimiter(ris_window_seconds)
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._started = False
        self._stopped = False
        self._routes: dict[str, Handler] = {
            AXL_PATH: self._axl,
            CONTROL_CENTER_PATH: controlcenter.handle,
            RIS_PATH: self._ris,
        }

    # ----- lifecycle ----------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.node.address

    @property
    def base_url(self) -> str:
        return f"https://{self.address}:{self.port}"

    def start(self) -> int:
        """Bind (port 0 picks a free one), serve while the node is up; returns the port."""
        with self._lock:
            if self._started:
                return self.port
            self._started = True
            self._open()
            if self.node.phase == "down":
                self._close()
        self.world.on_node_down(self._on_down)
        self.world.on_node_up(self._on_up)
        return self.port

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._close()

    def _on_down(self, node: Node) -> None:
        if node.name == self.node_name:
            with self._lock:
                self._close()

    def _on_up(self, node: Node) -> None:
        if node.name == self.node_name:
            with self._lock:
                if not self._stopped and self._listener is None:
                    self._open()

    def _open(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.address, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accept_thread = threading.Thread(
            target=self._accept_loop,
            args=(listener,),
            name=f"lab-https-{self.node_name}",
            daemon=True,
        )
        self._accept_thread.start()

    def _close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the blocked accept() at once on Linux.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        thread, self._accept_thread = self._accept_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._connections.clear()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return  # listener closed
            threading.Thread(target=self._serve_connection, args=(conn, peer), daemon=True).start()

    def _serve_connection(self, raw: socket.socket, peer: tuple[str, int]) -> None:
        # Handshake here, not in the accept loop, so a stalled client blocks nobody else.
        raw.settimeout(self.connection_timeout)
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every answer.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._listener is None:
                raw.close()
                return
            self._connections.add(raw)
        try:
            # wrap_socket detaches ``raw``: from here on only ``conn`` owns the descriptor.
            conn = self.ssl_context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            # e.g. a client that does not trust the lab CA: its side reports it clearly
            self._forget(raw)
            raw.close()
            return
        with self._lock:
            self._connections.discard(raw)
            if self._listener is None:
                conn.close()
                return
            self._connections.add(conn)
        try:
            _Handler(conn, peer, self)  # type: ignore[arg-type]
        except (OSError, ssl.SSLError):
            pass  # client went away or node went down mid-request
        finally:
            self._forget(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _forget(self, raw: socket.socket) -> None:
        with self._lock:
            self._connections.discard(raw)

    # ----- requests -----------------------------------------------------------------

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes, client: str
    ) -> Reply | None:
        node = self.node
        if node.phase == "down":
            return None
        path, _, query = target.partition("?")
        if path == "/axl":
            path = AXL_PATH
        handler = self._routes.get(path)
        if handler is None:
            return html_page(404, "Not Found", f"The requested resource {path} is not available")
        if not self._service_started(texts.SVC_TOMCAT):
            return html_page(503, "Service Unavailable", "Cisco Tomcat is not running")
        if not self._authorised(headers.get("authorization", "")):
            return self._unauthorised()
        if method not in ("GET", "POST"):
            return html_page(405, "Method Not Allowed", f"{method} is not supported")
        if method == "GET" and query.lower() == "wsdl" and path != AXL_PATH:
            return self._wsdl(path)
        if method == "GET" and path != AXL_PATH:
            return html_page(200, path.rsplit("/", 1)[-1], "Hi there, this is a Web service!")
        request = Request(self.world, node, method, path, query, headers, body, client)
        return handler(request)

    def _axl(self, req: Request) -> Reply:
        service = self.node.services.get(texts.SVC_AXL)
        if service is None or not service.activated:
            return html_page(404, "Not Found", "The AXL Web Service is not activated here")
        if service.state != STARTED:
            return html_page(503, "Service Unavailable", "Cisco AXL Web Service is not running")
        # Injected faults hit SOAP requests only, so a GET health check spends no count.
        if req.method == "POST" and self.world.faults.fire(FaultKind.AXL_401, self.node_name):
            return self._unauthorised()
        return axl.handle(req)

    def _ris(self, req: Request) -> Reply:
        if not self._service_started(texts.SVC_RIS):
            return html_page(503, "Service Unavailable", "Cisco RIS Data Collector is not running")
        return risport.handle(req, self.ris_limiter)

    def _service_started(self, name: str) -> bool:
        service = self.node.services.get(name)
        return service is not None and service.state == STARTED

    def _authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        account = self.world.config.application
        # compare both parts in constant time so timing says nothing about either
        user_ok = hmac.compare_digest(username.encode(), account.username.encode())
        password_ok = hmac.compare_digest(password.encode(), account.password.encode())
        return user_ok and password_ok

    @staticmethod
    def _unauthorised() -> Reply:
        reply = html_page(
            401,
            "HTTP Status 401 - Unauthorized",
            "This request requires HTTP authentication.",
        )
        reply.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return reply

    def _wsdl(self, path: str) -> Reply:
        source: Path = CONTROL_CENTER_WSDL if path == CONTROL_CENTER_PATH else RISPORT_WSDL
        text = source.read_text()
        # Point the placeholder address at this node, as Tomcat does for ?wsdl.
        placeholder = "https://localhost:8443"
        return Reply(200, text.replace(placeholder, self.base_url).encode(), XML_TYPE)
