/* health.h: how pxpd is doing, for people and monitoring, without a port:
 * a status file (JSON, replaced atomically), a Prometheus textfile-
 * collector file with the same figures (node_exporter's conventions), and
 * `pxpd --status`, which reads the former. Entry gathers the figures from
 * conn and engine; this part only formats, writes and reads them. */
#ifndef PXPD_HEALTH_H
#define PXPD_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

struct health_figures {
	const char *state;          /* connected, connecting, reconnecting,
	                             * stopping */
	const char *broker;
	uint64_t started_ms, connected_since_ms;   /* wall clock; 0: never */
	uint64_t connects, failures, messages_in, messages_out;
	uint64_t bytes_in, bytes_out;
	const char *tls, *last_error;              /* "" when none */
	int running, queued;
	uint64_t requests, succeeded, failed, cancelled;
	long owed;                  /* owed responses in the spool; -1: unknown */
	int64_t spool_bytes, cache_bytes;          /* -1: not measured yet */
	uint64_t rss_bytes;
	int64_t cert_not_after;     /* ssl-cert's end, seconds since the epoch */
	long pid;
};

/* The files' paths: status-file / metrics-file, or beside the spool. */
char *health_status_path(const struct pxpd_config *cfg);
char *health_metrics_path(const struct pxpd_config *cfg);

/* Writes both files (each replaced atomically); 0 or a negative errno. */
int health_write(const struct pxpd_config *cfg,
    const struct health_figures *f);

/* Bytes of the files below path (never following a symlink); with
 * owed, also the transactions there that hold an owed response (the
 * spool's <tid>/owed). -1 when path cannot be read. Blocking: for
 * libuv's thread pool. */
int64_t health_du(const char *path, long *owed);

/* pxpd --status: prints the status file for people on out; returns 0
 * when pxpd runs and is connected, 1 when it runs and is not, 3 when it
 * does not run (its pidfile is not locked) or the file is unreadable. */
int health_print(const struct pxpd_config *cfg, FILE *out);

/* Seconds to ssl-cert's end at which a warning starts (30 days). */
#define HEALTH_CERT_WARN_S (30L * 86400)

#endif
