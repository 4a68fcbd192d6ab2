/* test_config.c: config_load() end to end on real files: defaults, the
 * spec's example file, a pxp-agent.conf as users have it, precedence of
 * flags over file, every refusal with its exit code and key name, and the
 * TLS checks against the fixed test certificates in tests/data/certs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_int.h"
#include "base/log.h"

#define MAX_ARGS 32

struct fixture {
	char dir[64];
	char conf[128];
	char certs[512];
	char ca[600], cert[600], key[600], other_key[600], crl[600];
	char key600[160];           /* the key with mode 0600 */
	char modules[160];
	struct pxpd_config cfg;
	char err[512];
	bool want_exit;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *data = getenv("PXPD_TEST_DATA");
	char cmd[1400];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/pxpd-test-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/pxp-agent.conf", f->dir);
	snprintf(f->certs, sizeof(f->certs), "%s/certs",
	    data ? data : "tests/data");
	snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->certs);
	snprintf(f->cert, sizeof(f->cert), "%s/agent01.example.com.pem",
	    f->certs);
	snprintf(f->key, sizeof(f->key), "%s/agent01.example.com.key",
	    f->certs);
	snprintf(f->other_key, sizeof(f->other_key), "%s/other.key", f->certs);
	snprintf(f->crl, sizeof(f->crl), "%s/crl.pem", f->certs);
	snprintf(f->key600, sizeof(f->key600), "%s/agent.key", f->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0600 '%s'", f->key,
	    f->key600, f->key600);
	assert_int_equal(system(cmd), 0);
	snprintf(f->modules, sizeof(f->modules), "%s/modules", f->dir);
	assert_int_equal(mkdir(f->modules, 0750), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *fmt, ...)
{
	FILE *fp = fopen(path, "w");
	va_list ap;

	assert_non_null(fp);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

/* Writes a config with working TLS settings plus `extra` (a JSON
 * fragment starting with a comma, or ""). */
static void
write_conf(struct fixture *f, const char *extra)
{
	write_file(f->conf, "{\"broker-ws-uri\":\"wss://broker.example.com:"
	    "8142/pcp/\",\"ssl-ca-cert\":\"%s\",\"ssl-cert\":\"%s\","
	    "\"ssl-key\":\"%s\"%s}\n", f->ca, f->cert, f->key600, extra);
}

/* Runs config_load with "pxpd --config-file <conf>" and the given flags
 * (NULL-terminated). */
static int
load(struct fixture *f, ...)
{
	char *argv[MAX_ARGS];
	char cf[200];
	int argc = 0;
	const char *a;
	va_list ap;

	config_free(&f->cfg);
	snprintf(cf, sizeof(cf), "--config-file=%s", f->conf);
	argv[argc++] = "pxpd";
	argv[argc++] = cf;
	va_start(ap, f);
	while ((a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS - 1)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	f->err[0] = '\0';
	return config_load(&f->cfg, argc, argv, &f->want_exit, f->err,
	    sizeof(f->err));
}

static bool
has_note(char **notes, int n, const char *needle)
{
	for (int i = 0; i < n; i++)
		if (strstr(notes[i], needle) != NULL)
			return true;
	return false;
}

static void
config_defaults_root(void **state)
{
	struct pxpd_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(config__defaults_apply(&cfg, true, NULL), 0);
	assert_string_equal(cfg.config_file, "/etc/pxpd/pxpd.conf");
	assert_string_equal(cfg.logfile, "/var/log/pxpd/pxpd.log");
	assert_string_equal(cfg.spool_dir, "/var/lib/pxpd/spool");
	assert_string_equal(cfg.task_cache_dir, "/var/lib/pxpd/tasks-cache");
	assert_string_equal(cfg.modules_dir, "/usr/lib/pxpd/modules");
	assert_string_equal(cfg.modules_config_dir, "/etc/pxpd/modules");
	assert_string_equal(cfg.pidfile, "/run/pxpd/pxpd.pid");
	assert_string_equal(cfg.pcp_access_logfile,
	    "/var/log/pxpd/pcp-access.log");
	assert_string_equal(cfg.loglevel, "info");
	assert_string_equal(cfg.syslog_facility, "local5");
	assert_string_equal(cfg.spool_dir_purge_ttl, "14d");
	assert_string_equal(cfg.task_cache_dir_purge_ttl, "14d");
	assert_string_equal(cfg.ssl_crl, "");
	assert_string_equal(cfg.broker_ws_proxy, "");
	assert_string_equal(cfg.audit_logfile, "");
	assert_int_equal(cfg.pcp_version, 1);
	assert_int_equal(cfg.connection_timeout, 5);
	assert_int_equal(cfg.ping_interval, 120);
	assert_int_equal(cfg.allowed_keepalive_timeouts, 2);
	assert_int_equal(cfg.association_timeout, 15);
	assert_int_equal(cfg.association_request_ttl, 10);
	assert_int_equal(cfg.pcp_message_ttl, 5);
	assert_int_equal(cfg.max_message_size, 64 * 1024 * 1024);
	assert_int_equal(cfg.task_download_connect_timeout, 120);
	assert_int_equal(cfg.task_download_timeout, 1800);
	assert_int_equal(cfg.max_concurrent_actions, 16);
	assert_int_equal(cfg.max_queued_actions, 256);
	assert_int_equal(cfg.max_send_queue, 4L * 1024 * 1024);
	assert_false(cfg.foreground);
	assert_false(cfg.log_pcp_access);
	assert_int_equal(cfg.n_broker_ws_uris, 0);
	config_free(&cfg);
	assert_null(cfg.logfile);
	config_free(NULL);
}

static void
config_defaults_user(void **state)
{
	struct pxpd_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(config__defaults_apply(&cfg, false, "/home/u"), 0);
	assert_string_equal(cfg.config_file, "/home/u/.pxpd/etc/pxpd.conf");
	assert_string_equal(cfg.logfile, "/home/u/.pxpd/var/log/pxpd.log");
	assert_string_equal(cfg.spool_dir, "/home/u/.pxpd/spool");
	assert_string_equal(cfg.task_cache_dir, "/home/u/.pxpd/tasks-cache");
	assert_string_equal(cfg.pidfile, "/home/u/.pxpd/run/pxpd.pid");
	assert_string_equal(cfg.modules_config_dir, "/home/u/.pxpd/etc/modules");
	assert_string_equal(cfg.modules_dir, "/usr/lib/pxpd/modules");
	config_free(&cfg);
}

/* The example of spool-and-config.md §4, with the test certificates. */
static void
config_spec_example(void **state)
{
	struct fixture *f = *state;

	write_file(f->conf,
	    "{\"broker-ws-uris\":[\"wss://broker1.example.com:8142/pcp/\","
	    "\"wss://broker2.example.com:8142/pcp/\"],\n"
	    " \"primary-uris\":[\"https://puppet1.example.com:8140\","
	    "\"https://puppet2.example.com:8140\"],\n"
	    " \"ssl-ca-cert\":\"%s\",\n \"ssl-cert\":\"%s\",\n"
	    " \"ssl-key\":\"%s\",\n \"ssl-crl\":\"%s\",\n"
	    " \"pcp-version\":\"1\",\"loglevel\":\"info\"}\n",
	    f->ca, f->cert, f->key600, f->crl);
	assert_int_equal(load(f, NULL), 0);
	assert_false(f->want_exit);
	assert_true(f->cfg.config_file_found);
	assert_int_equal(f->cfg.n_broker_ws_uris, 2);
	assert_string_equal(f->cfg.broker_ws_uris[0],
	    "wss://broker1.example.com:8142/pcp/");
	assert_string_equal(f->cfg.broker_ws_uris[1],
	    "wss://broker2.example.com:8142/pcp/");
	assert_int_equal(f->cfg.n_master_uris, 2);
	assert_string_equal(f->cfg.master_uris[1],
	    "https://puppet2.example.com:8140");
	assert_int_equal(f->cfg.pcp_version, 1);
	assert_int_equal(f->cfg.log_lvl, LOG_LVL_INFO);
	assert_string_equal(f->cfg.common_name, "agent01.example.com");
	assert_string_equal(f->cfg.ssl_crl, f->crl);
	assert_int_equal(f->cfg.spool_purge_ttl_s, 14 * 86400);
	assert_int_equal(f->cfg.n_unknown_keys, 0);
	assert_int_equal(f->cfg.n_warnings, 0);
}

/* A pxp-agent.conf as found on PE nodes: HOCON's conversions included. */
static void
config_real_pxp_agent_conf(void **state)
{
	struct fixture *f = *state;

	write_file(f->conf,
	    "{\n"
	    "  \"broker-ws-uris\": [\"wss://pe.example.com:8142/pcp2/\"],\n"
	    "  \"primary-uris\": [\"pe.example.com\", "
	    "\"https://compiler.example.com:8141/\"],\n"
	    "  \"master-uris\": [\"https://ignored.example.com\"],\n"
	    "  \"pcp-version\": \"2\",\n"
	    "  \"ssl-ca-cert\": \"%s\",\n"
	    "  \"ssl-cert\": \"%s\",\n"
	    "  \"ssl-key\": \"%s\",\n"
	    "  \"ssl-crl\": \"%s\",\n"
	    "  \"log-pcp-access\": true,\n"
	    "  \"loglevel\": \"debug\",\n"
	    "  \"connection-timeout\": \"10\",\n"
	    "  \"foreground\": \"yes\",\n"
	    "  \"task-download-timeout\": 600,\n"
	    "  \"master-uri\": \"https://old.example.com:8140\",\n"
	    "  \"spool-dir-purge-ttl\": \"1h\"\n"
	    "}\n", f->ca, f->cert, f->key600, f->crl);
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->cfg.pcp_version, 2);
	assert_int_equal(f->cfg.n_master_uris, 2);
	assert_string_equal(f->cfg.master_uris[0],
	    "https://pe.example.com:8140");
	assert_string_equal(f->cfg.master_uris[1],
	    "https://compiler.example.com:8141");
	assert_true(f->cfg.log_pcp_access);
	assert_true(f->cfg.foreground);
	assert_int_equal(f->cfg.log_lvl, LOG_LVL_DEBUG);
	assert_int_equal(f->cfg.connection_timeout, 10);
	assert_int_equal(f->cfg.task_download_timeout, 600);
	assert_int_equal(f->cfg.spool_purge_ttl_s, 3600);
	assert_int_equal(f->cfg.n_unknown_keys, 0);

	/* pcp-version as a JSON integer, master-uris alone. */
	write_conf(f, ",\"pcp-version\":2,\"master-uris\":[\"puppet\"]");
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->cfg.pcp_version, 2);
	assert_int_equal(f->cfg.n_master_uris, 1);
	assert_string_equal(f->cfg.master_uris[0], "https://puppet:8140");
}

