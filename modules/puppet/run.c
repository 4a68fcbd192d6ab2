/* run.c: one Puppet run for the run action, as pxp-agent's Ruby module
 * does it: ask puppet where its last run report and lock files are
 * (--configprint; packagings differ, so never assume a path), run
 * "puppet agent <flags>", and when that fails tell "disabled" from
 * "another run holds the lock" (then wait for the lock to go, bounded,
 * and try once more) from a plain failure; finally read the report this
 * run wrote. Not flag rules (flags.c), process details (proc.c), YAML
 * (report.c) or stdin/stdout (main.c). Invariant: a report counts only if
 * this run rewrote it, so a stale report is never passed off as the
 * outcome of this request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "proc.h"
#include "report.h"
#include "result.h"
#include "run.h"

#define RUN_CONFIGPRINT_MAX (64 * 1024)
#define RUN_REPORT_FILE_MAX (1024L * 1024 * 1024)
#define RUN_LOCK_POLL_NS 100000000L     /* 0.1 s, as pxp-agent polls */

struct run_paths {
	char *report;
	char *disabled_lock;
	char *run_lock;
};

/* Where the report mtime stood before a run, to tell whether it wrote. */
struct run_mark {
	int existed;
	struct timespec mtime;
	struct timespec start;
};

static void
run_paths_free(struct run_paths *p)
{
	free(p->report);
	free(p->disabled_lock);
	free(p->run_lock);
	memset(p, 0, sizeof(*p));
}

static char *
run_trimmed_dup(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	                   s[len - 1] == '\r'))
		len--;
	return puppet_strndup(s, len);
}

/* "key = value" lines, as puppet prints several settings. */
static int
run_configprint_parse(const char *text, struct run_paths *paths)
{
	const char *line = text;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *eq = puppet_memmem(line, len, " = ", 3);

		if (eq != NULL) {
			char *key = run_trimmed_dup(line, (size_t)(eq - line));
			char *val = run_trimmed_dup(eq + 3, len - (size_t)(eq + 3 - line));
			char **slot = NULL;

			if (key == NULL || val == NULL) {
				free(key);
				free(val);
				return -1;
			}
			if (strcmp(key, "lastrunreport") == 0)
				slot = &paths->report;
			else if (strcmp(key, "agent_disabled_lockfile") == 0)
				slot = &paths->disabled_lock;
			else if (strcmp(key, "agent_catalog_run_lockfile") == 0)
				slot = &paths->run_lock;
			free(key);
			if (slot != NULL && *slot == NULL && *val != '\0')
				*slot = val;
			else
				free(val);
		}
		line = nl ? nl + 1 : line + len;
	}
	return 0;
}

static int
run_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0;
}

static double
run_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls until the run lock is gone; 0 when it went, -1 on timeout. */
static int
run_lock_wait(const char *lock, double seconds)
{
	double deadline = run_now(CLOCK_MONOTONIC) + seconds;
	struct timespec pause = { 0, RUN_LOCK_POLL_NS };

	for (;;) {
		if (!run_exists(lock))
			return 0;
		if (run_now(CLOCK_MONOTONIC) >= deadline)
			return -1;
		nanosleep(&pause, NULL);
	}
}

static void
run_mark_take(const char *report, struct run_mark *m)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	if (stat(report, &st) == 0) {
		m->existed = 1;
		m->mtime = PUPPET_ST_MTIM(&st);
	}
	clock_gettime(CLOCK_REALTIME, &m->start);
}

/* Rewritten means: mtime moved, and not to before the run started. File
 * times come from a coarse kernel clock that can lag CLOCK_REALTIME by a
 * tick, hence whole seconds for the second test. */
static int
run_mark_rewritten(const struct run_mark *m, const struct stat *st)
{
	struct timespec t = PUPPET_ST_MTIM(st);

	if (m->existed && t.tv_sec == m->mtime.tv_sec &&
	    t.tv_nsec == m->mtime.tv_nsec)
		return 0;
	return t.tv_sec >= m->start.tv_sec;
}

static int
run_report_load(const char *path, struct puppet_report *rep, char *err,
                size_t errlen)
{
	struct report_parser *p = NULL;
	char buf[64 * 1024];
	struct stat st;
	long total = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		goto cleanup;
	}
	p = report_parser_new();
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		total += n;
		if (total > RUN_REPORT_FILE_MAX) {
			snprintf(err, errlen, "file larger than %ld bytes",
			         RUN_REPORT_FILE_MAX);
			goto cleanup;
		}
		if (report_parser_feed(p, buf, (size_t)n) < 0)
			break;
	}
	rc = report_parser_finish(p, rep);
	if (rc < 0)
		snprintf(err, errlen, "%s", report_parser_error(p));
