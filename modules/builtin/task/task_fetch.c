/* task_fetch.c: several files of one request into the task cache at
 * once (task_int.h), on top of fetch_get. Not the download itself
 * (fetch.c). Invariants: done runs exactly once, from a fetch callback,
 * as the last thing that touches the set (the owner may free it there);
 * after task_fetch_free no callback reaches the set. */
#include <stdio.h>
#include <stdlib.h>

#include "builtin/task/task_int.h"
#include "base/util.h"

struct task_fetch_slot {
	struct task_fetch *set;
	char *path;                 /* cached path once done */
	bool pending;               /* fetch_get under way */
};

struct task_fetch {
	struct fetch *f;
	struct task_fetch_slot *slots;
	size_t n, left;
	bool ended;                 /* done was called */
	task_fetch_cb done;
	void *arg;
};

static void
task_fetch__cancel(struct task_fetch *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->slots[i].pending) {
			fetch_cancel(t->f, &t->slots[i]);
			t->slots[i].pending = false;
		}
}

static void
task_fetch__done(void *arg, const char *path, const char *error)
{
	struct task_fetch_slot *s = arg;
	struct task_fetch *t = s->set;

	s->pending = false;
	if (t->ended)
		return;
	if (!error && !(s->path = util_strdup(path)))
		error = "out of memory";
	if (error) {
		t->ended = true;
		/* The first failure decides: stop the other downloads. */
		task_fetch__cancel(t);
		t->done(t->arg, (int)(s - t->slots), error);
		return;
	}
	if (--t->left == 0) {
		t->ended = true;
		t->done(t->arg, -1, NULL);
	}
}

struct task_fetch *
task_fetch_start(struct fetch *f, const struct fetch_file *files, size_t n,
    task_fetch_cb done, void *arg, char *err, size_t errlen)
{
	struct task_fetch *t;
	size_t i;

	if (n == 0) {
		snprintf(err, errlen, "no file to fetch");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->slots = calloc(n, sizeof(*t->slots)))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->f = f;
	t->n = t->left = n;
	t->done = done;
	t->arg = arg;
	for (i = 0; i < n; i++) {
		t->slots[i].set = t;
		/* Callbacks never run inside fetch_get, so a later failure
		 * here can still undo the earlier ones quietly. */
		if (fetch_get(f, &files[i], task_fetch__done, &t->slots[i], err,
		    errlen) != 0) {
			task_fetch_free(t);
			return NULL;
		}
		t->slots[i].pending = true;
	}
	return t;
}

const char *
task_fetch_path(const struct task_fetch *t, size_t i)
{
	return t && i < t->n ? t->slots[i].path : NULL;
}

void
task_fetch_free(struct task_fetch *t)
{
	size_t i;

	if (!t)
		return;
	task_fetch__cancel(t);
	for (i = 0; i < t->n; i++)
		free(t->slots[i].path);
	free(t->slots);
	free(t);
}
