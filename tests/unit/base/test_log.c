/* test_log.c: the log sink on real files: line format, level filtering,
 * escaping of control characters, truncation, reopen after logrotate's
 * rename, directory and file modes, errno handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "base/log.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/pxpd-test-log-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/pxpd.log", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Whole file as a string (caller frees). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return strdup("");
	buf = calloc(1, 65536);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
log_line_format(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	log_info("engine", "hello %d", 42);
	text = slurp(f->path);
	/* 2026-11-25T10:00:00.123456Z INFO  [engine] hello 42 */
	assert_int_equal(strlen(text), 27 + strlen(" INFO  [engine] hello 42\n"));
	assert_true(text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
	    text[13] == ':' && text[16] == ':' && text[19] == '.' &&
	    text[26] == 'Z');
	for (int i = 20; i < 26; i++)
		assert_true(text[i] >= '0' && text[i] <= '9');
	assert_string_equal(text + 27, " INFO  [engine] hello 42\n");
	free(text);
}

static void
log_level_filtering(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(log_open(f->path, LOG_LVL_WARNING, NULL), 0);
	assert_false(log_enabled(LOG_LVL_INFO));
	assert_true(log_enabled(LOG_LVL_WARNING));
	assert_false(log_enabled(LOG_LVL_NONE));
	log_debug("t", "debug line");
	log_info("t", "info line");
	log_warnx("t", "warn line");
	log_error("t", "error line");
	log_fatalx("t", "fatal line");
	log_msg(LOG_LVL_NONE, "t", "none line");
	text = slurp(f->path);
	assert_null(strstr(text, "debug line"));
	assert_null(strstr(text, "info line"));
	assert_non_null(strstr(text, " WARN  [t] warn line\n"));
	assert_non_null(strstr(text, " ERROR [t] error line\n"));
	assert_non_null(strstr(text, " FATAL [t] fatal line\n"));
	assert_null(strstr(text, "none line"));
	assert_int_equal(count_lines(text), 3);
	free(text);

	log_set_level(LOG_LVL_NONE);
	log_fatalx("t", "silenced");
	log_set_level(LOG_LVL_TRACE);
	log_trace("t", "trace line");
	text = slurp(f->path);
	assert_null(strstr(text, "silenced"));
	assert_non_null(strstr(text, " TRACE [t] trace line\n"));
	free(text);
}

static void
log_newlines_escaped(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	/* As if a controller sent this as a transaction id. */
	log_info("pa\nrt", "tid %s done", "x\n2026-01-01T00:00:00.000000Z "
	    "ERROR [engine] forged\r\x01\x7f");
	text = slurp(f->path);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "[pa\\nrt] tid x\\n2026-01-01T00:00:00"
	    ".000000Z ERROR [engine] forged\\r\\x01\\x7f done\n"));
	free(text);
}

static void
log_long_line_truncated(void **state)
{
	struct fixture *f = *state;
	char *big, *text;
	size_t len;

	big = malloc(20000);
	assert_non_null(big);
	memset(big, 'a', 19999);
	big[19999] = '\0';
	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	log_info("t", "%s", big);
	/* Escapes grow the text: 5000 newlines become 10000 bytes. */
	memset(big, '\n', 5000);
	big[5000] = '\0';
	log_info("t", "%s", big);
	log_info("t", "after");
	text = slurp(f->path);
	assert_int_equal(count_lines(text), 3);
	len = strcspn(text, "\n");
	assert_int_equal(len, LOG_LINE_MAX);
	assert_memory_equal(text + len - 3, "...", 3);
	char *second = text + len + 1;
	len = strcspn(second, "\n");
	assert_true(len <= LOG_LINE_MAX);
	assert_memory_equal(second + len - 3, "...", 3);
	assert_non_null(strstr(second + len, "[t] after\n"));
	free(text);
	free(big);
}

static void
log_reopen_after_rename(void **state)
{
	struct fixture *f = *state;
	char rotated[160], *a, *b;

	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	log_info("t", "before rotation");
	snprintf(rotated, sizeof(rotated), "%s.1", f->path);
	assert_int_equal(rename(f->path, rotated), 0);
	log_info("t", "still old file");
	assert_int_equal(log_reopen(), 0);
	log_info("t", "after rotation");
	a = slurp(rotated);
	b = slurp(f->path);
	assert_non_null(strstr(a, "before rotation"));
	assert_non_null(strstr(a, "still old file"));
	assert_null(strstr(a, "after rotation"));
	assert_non_null(strstr(b, "after rotation"));
	assert_int_equal(count_lines(b), 1);
	free(a);
	free(b);
}

