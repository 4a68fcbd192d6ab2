/* linelog.c: append-only line files (linelog.h) over os.h's open files.
 * Not the main log (log.c). Invariant: a line and its newline go out in
 * one os_file_writev, so readers never see half of one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/linelog.h"
#include "base/util.h"
#include "os/os.h"

struct linelog {
	char *path;
	struct os_file *file;
};

static int
linelog__open_file(const char *path, struct os_file **out)
{
	return os_file_open(path, OS_OPEN_APPEND, OS_MODE_FILE_PRIVATE, out);
}

struct linelog *
linelog_open(const char *path, char *err, size_t errlen)
{
	struct linelog *l = calloc(1, sizeof(*l));
	int rc;

	if (!l || !(l->path = util_strdup(path))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = linelog__open_file(path, &l->file);
	/* The log directory, as the main log makes it. */
	if (rc == -ENOENT && os_mkdir_parent(path, OS_MODE_DIR_GROUP) == 0)
		rc = linelog__open_file(path, &l->file);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		free(l->path);
		free(l);
		return NULL;
	}
	return l;
}

int
linelog_reopen(struct linelog *l)
{
	struct os_file *file;
	int rc;

	if (!l)
		return 0;
	if ((rc = linelog__open_file(l->path, &file)) != 0)
		return rc;
	os_file_close(l->file);
	l->file = file;
	return 0;
}

void
linelog_write(struct linelog *l, const char *line, size_t len)
{
	const struct os_buf bufs[2] = {
		{ .base = line, .len = len },
		{ .base = "\n", .len = 1 },
	};

	if (!l)
		return;
	/* A full disk loses the line; nothing better can be done here. */
	(void)os_file_writev(l->file, bufs, 2);
}

void
linelog_close(struct linelog *l)
{
	if (!l)
		return;
	os_file_close(l->file);
	free(l->path);
	free(l);
}