static void
config_flags_override_file(void **state)
{
	struct fixture *f = *state;

	write_conf(f, ",\"loglevel\":\"info\",\"connection-timeout\":7,"
	    "\"pcp-version\":\"1\",\"spool-dir\":\"/nonexistent/spool\","
	    "\"foreground\":false");
	assert_int_equal(load(f, "--loglevel=debug", "--connection-timeout",
	    "10", "--foreground", "-pcp-version", "2", "--spool-dir",
	    "/tmp/x", "start", NULL), 0);
	assert_string_equal(f->cfg.loglevel, "debug");
	assert_int_equal(f->cfg.log_lvl, LOG_LVL_DEBUG);
	assert_int_equal(f->cfg.connection_timeout, 10);
	assert_true(f->cfg.foreground);
	assert_int_equal(f->cfg.pcp_version, 2);
	assert_string_equal(f->cfg.spool_dir, "/tmp/x");

	/* --foreground=false overrides a file's true. */
	write_conf(f, ",\"foreground\":true");
	assert_int_equal(load(f, "--foreground=false", "-v", "--vlevel", "2",
	    NULL), 0);
	assert_false(f->cfg.foreground);
}

static void
config_cli_broker_uri_overrides_list(void **state)
{
	struct fixture *f = *state;

	write_file(f->conf, "{\"broker-ws-uris\":[\"wss://a:8142/pcp/\","
	    "\"wss://b:8142/pcp/\"],\"ssl-ca-cert\":\"%s\",\"ssl-cert\":"
	    "\"%s\",\"ssl-key\":\"%s\"}", f->ca, f->cert, f->key600);
	assert_int_equal(load(f, "--broker-ws-uri", "wss://c:8142/pcp2/",
	    NULL), 0);
	assert_int_equal(f->cfg.n_broker_ws_uris, 1);
	assert_string_equal(f->cfg.broker_ws_uris[0], "wss://c:8142/pcp2/");

	/* The list is file-only. */
	assert_int_equal(load(f, "--broker-ws-uris", "wss://d/", NULL),
	    PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "broker-ws-uris"));
}

