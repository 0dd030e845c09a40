"""A fake Twilio REST API on 127.0.0.1 for the Twilio backend tests (never the internet)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    """Records every request; answers Messages.json with a queued message, or `next_error`.

    GET Messages/<sid>.json answers the resource stored in `messages[sid]` (a dict of Twilio's
    JSON fields), or 404 as Twilio does for a sid it never created.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.next_error: dict | None = None
        self.messages: dict[str, dict] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                fake.requests.append(
                    {"path": self.path, "method": "GET", "auth": self.headers.get("Authorization")}
                )
                sid = self.path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".json")
                if sid in fake.messages:
                    self._answer(200, {"sid": sid, **fake.messages[sid]})
                else:
                    message = f"The requested resource {self.path} was not found"
                    self._answer(404, {"code": 20404, "message": message, "status": 404})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append(
                    {"path": self.path, "form": form, "auth": self.headers.get("Authorization")}
                )
                if fake.next_error is not None:
                    status, payload = fake.next_error["status"], fake.next_error
                else:
                    n = len(fake.requests)
                    status = 201
                    payload = {
                        "sid": f"SM{n:032d}",
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                    }
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
