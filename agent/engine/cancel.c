/* cancel.c: cancel (a pxpd extension, asked through the status module):
 * a running action's whole process tree is killed through exec, a queued
 * one ends before it starts. Only the transaction's requester may, or a
 * sender a policy rule grants it (policy.c decides). Invariant: the job
 * ends exactly once, by exec's done callback or here. */
#include <stdio.h>

#include "engine/engine_int.h"
#include "base/log.h"

int
engine__cancel(struct engine *e, const char *tid, const char *sender,
    char *err, size_t errlen)
{
	struct job *j = engine__job_find(e, tid);

	/* Finished: ended already (its child may still be cleaning up). */
	if (!j || j->finished) {
		snprintf(err, errlen, "no running action with transaction_id %s",
		    tid);
		return -1;
	}
	/* j->sender is the requester its spool metadata records (an
	 * adopted job took it from there). */
	if (!policy_grants_cancel(e->policy, sender, j->sender)) {
		snprintf(err, errlen, "%s may not cancel transaction %s: only "
		    "its requester may, unless a policy-file rule for 'status "
		    "cancel' names the requester", sender ? sender : "?", tid);
		log_warnx("engine", "[%s] cancel by %s refused: requested by %s",
		    tid, sender ? sender : "?", j->sender);
		return -1;
	}
	j->cancel_requested = true;
	if (j->child)
		return exec_cancel(j->child) == 0 ? 0 : -1;
	/* Still queued (or its module still preparing it): it never
	 * started, so it ends here. */
	engine__queue_remove(e, j);
	job_finish(j, NULL, "the action was cancelled before it started");
	return 0;
}
