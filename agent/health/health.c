/* health.c: the status file, the metrics file and `pxpd --status`
 * (health.h). Both files are small and rewritten every few seconds, so
 * they are replaced atomically but not fsynced: a power cut loses at most
 * one round of figures, never a result. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "health/health.h"
#include "os/daemon.h"
#include "os/os.h"
#include "base/util.h"

char *
health_status_path(const struct pxpd_config *cfg)
{
	return cfg->status_file && *cfg->status_file ?
	    util_strdup(cfg->status_file) :
	    config_path_beside_spool(cfg, "pxpd-status.json");
}

char *
health_metrics_path(const struct pxpd_config *cfg)
{
	return cfg->metrics_file && *cfg->metrics_file ?
	    util_strdup(cfg->metrics_file) :
	    config_path_beside_spool(cfg, "pxpd.prom");
}

static void
health__iso(uint64_t ms, char *buf, size_t len)
{
	char t[UTIL_TIME_LEN];

	if (!ms) {
		snprintf(buf, len, "%s", "");
		return;
	}
	util_time_iso_at(t, (int64_t)(ms / 1000));
	snprintf(buf, len, "%s", t);
}

static char *
health__json(const struct health_figures *f)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char t[UTIL_TIME_LEN], *text;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "state", f->state);
	cJSON_AddStringToObject(o, "broker", f->broker ? f->broker : "");
	health__iso(f->connected_since_ms, t, sizeof(t));
	cJSON_AddStringToObject(o, "connected_since", t);
	health__iso(f->started_ms, t, sizeof(t));
	cJSON_AddStringToObject(o, "started", t);
	cJSON_AddNumberToObject(o, "pid", (double)f->pid);
	cJSON_AddNumberToObject(o, "connects", (double)f->connects);
	cJSON_AddNumberToObject(o, "reconnects", (double)(f->connects ?
	    f->connects - 1 : 0));
	cJSON_AddNumberToObject(o, "connection_failures", (double)f->failures);
	cJSON_AddNumberToObject(o, "messages_in", (double)f->messages_in);
	cJSON_AddNumberToObject(o, "messages_out", (double)f->messages_out);
	cJSON_AddNumberToObject(o, "bytes_in", (double)f->bytes_in);
	cJSON_AddNumberToObject(o, "bytes_out", (double)f->bytes_out);
	a = cJSON_AddObjectToObject(o, "actions");
	cJSON_AddNumberToObject(a, "running", f->running);
	cJSON_AddNumberToObject(a, "queued", f->queued);
	cJSON_AddNumberToObject(a, "requests", (double)f->requests);
	cJSON_AddNumberToObject(a, "succeeded", (double)f->succeeded);
	cJSON_AddNumberToObject(a, "failed", (double)f->failed);
	cJSON_AddNumberToObject(a, "cancelled", (double)f->cancelled);
	cJSON_AddNumberToObject(o, "owed_responses", (double)f->owed);
	cJSON_AddStringToObject(o, "last_error", f->last_error ?
	    f->last_error : "");
	cJSON_AddNumberToObject(o, "spool_bytes", (double)f->spool_bytes);
	cJSON_AddNumberToObject(o, "task_cache_bytes", (double)f->cache_bytes);
	cJSON_AddNumberToObject(o, "rss_bytes", (double)f->rss_bytes);
	cJSON_AddStringToObject(o, "tls", f->tls ? f->tls : "");
	health__iso((uint64_t)(f->cert_not_after > 0 ? f->cert_not_after : 0) *
	    1000, t, sizeof(t));
	cJSON_AddStringToObject(o, "cert_not_after", t);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	return text;
}

/* The metrics text grows here; a failed allocation sticks. */
struct health__buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
health__add(struct health__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
health__add(struct health__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len :
		    0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		char *q = realloc(b->p, b->cap + (size_t)n + 1024);

		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap += (size_t)n + 1024;
	}
}

/* One metric: its help and type lines, then the sample. */
static void
health__metric(struct health__buf *m, const char *name, const char *type,
    const char *help, const char *labels, double v)
{
	health__add(m, "# HELP %s %s\n# TYPE %s %s\n%s%s %.17g\n", name, help,
	    name, type, name, labels ? labels : "", v);
}

/* A label value in Prometheus's text format: \, " and newline escaped. */
static void
health__label(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (; in && *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"')
			out[o++] = '\\';
		if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
			continue;
		}
		out[o++] = *in;
	}
	out[o] = '\0';
}

