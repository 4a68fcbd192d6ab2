/* report.c: what pxp-module-puppet reads from Puppet's last_run_report.yaml:
 * the top-level time, transaction_uuid, environment and status scalars and
 * the metrics -> resources -> values list of [name, label, value] triples.
 * Not YAML syntax (yaml_lite.c) nor where the file lives (run.c).
 * Pure and bounded: bytes are pushed in, lines are cut at REPORT_LINE_MAX,
 * only the metrics section (capped) is ever held, and every other
 * top-level section is skipped line by line without being interpreted,
 * so a report of any size costs constant memory. Column-0 lines are always
 * keys, "- " items or document markers in what Psych writes (scalar
 * continuation lines are indented), which is what makes skipping safe. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "yaml_lite.h"

#define REPORT_TAG "!ruby/object:Puppet::Transaction::Report"
#define REPORT_NFIELDS 4

static const char *const report_fields[REPORT_NFIELDS] = {
	"time", "transaction_uuid", "environment", "status",
};

enum report_state {
	REPORT_S_HEADER,        /* before "--- !ruby/object:...Report" */
	REPORT_S_TOP,           /* right after the header */
	REPORT_S_FIELD,         /* after one of report_fields' lines */
	REPORT_S_SKIP,          /* inside a section we do not read */
	REPORT_S_METRICS,       /* collecting the metrics section */
	REPORT_S_DONE,          /* end of the first document */
	REPORT_S_FAILED,
};

struct report_parser {
	enum report_state state;
	unsigned long lineno;
	char line[REPORT_LINE_MAX];
	size_t line_len;
	int line_cut;           /* current line was longer than line[] */
	int seen[REPORT_NFIELDS];
	char *fields[REPORT_NFIELDS];
	int field;              /* REPORT_S_FIELD: which one */
	int metrics_seen;
	char *mtext;            /* metrics section, '\n'-separated lines */
	size_t mlen;
	size_t mcap;
	size_t mlines;
	unsigned long mfirst;   /* line number of the section's first line */
	cJSON *metrics;
	char err[256];
};

static int
report_fail(struct report_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->state = REPORT_S_FAILED;
	return -1;
}

struct report_parser *
report_parser_new(void)
{
	return calloc(1, sizeof(struct report_parser));
}

void
report_parser_free(struct report_parser *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < REPORT_NFIELDS; i++)
		free(p->fields[i]);
	free(p->mtext);
	cJSON_Delete(p->metrics);
	free(p);
}

const char *
report_parser_error(const struct report_parser *p)
{
	return p->err;
}

void
puppet_report_clear(struct puppet_report *r)
{
	free(r->time);
	free(r->transaction_uuid);
	free(r->environment);
	free(r->status);
	cJSON_Delete(r->metrics);
	memset(r, 0, sizeof(*r));
}

/* The resources metric's [name, label, value] triples as {name: value}. */
static int
report_metrics_extract(struct report_parser *p, const cJSON *tree)
{
	const cJSON *res, *values, *v;
	int i = 0;

	p->metrics = cJSON_CreateObject();
	if (p->metrics == NULL)
		return report_fail(p, "out of memory");
	if (cJSON_IsNull(tree))
		return 0;
	if (!cJSON_IsObject(tree))
		return report_fail(p, "'metrics' is not a mapping");
	res = cJSON_GetObjectItemCaseSensitive(tree, "resources");
	if (res == NULL || cJSON_IsNull(res))
		return 0;
	if (!cJSON_IsObject(res))
		return report_fail(p, "'metrics.resources' is not a mapping");
	values = cJSON_GetObjectItemCaseSensitive(res, "values");
	if (!cJSON_IsArray(values))
		return report_fail(p, "'metrics.resources.values' is not a list");
	cJSON_ArrayForEach(v, values) {
		const cJSON *name = cJSON_GetArrayItem(v, 0);
		const cJSON *num = cJSON_GetArrayItem(v, 2);
		cJSON *copy;

		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 3 ||
		    !cJSON_IsString(name) || !cJSON_IsNumber(num))
			return report_fail(p, "'metrics.resources.values[%d]' is "
			                   "not a [name, label, number] triple", i);
		copy = cJSON_CreateNumber(num->valuedouble);
		if (copy == NULL)
			return report_fail(p, "out of memory");
		cJSON_DeleteItemFromObjectCaseSensitive(p->metrics,
		                                        name->valuestring);
		cJSON_AddItemToObject(p->metrics, name->valuestring, copy);
		i++;
	}
	return 0;
}

