/* config.c: the key table, built-in defaults, command-line flags, --help,
 * and the order of config_load(): defaults < config file < argv. Not the
 * JSON file (config_file.c), the checks on the merged result
 * (config_check.c) or the TLS files (config_tls.c). Invariant: every key is
 * one row of config__rows and nothing else knows a key's name, type or
 * default; a new key is one new row. */
#include "config/config_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

#define F(field) offsetof(struct pxpd_config, field)
#define CF (CONFIG_F_CLI | CONFIG_F_FILE)

#define ROW_STR(n, fl, def, field, h) { .name = n, .type = CONFIG_T_STR, \
	.flags = fl, .def_str = def, .off = F(field), \
	.count_off = CONFIG_NO_FIELD, .help = h }
#define ROW_PATH(n, fl, def, field, h) { .name = n, \
	.type = CONFIG_T_PATH, .flags = fl, .def_str = "", .def_path = def, \
	.off = F(field), .count_off = CONFIG_NO_FIELD, .help = h }
#define ROW_INT(n, fl, def, lo, hi, field, h) { .name = n, \
	.type = CONFIG_T_INT, .flags = fl, .def_int = def, .min = lo, \
	.max = hi, .off = F(field), .count_off = CONFIG_NO_FIELD, .help = h }
#define ROW_BOOL(n, fl, def, field, h) { .name = n, .type = CONFIG_T_BOOL, \
	.flags = fl, .def_int = def, .off = F(field), \
	.count_off = CONFIG_NO_FIELD, .help = h }
#define ROW_LIST(n, fl, field, count, h) { .name = n, \
	.type = CONFIG_T_STRLIST, .flags = fl, .off = F(field), \
	.count_off = F(count), .help = h }
#define ROW_UNUSED(n, h) { .name = n, .type = CONFIG_T_STR, \
	.flags = CF | CONFIG_F_UNUSED, .def_str = "", .off = CONFIG_NO_FIELD, \
	.count_off = CONFIG_NO_FIELD, .help = h }

/* Path defaults are the platform's (os_default_path: pxpd's own on
 * POSIX, pxp-agent's on Windows), for root or under the user's home.
 * Bounds: pxp-agent has none beyond ">= 0" on a few keys; ours keep
 * values where the agent still works (ping-interval must exceed the 5 s
 * pong timeout, a response must fit in max-message-size). */