static char *
health__prom(const struct health_figures *f, size_t *len)
{
	struct health__buf mb = { 0 }, *m = &mb;
	char lb[256], tls[128], labels[512];

	health__label(lb, sizeof(lb), f->broker);
	health__label(tls, sizeof(tls), f->tls);
	snprintf(labels, sizeof(labels), "{version=\"%s\",broker=\"%s\","
	    "tls=\"%s\"}", PXPD_VERSION, lb, tls);
	health__metric(m, "pxpd_info", "gauge", "pxpd's version, broker and "
	    "TLS session (value 1).", labels, 1);
	health__metric(m, "pxpd_connected", "gauge", "1 when connected to a "
	    "broker.", NULL, !strcmp(f->state, "connected"));
	health__metric(m, "pxpd_start_time_seconds", "gauge", "When pxpd "
	    "started, seconds since the epoch.", NULL,
	    (double)f->started_ms / 1000.0);
	health__metric(m, "pxpd_connected_since_seconds", "gauge", "When the "
	    "current session began (0: not connected).", NULL,
	    (double)f->connected_since_ms / 1000.0);
	health__metric(m, "pxpd_connects_total", "counter", "Sessions that "
	    "became ready.", NULL, (double)f->connects);
	health__metric(m, "pxpd_connection_failures_total", "counter",
	    "Connection attempts that failed.", NULL, (double)f->failures);
	health__metric(m, "pxpd_messages_received_total", "counter", "PCP "
	    "messages received.", NULL, (double)f->messages_in);
	health__metric(m, "pxpd_messages_sent_total", "counter", "PCP "
	    "messages sent.", NULL, (double)f->messages_out);
	health__metric(m, "pxpd_received_bytes_total", "counter", "Bytes of "
	    "PCP messages received.", NULL, (double)f->bytes_in);
	health__metric(m, "pxpd_sent_bytes_total", "counter", "Bytes of PCP "
	    "messages sent.", NULL, (double)f->bytes_out);
	health__metric(m, "pxpd_requests_total", "counter", "PXP action "
	    "requests accepted.", NULL, (double)f->requests);
	health__metric(m, "pxpd_actions_running", "gauge", "Actions running.",
	    NULL, f->running);
	health__metric(m, "pxpd_actions_queued", "gauge", "Actions waiting "
	    "for a slot.", NULL, f->queued);
	health__add(m, "# HELP pxpd_actions_total Actions ended, by outcome.\n"
	    "# TYPE pxpd_actions_total counter\n"
	    "pxpd_actions_total{outcome=\"success\"} %" PRIu64 "\n"
	    "pxpd_actions_total{outcome=\"failure\"} %" PRIu64 "\n"
	    "pxpd_actions_total{outcome=\"cancelled\"} %" PRIu64 "\n",
	    f->succeeded, f->failed, f->cancelled);
	health__metric(m, "pxpd_owed_responses", "gauge", "Final responses "
	    "waiting in the spool for a connection.", NULL, (double)f->owed);
	health__metric(m, "pxpd_spool_bytes", "gauge", "Size of the spool "
	    "(-1: not measured yet).", NULL, (double)f->spool_bytes);
	health__metric(m, "pxpd_task_cache_bytes", "gauge", "Size of the "
	    "task cache (-1: not measured yet).", NULL,
	    (double)f->cache_bytes);
	health__metric(m, "pxpd_resident_memory_bytes", "gauge", "pxpd's "
	    "resident set size.", NULL, (double)f->rss_bytes);
	health__metric(m, "pxpd_cert_expiry_timestamp_seconds", "gauge",
	    "When ssl-cert expires, seconds since the epoch.", NULL,
	    (double)f->cert_not_after);
	if (mb.oom) {
		free(mb.p);
		return NULL;
	}
	*len = mb.len;
	return mb.p;
}

int
health_write(const struct pxpd_config *cfg, const struct health_figures *f)
{
	char *json = health__json(f), *prom = NULL, *sp = NULL, *mp = NULL;
	size_t plen = 0;
	int rc = -ENOMEM;

	if (json && (prom = health__prom(f, &plen)) &&
	    (sp = health_status_path(cfg)) && (mp = health_metrics_path(cfg))) {
		rc = os_write_atomic(sp, json, strlen(json), false);
		if (rc == 0)
			rc = os_write_atomic(mp, prom, plen, false);
	}
	free(json);
	free(prom);
	free(sp);
	free(mp);
	return rc;
}

static int64_t
health__du(const char *path, int depth)
{
	static const enum os_ftype kinds[] = { OS_FTYPE_REG, OS_FTYPE_DIR };
	struct os_fileinfo fi;
	int64_t sum = 0, sub;
	char **names, *child;
	size_t n, i, k;

	if (depth > 32)
		return 0;
	for (k = 0; k < 2; k++) {
		if (os_dir_list(path, kinds[k], &names, &n) != 0)
			return k == 0 ? -1 : sum;
		for (i = 0; i < n; i++) {
			if (!(child = util_asprintf("%s/%s", path, names[i])))
				continue;
			if (kinds[k] == OS_FTYPE_REG) {
				if (os_path_info(child, false, &fi) == 0)
					sum += (int64_t)fi.size;
			} else if ((sub = health__du(child, depth + 1)) > 0)
				sum += sub;
			free(child);
		}
		os_names_free(names, n);
	}
	return sum;
}

