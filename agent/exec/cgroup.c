/* cgroup.c: the pure parts of cgroup.h: the cgroup v2 line of
 * /proc/<pid>/cgroup and controller lists. No I/O; shared by
 * os/linux/cgroup.c and the unit tests, on every system. */
#include <stdbool.h>
#include <string.h>

#include "exec/cgroup.h"

int
cgroup_self_path_parse(const char *text, size_t len, char *out,
    size_t outlen)
{
	const char *p = text, *end = text + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p >= 4 && memcmp(p, "0::/", 4) == 0) {
			n = (size_t)(nl - p) - 3;
			if (n >= outlen || memchr(p + 3, '\0', n) != NULL)
				return -1;
			memcpy(out, p + 3, n);
			out[n] = '\0';
			return 0;
		}
		p = nl + 1;
	}
	return -1;
}

/* Is word (length n) one of the space separated names in list? */
static bool
cg_word_in(const char *list, const char *word, size_t n)
{
	const char *p = list;
	size_t m;

	while (*p != '\0') {
		p += strspn(p, " \t\n");
		m = strcspn(p, " \t\n");
		if (m == n && m > 0 && memcmp(p, word, n) == 0)
			return true;
		p += m;
	}
	return false;
}

void
cgroup_controllers_missing(const char *have, const char *need, char *out,
    size_t outlen)
{
	const char *p = need;
	size_t m, used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	while (*p != '\0') {
		p += strspn(p, " \t\n");
		m = strcspn(p, " \t\n");
		if (m > 0 && !cg_word_in(have, p, m) &&
		    used + m + 2 <= outlen) {
			if (used > 0)
				out[used++] = ' ';
			memcpy(out + used, p, m);
			used += m;
			out[used] = '\0';
		}
		p += m;
	}
}
