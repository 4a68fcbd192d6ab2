/* config_check.c: normalizes and validates the merged configuration (the
 * part pxp-agent does in validate(), exit 3) and prepares its directories.
 * Not the parsing of flags or file (config.c, config_file.c) nor the TLS
 * files (config_tls.c). Invariant: after config__finish() returns 0 every
 * broker URI starts with wss://, every primary URI reads
 * https://host:port, pcp_version is 1 or 2, log_lvl and the purge TTLs are
 * parsed and every integer is within its row's bounds. */
#include "config/config_int.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <uv.h>

#include "os/os.h"

char *
config__passwd_home(void)
{
	uv_passwd_t pw;
	char *home;

	if (uv_os_get_passwd(&pw) != 0)
		return NULL;
	home = pw.homedir ? strdup(pw.homedir) : NULL;
	uv_os_free_passwd(&pw);
	return home;
}

char *
config__tilde_expand(const char *path)
{
	const char *home;
	char *db = NULL, *out;
	size_t hl, pl;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return strdup(path);    /* ~user is not expanded (pxp-agent) */
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		home = db = config__passwd_home();
	if (home == NULL)
		return strdup(path);
	hl = strlen(home);
	pl = strlen(path + 1);
	if ((out = malloc(hl + pl + 1)) != NULL) {
		memcpy(out, home, hl);
		memcpy(out + hl, path + 1, pl + 1);
	}
	free(db);
	return out;
}

long
config_ttl_parse(const char *s)
{
	long n = 0, mult;
	size_t digits = 0;

	if (s == NULL)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 9)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (digits == 0 || s[0] == '\0' || s[1] != '\0')
		return -1;
	switch (s[0]) {
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -1;
	}
	if (n > LONG_MAX / mult)
		return -1;
	return n * mult;
}

static int
config_wss_check(struct config__ctx *ctx, const char *key, const char *uri)
{
	if (strncmp(uri, "wss://", 6) != 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s value \"%s\" must start with wss://", key, uri);
	if (uri[6] == '\0' || uri[6] == '/' || uri[6] == ':')
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s value \"%s\" has no host", key, uri);
	return PXPD_EXIT_OK;
}

static int
config_brokers_finish(struct config__ctx *ctx)
{
	struct pxpd_config *cfg = ctx->cfg;
	const char *one[1];
	int i, rc;

	/* A broker-ws-uri (the command line's, or the file's when the file
	 * has no list) replaces the list. */
	if (*cfg->broker_ws_uri != '\0') {
		if ((rc = config_wss_check(ctx, "broker-ws-uri",
		    cfg->broker_ws_uri)) != 0)
			return rc;
		one[0] = cfg->broker_ws_uri;
		if (config__list_set(cfg, config__row_find("broker-ws-uris"),
		    one, 1) < 0)
			return config__err(ctx, PXPD_EXIT_FAILURE,
			    "out of memory");
	}
	for (i = 0; i < cfg->n_broker_ws_uris; i++)
		if ((rc = config_wss_check(ctx, "broker-ws-uris",
		    cfg->broker_ws_uris[i])) != 0)
			return rc;
	if (cfg->n_broker_ws_uris == 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "broker-ws-uri or broker-ws-uris must be defined");
	return PXPD_EXIT_OK;
}

/* "host", "host:8141", "https://host/" -> "https://host:8140" etc.; any
 * other scheme is refused. Returns a malloc'd string, or NULL with *bad
 * naming the problem. */
