/* stats.c: what entry reads of the engine and replaces in it at run time:
 * its figures (engine_stats) for the status file and the metrics, and the
 * fetch service after a reload (engine_fetch_set). */
#include "engine/engine_int.h"

void
engine_stats(const struct engine *e, struct engine_stats *st)
{
	*st = e->stats;
	st->running = e->n_running;
	st->queued = e->n_queued;
}

void
engine_fetch_set(struct engine *e, struct fetch *f)
{
	e->env.fetch = f;
}
