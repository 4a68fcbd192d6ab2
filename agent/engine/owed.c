/* owed.c: owed responses, the engine's side: replaying them in order
 * when the connection is ready again, at the pace the send queue takes
 * them (max-send-queue: the rest waits for engine_send_drained), and
 * clearing one once it went out whole. Recording them is job.c's
 * (engine__nb_finish); the files are the spool's (spool/owed.c).
 * Invariant: on one connection each owed response is handed to send at
 * most once, and in the order they were recorded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/crash.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "os/os.h"

#define PART "engine"

static void
engine__owed_one(struct engine *e, const char *tid, const cJSON *owed)
{
	const char *type = json_string_get(owed, "message_type");
	const char *target = json_string_get(owed, "target");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(owed, "data");
	const char *id = json_string_get(owed, "id");
	char *text;

	if (!type || !target || !data) {
		log_error(PART, "[%s] unreadable owed response: dropped", tid);
		spool_owed_clear(e->spool, tid);
		return;
	}
	if (!(text = cJSON_PrintUnformatted(data)))
		return;
	log_info(PART, "[%s] sending owed %s to %s", tid, type, target);
	/* The id it was first sent with (none in a file an older pxpd
	 * wrote): a resend after a crash is recognisably the same message. */
	engine__send_ex(e, type, target, NULL, text, NULL, tid, id, false);
	cJSON_free(text);
}

void
engine__owed_forget(struct engine *e)
{
	struct owed_next *n;

	while ((n = e->owed_head)) {
		e->owed_head = n->next;
		free(n);
	}
	e->owed_tail = NULL;
}

static int
engine__owed_append(struct engine *e, const char *tid)
{
	size_t len = strlen(tid);
	struct owed_next *n;

	/* Once: the replay may have listed a file the thread pool wrote
	 * (job.c nb_end) before the end that wrote it asks for its turn. */
	for (n = e->owed_head; n; n = n->next)
		if (!strcmp(n->tid, tid))
			return 0;
	if (!(n = malloc(sizeof(*n) + len + 1)))
		return -1;
	n->next = NULL;
	memcpy(n->tid, tid, len + 1);
	if (e->owed_tail)
		e->owed_tail->next = n;
	else
		e->owed_head = n;
	e->owed_tail = n;
	return 0;
}

void
engine__owed_pump(struct engine *e)
{
	struct owed_next *n;
	struct job *j;
	cJSON *owed;
	int rc;

	/* Each is read from the spool only when its turn comes: thousands
	 * of owed results are never all in memory, nor all queued. */
	while (e->ready && (n = e->owed_head) &&
	    engine__room(e) == ENGINE_ROOM_OK) {
		if (!(e->owed_head = n->next))
			e->owed_tail = NULL;
		/* Its end is being recorded in the thread pool (job.c
		 * nb_end), which wrote the owed file and sends it when it is
		 * back: not twice. */
		if ((j = engine__job_find(e, n->tid)) && j->ending) {
			free(n);
			continue;
		}
		if ((rc = spool_owed_read(e->spool, n->tid, &owed)) == 0) {
			engine__owed_one(e, n->tid, owed);
			cJSON_Delete(owed);
		} else if (rc != -ENOENT)
			log_warnx(PART, "[%s] owed response unreadable (%s), kept",
			    n->tid, strerror(-rc));
		free(n);
	}
}

void
engine__owed_flush(struct engine *e)
{
	char **tids = NULL;
	size_t n = 0, i;
	int rc;

	engine__owed_forget(e);
	if ((rc = spool_owed_list(e->spool, &tids, &n)) != 0) {
		log_error(PART, "cannot list the owed responses: %s",
		    strerror(-rc));
		return;
	}
	for (i = 0; i < n; i++)
		if (engine__owed_append(e, tids[i]) != 0) {
			log_error(PART, "out of memory listing the owed "
			    "responses: the rest go after the next connection");
			break;
		}
	os_names_free(tids, n);
	if (n)
		log_info(PART, "%zu owed response(s) to send", n);
	engine__owed_pump(e);
}

void
engine__owed_send_id(struct engine *e, const char *tid, const char *type,
    const char *target, const char *data_json, bool recorded, const char *id)
{
	if (!e->ready)
		return;
	/* In its turn: after those before it, and only with room. What is
	 * not on disk cannot wait: it goes now or never. */
	if (recorded && (e->owed_head || engine__room(e) != ENGINE_ROOM_OK)) {
		if (engine__owed_append(e, tid) != 0)
			log_error(PART, "[%s] out of memory: the owed response "
			    "goes after the next connection", tid);
		return;
	}
	engine__send_ex(e, type, target, NULL, data_json, NULL, tid, id,
	    id != NULL);
}

void
engine__owed_send(struct engine *e, const char *tid, const char *type,
    const char *target, const char *data_json, bool recorded)
{
	engine__owed_send_id(e, tid, type, target, data_json, recorded, NULL);
}

void
engine_sent(struct engine *e, const char *token)
{
	crash_point("owed.sent");
	if (spool_owed_clear(e->spool, token) != 0)
		log_warnx(PART, "[%s] cannot clear the owed response", token);
	else {
		crash_point("owed.cleared");
		log_debug(PART, "[%s] final response delivered", token);
	}
}