static char *
config_primary_normalize(const char *in, const char **bad)
{
	const char *rest = in, *sep, *auth_end, *port = NULL, *path;
	size_t auth_len, i;
	char *out;
	long p;

	if ((sep = strstr(in, "://")) != NULL) {
		if ((size_t)(sep - in) != 5 || strncasecmp(in, "https", 5) != 0) {
			*bad = "must start with https://";
			return NULL;
		}
		rest = sep + 3;
	}
	auth_end = rest + strcspn(rest, "/?#");
	auth_len = (size_t)(auth_end - rest);
	path = auth_end;
	if (auth_len == 0) {
		*bad = "has no host";
		return NULL;
	}
	if (rest[0] == '[') {           /* [v6]:port */
		const char *close = memchr(rest, ']', auth_len);
		if (close == NULL) {
			*bad = "is not a valid URI";
			return NULL;
		}
		if (close + 1 < auth_end) {
			if (close[1] != ':') {
				*bad = "is not a valid URI";
				return NULL;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(rest, ':', auth_len);
		if (colon != NULL)
			port = colon + 1;
	}
	if (port != NULL) {
		p = 0;
		for (i = 0; port + i < auth_end; i++) {
			if (port[i] < '0' || port[i] > '9' || i >= 5) {
				*bad = "has a bad port";
				return NULL;
			}
			p = p * 10 + (port[i] - '0');
		}
		if (i == 0 || p < 1 || p > 65535) {
			*bad = "has a bad port";
			return NULL;
		}
	}
	if (strcmp(path, "/") == 0)
		path = "";              /* callers append "/puppet/v3/..." */
	if ((out = malloc(8 + auth_len + 5 + strlen(path) + 1)) == NULL) {
		*bad = "out of memory";
		return NULL;
	}
	sprintf(out, "https://%.*s%s%s", (int)auth_len, rest,
	    port == NULL ? ":8140" : "", path);
	return out;
}

static int
config_primaries_finish(struct config__ctx *ctx)
{
	struct pxpd_config *cfg = ctx->cfg;
	const char *key, *bad = NULL;
	char *norm;
	int i;

	key = ctx->in_file[config__row_find("primary-uris") - config__rows] ?
	    "primary-uris" : "master-uris";
	for (i = 0; i < cfg->n_master_uris; i++) {
		norm = config_primary_normalize(cfg->master_uris[i], &bad);
		if (norm == NULL)
			return config__err(ctx, PXPD_EXIT_CONFIG,
			    "%s value \"%s\" %s", key, cfg->master_uris[i],
			    bad);
		free(cfg->master_uris[i]);
		cfg->master_uris[i] = norm;
	}
	return PXPD_EXIT_OK;
}

static int
config_logging_finish(struct config__ctx *ctx)
{
	struct pxpd_config *cfg = ctx->cfg;

	cfg->log_lvl = log_level_parse(cfg->loglevel);
	if (cfg->log_lvl < 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "invalid log level: '%s'", cfg->loglevel);
	/* pxp-agent: "eventlog" only on Windows, "syslog" only elsewhere. */
	if ((!strcmp(cfg->logfile, "eventlog") ||
	    !strcmp(cfg->logfile, "syslog")) &&
	    strcmp(cfg->logfile, os_syslog_name()) != 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "logfile: %s is not available on this platform (use %s)",
		    cfg->logfile, os_syslog_name());
	if (*cfg->logfile == '\0')
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "logfile: must not be empty");
	if (strcmp(cfg->logfile, os_syslog_name()) == 0 &&
	    log_facility_parse(cfg->syslog_facility) < 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "syslog-facility: unknown facility '%s'",
		    cfg->syslog_facility);
	if (cfg->log_pcp_access && *cfg->pcp_access_logfile == '\0')
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "pcp-access-logfile: must not be empty with log-pcp-access");
	return PXPD_EXIT_OK;
}

/* Integer bounds and paths that may not be empty, straight from the
 * table. */
static int
config_rows_check(struct config__ctx *ctx)
{
	const struct config__row *row;
	const char *s;
	size_t i;
	long long v;

	for (i = 0; i < config__nrows; i++) {
		row = &config__rows[i];
		if (row->off == CONFIG_NO_FIELD)
			continue;
		if (row->type == CONFIG_T_INT) {
			v = *(long long *)((char *)ctx->cfg + row->off);
			if (v < row->min || v > row->max)
				return config__err(ctx, PXPD_EXIT_CONFIG,
				    "%s: must be between %lld and %lld (got %lld)",
				    row->name, row->min, row->max, v);
		} else if (row->type == CONFIG_T_PATH &&
		    row->def_path != OS_DEFAULT_NONE) {
			s = *(char **)((char *)ctx->cfg + row->off);
			if (*s == '\0')
				return config__err(ctx, PXPD_EXIT_CONFIG,
				    "%s: must not be empty", row->name);
		}
	}
	return PXPD_EXIT_OK;
}