static void
config_both_uris_in_file(void **state)
{
	struct fixture *f = *state;

	write_conf(f, ",\"broker-ws-uris\":[\"wss://b:8142/pcp/\"]");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "broker-ws-uri and broker-ws-uris"));
	/* With the single URI on the command line the file is fine. */
	assert_int_equal(load(f, "--broker-ws-uri", "wss://c/pcp/", NULL), 0);
}

static void
config_missing_or_bad_broker(void **state)
{
	struct fixture *f = *state;

	write_file(f->conf, "{\"ssl-ca-cert\":\"%s\",\"ssl-cert\":\"%s\","
	    "\"ssl-key\":\"%s\"}", f->ca, f->cert, f->key600);
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err,
	    "broker-ws-uri or broker-ws-uris must be defined");

	assert_int_equal(load(f, "--broker-ws-uri", "ws://b:8142/pcp/", NULL),
	    PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "broker-ws-uri"));
	assert_non_null(strstr(f->err, "wss://"));

	write_file(f->conf, "{\"broker-ws-uris\":[\"wss://a/pcp/\","
	    "\"https://b/pcp/\"],\"ssl-ca-cert\":\"%s\",\"ssl-cert\":\"%s\","
	    "\"ssl-key\":\"%s\"}", f->ca, f->cert, f->key600);
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "broker-ws-uris value \"https://b/"));
}

