/* nginx_helper.c: starts and stops the nginx file server of
 * nginx_helper.h. Test-only POSIX code (fork/exec/waitpid are fine here:
 * no uv loop exists while it runs). Invariant: every path nginx writes
 * (pid, logs, temp dirs) is inside n->dir. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nginx_helper.h"

#define NGINX_BIN "/usr/sbin/nginx"
#define START_WAIT_MS 10000

int
nginx_port_free(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s, port = -1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int
nginx__run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "nginx_helper: failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

/* A server certificate with the right names (localhost, 127.0.0.1) that
 * the CA has revoked: make-ca.sh's revoked.pem names revoked.example
 * only, which would fail the hostname check first. Its own small CA
 * database gives a second CRL (crl_srv.pem) from the same CA. */
static int
nginx__revoked_make(const struct nginx_srv *n)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
	    "set -e; cd '%s'; d=rvdb; mkdir -p $d/new; : > $d/index.txt; "
	    "echo 2000 > $d/serial; echo 2000 > $d/crlnumber; "
	    "printf '%%s\\n' '[ca]' 'default_ca = c' '[c]' 'dir = rvdb' "
	    "'database = $dir/index.txt' 'serial = $dir/serial' "
	    "'crlnumber = $dir/crlnumber' 'new_certs_dir = $dir/new' "
	    "'default_md = sha256' 'policy = p' 'default_crl_days = 3650' "
	    "'unique_subject = no' '[p]' 'commonName = supplied' "
	    "'[req]' 'distinguished_name = dn' 'prompt = no' '[dn]' 'CN = x' "
	    "'[ext]' 'basicConstraints = critical, CA:FALSE' "
	    "'keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement' "
	    "'extendedKeyUsage = serverAuth' "
	    "'subjectAltName = DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1' "
	    "> rv.cnf; "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out revoked_srv_key.pem 2>/dev/null; "
	    "openssl req -new -config rv.cnf -key revoked_srv_key.pem "
	    "-subj /CN=revoked-server.example -out rv.csr; "
	    "openssl ca -batch -notext -config rv.cnf -cert ca.pem "
	    "-keyfile ca_key.pem -days 3650 -extensions ext -in rv.csr "
	    "-out revoked_srv.pem 2>/dev/null; "
	    "openssl ca -batch -config rv.cnf -cert ca.pem -keyfile ca_key.pem "
	    "-revoke revoked_srv.pem 2>/dev/null; "
	    "openssl ca -batch -gencrl -config rv.cnf -cert ca.pem "
	    "-keyfile ca_key.pem -out crl_srv.pem 2>/dev/null; "
	    "chmod 600 revoked_srv_key.pem", n->pki);
	return nginx__run(cmd);
}

static int
nginx__conf_write(const struct nginx_srv *n, const char *path)
{
	FILE *fp = fopen(path, "w");
	const char *d = n->dir, *p = n->pki;

	if (!fp)
		return -1;
	fprintf(fp,
	    "daemon off;\nmaster_process off;\nworker_processes 1;\n"
	    "pid %s/nginx.pid;\nerror_log %s/error.log info;\n"
	    "events { worker_connections 128; }\n"
	    "http {\n"
	    "  log_format t '$server_port $status \"$request\" "
	    "accept=\"$http_accept\"';\n"
	    "  access_log %s t;\n"
	    "  client_body_temp_path %s/tmp/body;\n"
	    "  proxy_temp_path %s/tmp/proxy;\n"
	    "  fastcgi_temp_path %s/tmp/fastcgi;\n"
	    "  uwsgi_temp_path %s/tmp/uwsgi;\n"
	    "  scgi_temp_path %s/tmp/scgi;\n"
	    "  default_type application/octet-stream;\n"
	    "  ssl_client_certificate %s/ca.pem;\n"
	    "  ssl_verify_client on;\n"
	    "  ssl_crl %s/crl.pem;\n",
	    d, d, n->access_log, d, d, d, d, d, p, p);
	/* puppetserver: 400 without Accept, 400 without environment. */
#define FILE_SERVER_BODY \
	"    root %s;\n" \
	"    if ($http_accept = \"\") { return 400 '{\"message\":\"Bad " \
	"Request: Missing required Accept header\"}'; }\n" \
	"    if ($arg_environment = \"\") { return 400; }\n" \
	"    location /puppet/v3/file_content/slow/ { limit_rate 4k; }\n"
	fprintf(fp, "  server {\n    listen 127.0.0.1:%d ssl;\n"
	    "    ssl_certificate %s/broker.pem;\n"
	    "    ssl_certificate_key %s/broker_key.pem;\n"
	    FILE_SERVER_BODY "  }\n", n->port_ok, p, p, n->www);
	fprintf(fp, "  server {\n    listen 127.0.0.1:%d ssl;\n"
	    "    ssl_certificate %s/broker.pem;\n"
	    "    ssl_certificate_key %s/broker_key.pem;\n"
	    "    location / { return 500 'internal trouble'; }\n  }\n",
	    n->port_500, p, p);
	fprintf(fp, "  server {\n    listen 127.0.0.1:%d ssl;\n"
	    "    ssl_certificate %s/revoked_srv.pem;\n"
	    "    ssl_certificate_key %s/revoked_srv_key.pem;\n"
	    FILE_SERVER_BODY "  }\n", n->port_revoked, p, p, n->www);
	fprintf(fp, "  server {\n    listen 127.0.0.1:%d ssl;\n"
	    "    ssl_certificate %s/wrongname.pem;\n"
	    "    ssl_certificate_key %s/wrongname_key.pem;\n"
	    FILE_SERVER_BODY "  }\n}\n", n->port_wrongname, p, p, n->www);
#undef FILE_SERVER_BODY
	return fclose(fp) == 0 ? 0 : -1;
}

