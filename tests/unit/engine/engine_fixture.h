/* engine_fixture.h: what the engine's unit tests share (built into
 * unit_helpers_engine): a temp dir for the spool, a loop, a config with
 * small limits, and closing it all with no handle left. Each test keeps
 * its own recorder of what the engine sends. */
#ifndef PXPD_TEST_ENGINE_FIXTURE_H
#define PXPD_TEST_ENGINE_FIXTURE_H

#include <uv.h>

#include "config/config.h"
#include "engine/engine.h"

/* dir (64 bytes) becomes a fresh temp dir named after prefix, the loop
 * is initialised, cfg zeroed then set: PCP v2, max_message_size, four
 * actions running and four queued, the spool in dir. */
void engine_fixture_open(uv_loop_t *loop, struct pxpd_config *cfg, char *dir,
    const char *prefix, long max_message_size);
/* Frees e, runs the loop dry (the test fails if a handle is left), frees
 * cfg's spool path and removes dir. */
void engine_fixture_close(uv_loop_t *loop, struct pxpd_config *cfg,
    struct engine *e, const char *dir);

#endif
