/* status_view.c: what the engine shows the status module (module_jobs in
 * module.h): which transactions this pxpd runs, which modules exist,
 * finalizing one that ended unwatched, and cancel. The status answer
 * itself is the module's (modules/builtin/status_query.c); this is the
 * one way it reaches the engine, so the two never include each other. */
#include "engine/engine_int.h"

static bool
engine__view_active(void *arg, const char *tid)
{
	return engine__job_find(arg, tid) != NULL;
}

static bool
engine__view_module_known(void *arg, const char *name)
{
	return name && engine_module_find(arg, name) != NULL;
}

static int
engine__view_finalize(void *arg, const char *tid, cJSON *meta)
{
	return engine__finalize(arg, tid, meta);
}

static int
engine__view_cancel(void *arg, const char *tid, const char *sender,
    char *err, size_t errlen)
{
	return engine__cancel(arg, tid, sender, err, errlen);
}

void
engine__status_view_init(struct engine *e)
{
	e->jobs_view.arg = e;
	e->jobs_view.active = engine__view_active;
	e->jobs_view.module_known = engine__view_module_known;
	e->jobs_view.finalize = engine__view_finalize;
	e->jobs_view.cancel = engine__view_cancel;
}