int
config__finish(struct config__ctx *ctx)
{
	struct pxpd_config *cfg = ctx->cfg;
	int rc;

	if ((rc = config_logging_finish(ctx)) != 0)
		return rc;
	if ((rc = config_brokers_finish(ctx)) != 0)
		return rc;
	if ((rc = config_primaries_finish(ctx)) != 0)
		return rc;
	if (cfg->pcp_version != 1 && cfg->pcp_version != 2)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "pcp-version must be either '1' or '2'");
	if ((rc = config_rows_check(ctx)) != 0)
		return rc;
	if ((cfg->spool_purge_ttl_s = config_ttl_parse(
	    cfg->spool_dir_purge_ttl)) < 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "invalid spool-dir-purge-ttl: '%s' (expected <n>m, <n>h "
		    "or <n>d)", cfg->spool_dir_purge_ttl);
	if ((cfg->task_cache_purge_ttl_s = config_ttl_parse(
	    cfg->task_cache_dir_purge_ttl)) < 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "invalid task-cache-dir-purge-ttl: '%s' (expected <n>m, "
		    "<n>h or <n>d)", cfg->task_cache_dir_purge_ttl);
	if (strcmp(cfg->action_cgroup, "") && strcmp(cfg->action_cgroup,
	    "auto") && strcmp(cfg->action_cgroup, "off"))
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "action-cgroup must be \"\", \"auto\" or \"off\", not '%s'",
		    cfg->action_cgroup);
	return config__tls_check(ctx);
}

static int
config_dir_check(const char *key, const char *path, bool must_exist,
    bool create, char *err, size_t errlen)
{
	struct os_fileinfo info;
	int rc;

	if (os_path_info(path, true, &info) == 0) {
		if (info.type == OS_FTYPE_DIR)
			return 0;
		snprintf(err, errlen, "the %s '%s' is not a directory", key,
		    path);
		return PXPD_EXIT_CONFIG;
	}
	if (must_exist) {
		snprintf(err, errlen, "the %s '%s' does not exist", key, path);
		return PXPD_EXIT_CONFIG;
	}
	if (create && (rc = os_mkdir_p(path, OS_MODE_DIR_GROUP,
	    OS_MODE_DIR_GROUP)) < 0) {
		snprintf(err, errlen, "failed to create the %s '%s': %s", key,
		    path, strerror(-rc));
		return PXPD_EXIT_CONFIG;
	}
	return 0;
}

char *
config_path_beside_spool(const struct pxpd_config *cfg, const char *name)
{
	const char *s = cfg->spool_dir ? cfg->spool_dir : ".";
	size_t n = strlen(s);

	while (n > 1 && (s[n - 1] == '/' || s[n - 1] == '\\'))
		n--;
	while (n > 0 && s[n - 1] != '/' && s[n - 1] != '\\')
		n--;
	if (n == 0)
		return util_strdup(name);
	return util_asprintf("%.*s%s", (int)n, s, name);
}

int
config_dirs_prepare(const struct pxpd_config *cfg, bool create, char *err,
    size_t errlen)
{
	char probe[PATH_MAX], *slash, dir[PATH_MAX];
	struct os_fileinfo info;
	int rc;

	if ((rc = config_dir_check("modules-dir", cfg->modules_dir, true,
	    create, err, errlen)) != 0 ||
	    (rc = config_dir_check("modules-config-dir",
	    cfg->modules_config_dir, false, create, err, errlen)) != 0 ||
	    (rc = config_dir_check("task-cache-dir", cfg->task_cache_dir,
	    false, create, err, errlen)) != 0 ||
	    (rc = config_dir_check("spool-dir", cfg->spool_dir, false, create,
	    err, errlen)) != 0)
		return rc;

	/* Writable: create and remove a probe directory, as pxp-agent. */
	if (os_path_info(cfg->spool_dir, true, &info) == 0) {
		snprintf(probe, sizeof(probe), "%s/.pxpd-probe-%ld-%ld",
		    cfg->spool_dir, (long)uv_os_getpid(), (long)time(NULL));
		if (os_create_private(probe, OS_FTYPE_DIR, NULL) != 0 ||
		    os_rmdir(probe) != 0) {
			snprintf(err, errlen, "the spool-dir '%s' is not "
			    "writable", cfg->spool_dir);
			return PXPD_EXIT_CONFIG;
		}
	}

	if (!cfg->foreground && *cfg->pidfile != '\0') {
		if (os_path_info(cfg->pidfile, true, &info) == 0 &&
		    info.type != OS_FTYPE_REG) {
			snprintf(err, errlen, "the PID file '%s' is not a "
			    "regular file", cfg->pidfile);
			return PXPD_EXIT_CONFIG;
		}
		snprintf(dir, sizeof(dir), "%s", cfg->pidfile);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if ((rc = config_dir_check("pidfile directory", dir,
			    false, create, err, errlen)) != 0)
				return rc;
		}
	}
	return 0;
}