const struct config__row config__rows[] = {
	ROW_PATH("config-file", CONFIG_F_CLI, OS_DEFAULT_CONFIG_FILE,
	    config_file, "Config file (JSON)"),
	ROW_STR("broker-ws-uri", CF, "", broker_ws_uri,
	    "WebSocket URI of the PCP broker (wss://); overrides "
	    "broker-ws-uris"),
	ROW_LIST("broker-ws-uris", CONFIG_F_FILE, broker_ws_uris,
	    n_broker_ws_uris, "WebSocket URIs of the PCP brokers, tried in "
	    "order (config file only)"),
	ROW_LIST("primary-uris", CONFIG_F_FILE, master_uris, n_master_uris,
	    "Puppet server URIs for task and file downloads (config file "
	    "only)"),
	ROW_LIST("master-uris", CONFIG_F_FILE, master_uris, n_master_uris,
	    "Old name of primary-uris (config file only)"),
	ROW_UNUSED("master-uri", "URI of the Puppet primary (unused)"),
	ROW_UNUSED("primary-uri", "URI of the Puppet primary (unused)"),
	{ .name = "pcp-version", .type = CONFIG_T_PCPVER, .flags = CF,
	  .def_int = 1, .min = 1, .max = 2, .off = F(pcp_version),
	  .count_off = CONFIG_NO_FIELD,
	  .help = "PCP version to use: 1 or 2" },
	/* 0 would never connect (or associate): refused like any bad value. */
	ROW_INT("connection-timeout", CF, 5, 1, 86400, connection_timeout,
	    "Timeout (s) for the WebSocket handshake"),
	ROW_INT("allowed-keepalive-timeouts", CF | CONFIG_F_HIDDEN, 2, 0,
	    1000, allowed_keepalive_timeouts,
	    "Pong timeouts allowed before reconnecting"),
	ROW_INT("ping-interval", CF | CONFIG_F_HIDDEN, 120, 6, 86400,
	    ping_interval, "Seconds between WebSocket pings"),
	ROW_INT("association-timeout", CF | CONFIG_F_HIDDEN, 15, 1, INT_MAX,
	    association_timeout, "Seconds to wait for a PCP v1 association"),
	ROW_INT("association-request-ttl", CF | CONFIG_F_HIDDEN, 10, 0,
	    INT_MAX, association_request_ttl,
	    "TTL (s) of the association request (unused, as pxp-agent)"),
	ROW_INT("pcp-message-ttl", CF | CONFIG_F_HIDDEN, 5, 0, INT_MAX,
	    pcp_message_ttl, "TTL (s) of PCP v1 messages sent"),
	ROW_INT("task-download-connect-timeout", CF, 120, 0, INT_MAX,
	    task_download_connect_timeout,
	    "Connect timeout (s) when downloading task files"),
	ROW_INT("task-download-timeout", CF, 1800, 0, INT_MAX,
	    task_download_timeout,
	    "Total timeout (s) when downloading task files"),
	ROW_PATH("ssl-ca-cert", CF, OS_DEFAULT_NONE, ssl_ca_cert,
	    "CA certificate (PEM)"),
	ROW_PATH("ssl-cert", CF, OS_DEFAULT_NONE, ssl_cert,
	    "Client certificate (PEM); its CN is the agent's identity"),
	ROW_PATH("ssl-key", CF, OS_DEFAULT_NONE, ssl_key,
	    "Private key of ssl-cert (PEM, unencrypted)"),
	ROW_PATH("ssl-crl", CF, OS_DEFAULT_NONE, ssl_crl,
	    "Certificate revocation list (PEM), optional"),
	ROW_PATH("logfile", CF, OS_DEFAULT_LOGFILE, logfile,
	    "Log file, '-' for stdout/stderr, or 'syslog' ('eventlog' on "
	    "Windows)"),
	ROW_STR("syslog-facility", CF, "local5", syslog_facility,
	    "Syslog facility when logfile is 'syslog'"),
	ROW_STR("loglevel", CF, "info", loglevel,
	    "none, trace, debug, info, warning, error or fatal"),
	ROW_BOOL("log-pcp-access", CF, 0, log_pcp_access,
	    "Log every PCP message sent and received to pcp-access-logfile"),
	ROW_PATH("pcp-access-logfile", CF, OS_DEFAULT_PCP_ACCESS_LOG,
	    pcp_access_logfile, "PCP access log"),
	ROW_PATH("modules-dir", CF, OS_DEFAULT_MODULES_DIR, modules_dir,
	    "External modules directory (must exist)"),
	ROW_PATH("modules-config-dir", CF, OS_DEFAULT_MODULES_CONFIG_DIR,
	    modules_config_dir, "Module configuration files directory"),
	ROW_PATH("task-cache-dir", CF, OS_DEFAULT_TASK_CACHE_DIR,
	    task_cache_dir, "Task files cache directory"),
	ROW_PATH("spool-dir", CF, OS_DEFAULT_SPOOL_DIR, spool_dir,
	    "Results of non-blocking actions"),
	ROW_STR("spool-dir-purge-ttl", CF, "14d", spool_dir_purge_ttl,
	    "Age (<n>m|h|d) after which results are purged; 0d = never"),
	ROW_STR("task-cache-dir-purge-ttl", CF, "14d",
	    task_cache_dir_purge_ttl,
	    "Age (<n>m|h|d) after which cached tasks are purged; 0d = never"),
	ROW_STR("broker-ws-proxy", CF, "", broker_ws_proxy,
	    "Proxy for the broker WebSocket connection"),
	ROW_STR("master-proxy", CF, "", master_proxy,
	    "Proxy for task and file downloads"),
	ROW_BOOL("foreground", CF, 0, foreground, "Don't daemonize"),
	ROW_INT("max-message-size", CF, 64L * 1024 * 1024, 4096,
	    1024L * 1024 * 1024, max_message_size,
	    "Largest message (bytes) sent to the broker"),
	ROW_PATH("pidfile", CF, OS_DEFAULT_PIDFILE, pidfile, "PID file"),
	ROW_INT("max-concurrent-actions", CF | CONFIG_F_EXT, 16, 1, 1024,
	    max_concurrent_actions, "Actions running at once (pxpd)"),
	ROW_INT("max-queued-actions", CF | CONFIG_F_EXT, 256, 0, 100000,
	    max_queued_actions,
	    "Actions waiting for a slot before requests are refused (pxpd)"),
	ROW_INT("max-send-queue", CF | CONFIG_F_EXT, 4LL * 1024 * 1024, 65536,
	    1024LL * 1024 * 1024, max_send_queue,
	    "Bytes waiting for the broker before requests are refused (pxpd)"),
	ROW_PATH("status-file", CF | CONFIG_F_EXT, OS_DEFAULT_NONE, status_file,
	    "Status file (JSON); empty: pxpd-status.json beside spool-dir (pxpd)"),
	ROW_PATH("metrics-file", CF | CONFIG_F_EXT, OS_DEFAULT_NONE,
	    metrics_file,
	    "Prometheus textfile metrics; empty: pxpd.prom beside spool-dir (pxpd)"),
	ROW_PATH("audit-logfile", CF | CONFIG_F_EXT, OS_DEFAULT_NONE, audit_logfile,
	    "Audit log of every request and outcome; empty = off (pxpd)"),
	ROW_INT("connect-splay", CF | CONFIG_F_EXT, 0, 0, 3600, connect_splay,
	    "First connection waits a random 0..n s (pxpd)"),
	ROW_INT("reconnect-spread", CF | CONFIG_F_EXT, 12, 1, 3600,
	    reconnect_spread,
	    "Seconds over which a fleet's reconnections spread (pxpd)"),
	ROW_INT("crl-expiry-grace", CF | CONFIG_F_EXT, 0, 0, 365L * 86400,
	    crl_expiry_grace,
	    "Seconds a CRL past its nextUpdate still counts (pxpd)"),
	ROW_INT("reconnect-backoff-cap", CF | CONFIG_F_EXT, 60, 1, 86400,
	    reconnect_backoff_cap,
	    "Longest wait (s) between reconnection attempts (pxpd)"),
	ROW_PATH("policy-file", CF | CONFIG_F_EXT, OS_DEFAULT_NONE, policy_file,
	    "Local authorization rules (JSON); empty = allow all (pxpd)"),
	ROW_INT("action-timeout", CF | CONFIG_F_EXT, 0, 0, 31L * 86400,
	    action_timeout, "Wall-clock limit (s) of every action; 0 = none (pxpd)"),
	ROW_INT("action-output-cap", CF | CONFIG_F_EXT, 64L * 1024 * 1024, 4096,
	    1024L * 1024 * 1024, action_output_cap,
	    "Bytes of stdout/stderr kept per action stream (pxpd)"),
	ROW_INT("action-memory-max", CF | CONFIG_F_EXT, 0, 0, 1LL << 46,
	    action_memory_max, "Memory limit (bytes) per action; 0 = none (pxpd)"),
	ROW_INT("action-pids-max", CF | CONFIG_F_EXT, 0, 0, 1LL << 22,
	    action_pids_max, "Process limit per action; 0 = none (pxpd)"),
	ROW_INT("action-cpu-max", CF | CONFIG_F_EXT, 0, 0, 100000,
	    action_cpu_max, "CPU limit per action, percent of one CPU; 0 = none (pxpd)"),
	ROW_BOOL("action-no-new-privs", CF | CONFIG_F_EXT, 1,
	    action_no_new_privs, "Set no_new_privs on actions (pxpd)"),
	ROW_STR("action-user", CF | CONFIG_F_EXT, "", action_user,
	    "Run actions as this user; empty = the agent's (pxpd)"),
	ROW_STR("action-group", CF | CONFIG_F_EXT, "", action_group,
	    "Run actions as this group; empty = the user's (pxpd)"),
	ROW_STR("action-cgroup", CF | CONFIG_F_EXT, "", action_cgroup,
	    "cgroup v2 per action: empty = when writable, \"off\" = never (pxpd)"),
};