cleanup:
	report_parser_free(p);
	close(fd);
	return rc;
}

/* The result once Puppet ran: from the report it wrote, with an error if
 * its exit code says it failed. */
static cJSON *
run_result_from_report(const char *report, const struct run_mark *mark,
                       int exitcode, int ok)
{
	struct puppet_report rep;
	char err[512];
	struct stat st;
	cJSON *r;

	if (stat(report, &st) < 0)
		return puppet_result_error(exitcode, RESULT_NO_LAST_RUN_REPORT,
		                           "%s doesn't exist", report);
	if (!run_mark_rewritten(mark, &st))
		return puppet_result_error(exitcode, RESULT_NO_LAST_RUN_REPORT,
		                           "%s was not written", report);
	if (run_report_load(report, &rep, err, sizeof(err)) < 0)
		return puppet_result_error(exitcode, RESULT_INVALID_LAST_RUN_REPORT,
		                           "%s could not be loaded: %s", report,
		                           err);
	r = puppet_result_new(exitcode, &rep);
	puppet_report_clear(&rep);
	if (r != NULL && !ok &&
	    puppet_result_set_error(r, RESULT_AGENT_EXIT_NON_ZERO,
	                            "Puppet agent exited with a non 0 "
	                            "exitcode") < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

static int
run_configprint(const char *bin, char *const envp[], struct run_paths *paths,
                cJSON **result)
{
	char *const argv[] = { (char *)bin, "agent", "--configprint",
		"lastrunreport,agent_disabled_lockfile,agent_catalog_run_lockfile",
		NULL };
	char *out = malloc(RUN_CONFIGPRINT_MAX);
	int rc, status = 0;

	*result = NULL;
	if (out == NULL)
		return -1;
	rc = proc_run(argv, envp, out, RUN_CONFIGPRINT_MAX, &status);
	if (rc < 0) {
		*result = puppet_result_error(RESULT_EXITCODE_NONE,
		                              RESULT_AGENT_FAILED_TO_START,
		                              "Failed to start Puppet agent: %s",
		                              strerror(-rc));
	} else if (run_configprint_parse(out, paths) < 0) {
		rc = -1;
	} else if (status != 0 || paths->report == NULL) {
		*result = puppet_result_error(RESULT_EXITCODE_NONE,
		                              RESULT_NO_LAST_RUN_REPORT,
		                              "could not find the location of the "
		                              "last run report");
		rc = -1;
	}
	free(out);
	return rc < 0 ? -1 : 0;
}

cJSON *
puppet_run(const struct puppet_conf *conf, const struct puppet_argv *argv)
{
	struct run_paths paths = { 0 };
	struct puppet_argv env = { 0 };
	struct run_mark mark;
	cJSON *result = NULL;
	int detailed, status = 0, attempt, rc;

	if (proc_bin_check(conf->puppet_bin) < 0) {
		int e = errno;
		return puppet_result_error(RESULT_EXITCODE_NONE, RESULT_NO_PUPPET_BIN,
		                           e == ENOENT || e == ENOTDIR
		                           ? "Puppet executable '%s' does not exist"
		                           : "Puppet executable '%s' is not "
		                             "executable", conf->puppet_bin);
	}
	if (proc_env_build(&env) < 0)
		goto cleanup;
	if (run_configprint(conf->puppet_bin, env.v, &paths, &result) < 0)
		goto cleanup;
	detailed = puppet_argv_has(argv, "--detailed-exitcodes");
	for (attempt = 0; ; attempt++) {
		run_mark_take(paths.report, &mark);
		rc = proc_run(argv->v, env.v, NULL, 0, &status);
		if (rc < 0) {
			result = puppet_result_error(RESULT_EXITCODE_NONE,
			                             RESULT_AGENT_FAILED_TO_START,
			                             "Failed to start Puppet agent: %s",
			                             strerror(-rc));
			goto cleanup;
		}
		if (status == 0 || (detailed && status == 2))
			break;
		if (run_exists(paths.disabled_lock)) {
			result = puppet_result_error(status, RESULT_AGENT_DISABLED,
			                             "Puppet agent is disabled");
			goto cleanup;
		}
		if (!run_exists(paths.run_lock))
			break;
		/* Another run (the daemon, or a request before us) holds the
		 * lock: wait once for it, then run ours. */
		if (attempt > 0 ||
		    run_lock_wait(paths.run_lock, conf->lock_wait_seconds) < 0) {
			result = puppet_result_error(status, RESULT_AGENT_LOCKED,
			                             "Puppet agent is already "
			                             "performing a run");
			goto cleanup;
		}
	}
	result = run_result_from_report(paths.report, &mark, status,
	                                status == 0 || (detailed && status == 2));
cleanup:
	puppet_argv_free(&env);
	run_paths_free(&paths);
	return result;
}
