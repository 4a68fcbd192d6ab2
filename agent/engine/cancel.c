/* cancel.c: cancel (a pxpd extension, asked through the status module):
 * a running action's whole process tree is killed through exec, a queued
 * one ends before it starts. Invariant: the job ends exactly once, by
 * exec's done callback or here. */
#include <stdio.h>

#include "engine/engine_int.h"

int
engine__cancel(struct engine *e, const char *tid, char *err, size_t errlen)
{
	struct job *j = engine__job_find(e, tid);
	struct job **pp;

	if (!j) {
		snprintf(err, errlen, "no running action with transaction_id %s",
		    tid);
		return -1;
	}
	j->cancel_requested = true;
	if (j->child)
		return exec_cancel(j->child) == 0 ? 0 : -1;
	/* Still queued: it never started, so it ends here. */
	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		if (*pp == j) {
			*pp = j->qnext;
			e->n_queued--;
			break;
		}
	e->queue_tail = NULL;
	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		e->queue_tail = *pp;
	job_finish(j, NULL, "the action was cancelled before it started");
	return 0;
}
