import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        p = os.path.join("/tmp/orc/cases", os.path.basename(self.path))
        try: b = open(p, "rb").read()
        except Exception: self.send_response(404); self.end_headers(); return
        self.send_response(200)
        ct = "application/openmetrics-text; version=1.0.0; charset=utf-8" if p.endswith(".om") else "text/plain; version=0.0.4; charset=utf-8"
        self.send_header("Content-Type", ct); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", 19181), H).serve_forever()