/* The metrics section is complete: parse what was collected. */
static int
report_metrics_close(struct report_parser *p)
{
	struct yaml_lite_line *lines = NULL;
	cJSON *tree = NULL;
	char err[200];
	size_t n = 0, off = 0;
	unsigned long lineno = p->mfirst;
	int rc = -1;

	p->state = REPORT_S_SKIP;
	lines = calloc(p->mlines + 1, sizeof(*lines));
	if (lines == NULL)
		return report_fail(p, "out of memory");
	while (off < p->mlen) {
		char *nl = memchr(p->mtext + off, '\n', p->mlen - off);
		size_t len = (size_t)(nl - (p->mtext + off));
		const char *s = p->mtext + off;
		size_t ind = 0;

		while (ind < len && s[ind] == ' ')
			ind++;
		if (ind < len && s[ind] != '#') {
			lines[n].s = s + ind;
			lines[n].len = len - ind;
			lines[n].indent = (int)ind;
			lines[n].lineno = lineno;
			n++;
		}
		off += len + 1;
		lineno++;
	}
	if (yaml_lite_block_parse(lines, n, &tree, err, sizeof(err)) < 0) {
		report_fail(p, "metrics: %s", err);
		goto cleanup;
	}
	rc = report_metrics_extract(p, tree);
	if (rc == 0)
		p->state = REPORT_S_SKIP;
cleanup:
	cJSON_Delete(tree);
	free(lines);
	return rc;
}

static int
report_metrics_append(struct report_parser *p, const char *s, size_t len)
{
	if (p->mlen + len + 1 > REPORT_METRICS_BYTES_MAX ||
	    p->mlines + 1 > REPORT_METRICS_LINES_MAX)
		return report_fail(p, "the metrics section is too large");
	if (p->mlen + len + 1 > p->mcap) {
		size_t cap = p->mcap ? p->mcap : 4096;
		char *grown;

		while (cap < p->mlen + len + 1)
			cap *= 2;
		grown = realloc(p->mtext, cap);
		if (grown == NULL)
			return report_fail(p, "out of memory");
		p->mtext = grown;
		p->mcap = cap;
	}
	memcpy(p->mtext + p->mlen, s, len);
	p->mlen += len;
	p->mtext[p->mlen++] = '\n';
	p->mlines++;
	return 0;
}

static int
report_header(struct report_parser *p, const char *s, size_t len)
{
	size_t i = 3;

	if (len == 0 || s[0] == '#' || s[0] == '%')
		return 0;
	if (len < 3 || memcmp(s, "---", 3) != 0 || (len > 3 && s[3] != ' '))
		return report_fail(p, "line %lu: not a YAML document", p->lineno);
	while (i < len && s[i] == ' ')
		i++;
	if (len - i != strlen(REPORT_TAG) || memcmp(s + i, REPORT_TAG, len - i))
		return report_fail(p, "not a Puppet transaction report");
	p->state = REPORT_S_TOP;
	return 0;
}

/* A column-0 "key: value" line: starts a new top-level section. */
static int
report_top_key(struct report_parser *p, const char *s, size_t len)
{
	struct yaml_lite_scalar sc;
	char err[200];
	char *key = NULL;
	long klen;
	int idx;

	klen = yaml_lite_key_parse(s, len, &key, err, sizeof(err));
	if (klen <= 0)
		return report_fail(p, "line %lu: %s", p->lineno,
		                   klen < 0 ? err : "expected a top-level key");
	for (idx = 0; idx < REPORT_NFIELDS; idx++)
		if (strcmp(key, report_fields[idx]) == 0)
			break;
	if (idx == REPORT_NFIELDS && strcmp(key, "metrics") != 0) {
		free(key);
		p->state = REPORT_S_SKIP;
		return 0;
	}
	if (yaml_lite_scalar_parse(s + klen, len - (size_t)klen, &sc, err,
	                           sizeof(err)) < 0) {
		report_fail(p, "line %lu: '%s': %s", p->lineno, key, err);
		free(key);
		return -1;
	}
	free(key);
	if (idx < REPORT_NFIELDS) {
		if (p->seen[idx]) {
			free(sc.text);
			return report_fail(p, "line %lu: duplicate '%s'", p->lineno,
			                   report_fields[idx]);
		}
		if (sc.kind == YAML_LITE_EMPTY_SEQ || sc.kind == YAML_LITE_EMPTY_MAP) {
			free(sc.text);
			return report_fail(p, "line %lu: '%s' is not a scalar",
			                   p->lineno, report_fields[idx]);
		}
		p->seen[idx] = 1;
		if (sc.kind == YAML_LITE_NULL || sc.kind == YAML_LITE_EMPTY) {
			free(sc.text);
			sc.text = NULL;
		}
		p->fields[idx] = sc.text;
		p->field = idx;
		p->state = REPORT_S_FIELD;
		return 0;
	}
	free(sc.text);
	if (p->metrics_seen)
		return report_fail(p, "line %lu: duplicate 'metrics'", p->lineno);
	p->metrics_seen = 1;
	if (sc.kind == YAML_LITE_EMPTY) {
		p->state = REPORT_S_METRICS;
		p->mfirst = p->lineno + 1;
		return 0;
	}
	if (sc.kind == YAML_LITE_EMPTY_MAP || sc.kind == YAML_LITE_NULL) {
		p->metrics = cJSON_CreateObject();
		p->state = REPORT_S_SKIP;
		return p->metrics != NULL ? 0 : report_fail(p, "out of memory");
	}
	return report_fail(p, "line %lu: 'metrics' is not a mapping", p->lineno);
}