static int
nginx__port_open(int port)
{
	struct sockaddr_in a;
	int s, ok;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

int
nginx_start(struct nginx_srv *n)
{
	const char *data = getenv("PXPD_TEST_DATA");
	char cmd[2 * NGINX_PATH_MAX + 64], conf[NGINX_PATH_MAX + 16];
	char errlog[NGINX_PATH_MAX + 16], out[NGINX_PATH_MAX + 16];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int waited, status, fd;

	memset(n, 0, sizeof(*n));
	n->pid = -1;
	strcpy(n->dir, "/tmp/pxpd-test-nginx-XXXXXX");
	if (!mkdtemp(n->dir))
		return -1;
	snprintf(n->pki, sizeof(n->pki), "%s/pki", n->dir);
	snprintf(n->www, sizeof(n->www), "%s/www", n->dir);
	snprintf(n->access_log, sizeof(n->access_log), "%s/access.log",
	    n->dir);
	snprintf(cmd, sizeof(cmd), "%s/../ca/make-ca.sh '%s'",
	    data ? data : "tests/data", n->pki);
	if (nginx__run(cmd) != 0 || nginx__revoked_make(n) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/tmp' '%s'", n->dir, n->www);
	if (nginx__run(cmd) != 0)
		return -1;
	n->port_ok = nginx_port_free();
	do
		n->port_500 = nginx_port_free();
	while (n->port_500 == n->port_ok);
	do
		n->port_revoked = nginx_port_free();
	while (n->port_revoked == n->port_ok || n->port_revoked == n->port_500);
	do
		n->port_wrongname = nginx_port_free();
	while (n->port_wrongname == n->port_ok ||
	    n->port_wrongname == n->port_500 ||
	    n->port_wrongname == n->port_revoked);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", n->dir);
	snprintf(errlog, sizeof(errlog), "%s/error.log", n->dir);
	snprintf(out, sizeof(out), "%s/nginx.out", n->dir);
	if (nginx__conf_write(n, conf) != 0)
		return -1;

	if ((n->pid = fork()) < 0)
		return -1;
	if (n->pid == 0) {
		/* nginx must not outlive a test binary that crashed */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(NGINX_BIN, "nginx", "-p", n->dir, "-c", conf, "-e", errlog,
		    (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < START_WAIT_MS; waited += 50) {
		if (nginx__port_open(n->port_ok) && nginx__port_open(n->port_500) &&
		    nginx__port_open(n->port_revoked) &&
		    nginx__port_open(n->port_wrongname))
			return 0;
		if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
			n->pid = -1;
			break;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "nginx_helper: nginx did not come up; see %s and %s\n",
	    out, errlog);
	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' >&2", out, errlog);
	(void)system(cmd);
	return -1;
}

void
nginx_stop(struct nginx_srv *n)
{
	char cmd[NGINX_PATH_MAX + 32];
	int status;

	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		waitpid(n->pid, &status, 0);
		n->pid = -1;
	}
	if (n->dir[0] && !getenv("PXPD_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
		(void)system(cmd);
	}
}

int
nginx_file_put(const struct nginx_srv *n, const char *rel, const void *data,
    size_t len)
{
	char path[2 * NGINX_PATH_MAX], *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", n->www, rel);
	for (c = path + strlen(n->www) + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return -1;
			*c = '/';
		}
	if (!(fp = fopen(path, "wb")))
		return -1;
	if (len && fwrite(data, 1, len, fp) != len) {
		fclose(fp);
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

int
nginx_log_count(const struct nginx_srv *n, const char *needle)
{
	char line[4096];
	FILE *fp = fopen(n->access_log, "r");
	int count = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, needle))
			count++;
	fclose(fp);
	return count;
}
