/* config.h: pxp-agent.conf keys, defaults, command-line flags, validation.
 * Precedence: built-in defaults < config file (JSON) < command line.
 * Every key is one row of the table in config.c. */
#ifndef PXPD_CONFIG_H
#define PXPD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/* pxp-agent's exit codes. */
enum pxpd_exit {
	PXPD_EXIT_OK = 0,
	PXPD_EXIT_FAILURE = 1,
	PXPD_EXIT_PARSE = 2,      /* CLI or config file parse failure */
	PXPD_EXIT_CONFIG = 3,     /* invalid configuration, TLS config, association refused */
	PXPD_EXIT_DAEMON = 4,     /* daemonization failure */
};

#define PXPD_MAX_URIS 16
#define PXPD_CONFIG_MAX_NOTES 16    /* unknown keys / warnings kept */

/* Every string field is non-NULL after config_load() returned 0 ("" means
 * unset), every path is ~-expanded, and all memory belongs to the struct
 * (config_free). */
struct pxpd_config {
	char *config_file;
	bool config_file_found;             /* false: defaults + CLI only */

	char *broker_ws_uris[PXPD_MAX_URIS];  /* failover order, all wss:// */
	int n_broker_ws_uris;
	char *broker_ws_uri;                /* the single-URI key as given */
	/* primary-uris wins over master-uris; normalized https://host:port */
	char *master_uris[PXPD_MAX_URIS];
	int n_master_uris;
	int pcp_version;                    /* 1 or 2 */

	char *ssl_ca_cert, *ssl_cert, *ssl_key, *ssl_crl;
	char *broker_ws_proxy, *master_proxy;

	char *modules_dir, *modules_config_dir, *spool_dir, *task_cache_dir;
	char *spool_dir_purge_ttl, *task_cache_dir_purge_ttl;  /* "14d" */
	long spool_purge_ttl_s, task_cache_purge_ttl_s;        /* parsed, 0 = off */

	char *logfile, *loglevel, *syslog_facility;
	int log_lvl;                        /* loglevel as enum log_level */
	bool log_pcp_access;
	char *pcp_access_logfile;
	bool foreground;
	char *pidfile;

	/* Integer keys are long long: 64 bits on LLP64 Windows as well. */
	long long connection_timeout;       /* s */
	long long ping_interval;            /* s */
	long long allowed_keepalive_timeouts;
	long long association_timeout;      /* s */
	long long association_request_ttl;  /* s, accepted, unused (as pxp-agent) */
	long long pcp_message_ttl;          /* s */
	long long max_message_size;         /* bytes */
	long long task_download_connect_timeout; /* s */
	long long task_download_timeout;    /* s */

	/* pxpd extensions (documented in config/pxpd.conf and README) */
	long long max_concurrent_actions;
	long long max_queued_actions;
	long long max_send_queue;           /* bytes */
	char *audit_logfile;                /* "" = off */
	long long connect_splay;            /* s: first connect waits random [0, splay] (default 0) */
	long long reconnect_spread;         /* s: see struct reconnect (backoff.h) */
	long long crl_expiry_grace;         /* s: tls_crl_load() */
	char *status_file, *metrics_file;   /* health.h; "": beside spool-dir */
	long long reconnect_backoff_cap;
	char *policy_file;                  /* "" = everything allowed */
	/* Sandbox and limits of every action (0 / "" = none) */
	long long action_timeout;           /* s, wall clock */
	long long action_output_cap;        /* bytes kept per stream */
	long long action_memory_max;        /* bytes (cgroup v2 memory.max, else RLIMIT_AS) */
	long long action_pids_max;          /* cgroup v2 pids.max, else RLIMIT_NPROC */
	long long action_cpu_max;           /* percent of one CPU (cgroup v2 cpu.max) */
	bool action_no_new_privs;           /* PR_SET_NO_NEW_PRIVS */
	char *action_user, *action_group;   /* run actions as */
	char *action_cgroup;                /* "" = auto (own cgroup when writable), "off" */         /* s: ceiling of the jittered reconnect delay (default 60) */

	/* Filled by config_load(): the client identity from ssl-cert. */
	char *common_name;

	/* -n / --check: config_load() validated everything, printed
	 * "configuration OK" and set *want_exit. */
	bool check_only;
	/* --status: the caller prints the status file (health.h). */
	bool status_only;
	/* ssl-cert's notAfter, seconds since the epoch (config_tls.c). */
	int64_t cert_not_after;

	/* For the caller to log once the log is open (config_load runs
	 * before it): keys of the file that pxpd does not know (ignored), and
	 * warnings such as a world-readable ssl-key. */
	char *unknown_keys[PXPD_CONFIG_MAX_NOTES];
	int n_unknown_keys;
	char *warnings[PXPD_CONFIG_MAX_NOTES];
	int n_warnings;
};

/* Loads defaults, the config file named by --config-file (or the default
 * path), then argv. On failure returns a pxpd_exit code (2 or 3) and
 * writes one line naming the key and the problem into err. Sets
 * *want_exit for --help/--version/--check (their text is printed to
 * stdout). cfg is overwritten; call config_free() whatever this returned.
 * Reads the TLS files but creates nothing (see config_dirs_prepare). */
int config_load(struct pxpd_config *cfg, int argc, char **argv,
    bool *want_exit, char *err, size_t errlen);

/* The directory checks of pxp-agent's validation: modules-dir must exist;
 * modules-config-dir, spool-dir, task-cache-dir and the pidfile's directory
 * (unless foreground) are created 0750 when create is set, and spool-dir
 * must be writable. With create false only checks what exists (--check).
 * Returns 0 or PXPD_EXIT_CONFIG with err filled. */
int config_dirs_prepare(const struct pxpd_config *cfg, bool create,
    char *err, size_t errlen);

/* name in spool-dir's parent directory, where pxpd keeps what is its own
 * beside the spool (the status file, the metrics, the audit key): '/'
 * and '\\' both separate; a bare spool-dir gives name alone. Malloc'd,
 * NULL when out of memory. */
char *config_path_beside_spool(const struct pxpd_config *cfg,
    const char *name);

/* Writes the effective configuration, one "key = value" line per key of
 * the table (hidden keys included, no secrets: the config holds paths
 * only). */
void config_dump(const struct pxpd_config *cfg, FILE *out);

/* Parses a purge TTL "<n>m|h|d" into seconds (0 = purge off); -1 on bad
 * syntax. */
long config_ttl_parse(const char *s);

/* Frees every field and zeroes cfg; NULL does nothing. */
void config_free(struct pxpd_config *cfg);

#endif