const size_t config__nrows = sizeof(config__rows) / sizeof(config__rows[0]);

/* Flags of the command line that are not keys. */
enum config_cli_action {
	CONFIG_CLI_RUN,
	CONFIG_CLI_HELP,
	CONFIG_CLI_VERSION,
};

static void *
config_field(struct pxpd_config *cfg, const struct config__row *row)
{
	return (char *)cfg + row->off;
}

static const void *
config_cfield(const struct pxpd_config *cfg, const struct config__row *row)
{
	return (const char *)cfg + row->off;
}

const struct config__row *
config__row_find(const char *name)
{
	size_t i;

	for (i = 0; i < config__nrows; i++)
		if (strcmp(config__rows[i].name, name) == 0)
			return &config__rows[i];
	return NULL;
}

int
config__err(struct config__ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err != NULL && ctx->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(ctx->err, ctx->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int
config__str_set(struct pxpd_config *cfg, const struct config__row *row,
    const char *value)
{
	char **field, *copy;

	if (row->off == CONFIG_NO_FIELD)
		return 0;
	field = config_field(cfg, row);
	if (row->type == CONFIG_T_PATH)
		copy = config__tilde_expand(value);
	else
		copy = strdup(value);
	if (copy == NULL)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static void
config_list_clear(struct pxpd_config *cfg, const struct config__row *row)
{
	char **list = config_field(cfg, row);
	int *count = (int *)((char *)cfg + row->count_off);
	int i;

	for (i = 0; i < *count; i++) {
		free(list[i]);
		list[i] = NULL;
	}
	*count = 0;
}

int
config__list_set(struct pxpd_config *cfg, const struct config__row *row,
    const char *const *values, int n)
{
	char **list = config_field(cfg, row);
	int *count = (int *)((char *)cfg + row->count_off);
	int i;

	if (n > PXPD_MAX_URIS)
		return -E2BIG;
	config_list_clear(cfg, row);
	for (i = 0; i < n; i++) {
		if ((list[i] = strdup(values[i])) == NULL)
			return -ENOMEM;
		*count = i + 1;
	}
	return 0;
}

int
config__note_add(char **notes, int *n, const char *text)
{
	if (*n >= PXPD_CONFIG_MAX_NOTES)
		return 0;       /* enough to point at the problem */
	if ((notes[*n] = strdup(text)) == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

int
config__defaults_apply(struct pxpd_config *cfg, bool root, const char *home)
{
	const struct config__row *row;
	char buf[PATH_MAX];
	size_t i;

	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (row->off == CONFIG_NO_FIELD)
			continue;
		switch (row->type) {
		case CONFIG_T_PATH:
			/* A location the platform cannot tell (too long) is
			 * left empty: the checks then name the key. */
			if (os_default_path(row->def_path, root, home, buf,
			    sizeof(buf)) != 0)
				buf[0] = '\0';
			if (config__str_set(cfg, row, buf) < 0)
				return -ENOMEM;
			break;
		case CONFIG_T_STR:
			if (config__str_set(cfg, row, row->def_str) < 0)
				return -ENOMEM;
			break;
		case CONFIG_T_INT:
			*(long long *)config_field(cfg, row) = row->def_int;
			break;
		case CONFIG_T_BOOL:
			*(bool *)config_field(cfg, row) = row->def_int != 0;
			break;
		case CONFIG_T_PCPVER:
			*(int *)config_field(cfg, row) = (int)row->def_int;
			break;
		case CONFIG_T_STRLIST:
			config_list_clear(cfg, row);
			break;
		}
	}
	return 0;
}

/* malloc'd; NULL when unknown. */
static char *
config_home(void)
{
	const char *home = getenv("HOME");

	if (home != NULL && *home == '/')
		return strdup(home);
	return config__passwd_home();
}

/* HorseWhisperer (pxp-agent's parser) takes integers as plain digits. */
static int
config_cli_int(const char *s, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void
config_usage_print(const struct pxpd_config *cfg, FILE *out)
{
	const struct config__row *row;
	size_t i;

	fprintf(out, "Usage: pxpd [options]\n\nOptions:\n");
	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (!(row->flags & CONFIG_F_CLI) ||
		    (row->flags & CONFIG_F_HIDDEN))
			continue;
		switch (row->type) {
		case CONFIG_T_BOOL:
			fprintf(out, "  --%s\n      %s\n", row->name, row->help);
			break;
		case CONFIG_T_INT:
			fprintf(out, "  --%s <int>\n      %s, default: %lld\n",
			    row->name, row->help,
			    *(const long long *)config_cfield(cfg, row));
			break;
		case CONFIG_T_PCPVER:
			fprintf(out, "  --%s <str>\n      %s, default: %d\n",
			    row->name, row->help,
			    *(const int *)config_cfield(cfg, row));
			break;
		default: {
			const char *def = row->off == CONFIG_NO_FIELD ? "" :
			    *(char *const *)config_cfield(cfg, row);
			if (def != NULL && *def != '\0')
				fprintf(out, "  --%s <str>\n      %s, default: "
				    "%s\n", row->name, row->help, def);
			else
				fprintf(out, "  --%s <str>\n      %s\n",
				    row->name, row->help);
			break;
		}
		}
	}
	fprintf(out, "  -n, --check\n      Validate the configuration and "
	    "exit (pxpd)\n");
	fprintf(out, "  -h, --help\n      Show this message\n");
	fprintf(out, "  --version\n      Display version information\n");
	fprintf(out, "\nKeys set only in the config file: broker-ws-uris, "
	    "primary-uris, master-uris.\n");
}

/* Walks argv as pxp-agent's HorseWhisperer does: "-x" and "--x" alike,
 * "--k v" or "--k=v", booleans bare or "=true|false", the implicit action
 * "start". Values land in cli_vals (pointers into argv, the last one
 * wins); syntax and types are checked here so errors come out before the
 * file is read. Returns PXPD_EXIT_OK or _PARSE. */
static int
config_cli_parse(struct config__ctx *ctx, int argc, char **argv,
    const char **cli_vals, enum config_cli_action *action)
{
	const struct config__row *row;
	const char *arg, *eq, *value;
	char name[128];
	size_t namelen;
	long long l;
	int i;

	*action = CONFIG_CLI_RUN;
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			if (strcmp(arg, "start") == 0)
				continue;
			return config__err(ctx, PXPD_EXIT_PARSE,
			    "unknown action: %s", arg);
		}
		arg += arg[1] == '-' ? 2 : 1;
		eq = strchr(arg, '=');
		namelen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		if (namelen == 0 || namelen >= sizeof(name))
			return config__err(ctx, PXPD_EXIT_PARSE,
			    "unknown flag: %.64s", argv[i]);
		memcpy(name, arg, namelen);
		name[namelen] = '\0';
		value = eq != NULL ? eq + 1 : NULL;

		if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
			*action = CONFIG_CLI_HELP;
			return PXPD_EXIT_OK;
		}
		if (strcmp(name, "version") == 0 || strcmp(name, "V") == 0) {
			*action = CONFIG_CLI_VERSION;
			return PXPD_EXIT_OK;
		}
		if (strcmp(name, "n") == 0 || strcmp(name, "check") == 0) {
			ctx->cfg->check_only = true;
			continue;
		}
		if (strcmp(name, "status") == 0) {
			ctx->cfg->status_only = true;
			continue;
		}
		/* -v, -vv, --verbose, --vlevel N: HorseWhisperer's verbosity,
		 * which pxp-agent ignores in favour of loglevel. */
		if (strspn(name, "v") == namelen ||
		    strcmp(name, "verbose") == 0)
			continue;
		if (strcmp(name, "vlevel") == 0) {
			if (value == NULL && (value = argv[++i]) == NULL)
				return config__err(ctx, PXPD_EXIT_PARSE,
				    "missing value for flag: vlevel");
			if (config_cli_int(value, &l) < 0)
				return config__err(ctx, PXPD_EXIT_PARSE,
				    "flag 'vlevel' expects a value of type "
				    "integer");
			continue;
		}

		row = config__row_find(name);
		if (row == NULL || !(row->flags & CONFIG_F_CLI))
			return config__err(ctx, PXPD_EXIT_PARSE,
			    "unknown flag: %s", name);
		if (row->type == CONFIG_T_BOOL) {
			/* "--foreground" and "--foreground=" mean true. */
			if (value == NULL || *value == '\0')
				value = "true";
			if (strcmp(value, "true") != 0 &&
			    strcmp(value, "false") != 0)
				return config__err(ctx, PXPD_EXIT_PARSE,
				    "flag '%s' expects a value of 'true' or "
				    "'false'", name);
			cli_vals[row - config__rows] = value;
			continue;
		}
		if (value == NULL && (value = argv[++i]) == NULL)
			return config__err(ctx, PXPD_EXIT_PARSE,
			    "missing value for flag: %s", name);
		if (row->type == CONFIG_T_INT && config_cli_int(value, &l) < 0)
			return config__err(ctx, PXPD_EXIT_PARSE,
			    "flag '%s' expects a value of type integer", name);
		cli_vals[row - config__rows] = value;
	}
	return PXPD_EXIT_OK;
}

/* Applies the checked argv values over the file's. */
static int
config_cli_apply(struct config__ctx *ctx, const char **cli_vals)
{
	const struct config__row *row;
	size_t i;
	long long l = 0;

	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (cli_vals[i] == NULL || row->off == CONFIG_NO_FIELD)
			continue;
		switch (row->type) {
		case CONFIG_T_BOOL:
			*(bool *)config_field(ctx->cfg, row) =
			    strcmp(cli_vals[i], "true") == 0;
			break;
		case CONFIG_T_INT:
			config_cli_int(cli_vals[i], &l);
			*(long long *)config_field(ctx->cfg, row) = l;
			break;
		case CONFIG_T_PCPVER:
			/* 0 = invalid, reported by config__finish */
			*(int *)config_field(ctx->cfg, row) =
			    strcmp(cli_vals[i], "1") == 0 ? 1 :
			    strcmp(cli_vals[i], "2") == 0 ? 2 : 0;
			break;
		case CONFIG_T_STRLIST:
			break;          /* file only */
		default:
			if (config__str_set(ctx->cfg, row, cli_vals[i]) < 0)
				return config__err(ctx, PXPD_EXIT_FAILURE,
				    "out of memory");
		}
	}
	return PXPD_EXIT_OK;
}

