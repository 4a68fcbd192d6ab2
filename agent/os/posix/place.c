/* place.c: the built-in action of `file download` (EXEC_BUILTIN_PLACE in
 * exec.h). It runs in the action's process, after spawn.c entered the
 * sandbox, so as the action's user (action-user), with its groups,
 * no_new_privs, limits and umask: it may write only where that user may.
 * It reads the items from stdin (one line of JSON, then each file's bytes
 * as wrapper_input.c frames them), places them in order with
 * pxp-agent's modes (0750) and messages, and stops at the first failure.
 * Not the download (pxpd's fetch, into the task cache) nor the results
 * (modules/builtin/file.c).
 * Invariant: a file appears whole or not at all (temp file beside it,
 * then rename), and a symlink at a destination is replaced, never
 * written through. Only fds 0-2 are open; no stdio buffers are used. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "os/posix/exec_posix.h"

#define PLACE_MODE 0750             /* pxp-agent's files and directories */
#define PLACE_CHUNK 65536

struct place_in {
	unsigned char buf[PLACE_CHUNK];
	size_t len, off;
};

static void
place_say(int fd, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	size_t len, off = 0;
	ssize_t n;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	len = (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1;
	while (off < len) {
		n = write(fd, msg + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Up to max bytes from stdin (what is buffered first); 0 at the end. */
static ssize_t
place_read(struct place_in *in, void *dst, size_t max)
{
	ssize_t n;

	if (in->off == in->len) {
		do
			n = read(0, in->buf, sizeof(in->buf));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n;
		in->len = (size_t)n;
		in->off = 0;
	}
	if (max > in->len - in->off)
		max = in->len - in->off;
	memcpy(dst, in->buf + in->off, max);
	in->off += max;
	return (ssize_t)max;
}

static int
place_read_all(struct place_in *in, void *dst, size_t len)
{
	unsigned char *p = dst;
	ssize_t n;

	while (len > 0) {
		if ((n = place_read(in, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The first line: the items. Malloc'd, NUL-ended; NULL on a short or
 * oversized input. */
static char *
place_line(struct place_in *in)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap), *ns;
	ssize_t n;

	while (s != NULL) {
		if (len + 1 == cap) {
			if (cap >= EXEC__JOB_MAX || (ns = realloc(s, cap * 2)) ==
			    NULL)
				break;
			s = ns;
			cap *= 2;
		}
		if ((n = place_read(in, s + len, 1)) <= 0)
			break;
		if (s[len] == '\n') {
			s[len] = '\0';
			return s;
		}
		len++;
	}
	free(s);
	return NULL;
}

/* mkdir -p with PLACE_MODE for what it makes (the umask is the action's
 * 077: the mode is set explicitly, as pxp-agent's is). */
static int
place_mkdirs(const char *path)
{
	char *p = strdup(path), *c, end;
	struct stat st;
	int rc = 0;

	if (p == NULL)
		return -ENOMEM;
	for (c = p + 1; rc == 0; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		end = *c;
		*c = '\0';
		if (mkdir(p, PLACE_MODE) == 0)
			rc = chmod(p, PLACE_MODE) == 0 ? 0 : -errno;
		else if (errno != EEXIST)
			rc = -errno;
		else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
		*c = end;
		if (end == '\0')
			break;
	}
	free(p);
	return rc;
}

static int
place_dir(const char *dest)
{
	struct stat st;
	int rc;

	if (stat(dest, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		place_say(2, "Destination %s already exists and is not a "
		    "directory!", dest);
		return -1;
	}
	if ((rc = place_mkdirs(dest)) != 0) {
		place_say(2, "Failed to create directory %s; cannot create "
		    "directory %s: %s", dest, dest, rc == -ENOTDIR ? "it or a "
		    "parent exists and is not a directory" : strerror(-rc));
		return -1;
	}
	return 0;
}

static int
place_link(const char *dest, const char *target)
{
	struct stat st;

	if (lstat(dest, &st) == 0) {
		/* pxp-agent leaves an existing symlink as it is. */
		if (S_ISLNK(st.st_mode))
			return 0;
		place_say(2, "Destination %s already exists and is not a "
		    "symlink!", dest);
		return -1;
	}
	if (symlink(target, dest) != 0) {
		place_say(2, "Failed to create symlink %s; %s", dest,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* len bytes of stdin into dest, through a temp file beside it. */
static int
place_file(struct place_in *in, const char *dest, uint64_t len)
{
	unsigned char buf[PLACE_CHUNK];
	struct timespec ts;
	char tmp[4096];
	const char *why = NULL;
	size_t want, off;
	ssize_t n;
	int fd, err = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.pxpd-%08lx", dest,
	    ((unsigned long)ts.tv_nsec ^ (unsigned long)getpid() << 12) &
	    0xffffffffUL) >= sizeof(tmp)) {
		place_say(2, "Failed to download %s; the path is too long", dest);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		place_say(2, "Failed to download %s; cannot write %s: %s", dest,
		    dest, strerror(errno));
		return -1;
	}
	while (len > 0 && why == NULL && err == 0) {
		want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		if (place_read_all(in, buf, want) != 0) {
			why = "the downloaded content was cut short";
			break;
		}
		len -= want;
		for (off = 0; off < want && err == 0; off += (size_t)n) {
			n = write(fd, buf + off, want - off);
			if (n < 0 && errno == EINTR)
				n = 0;
			else if (n <= 0)
				err = n < 0 ? errno : EIO;
		}
	}
	if (why == NULL && err == 0 && fchmod(fd, PLACE_MODE) != 0)
		err = errno;
	if (close(fd) != 0 && why == NULL && err == 0)
		err = errno;
	if (why == NULL && err == 0 && rename(tmp, dest) != 0)
		err = errno;
	if (why == NULL && err == 0)
		return 0;
	unlink(tmp);
	if (why != NULL)
		place_say(2, "Failed to download %s; %s", dest, why);
	else
		place_say(2, "Failed to download %s; cannot write %s: %s", dest,
		    dest, strerror(err));
	return -1;
}

static const char *
place_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL;
}

static int
place_item(struct place_in *in, const cJSON *item)
{
	const char *kind = place_str(item, "kind");
	const char *dest = place_str(item, "destination");
	unsigned char hdr[8];
	uint64_t len = 0;
	int i;

	if (kind == NULL || dest == NULL) {
		place_say(2, "pxpd: a file download item without kind or "
		    "destination");
		return -1;
	}
	if (!strcmp(kind, "directory"))
		return place_dir(dest);
	if (!strcmp(kind, "symlink")) {
		if (place_str(item, "link_source") == NULL) {
			place_say(2, "Failed to create symlink %s; no "
			    "link_source", dest);
			return -1;
		}
		return place_link(dest, place_str(item, "link_source"));
	}
	if (strcmp(kind, "file") != 0) {
		place_say(2, "Not a valid file type! %s", kind);
		return -1;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "skip")))
		return 0;
	if (place_read_all(in, hdr, sizeof(hdr)) != 0) {
		place_say(2, "Failed to download %s; the downloaded content "
		    "did not come", dest);
		return -1;
	}
	for (i = 0; i < 8; i++)
		len = len << 8 | hdr[i];
	if (len == EXEC_INPUT_FILE_MISSING) {
		place_say(2, "Failed to download %s; the downloaded file is "
		    "gone from the task cache", dest);
		return -1;
	}
	return place_file(in, dest, len);
}

int
exec__place_main(void)
{
	struct place_in *in = calloc(1, sizeof(*in));
	const cJSON *items, *item;
	cJSON *root = NULL;
	char *line = NULL;
	int code = 1;

	if (in == NULL || (line = place_line(in)) == NULL ||
	    (root = cJSON_Parse(line)) == NULL || !cJSON_IsArray(items =
	    cJSON_GetObjectItemCaseSensitive(root, "items"))) {
		place_say(2, "pxpd: cannot read the file download items");
		goto out;
	}
	cJSON_ArrayForEach(item, items)
		if (place_item(in, item) != 0)
			goto out;
	place_say(1, "downloaded");
	code = 0;
out:
	cJSON_Delete(root);
	free(line);
	free(in);
	return code;
}