int64_t
health_du(const char *path, long *owed)
{
	struct os_fileinfo fi;
	char **names, *o;
	size_t n, i;

	if (owed) {
		*owed = 0;
		if (os_dir_list(path, OS_FTYPE_DIR, &names, &n) == 0) {
			for (i = 0; i < n; i++)
				if ((o = util_asprintf("%s/%s/owed", path,
				    names[i]))) {
					*owed += os_path_info(o, false, &fi) == 0;
					free(o);
				}
			os_names_free(names, n);
		} else
			*owed = -1;
	}
	return health__du(path, 0);
}

/* "3 h 12 min", "41 s" */
static void
health__ago(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 " d %" PRId64 " h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 " h %" PRId64 " min", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 " min %" PRId64 " s", s / 60,
		    s % 60);
	else
		snprintf(buf, len, "%" PRId64 " s", s);
}

/* "1.2 GB", "840 kB" */
static void
health__bytes(double b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;

	if (b < 0) {
		snprintf(buf, len, "not measured yet");
		return;
	}
	while (b >= 1000 && u < 4) {
		b /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

static double
health__num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *
health__str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int
health_print(const struct pxpd_config *cfg, FILE *out)
{
	char *path = health_status_path(cfg), *text = NULL, b1[32], b2[32];
	const cJSON *a;
	cJSON *o = NULL;
	size_t len;
	bool cut;
	long pid = 0;
	int running = cfg->pidfile && *cfg->pidfile ?
	    daemon_lock_probe(cfg->pidfile, &pid) : -ENOENT, rc = 3;
	int64_t now = (int64_t)(util_now_ms() / 1000);

	if (running != 1) {
		fprintf(out, "pxpd is not running (pidfile %s %s)\n",
		    cfg->pidfile ? cfg->pidfile : "", running == 0 ?
		    "is not locked" : "cannot be read");
		goto out;
	}
	if (!path || os_read_file(path, true, 1 << 20, &text, &len, &cut) != 0 ||
	    !(o = cJSON_Parse(text))) {
		fprintf(out, "pxpd runs (pid %ld) but its status file %s cannot "
		    "be read yet\n", pid, path ? path : "");
		goto out;
	}
	rc = strcmp(health__str(o, "state"), "connected") ? 1 : 0;
	fprintf(out, "pxpd %s, pid %ld: %s", PXPD_VERSION, pid,
	    health__str(o, "state"));
	if (!rc) {
		int64_t since = util_time_parse(health__str(o,
		    "connected_since"));

		health__ago(now - since, b1, sizeof(b1));
		fprintf(out, " to %s for %s\n", health__str(o, "broker"), b1);
	} else
		fprintf(out, " (broker %s)\n", health__str(o, "broker"));
	if (*health__str(o, "tls"))
		fprintf(out, "  TLS           %s\n", health__str(o, "tls"));
	fprintf(out, "  reconnects    %.0f (failed attempts %.0f)\n",
	    health__num(o, "reconnects"), health__num(o, "connection_failures"));
	fprintf(out, "  messages      %.0f in, %.0f out\n",
	    health__num(o, "messages_in"), health__num(o, "messages_out"));
	a = cJSON_GetObjectItemCaseSensitive(o, "actions");
	fprintf(out, "  actions       %.0f running, %.0f queued; %.0f "
	    "succeeded, %.0f failed, %.0f cancelled\n", health__num(a,
	    "running"), health__num(a, "queued"), health__num(a, "succeeded"),
	    health__num(a, "failed"), health__num(a, "cancelled"));
	fprintf(out, "  owed replies  %.0f\n", health__num(o, "owed_responses"));
	health__bytes(health__num(o, "spool_bytes"), b1, sizeof(b1));
	health__bytes(health__num(o, "task_cache_bytes"), b2, sizeof(b2));
	fprintf(out, "  disk          spool %s, task cache %s\n", b1, b2);
	health__bytes(health__num(o, "rss_bytes"), b1, sizeof(b1));
	fprintf(out, "  memory        %s resident\n", b1);
	if (*health__str(o, "cert_not_after")) {
		int64_t end = util_time_parse(health__str(o, "cert_not_after"));

		health__ago(end - now, b1, sizeof(b1));
		fprintf(out, "  certificate   expires %s (in %s)%s\n",
		    health__str(o, "cert_not_after"), b1, end - now <
		    HEALTH_CERT_WARN_S ? ": renew it" : "");
	}
	if (*health__str(o, "last_error"))
		fprintf(out, "  last error    %s\n", health__str(o, "last_error"));
out:
	cJSON_Delete(o);
	free(text);
	free(path);
	return rc;
}