int
config_load(struct pxpd_config *cfg, int argc, char **argv,
    bool *want_exit, char *err, size_t errlen)
{
	struct config__ctx ctx = { .cfg = cfg, .err = err, .errlen = errlen };
	const char **cli_vals = NULL;
	enum config_cli_action action;
	char *home = NULL;
	bool root = os_user_privileged(), explicit;
	size_t cf;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	*want_exit = false;
	if (err != NULL && errlen > 0)
		*err = '\0';
	ctx.in_file = calloc(config__nrows, sizeof(bool));
	ctx.on_cli = calloc(config__nrows, sizeof(bool));
	cli_vals = calloc(config__nrows, sizeof(*cli_vals));
	if (ctx.in_file == NULL || ctx.on_cli == NULL || cli_vals == NULL) {
		rc = config__err(&ctx, PXPD_EXIT_FAILURE, "out of memory");
		goto cleanup;
	}
	if (!root && (home = config_home()) == NULL) {
		rc = config__err(&ctx, PXPD_EXIT_CONFIG,
		    "failure getting HOME directory");
		goto cleanup;
	}
	if (config__defaults_apply(cfg, root, home) < 0) {
		rc = config__err(&ctx, PXPD_EXIT_FAILURE, "out of memory");
		goto cleanup;
	}

	if ((rc = config_cli_parse(&ctx, argc, argv, cli_vals, &action)) != 0)
		goto cleanup;
	if (action == CONFIG_CLI_HELP) {
		config_usage_print(cfg, stdout);
		*want_exit = true;
		goto cleanup;
	}
	if (action == CONFIG_CLI_VERSION) {
		printf("pxpd %s\n", PXPD_VERSION);
		*want_exit = true;
		goto cleanup;
	}
	for (size_t i = 0; i < config__nrows; i++)
		ctx.on_cli[i] = cli_vals[i] != NULL;

	cf = (size_t)(config__row_find("config-file") - config__rows);
	explicit = cli_vals[cf] != NULL;
	if (explicit && config__str_set(cfg, &config__rows[cf],
	    cli_vals[cf]) < 0) {
		rc = config__err(&ctx, PXPD_EXIT_FAILURE, "out of memory");
		goto cleanup;
	}
	if ((rc = config__file_apply(&ctx, cfg->config_file, explicit)) != 0)
		goto cleanup;
	if ((rc = config_cli_apply(&ctx, cli_vals)) != 0)
		goto cleanup;
	if ((rc = config__finish(&ctx)) != 0)
		goto cleanup;

	if (cfg->check_only) {
		if ((rc = config_dirs_prepare(cfg, false, err, errlen)) != 0)
			goto cleanup;
		printf("pxpd: configuration OK (%s)\n", cfg->config_file_found ?
		    cfg->config_file : "no config file");
		*want_exit = true;
	}
	rc = PXPD_EXIT_OK;
cleanup:
	free(home);
	free(ctx.in_file);
	free(ctx.on_cli);
	free(cli_vals);
	return rc;
}

