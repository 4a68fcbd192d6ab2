/* owed.c: owed responses: write, clear, replay in the order they were
 * written. The listing of transactions is spool.c's, the purge purge.c's,
 * system calls os.h's; delivering an owed response is the engine's
 * (engine/owed.c). Invariants: an owed file is written durably (fsync)
 * since it is the only copy of an undelivered result; its seq is strictly
 * greater than every seq on disk when it was written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "os/os.h"
#include "spool/spool_int.h"
#include "base/util.h"

/* Largest integer a JSON number (a double) holds exactly: 2^53. */
#define OWED_SEQ_MAX 9007199254740992.0

struct owed_entry {
	char *tid;
	uint64_t seq;
};

/* The owed file of tid, parsed and checked: 0 and *out (caller deletes),
 * or a negative code (-ENOENT when there is none). */
static int
owed__load(const struct spool *s, const char *tid, cJSON **out,
    uint64_t *seq)
{
	const cJSON *v;
	char *buf = NULL;
	size_t len;
	bool truncated;
	int rc;

	*out = NULL;
	if ((rc = spool_file_read(s, tid, "owed", SPOOL_OWED_MAX, &buf, &len,
	    &truncated)) != 0)
		return rc;
	rc = -EINVAL;
	if (truncated || strlen(buf) != len)
		goto cleanup;
	if (!(*out = cJSON_ParseWithOpts(buf, NULL, true)))
		goto cleanup;
	v = cJSON_GetObjectItemCaseSensitive(*out, "seq");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > OWED_SEQ_MAX ||
	    (double)(uint64_t)v->valuedouble != v->valuedouble)
		goto cleanup;
	*seq = (uint64_t)v->valuedouble;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(*out,
	    "message_type")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(*out, "target")) ||
	    !cJSON_GetObjectItemCaseSensitive(*out, "data"))
		goto cleanup;
	rc = 0;
cleanup:
	if (rc != 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	free(buf);
	return rc;
}

static int
owed__entry_cmp(const void *a, const void *b)
{
	const struct owed_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->tid, y->tid);
}

static void
owed__entries_free(struct owed_entry *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].tid);
	free(v);
}

/* Every readable owed file as (tid, seq), sorted by seq; raises
 * s->owed_seq to the highest seq seen. Unreadable ones are logged and
 * left on disk for a person to look at. */
static int
owed__collect(struct spool *s, struct owed_entry **out, size_t *nout)
{
	struct owed_entry *v = NULL;
	char **names = NULL;
	size_t n = 0, i, cnt = 0;
	cJSON *owed;
	uint64_t seq;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = spool__list_tids(s, &names, &n)) != 0)
		return rc;
	if (n && !(v = calloc(n, sizeof(*v)))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (!spool_file_exists(s, names[i], "owed"))
			continue;
		if ((rc = owed__load(s, names[i], &owed, &seq)) != 0) {
			if (rc != -ENOENT)
				log_warnx("spool", "%s: owed response unreadable "
				    "(%s), kept", names[i], strerror(-rc));
			rc = 0;
			continue;
		}
		cJSON_Delete(owed);
		v[cnt].tid = names[i];
		names[i] = NULL;
		v[cnt++].seq = seq;
		if (seq > s->owed_seq)
			s->owed_seq = seq;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), owed__entry_cmp);
	*out = v;
	*nout = cnt;
	v = NULL;
cleanup:
	owed__entries_free(v, cnt);
	os_names_free(names, n);
	return rc;
}

uint64_t
spool__owed_seq_max(struct spool *s)
{
	struct owed_entry *v;
	size_t n;

	if (owed__collect(s, &v, &n) == 0)
		owed__entries_free(v, n);
	return s->owed_seq;
}

uint64_t
spool_owed_seq_next(struct spool *s)
{
	/* Later than everything on disk, and readable as a time (µs) when
	 * the clock is sane. */
	uint64_t seq = util_now_ms() * 1000;

	if (seq <= s->owed_seq)
		seq = s->owed_seq + 1;
	if ((double)seq > OWED_SEQ_MAX)
		return 0;
	s->owed_seq = seq;
	return seq;
}

