"""fileserver: a real HTTPS file server for the task tests, standing in
for puppetserver's file service: Debian's nginx on loopback with mutual
TLS (the test CA's broker.pem, client certificates of that CA checked
against crl.pem), answering 400 without an Accept header or an
environment parameter, as puppetserver does (puppetserver-observed.md).

Files live under <dir>/www/puppet/v3/file_content/{tasks,modules}/...;
anything under .../file_content/slow/ is sent at 4 KiB/s;
the access log has one line per request: '<status> "<request>"'.
"""
import hashlib
import os
import signal
import socket
import subprocess
import time

NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")

_CONF = """daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
  log_format t '$status "$request"';
  access_log {d}/access.log t;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  default_type application/octet-stream;
  server {{
    listen {listen}:{port} ssl;
    ssl_certificate {ca}/{cert}.pem;
    ssl_certificate_key {ca}/{cert}_key.pem;
    ssl_protocols {protocols};
    ssl_client_certificate {ca}/ca.pem;
    ssl_verify_client on;
    ssl_crl {ca}/crl.pem;
    root {d}/www;
    if ($http_accept = "") {{
      return 400 '{{"message":"Bad Request: Missing required Accept header","issue_kind":"MISSING_HEADER_FIELD"}}';
    }}
    if ($arg_environment = "") {{ return 400; }}
    location /puppet/v3/file_content/slow/ {{ limit_rate 4k; }}
  }}
}}
"""

PREFIX = "/puppet/v3/file_content"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class FileServer:
    """cert: the server certificate's name in the test CA; host: the
    address it listens on ("::1" for IPv6); protocols: nginx's
    ssl_protocols."""

    def __init__(self, env, cert="broker", host="127.0.0.1", protocols="TLSv1.2 TLSv1.3"):
        self.dir = os.path.join(env.dir, "nginx")
        self.www = os.path.join(self.dir, "www")
        self.host = host
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        os.makedirs(self.www, exist_ok=True)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam)
        s.bind((host, 0))
        self.port = s.getsockname()[1]
        s.close()
        conf = os.path.join(self.dir, "nginx.conf")
        listen = "[%s]" % host if ":" in host else host
        with open(conf, "w") as f:
            f.write(_CONF.format(d=self.dir, port=self.port, ca=env.ca, cert=cert,
                                 listen=listen, protocols=protocols))
        self.log_path = os.path.join(self.dir, "access.log")
        self.out = open(os.path.join(self.dir, "nginx.out"), "wb")
        self.p = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir], stdout=self.out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            if self.p.poll() is not None:
                raise AssertionError("nginx exited: " + open(os.path.join(self.dir, "error.log")).read())
            try:
                socket.create_connection((self.host, self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    @property
    def uri(self):
        return "https://localhost:%d" % self.port

    def put(self, rel, data, mode=0o644):
        """Serves data at PREFIX/rel; returns the PXP file object's uri and sha."""
        if isinstance(data, str):
            data = data.encode()
        path = os.path.join(self.www, PREFIX.lstrip("/"), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return sha256(data)

    def file_obj(self, filename, rel, data, env="production"):
        """Puts data at PREFIX/rel and returns a PXP `files` entry."""
        sha = self.put(rel, data)
        return {"filename": filename, "sha256": sha, "size_bytes": len(data),
                "uri": {"path": PREFIX + "/" + rel, "params": {"environment": env}}}

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def requests(self, needle=""):
        return [l for l in self.log().splitlines() if needle in l]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.out.close()
