/* fetch_purge.c: when the task cache is purged: every min(60 min, ttl),
 * the first time at once (pxp-agent's cadence). What goes is
 * fetch_cache_purge's (fetch.c). fetch_free closes the timer and waits
 * for it (fetch__maybe_free). */
#include <stdint.h>

#include "base/log.h"
#include "fetch/fetch_int.h"

static void
fetch__purge_tick(uv_timer_t *t)
{
	struct fetch *f = t->data;
	int n = fetch_cache_purge(f, f->purge_ttl_s);

	if (n > 0)
		log_info(FETCH_PART, "purged %d unused files from the task cache",
		    n);
}

void
fetch_cache_purge_start(struct fetch *f, long ttl_s)
{
	uint64_t every = 60ULL * 60 * 1000;

	if (!f || f->freeing || f->purge_on || ttl_s <= 0)
		return;
	if ((uint64_t)ttl_s * 1000 < every)
		every = (uint64_t)ttl_s * 1000;
	uv_timer_init(f->loop, &f->purge);
	f->purge.data = f;
	f->purge_ttl_s = ttl_s;
	f->purge_on = true;
	fetch__purge_tick(&f->purge);
	uv_timer_start(&f->purge, fetch__purge_tick, every, every);
}

static void
fetch__purge_closed(uv_handle_t *h)
{
	struct fetch *f = h->data;

	f->purge_on = false;
	fetch__maybe_free(f);
}

void
fetch__purge_stop(struct fetch *f)
{
	if (f->purge_on && !uv_is_closing((uv_handle_t *)&f->purge))
		uv_close((uv_handle_t *)&f->purge, fetch__purge_closed);
}
