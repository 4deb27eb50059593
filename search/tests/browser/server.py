#!/usr/bin/env python3
"""A static file server with HTTP Range support, for the browser check of the search.

    server.py ROOT PORT [--ignore-range] [--report FILE]

Serves ROOT on 127.0.0.1:PORT. Answers `Range: bytes=a-b` with 206 and the bytes;
with --ignore-range it answers 200 with the whole file, like hosts that ignore Range.
A POST to /__report appends its body to FILE: how a test page hands back its results.
Logs one line per request (method, path, range, status, bytes) to stdout.
"""
import http.server
import os
import re
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    ignore_range = False
    report = None

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != "/__report" or self.report is None:
            self.send_error(404)
            return
        with open(self.report, "ab") as f:
            f.write(body + b"\n")
        self.send_response(204)
        self.end_headers()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            self.send_error(404)
            return None
        size = os.path.getsize(path)
        header = self.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", header or "")
        f = open(path, "rb")
        ctype = self.guess_type(path)
        if match and not self.ignore_range:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
            end = min(end, size - 1)
            if start > end:
                f.close()
                self.send_error(416)
                return None
            f.seek(start)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            length = end - start + 1
        else:
            self.send_response(200)
            length = size
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "none" if self.ignore_range else "bytes")
        self.end_headers()
        self.remaining = length
        self.log_message("%s range=%s bytes=%d", self.path, header, length)
        return f

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "remaining", None)
        while remaining is None or remaining > 0:
            chunk = source.read(65536 if remaining is None else min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            if remaining is not None:
                remaining -= len(chunk)

    def log_message(self, fmt, *args):
        sys.stdout.write(fmt % args + "\n")
        sys.stdout.flush()


Handler.extensions_map = dict(Handler.extensions_map, **{".wasm": "application/wasm", ".js": "text/javascript"})


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, port = sys.argv[1], int(sys.argv[2])
    Handler.ignore_range = "--ignore-range" in sys.argv[3:]
    if "--report" in sys.argv[3:]:
        Handler.report = os.path.abspath(sys.argv[sys.argv.index("--report") + 1])
    os.chdir(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
