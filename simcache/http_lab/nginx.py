"""A private nginx that caches in front of the web app: hashed assets for a year, the rest
revalidated with the app (``X-Cache-Status`` says what the cache did)."""

from __future__ import annotations

import http.client
import os
import pwd
import secrets

from ..private import PrivateProcess


def nginx_config(directory: str, port: int, upstream_port: int, token: str = "") -> str:
    """The configuration of a private nginx on ``127.0.0.1:port`` proxying to the app on
    ``upstream_port``, everything under ``directory``.

    Its cache follows the app's headers (``Cache-Control: max-age``/``s-maxage``,
    ``private``, ``no-store`` and ``no-cache`` are not stored); hashed assets under
    ``/static/`` are kept for a year whatever the app says (``inactive=365d``: an entry
    nobody asks for is not dropped sooner, only when ``max_size`` is reached); an expired
    entry is revalidated with ``If-None-Match`` (``proxy_cache_revalidate``), so an
    unchanged one costs the app a 304. ``X-Cache-Status`` reports MISS, HIT, EXPIRED,
    REVALIDATED, BYPASS... (``$upstream_cache_status``, nginx's ngx_http_upstream_module).
    """
    tmp = os.path.join(directory, "tmp")
    # As root, nginx would hand its workers to "nobody", who cannot open this directory.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_cache_path {directory}/cache levels=1:2 keys_zone=course:1m max_size=64m
                     inactive=365d use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        location = /simcache-health {{ return 200 "{token}"; }}
        location /static/ {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_cache course;
            proxy_cache_valid 200 365d;
            proxy_ignore_headers Cache-Control Expires;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_cache course;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


class PrivateNginx(PrivateProcess):
    """An nginx of our own on a free loopback port in front of the app on
    ``upstream_port`` (see :func:`nginx_config`); stopped at exit like the lab's
    redis-server."""

    binary_name = "nginx"
    label = "nginx"
    #: SIMCACHE_NGINX=/path/to/nginx picks a binary; SIMCACHE_NGINX=none runs the course
    #: as if nginx were not installed (the test suite runs the notebooks both ways).
    binary_env = "SIMCACHE_NGINX"

    def __init__(self, upstream_port: int, binary: str | None = None, port: int | None = None):
        super().__init__(binary, port)
        self.upstream_port = upstream_port
        self.token = secrets.token_hex(8)  # tells our nginx from another on the port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> str:
        return os.path.join(self.dir or "", "nginx.conf")

    def log_path(self) -> str:
        return os.path.join(self.dir or "", "error.log")

    def command(self, port: int) -> list[str]:
        assert self.dir is not None
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(nginx_config(self.dir, port, self.upstream_port, self.token))
        # -p: its prefix; -e: the error log from the first line (not /var/log/nginx)
        return [self.binary, "-p", self.dir, "-c", self.config_path, "-e", self.log_path()]

    def answering(self, port: int) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            connection.request("GET", "/simcache-health")
            response = connection.getresponse()
            return response.status == 200 and response.read().decode() == self.token
        except OSError:
            return False
        finally:
            connection.close()