void
config_dump(const struct pxpd_config *cfg, FILE *out)
{
	const struct config__row *row;
	size_t i;
	int j, n;

	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (row->off == CONFIG_NO_FIELD)
			continue;
		/* master-uris shares its field with primary-uris. */
		if (i > 0 && row->off == config__rows[i - 1].off)
			continue;
		fprintf(out, "%s = ", row->name);
		switch (row->type) {
		case CONFIG_T_INT:
			fprintf(out, "%lld\n",
			    *(const long long *)config_cfield(cfg, row));
			break;
		case CONFIG_T_BOOL:
			fprintf(out, "%s\n",
			    *(const bool *)config_cfield(cfg, row) ?
			    "true" : "false");
			break;
		case CONFIG_T_PCPVER:
			fprintf(out, "%d\n",
			    *(const int *)config_cfield(cfg, row));
			break;
		case CONFIG_T_STRLIST:
			n = *(const int *)((const char *)cfg + row->count_off);
			fputc('[', out);
			for (j = 0; j < n; j++)
				fprintf(out, "%s%s", j ? ", " : "",
				    ((char *const *)config_cfield(cfg, row))[j]);
			fputs("]\n", out);
			break;
		default: {
			const char *s = *(char *const *)config_cfield(cfg, row);
			fprintf(out, "%s\n", s ? s : "");
		}
		}
	}
}

void
config_free(struct pxpd_config *cfg)
{
	const struct config__row *row;
	size_t i;
	int j;

	if (cfg == NULL)
		return;
	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (row->off == CONFIG_NO_FIELD)
			continue;
		if (row->type == CONFIG_T_STR || row->type == CONFIG_T_PATH) {
			char **field = config_field(cfg, row);
			free(*field);
			*field = NULL;
		} else if (row->type == CONFIG_T_STRLIST) {
			config_list_clear(cfg, row);
		}
	}
	free(cfg->common_name);
	for (j = 0; j < cfg->n_unknown_keys; j++)
		free(cfg->unknown_keys[j]);
	for (j = 0; j < cfg->n_warnings; j++)
		free(cfg->warnings[j]);
	memset(cfg, 0, sizeof(*cfg));
}
