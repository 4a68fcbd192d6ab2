/* nginx_helper.h: a real HTTPS file server for unit tests: Debian's nginx
 * on loopback with mutual TLS, standing in for puppetserver's file
 * service (tests/unit/fetch/test_fetch.c). Everything lives in one temp
 * dir. */
#ifndef PXPD_TEST_NGINX_HELPER_H
#define PXPD_TEST_NGINX_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#define NGINX_PATH_MAX 512

struct nginx_srv {
	char dir[64];                  /* temp root, removed by nginx_stop */
	char pki[NGINX_PATH_MAX];      /* tests/ca/make-ca.sh output + extras */
	char www[NGINX_PATH_MAX];      /* document root */
	char access_log[NGINX_PATH_MAX];
	/* Servers, all presenting certificates of the test CA and asking for
	 * a client certificate of it (checked against crl.pem):
	 *   port_ok       broker.pem (localhost, 127.0.0.1); serves www;
	 *                 400 without Accept or without ?environment= (as
	 *                 puppetserver); .../slow/ is rate limited to 4 KiB/s
	 *   port_500      answers 500 to everything
	 *   port_revoked  like port_ok with revoked_srv.pem (right names,
	 *                 listed in crl_srv.pem)
	 *   port_wrongname like port_ok with wrongname.pem */
	int port_ok, port_500, port_revoked, port_wrongname;
	pid_t pid;
};

/* Makes the PKI and starts nginx; 0 or -1 (reason on stderr). Skips
 * nothing: a missing nginx is a failure. */
int nginx_start(struct nginx_srv *n);
/* Stops nginx and removes the temp dir. */
void nginx_stop(struct nginx_srv *n);

/* Writes www/<rel> (parents made); 0 or -1. */
int nginx_file_put(const struct nginx_srv *n, const char *rel,
    const void *data, size_t len);
/* Access log lines containing needle ("$server_port $status \"$request\"
 * accept=\"$http_accept\"" per line). */
int nginx_log_count(const struct nginx_srv *n, const char *needle);

/* A loopback TCP port nobody listens on right now. */
int nginx_port_free(void);

#endif