static void
config_wrong_type(void **state)
{
	struct fixture *f = *state;

	write_conf(f, ",\"connection-timeout\":true");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err,
	    "field 'connection-timeout' must be of type integer");

	write_conf(f, ",\"connection-timeout\":1.5");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);

	write_conf(f, ",\"primary-uris\":\"https://p:8140\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err,
	    "field 'primary-uris' must be of type array of strings");

	write_conf(f, ",\"foreground\":\"maybe\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err, "field 'foreground' must be of type boolean");

	write_conf(f, ",\"loglevel\":{\"a\":1}");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err, "field 'loglevel' must be of type string");

	write_conf(f, ",\"spool-dir\":null");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "'spool-dir'"));
}

static void
config_file_errors(void **state)
{
	struct fixture *f = *state;
	char path[200];

	/* Missing file named with --config-file. */
	unlink(f->conf);
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "does not exist"));

	/* HOCON comments are not JSON. */
	write_file(f->conf, "{\n  # comment\n  \"loglevel\": \"info\"\n}\n");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "line 2"));
	assert_non_null(strstr(f->err, "strict JSON"));

	write_file(f->conf, "[\"broker-ws-uri\"]");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "JSON object"));

	write_file(f->conf, "{\"loglevel\":\"info\"} trailing");
	assert_int_equal(load(f, NULL), PXPD_EXIT_PARSE);

	/* Wrong suffix. */
	snprintf(path, sizeof(path), "--config-file=%s/pxp-agent.txt", f->dir);
	write_file(path + 14, "{}");
	{
		char *argv[] = { "pxpd", path, NULL };
		config_free(&f->cfg);
		assert_int_equal(config_load(&f->cfg, 2, argv, &f->want_exit,
		    f->err, sizeof(f->err)), PXPD_EXIT_PARSE);
		assert_non_null(strstr(f->err, ".conf or .json"));
	}

	/* An empty file is an empty object: the error is the missing
	 * broker, not the syntax. */
	write_file(f->conf, "\xef\xbb\xbf \n");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "broker-ws-uri"));
}

