/* load.c: the external modules of modules-dir (modules/extmod), loaded
 * into the registry (engine.c) at startup. They answer their `metadata`
 * call asynchronously; the engine adopts earlier actions and says it is
 * ready only once every one is known, so no request meets a half-loaded
 * module table. Invariant: the loader outlives the engine if it must
 * (extmod has no cancel): a module that arrives after engine_free is
 * freed, and ready is then never called. */
#include <stdlib.h>

#include "engine/engine_int.h"
#include "extmod/extmod.h"
#include "base/log.h"

#define PART "engine"

struct engine_loader {
	struct engine *e;           /* NULL once the engine is gone */
	engine_ready_cb ready;
	void *arg;
};

static void
engine__ready(struct engine *e, engine_ready_cb ready, void *arg)
{
	engine__recover(e);
	engine__purge_start(e);
	ready(arg);
}

static void
engine__module_loaded(void *arg, struct module *m)
{
	struct engine_loader *l = arg;

	if (l->e)
		engine_module_add(l->e, m);
	else
		m->free(m);
}

static void
engine__modules_loaded(void *arg)
{
	struct engine_loader *l = arg;

	if (l->e) {
		l->e->loader = NULL;
		engine__ready(l->e, l->ready, l->arg);
	}
	free(l);
}

void
engine_modules_load(struct engine *e, engine_ready_cb ready, void *arg)
{
	struct engine_loader *l = calloc(1, sizeof(*l));
	int rc = UV_ENOMEM;

	if (l) {
		l->e = e;
		l->ready = ready;
		l->arg = arg;
		e->loader = l;
		if ((rc = extmod_load(e->loop, e->cfg, engine__module_loaded,
		    engine__modules_loaded, l)) == 0)
			return;
		e->loader = NULL;
		free(l);
	}
	log_warnx(PART, "external modules not loaded: %s", uv_strerror(rc));
	engine__ready(e, ready, arg);
}

void
engine__loader_forget(struct engine *e)
{
	if (e->loader)
		e->loader->e = NULL;
	e->loader = NULL;
}
