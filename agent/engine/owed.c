/* owed.c: owed responses, the engine's side: replaying them in order
 * when the connection is ready again, and clearing one once it went out
 * whole. Recording them is job.c's (engine__nb_finish); the files
 * are the spool's (spool/owed.c). */
#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"

#define PART "engine"

static void
engine__owed_one(void *arg, const char *tid, const cJSON *owed)
{
	struct engine *e = arg;
	const char *type = json_string_get(owed, "message_type");
	const char *target = json_string_get(owed, "target");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(owed, "data");
	char *text;

	if (!type || !target || !data) {
		log_error(PART, "[%s] unreadable owed response: dropped", tid);
		spool_owed_clear(e->spool, tid);
		return;
	}
	if (!(text = cJSON_PrintUnformatted(data)))
		return;
	log_info(PART, "[%s] sending owed %s to %s", tid, type, target);
	engine__send(e, type, target, NULL, text, NULL, tid);
	cJSON_free(text);
}

void
engine__owed_flush(struct engine *e)
{
	spool_owed_foreach(e->spool, engine__owed_one, e);
}

void
engine_sent(struct engine *e, const char *token)
{
	if (spool_owed_clear(e->spool, token) != 0)
		log_warnx(PART, "[%s] cannot clear the owed response", token);
	else
		log_debug(PART, "[%s] final response delivered", token);
}