static void
config_tls_errors(void **state)
{
	struct fixture *f = *state;
	char missing[200], arg[400];

	write_conf(f, "");
	snprintf(missing, sizeof(missing), "%s/nope.pem", f->dir);
	snprintf(arg, sizeof(arg), "--ssl-cert=%s", missing);
	assert_int_equal(load(f, arg, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ssl-cert"));
	assert_non_null(strstr(f->err, "not found"));

	assert_int_equal(load(f, "--ssl-key", f->other_key, NULL),
	    PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ssl-key: does not match the "
	    "certificate in ssl-cert ("));
	assert_non_null(strstr(f->err, f->cert));

	/* A certificate where the key should be. */
	assert_int_equal(load(f, "--ssl-key", f->cert, NULL),
	    PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ssl-key: cannot parse"));

	/* A certificate is not a CRL. */
	assert_int_equal(load(f, "--ssl-crl", f->ca, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ssl-crl"));

	/* A key is not a CA. */
	assert_int_equal(load(f, "--ssl-ca-cert", f->key600, NULL),
	    PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ssl-ca-cert"));

	write_file(f->conf, "{\"broker-ws-uri\":\"wss://b/pcp/\"}");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err, "ssl-ca-cert: must be defined");
}

static void
config_tls_warnings(void **state)
{
	struct fixture *f = *state;
	char key644[200], cmd[600];

	snprintf(key644, sizeof(key644), "%s/open.key", f->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0644 '%s'",
	    f->key600, key644, key644);
	assert_int_equal(system(cmd), 0);
	write_conf(f, "");
	assert_int_equal(load(f, "--ssl-key", key644, NULL), 0);
	assert_true(has_note(f->cfg.warnings, f->cfg.n_warnings,
	    "accessible by other users"));

	/* The agent certificate was not issued by this "CA". */
	assert_int_equal(load(f, "--ssl-ca-cert", f->cert, NULL), 0);
	assert_true(has_note(f->cfg.warnings, f->cfg.n_warnings,
	    "does not verify against ssl-ca-cert"));

	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->cfg.n_warnings, 0);
}

static void
config_bad_values(void **state)
{
	struct fixture *f = *state;

	write_conf(f, ",\"spool-dir-purge-ttl\":\"14x\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "spool-dir-purge-ttl"));

	write_conf(f, ",\"task-cache-dir-purge-ttl\":\"-1d\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "task-cache-dir-purge-ttl"));

	write_conf(f, ",\"action-cgroup\":\"maybe\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "action-cgroup"));
	write_conf(f, ",\"action-cgroup\":\"off\"");
	assert_int_equal(load(f, NULL), 0);

	write_conf(f, ",\"loglevel\":\"verbose\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err, "invalid log level: 'verbose'");

	write_conf(f, ",\"pcp-version\":\"3\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err, "pcp-version must be either '1' or '2'");
	write_conf(f, ",\"pcp-version\":1.0");
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->cfg.pcp_version, 1);
	write_conf(f, "");
	assert_int_equal(load(f, "--pcp-version", "v2", NULL),
	    PXPD_EXIT_CONFIG);

	write_conf(f, ",\"ping-interval\":5");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "ping-interval"));
	write_conf(f, ",\"ping-interval\":6");
	assert_int_equal(load(f, NULL), 0);

	write_conf(f, ",\"association-timeout\":-1");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "association-timeout"));
	/* 0 would never connect or associate (issue 10 item 14). */
	write_conf(f, ",\"association-timeout\":0");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err, "association-timeout: must be between 1 "
	    "and 2147483647 (got 0)");
	write_conf(f, ",\"connection-timeout\":0");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_string_equal(f->err, "connection-timeout: must be between 1 "
	    "and 86400 (got 0)");
	write_conf(f, "");
	assert_int_equal(load(f, "--connection-timeout", "0", NULL),
	    PXPD_EXIT_CONFIG);

	write_conf(f, ",\"max-concurrent-actions\":0");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "max-concurrent-actions"));

	write_conf(f, ",\"primary-uris\":[\"http://puppet:8140\"]");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "primary-uris value \"http://puppet:"
	    "8140\" must start with https://"));
	write_conf(f, ",\"master-uris\":[\"https://puppet:99999\"]");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "master-uris"));

	write_conf(f, ",\"logfile\":\"syslog\",\"syslog-facility\":\"local9\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "syslog-facility"));
	write_conf(f, ",\"logfile\":\"syslog\",\"syslog-facility\":\"local0\"");
	assert_int_equal(load(f, NULL), 0);

	write_conf(f, ",\"logfile\":\"eventlog\"");
	assert_int_equal(load(f, NULL), PXPD_EXIT_CONFIG);
}