int
spool_owed_store(const struct spool *s, const char *tid, uint64_t seq,
    const char *id, const char *type, const char *target,
    const char *data_json)
{
	char *dir = NULL, *path = NULL, *qtype = NULL, *qtarget = NULL;
	char *head = NULL, *text = NULL, *qid = NULL;
	size_t hlen, dlen;
	int rc;
	bool made_dir = false;

	if (spool_tid_check(tid, NULL, 0) != 0 || !type || !target ||
	    !data_json)
		return -EINVAL;
	if (seq == 0)
		return -ERANGE;
	/* Built by hand: cJSON would print a 16-digit seq in %g form; the
	 * data is written as it is, never parsed again. */
	rc = -ENOMEM;
	if (!(qtype = json_quote(type)) || !(qtarget = json_quote(target)) ||
	    (id && !(qid = json_quote(id))) ||
	    !(head = util_asprintf("{\"seq\":%llu,%s%s%s\"message_type\":%s,"
	    "\"target\":%s,\"data\":", (unsigned long long)seq,
	    qid ? "\"id\":" : "", qid ? qid : "", qid ? "," : "", qtype,
	    qtarget)))
		goto cleanup;
	if (!(dir = spool_path(s, tid, NULL)) ||
	    !(path = spool_path(s, tid, "owed")))
		goto cleanup;
	/* A blocking transaction has no directory; its owed reply gets one,
	 * removed again by spool_owed_clear. */
	rc = os_create_private(dir, OS_FTYPE_DIR, NULL);
	if (rc == 0)
		made_dir = true;
	else if (rc != -EEXIST)
		goto cleanup;
	/* One copy, in the thread pool: the file is one write. */
	hlen = strlen(head);
	dlen = strlen(data_json);
	if (!(text = malloc(hlen + dlen + 2))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	memcpy(text, head, hlen);
	memcpy(text + hlen, data_json, dlen);
	text[hlen + dlen] = '}';
	text[hlen + dlen + 1] = '\0';
	if ((rc = os_write_atomic(path, text, hlen + dlen + 1, true)) != 0)
		goto cleanup;
	/* The file itself is safe now; a failed sync of the new directory's
	 * entry is no reason to report the write failed. */
	if (made_dir)
		os_dir_sync(s->dir);
cleanup:
	if (rc != 0 && made_dir)
		os_rmdir(dir);
	free(qtype);
	free(qtarget);
	free(head);
	free(qid);
	free(text);
	free(dir);
	free(path);
	return rc;
}

int
spool_owed_write(struct spool *s, const char *tid, const char *type,
    const char *target, const char *data_json)
{
	cJSON *data;

	if (spool_tid_check(tid, NULL, 0) != 0 || !type || !target ||
	    !data_json)
		return -EINVAL;
	/* The data is stored as the text we were given (big integers and
	 * number forms survive), but it must be one JSON value or the whole
	 * file would be unreadable later. */
	if (!(data = cJSON_ParseWithOpts(data_json, NULL, true)))
		return -EINVAL;
	cJSON_Delete(data);
	return spool_owed_store(s, tid, spool_owed_seq_next(s), NULL, type,
	    target, data_json);
}

int
spool_owed_clear(struct spool *s, const char *tid)
{
	char *dir = NULL, *path = NULL;
	int rc;

	if (spool_tid_check(tid, NULL, 0) != 0)
		return -EINVAL;
	if (!(dir = spool_path(s, tid, NULL)) ||
	    !(path = spool_path(s, tid, "owed"))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = os_unlink(path);
	if (rc == -ENOENT)
		rc = 0;
	/* Only succeeds for a directory spool_owed_write made for a blocking
	 * transaction: any other one still holds its metadata. */
	if (rc == 0)
		os_rmdir(dir);
cleanup:
	free(dir);
	free(path);
	return rc;
}

int
spool_owed_list(struct spool *s, char ***tids, size_t *n)
{
	struct owed_entry *v = NULL;
	size_t cnt = 0, i;
	int rc;

	*tids = NULL;
	*n = 0;
	if ((rc = owed__collect(s, &v, &cnt)) != 0)
		return rc;
	if (cnt && !(*tids = calloc(cnt, sizeof(**tids)))) {
		owed__entries_free(v, cnt);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		(*tids)[i] = v[i].tid;
		v[i].tid = NULL;
	}
	*n = cnt;
	owed__entries_free(v, cnt);
	return 0;
}

int
spool_owed_read(const struct spool *s, const char *tid, cJSON **out)
{
	uint64_t seq;

	if (spool_tid_check(tid, NULL, 0) != 0)
		return -EINVAL;
	return owed__load(s, tid, out, &seq);
}

int
spool_owed_foreach(struct spool *s, spool_owed_cb cb, void *arg)
{
	struct owed_entry *v = NULL;
	size_t n = 0, i;
	cJSON *owed;
	uint64_t seq;
	int rc;

	if ((rc = owed__collect(s, &v, &n)) != 0)
		return rc;
	/* Loaded again one at a time: holding every owed result in memory at
	 * once could be large, and cb may clear the entry it was given. */
	for (i = 0; i < n; i++) {
		if (owed__load(s, v[i].tid, &owed, &seq) != 0)
			continue;
		cb(arg, v[i].tid, owed);
		cJSON_Delete(owed);
	}
	owed__entries_free(v, n);
	return 0;
}
