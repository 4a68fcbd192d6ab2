/* result.c: the small files of a result dir as text, both ways: the pid
 * file (the wrapper's pid and what proves a live process is that
 * wrapper: boot id and start time) and the exitcode file, plus the line of
 * /proc/<pid>/stat those proofs come from. Pure: no I/O (os/posix/exec.c
 * and exec_result.c read and write the files, os/linux/proc.c reads
 * /proc). Strict and bounded: a pid that is not provably ours is never
 * signalled. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_int.h"

static bool
result_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One decimal integer in min..max, then only white space: the text of a
 * pid or exitcode file. lead_space allows white space before it too (an
 * exitcode file an external module wrote, from older spools). Never a
 * '+', an embedded NUL or more digits than a long holds. */
static int
result_number_parse(const char *text, size_t len, bool lead_space, long min,
    long max, long *out)
{
	char buf[32], *end;
	size_t a = 0, b = len;
	long n;

	if (memchr(text, '\0', len) != NULL)
		return -1;
	while (lead_space && a < b && result_space(text[a]))
		a++;
	while (b > a && result_space(text[b - 1]))
		b--;
	if (b == a || b - a >= sizeof(buf))
		return -1;
	if ((text[a] < '0' || text[a] > '9') && (text[a] != '-' || min >= 0))
		return -1;
	memcpy(buf, text + a, b - a);
	buf[b - a] = '\0';
	errno = 0;
	n = strtol(buf, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
exec__exitcode_parse(const char *text, size_t len, int *code)
{
	long n;

	if (result_number_parse(text, len, true, INT_MIN, INT_MAX, &n) < 0)
		return -1;
	*code = (int)n;
	return 0;
}

/* An unsigned decimal of at most 20 digits, all of [a, b). */
static int
result_u64_parse(const char *a, const char *b, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p;

	if (b <= a || b - a > 20)
		return -1;
	for (p = a; p < b; p++) {
		if (*p < '0' || *p > '9' ||
		    v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	return 0;
}

static bool
result_boot_id_ok(const char *a, size_t n)
{
	size_t i;

	if (n == 0 || n >= EXEC__BOOT_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((a[i] >= '0' && a[i] <= '9') ||
		    (a[i] >= 'a' && a[i] <= 'f') ||
		    (a[i] >= 'A' && a[i] <= 'F') || a[i] == '-'))
			return false;
	return true;
}

/* "<boot_id> <start_time>" with white space after it only. */
static int
result_identity_parse(const char *a, const char *b, struct exec__proc_id *id)
{
	const char *sp, *end = b;

	while (end > a && result_space(end[-1]))
		end--;
	if ((sp = memchr(a, ' ', (size_t)(end - a))) == NULL ||
	    !result_boot_id_ok(a, (size_t)(sp - a)) ||
	    result_u64_parse(sp + 1, end, &id->start_time) < 0)
		return -1;
	memcpy(id->boot_id, a, (size_t)(sp - a));
	id->boot_id[sp - a] = '\0';
	return 0;
}

int
exec__pid_file_parse(const char *text, size_t len, struct exec__pid_file *pf)
{
	const char *nl, *end = text + len, *p;
	struct exec__pid_file f;

	memset(&f, 0, sizeof(f));
	if (len > EXEC__PID_FILE_MAX || memchr(text, '\0', len) != NULL)
		return -1;
	nl = memchr(text, '\n', len);
	/* pid 1 (init) and below would make a kill dangerous; no wrapper
	 * ever has them. Nothing before the number: our own format. */
	if (result_number_parse(text, nl != NULL ? (size_t)(nl - text) : len,
	    false, 2, INT_MAX, &f.pid) < 0)
		return -1;
	if (nl != NULL) {
		for (p = nl + 1; p < end && result_space(*p); p++)
			;
		/* A pid alone: written by a pxpd before issue 10, or where
		 * the platform has no process identity. */
		if (p < end) {
			if (result_identity_parse(nl + 1, end, &f.id) < 0)
				return -1;
			f.has_id = true;
		}
	}
	*pf = f;
	return 0;
}

int
exec__pid_file_format(const struct exec__pid_file *pf, char *buf, size_t size)
{
	int n;

	if (pf->has_id)
		n = snprintf(buf, size, "%ld\n%s %llu\n", pf->pid,
		    pf->id.boot_id, pf->id.start_time);
	else
		n = snprintf(buf, size, "%ld\n", pf->pid);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int
exec__stat_parse(const char *text, size_t len, char *state,
    unsigned long long *start_time)
{
	const char *p = NULL, *end = text + len, *a;
	int field;

	/* The command name may hold anything, ')' included: the fields
	 * start after the last ')'. */
	for (a = text; a < end; a++)
		if (*a == ')')
			p = a;
	if (p == NULL || memchr(text, '\0', len) != NULL)
		return -1;
	p++;
	/* Field 3 is the state, field 22 the start time (proc(5)). */
	for (field = 3; field <= 22; field++) {
		while (p < end && *p == ' ')
			p++;
		for (a = p; p < end && *p != ' ' && *p != '\n'; p++)
			;
		if (p == a)
			return -1;
		if (field == 3) {
			if (p - a != 1)
				return -1;
			*state = *a;
		} else if (field == 22)
			return result_u64_parse(a, p, start_time);
	}
	return -1;
}