static void
config_unknown_key_warns(void **state)
{
	struct fixture *f = *state;

	write_conf(f, ",\"colour\":\"blue\",\"config-file\":\"/x.conf\"");
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->cfg.n_unknown_keys, 1);
	assert_string_equal(f->cfg.unknown_keys[0], "colour");
	assert_true(has_note(f->cfg.warnings, f->cfg.n_warnings,
	    "config-file: only accepted on the command line"));
	assert_string_equal(f->cfg.config_file, f->conf);
}

static void
config_cli_errors(void **state)
{
	struct fixture *f = *state;

	write_conf(f, "");
	assert_int_equal(load(f, "--no-such-flag", NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err, "unknown flag: no-such-flag");
	assert_int_equal(load(f, "--loglevel", NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err, "missing value for flag: loglevel");
	assert_int_equal(load(f, "--connection-timeout", "ten", NULL),
	    PXPD_EXIT_PARSE);
	assert_non_null(strstr(f->err, "connection-timeout"));
	assert_int_equal(load(f, "--connection-timeout=-1", NULL),
	    PXPD_EXIT_PARSE);
	assert_int_equal(load(f, "--foreground=yes", NULL), PXPD_EXIT_PARSE);
	assert_int_equal(load(f, "stop", NULL), PXPD_EXIT_PARSE);
	assert_string_equal(f->err, "unknown action: stop");
	/* pxp-agent's flags that pxpd takes but ignores. */
	assert_int_equal(load(f, "--master-uri", "https://p:8140",
	    "--primary-uri=https://p:8140", "-vv", "--verbose", NULL), 0);
}

static void
config_help_version_check(void **state)
{
	struct fixture *f = *state;
	char arg[200];

	write_conf(f, ",\"loglevel\":\"bogus\"");
	/* --help and --version exit before the file is even read. */
	assert_int_equal(load(f, "--help", NULL), 0);
	assert_true(f->want_exit);
	assert_int_equal(load(f, "-h", NULL), 0);
	assert_true(f->want_exit);
	assert_int_equal(load(f, "--version", NULL), 0);
	assert_true(f->want_exit);

	write_conf(f, "");
	assert_int_equal(load(f, NULL), 0);
	assert_false(f->want_exit);
	assert_false(f->cfg.check_only);
	snprintf(arg, sizeof(arg), "--modules-dir=%s", f->modules);
	assert_int_equal(load(f, "-n", arg, NULL), 0);
	assert_true(f->want_exit);
	assert_true(f->cfg.check_only);
	/* --check still fails a bad config, and a missing modules-dir. */
	assert_int_equal(load(f, "--check", "--modules-dir=/nonexistent/m",
	    NULL), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "modules-dir"));
	write_conf(f, ",\"loglevel\":\"bogus\"");
	assert_int_equal(load(f, "--check", arg, NULL), PXPD_EXIT_CONFIG);
}

static void
config_tilde_expanded(void **state)
{
	struct fixture *f = *state;
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char expect[200];

	setenv("HOME", f->dir, 1);
	write_conf(f, ",\"spool-dir\":\"~/spool\",\"logfile\":\"~\","
	    "\"pidfile\":\"~other/x.pid\"");
	assert_int_equal(load(f, NULL), 0);
	snprintf(expect, sizeof(expect), "%s/spool", f->dir);
	assert_string_equal(f->cfg.spool_dir, expect);
	assert_string_equal(f->cfg.logfile, f->dir);
	assert_string_equal(f->cfg.pidfile, "~other/x.pid");
	if (old != NULL) {
		setenv("HOME", old, 1);
		free(old);
	} else {
		unsetenv("HOME");
	}
}

static void
config_dirs_prepared(void **state)
{
	struct fixture *f = *state;
	char spool[200], cache[200], mcfg[200], pid[200], a1[300], a2[300],
	    a3[300], a4[300], a5[300];
	struct stat st;

	snprintf(spool, sizeof(spool), "%s/var/spool", f->dir);
	snprintf(cache, sizeof(cache), "%s/var/cache/", f->dir);
	snprintf(mcfg, sizeof(mcfg), "%s/etc/modules", f->dir);
	snprintf(pid, sizeof(pid), "%s/run/pxpd.pid", f->dir);
	snprintf(a1, sizeof(a1), "--spool-dir=%s", spool);
	snprintf(a2, sizeof(a2), "--task-cache-dir=%s", cache);
	snprintf(a3, sizeof(a3), "--modules-config-dir=%s", mcfg);
	snprintf(a4, sizeof(a4), "--pidfile=%s", pid);
	snprintf(a5, sizeof(a5), "--modules-dir=%s", f->modules);
	write_conf(f, "");
	assert_int_equal(load(f, a1, a2, a3, a4, a5, NULL), 0);
	assert_int_equal(config_dirs_prepare(&f->cfg, false, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(stat(spool, &st), -1);
	assert_int_equal(config_dirs_prepare(&f->cfg, true, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(stat(spool, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(stat(mcfg, &st), 0);
	snprintf(a1, sizeof(a1), "%s/run", f->dir);
	assert_int_equal(stat(a1, &st), 0);

	/* A file where the spool dir should be. */
	config_free(&f->cfg);
	snprintf(a1, sizeof(a1), "--spool-dir=%s", f->conf);
	assert_int_equal(load(f, a1, a5, NULL), 0);
	assert_int_equal(config_dirs_prepare(&f->cfg, true, f->err,
	    sizeof(f->err)), PXPD_EXIT_CONFIG);
	assert_non_null(strstr(f->err, "spool-dir"));
}

static void
config_dump_lists_keys(void **state)
{
	struct fixture *f = *state;
	char out[200], *text;
	FILE *fp;
	size_t n;

	write_conf(f, "");
	assert_int_equal(load(f, NULL), 0);
	snprintf(out, sizeof(out), "%s/dump", f->dir);
	fp = fopen(out, "w+");
	assert_non_null(fp);
	config_dump(&f->cfg, fp);
	rewind(fp);
	text = calloc(1, 16384);
	n = fread(text, 1, 16383, fp);
	fclose(fp);
	assert_true(n > 0);
	assert_non_null(strstr(text, "pcp-version = 1\n"));
	assert_non_null(strstr(text, "broker-ws-uris = [wss://broker.example."
	    "com:8142/pcp/]\n"));
	assert_non_null(strstr(text, "max-concurrent-actions = 16\n"));
	assert_null(strstr(text, "master-uris"));
	free(text);
}

/* config/pxpd.conf sets every file key, and config/README.md documents
 * every key of the table. */
static void
config_example_and_docs_complete(void **state)
{
	struct fixture *f = *state;
	char path[700], arg[800], a2[700], a3[700], a4[700];
	char *doc, needle[80];
	FILE *fp;
	size_t i, n;

	snprintf(path, sizeof(path), "%s/../../../config/pxpd.conf", f->certs);
	snprintf(arg, sizeof(arg), "--config-file=%s", path);
	snprintf(a2, sizeof(a2), "--ssl-ca-cert=%s", f->ca);
	snprintf(a3, sizeof(a3), "--ssl-cert=%s", f->cert);
	snprintf(a4, sizeof(a4), "--ssl-key=%s", f->key600);
	{
		char *argv[] = { "pxpd", arg, a2, a3, a4, "--ssl-crl=", NULL };
		config_free(&f->cfg);
		int rc = config_load(&f->cfg, 6, argv, &f->want_exit, f->err,
		    sizeof(f->err));
		if (rc != 0)
			fail_msg("rc %d: %s", rc, f->err);
	}
	assert_true(f->cfg.config_file_found);
	assert_int_equal(f->cfg.n_unknown_keys, 0);
	assert_int_equal(f->cfg.n_broker_ws_uris, 2);

	fp = fopen(path, "r");
	assert_non_null(fp);
	doc = calloc(1, 65536);
	n = fread(doc, 1, 65535, fp);
	fclose(fp);
	for (i = 0; i < config__nrows; i++) {
		const struct config__row *row = &config__rows[i];
		if (!(row->flags & CONFIG_F_FILE) ||
		    (row->flags & CONFIG_F_UNUSED) ||
		    strcmp(row->name, "broker-ws-uri") == 0 ||
		    strcmp(row->name, "master-uris") == 0)
			continue;
		snprintf(needle, sizeof(needle), "\"%s\":", row->name);
		if (strstr(doc, needle) == NULL)
			fail_msg("config/pxpd.conf lacks %s", row->name);
	}
	free(doc);

	snprintf(path, sizeof(path), "%s/../../../config/README.md", f->certs);
	fp = fopen(path, "r");
	assert_non_null(fp);
	doc = calloc(1, 65536);
	n = fread(doc, 1, 65535, fp);
	assert_true(n > 0);
	fclose(fp);
	for (i = 0; i < config__nrows; i++) {
		snprintf(needle, sizeof(needle), "`%s`", config__rows[i].name);
		if (strstr(doc, needle) == NULL)
			fail_msg("config/README.md lacks %s", config__rows[i].name);
	}
	free(doc);
}

static void
config_ttl(void **state)
{
	(void)state;
	assert_int_equal(config_ttl_parse("14d"), 1209600);
	assert_int_equal(config_ttl_parse("0m"), 0);
	assert_int_equal(config_ttl_parse("0d"), 0);
	assert_int_equal(config_ttl_parse("90m"), 5400);
	assert_int_equal(config_ttl_parse("2h"), 7200);
	assert_int_equal(config_ttl_parse("14"), -1);
	assert_int_equal(config_ttl_parse("d"), -1);
	assert_int_equal(config_ttl_parse("1dd"), -1);
	assert_int_equal(config_ttl_parse("1s"), -1);
	assert_int_equal(config_ttl_parse("-1d"), -1);
	assert_int_equal(config_ttl_parse(" 1d"), -1);
	assert_int_equal(config_ttl_parse("9999999999d"), -1);
	assert_int_equal(config_ttl_parse(""), -1);
	assert_int_equal(config_ttl_parse(NULL), -1);
}

/* Hostile file contents never crash and never pass. */
static void
config_json_garbage(void **state)
{
	static const char *const inputs[] = {
		"{", "[", "\"x\"", "1", "null", "{\"a\":", "{\"a\":1,}",
		"{\"broker-ws-uris\":[[[[]]]]}", "{\"loglevel\":\"\\u0000\"}",
		"{\"pcp-version\":[]}", "\x00{}", "{}\x00",
		"{\"broker-ws-uris\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
		"\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\","
		"\"17\"]}",
	};
	struct pxpd_config cfg;
	bool in_file[64] = { 0 }, on_cli[64] = { 0 };
	char err[256];
	size_t i;

	(void)state;
	assert_true(config__nrows <= 64);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct config__ctx ctx = { .cfg = &cfg, .err = err,
		    .errlen = sizeof(err), .in_file = in_file,
		    .on_cli = on_cli };
		size_t len = strlen(inputs[i]);
		int rc;

		if (inputs[i][0] == '\0')
			len = 3;        /* "\x00{}" */
		else if (i == 11)
			len = 3;        /* "{}\x00" */
		memset(&cfg, 0, sizeof(cfg));
		memset(in_file, 0, sizeof(in_file));
		assert_int_equal(config__defaults_apply(&cfg, true, NULL), 0);
		rc = config__json_apply(&ctx, inputs[i], len, "fuzz");
		if (i == 9)
			assert_int_equal(rc, PXPD_EXIT_PARSE);
		else if (i == 8)
			assert_int_equal(rc, 0);  /* a string, odd but typed */
		else if (i == 12)
			assert_int_equal(rc, PXPD_EXIT_CONFIG);
		else
			assert_true(rc != 0);
		config_free(&cfg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults_root),
		cmocka_unit_test(config_defaults_user),
		cmocka_unit_test_setup_teardown(config_spec_example, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_real_pxp_agent_conf,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(config_flags_override_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    config_cli_broker_uri_overrides_list, setup, teardown),
		cmocka_unit_test_setup_teardown(config_both_uris_in_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(config_missing_or_bad_broker,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(config_wrong_type, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_file_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_tls_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_tls_warnings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_bad_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_unknown_key_warns,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(config_cli_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_help_version_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(config_tilde_expanded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_dirs_prepared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(config_dump_lists_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    config_example_and_docs_complete, setup, teardown),
		cmocka_unit_test(config_ttl),
		cmocka_unit_test(config_json_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