static void
log_creates_parent_and_modes(void **state)
{
	struct fixture *f = *state;
	char path[256], sub[160];
	struct stat st;
	mode_t old = umask(022);

	snprintf(sub, sizeof(sub), "%s/a/b", f->dir);
	snprintf(path, sizeof(path), "%s/pxpd.log", sub);
	assert_int_equal(log_open(path, LOG_LVL_INFO, NULL), 0);
	log_info("t", "x");
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	umask(old);
}

static void
log_open_failure_keeps_sink(void **state)
{
	struct fixture *f = *state;
	char bad[160], *text;

	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	/* A regular file where a directory should be. */
	snprintf(bad, sizeof(bad), "%s/pxpd.log/sub.log", f->dir);
	assert_true(log_open(bad, LOG_LVL_INFO, NULL) < 0);
	log_info("t", "still here");
	text = slurp(f->path);
	assert_non_null(strstr(text, "still here"));
	free(text);
	assert_int_equal(log_open("", LOG_LVL_INFO, NULL), -EINVAL);
}

static void
log_warn_adds_errno(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(log_open(f->path, LOG_LVL_INFO, NULL), 0);
	errno = ENOENT;
	log_warn("spool", "open %s", "/x");
	assert_int_equal(errno, ENOENT);
	errno = EACCES;
	log_info("t", "plain");
	assert_int_equal(errno, EACCES);
	text = slurp(f->path);
	assert_non_null(strstr(text, " WARN  [spool] open /x: No such file or "
	    "directory\n"));
	free(text);
}

static void
log_stderr_sink(void **state)
{
	struct fixture *f = *state;
	int saved, fd;
	char *text;

	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_int_equal(log_open("-", LOG_LVL_DEBUG, NULL), 0);
	log_debug("main", "to stderr");
	assert_int_equal(log_reopen(), 0);      /* no-op */
	assert_int_equal(log_open(NULL, LOG_LVL_INFO, NULL), 0);
	log_debug("main", "filtered");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	text = slurp(f->path);
	assert_non_null(strstr(text, " DEBUG [main] to stderr\n"));
	assert_null(strstr(text, "filtered"));
	free(text);
}

static void
log_syslog_open(void **state)
{
	(void)state;
	assert_int_equal(log_open("syslog", LOG_LVL_INFO, "bogus"), -EINVAL);
	assert_int_equal(log_open("syslog", LOG_LVL_INFO, "local0"), 0);
	log_info("t", "to syslog\nsecond");  /* must not crash without /dev/log */
	assert_int_equal(log_reopen(), 0);
	log_close();
}

static void
log_names_parse(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("trace"), LOG_LVL_TRACE);
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("info"), LOG_LVL_INFO);
	assert_int_equal(log_level_parse("warning"), LOG_LVL_WARNING);
	assert_int_equal(log_level_parse("warn"), LOG_LVL_WARNING);
	assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
	assert_int_equal(log_level_parse("fatal"), LOG_LVL_FATAL);
	assert_int_equal(log_level_parse("none"), LOG_LVL_NONE);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);
	assert_string_equal(log_level_name(LOG_LVL_WARNING), "warning");
	assert_string_equal(log_level_name(LOG_LVL_NONE), "none");
	assert_int_equal(log_facility_parse("local5"), LOG_LOCAL5);
	assert_int_equal(log_facility_parse("daemon"), LOG_DAEMON);
	assert_int_equal(log_facility_parse("user"), LOG_USER);
	assert_int_equal(log_facility_parse("local8"), -1);
	assert_int_equal(log_facility_parse(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(log_line_format, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_level_filtering, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_newlines_escaped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_long_line_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_reopen_after_rename, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_creates_parent_and_modes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(log_open_failure_keeps_sink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(log_warn_adds_errno, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(log_stderr_sink, setup,
		    teardown),
		cmocka_unit_test(log_syslog_open),
		cmocka_unit_test(log_names_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
