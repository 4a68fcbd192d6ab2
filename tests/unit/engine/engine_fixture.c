/* engine_fixture.c: the set-up and tear-down the engine's unit tests
 * share (engine_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "engine_fixture.h"

void
engine_fixture_open(uv_loop_t *loop, struct pxpd_config *cfg, char *dir,
    const char *prefix, long max_message_size)
{
	snprintf(dir, 64, "/tmp/%s-XXXXXX", prefix);
	assert_non_null(mkdtemp(dir));
	uv_loop_init(loop);
	memset(cfg, 0, sizeof(*cfg));
	cfg->pcp_version = 2;
	cfg->max_message_size = max_message_size;
	cfg->max_concurrent_actions = 4;
	cfg->max_queued_actions = 4;
	cfg->spool_dir = util_asprintf("%s/spool", dir);
	assert_non_null(cfg->spool_dir);
}

void
engine_fixture_close(uv_loop_t *loop, struct pxpd_config *cfg,
    struct engine *e, const char *dir)
{
	char *cmd;

	engine_free(e);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
	free(cfg->spool_dir);
	cmd = util_asprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}
