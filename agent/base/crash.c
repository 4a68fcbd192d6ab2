/* crash.c: the crash points of crash.h. Not where they are (each write
 * sequence names its own steps), nor the test that drives them.
 * Invariant: unarmed (pxpd itself), every call returns at once and
 * touches nothing; the static state below is armed once, by the test
 * binary's main(), before any thread starts, and after that guarded by
 * its mutex (points are passed in the thread pool too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/crash.h"
#include "base/util.h"
#include "os/os.h"

struct crash_set {
	char **v;
	size_t n, cap;
};

static struct {
	bool armed, trace, power;
	char at[128];
	long at_n, seen;
	char *journal;
	uv_mutex_t mu;
	struct crash_set files;     /* written, not fsync'd */
	struct crash_set dirs;      /* made, parent not fsync'd */
} crash;

static void
crash__journal(const char *kind, const char *what)
{
	struct os_file *f;
	char *line;

	if (!crash.journal || !(line = util_asprintf("%s %s\n", kind, what)))
		return;
	/* One write per line: wrappers append to the same journal. */
	if (os_file_open(crash.journal, OS_OPEN_APPEND, OS_MODE_FILE_PRIVATE,
	    &f) == 0) {
		os_file_write(f, line, strlen(line));
		os_file_close(f);
	}
	free(line);
}

static void
crash__set_del(struct crash_set *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], path)) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return;
		}
}

static void
crash__set_add(struct crash_set *s, const char *path)
{
	char **nv;

	crash__set_del(s, path);
	if (s->n == s->cap) {
		if (!(nv = realloc(s->v, (s->cap ? s->cap * 2 : 16) *
		    sizeof(*nv))))
			return;
		s->v = nv;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	if ((s->v[s->n] = util_strdup(path)))
		s->n++;
}

/* The power cut: what it could lose, then the end. Called locked. */
static void
crash__die(void)
{
	size_t i;

	if (crash.power) {
		for (i = 0; i < crash.files.n; i++)
			crash__journal("unsynced", crash.files.v[i]);
		for (i = 0; i < crash.dirs.n; i++)
			crash__journal("newdir", crash.dirs.v[i]);
	}
	crash__journal("crashed", crash.at);
	os_crash_now();
}

void
crash_point(const char *name)
{
	if (!crash.armed)
		return;
	uv_mutex_lock(&crash.mu);
	if (crash.trace)
	{
		/* "point NAME PID": each process counts its own passes
		 * (a wrapper's PXPD_CRASH_AT counts in that wrapper). */
		char what[160];

		snprintf(what, sizeof(what), "%s %d", name,
		    (int)uv_os_getpid());
		crash__journal("point", what);
	}
	if (crash.at[0] && !strcmp(name, crash.at) && ++crash.seen == crash.at_n)
		crash__die();
	uv_mutex_unlock(&crash.mu);
}

void
crash_point_file(const char *path, const char *step)
{
	const char *base;
	char name[128];

	if (!crash.armed)
		return;
	base = strrchr(path, '/');
	snprintf(name, sizeof(name), "%s.%s", base ? base + 1 : path, step);
	crash_point(name);
}

void
crash_note_file(const char *path, bool synced)
{
	if (!crash.armed)
		return;
	uv_mutex_lock(&crash.mu);
	if (synced)
		crash__set_del(&crash.files, path);
	else
		crash__set_add(&crash.files, path);
	uv_mutex_unlock(&crash.mu);
}

void
crash_note_dir_new(const char *dir)
{
	if (!crash.armed)
		return;
	uv_mutex_lock(&crash.mu);
	crash__set_add(&crash.dirs, dir);
	uv_mutex_unlock(&crash.mu);
}

void
crash_note_dir_synced(const char *dir)
{
	size_t i, len = strlen(dir);

	if (!crash.armed)
		return;
	uv_mutex_lock(&crash.mu);
	/* Its new subdirectories' entries are durable now. */
	for (i = 0; i < crash.dirs.n; ) {
		if (!strncmp(crash.dirs.v[i], dir, len) &&
		    crash.dirs.v[i][len] == '/' &&
		    !strchr(crash.dirs.v[i] + len + 1, '/')) {
			free(crash.dirs.v[i]);
			crash.dirs.v[i] = crash.dirs.v[--crash.dirs.n];
		} else
			i++;
	}
	uv_mutex_unlock(&crash.mu);
}

void
crash_arm_from_env(void)
{
	const char *at = getenv("PXPD_CRASH_AT");
	const char *mode = getenv("PXPD_CRASH_MODE");
	const char *journal = getenv("PXPD_CRASH_JOURNAL");
	const char *colon;

	if (crash.armed)
		return;
	crash.trace = getenv("PXPD_CRASH_TRACE") != NULL;
	if (!crash.trace && (!at || !*at))
		return;
	if (uv_mutex_init(&crash.mu) != 0)
		return;
	crash.power = mode && !strcmp(mode, "power");
	crash.journal = journal && *journal ? util_strdup(journal) : NULL;
	crash.at_n = 1;
	if (at && *at) {
		colon = strrchr(at, ':');
		snprintf(crash.at, sizeof(crash.at), "%.*s",
		    (int)(colon ? (size_t)(colon - at) : strlen(at)), at);
		if (colon && atol(colon + 1) > 0)
			crash.at_n = atol(colon + 1);
	}
	crash.armed = true;
}