static int
report_line(struct report_parser *p, const char *s, size_t len, int cut)
{
	size_t ind = 0;

	p->lineno++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (p->state == REPORT_S_HEADER)
		return cut ? report_fail(p, "line %lu is too long", p->lineno)
		           : report_header(p, s, len);
	if (p->state == REPORT_S_DONE || p->state == REPORT_S_FAILED)
		return 0;
	while (ind < len && s[ind] == ' ')
		ind++;
	if (ind == len || s[ind] == '#') {
		/* Kept so that metrics line numbers stay right. */
		if (p->state == REPORT_S_METRICS)
			return report_metrics_append(p, "", 0);
		return 0;
	}
	if (ind == 0 && len >= 3 && (memcmp(s, "---", 3) == 0 ||
	    memcmp(s, "...", 3) == 0) && (len == 3 || s[3] == ' ')) {
		if (p->state == REPORT_S_METRICS && report_metrics_close(p) < 0)
			return -1;
		p->state = REPORT_S_DONE;
		return 0;
	}
	if (ind == 0 && s[0] != '\t' && !(s[0] == '-' && (len == 1 || s[1] == ' '))) {
		if (p->state == REPORT_S_METRICS && report_metrics_close(p) < 0)
			return -1;
		if (cut)
			return report_fail(p, "line %lu is too long", p->lineno);
		return report_top_key(p, s, len);
	}
	switch (p->state) {
	case REPORT_S_SKIP:
		return 0;
	case REPORT_S_FIELD:
		return report_fail(p, "line %lu: multi-line or nested value for "
		                   "'%s' is not supported", p->lineno,
		                   report_fields[p->field]);
	case REPORT_S_METRICS:
		if (cut)
			return report_fail(p, "line %lu is too long", p->lineno);
		return report_metrics_append(p, s, len);
	default:
		return report_fail(p, "line %lu: unexpected line", p->lineno);
	}
}

int
report_parser_feed(struct report_parser *p, const char *data, size_t len)
{
	if (p->state == REPORT_S_FAILED)
		return -1;
	if (memchr(data, '\0', len) != NULL)
		return report_fail(p, "NUL byte in the report");
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room = sizeof(p->line) - p->line_len;

		if (take > room) {
			p->line_cut = 1;
			memcpy(p->line + p->line_len, data, room);
			p->line_len += room;
		} else {
			memcpy(p->line + p->line_len, data, take);
			p->line_len += take;
		}
		if (nl == NULL)
			break;
		if (report_line(p, p->line, p->line_len, p->line_cut) < 0)
			return -1;
		p->line_len = 0;
		p->line_cut = 0;
		data += take + 1;
		len -= take + 1;
	}
	return p->state == REPORT_S_FAILED ? -1 : 0;
}

int
report_parser_finish(struct report_parser *p, struct puppet_report *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	if (p->state != REPORT_S_FAILED && (p->line_len > 0 || p->line_cut)) {
		report_line(p, p->line, p->line_len, p->line_cut);
		p->line_len = 0;
		p->line_cut = 0;
	}
	if (p->state == REPORT_S_METRICS)
		report_metrics_close(p);
	if (p->state == REPORT_S_FAILED)
		return -1;
	if (p->state == REPORT_S_HEADER)
		return report_fail(p, "empty file, not a Puppet transaction report");
	for (i = 0; i < REPORT_NFIELDS; i++)
		if (!p->seen[i])
			return report_fail(p, "no '%s' in the report",
			                   report_fields[i]);
	if (p->metrics == NULL) {
		p->metrics = cJSON_CreateObject();
		if (p->metrics == NULL)
			return report_fail(p, "out of memory");
	}
	out->time = p->fields[0];
	out->transaction_uuid = p->fields[1];
	out->environment = p->fields[2];
	out->status = p->fields[3];
	out->metrics = p->metrics;
	for (i = 0; i < REPORT_NFIELDS; i++)
		p->fields[i] = NULL;
	p->metrics = NULL;
	p->state = REPORT_S_DONE;
	return 0;
}

int
puppet_report_parse(const char *data, size_t len, struct puppet_report *out,
                    char *err, size_t errlen)
{
	struct report_parser *p = report_parser_new();
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (report_parser_feed(p, data, len) == 0)
		rc = report_parser_finish(p, out);
	if (rc < 0)
		snprintf(err, errlen, "%s", p->err);
	report_parser_free(p);
	return rc;
}
