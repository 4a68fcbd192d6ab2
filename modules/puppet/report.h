/* report.h: reading the parts of Puppet's last_run_report.yaml that
 * pxp-module-puppet returns. Pure; see report.c. */
#ifndef PXP_PUPPET_REPORT_H
#define PXP_PUPPET_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define REPORT_LINE_MAX (16 * 1024)          /* longer lines are cut */
#define REPORT_METRICS_BYTES_MAX (1024 * 1024)
#define REPORT_METRICS_LINES_MAX 20000

struct puppet_report {
	/* Top-level scalars; NULL when the report has them as null. */
	char *time;
	char *transaction_uuid;
	char *environment;
	char *status;
	cJSON *metrics;         /* {"<resources metric name>": number, ...} */
};

struct report_parser;

/* Returns a new parser, or NULL when out of memory. */
struct report_parser *report_parser_new(void);
void report_parser_free(struct report_parser *p);

/* Feeds the next bytes of the file (any chunking). Returns 0, or -1 once
 * the report is known to be unreadable (see report_parser_error). */
int report_parser_feed(struct report_parser *p, const char *data, size_t len);

/* Ends the input and fills *out (free with puppet_report_clear). Returns
 * 0, or -1 with report_parser_error set. */
int report_parser_finish(struct report_parser *p, struct puppet_report *out);

/* Why the report was rejected; "" while it is fine. Owned by p. */
const char *report_parser_error(const struct report_parser *p);

void puppet_report_clear(struct puppet_report *r);

/* One-shot form for whole buffers (fuzzing, tests): 0 or -1 with err. */
int puppet_report_parse(const char *data, size_t len, struct puppet_report *out,
                        char *err, size_t errlen);

#endif
