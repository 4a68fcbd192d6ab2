/* test_spool.c: the results spool on a real directory: transaction id
 * checks (the path-traversal guard), creation and dedup, modes, metadata
 * round trip and validity, atomic and bounded file I/O, pid/exitcode
 * parsing, owed responses and their order, purge decisions, and a tree
 * removal that must not follow symlinks out of the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec.h"          /* reads what spool_result_write wrote */
#include "spool/spool.h"
#include "os/os.h"             /* os_mkdir_p for fixtures */
#include "base/util.h"

#define PATH_BUF 256

struct fixture {
	char root[64];          /* mkdtemp dir */
	char dir[96];            /* root/spool */
	struct spool *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	strcpy(f->root, "/tmp/pxpd-test-spool-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/spool", f->root);
	f->s = spool_open(f->dir, err, sizeof(err));
	if (!f->s)
		fail_msg("spool_open: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	spool_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Metadata as the engine writes it at acceptance. */
static cJSON *
meta_new(const char *tid, const char *status, const char *start)
{
	cJSON *m = cJSON_CreateObject();

	assert_non_null(m);
	cJSON_AddStringToObject(m, "requester", "pcp://ctl.example.com/c");
	cJSON_AddStringToObject(m, "module", "pxp-module-puppet");
	cJSON_AddStringToObject(m, "action", "run");
	cJSON_AddStringToObject(m, "request_params", "{}");
	cJSON_AddStringToObject(m, "transaction_id", tid);
	cJSON_AddStringToObject(m, "request_id", "f318e9c9-84f9-4cc6");
	cJSON_AddBoolToObject(m, "notify_outcome", false);
	cJSON_AddStringToObject(m, "start", start);
	cJSON_AddStringToObject(m, "status", status);
	return m;
}

static void
create_tx(struct fixture *f, const char *tid, const char *status,
    const char *start)
{
	cJSON *m = meta_new(tid, status, start);

	assert_int_equal(spool_create(f->s, tid, m), 0);
	cJSON_Delete(m);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries of a directory other than "." and "..". */
static int
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
write_raw(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
spool_tid_check_table(void **state)
{
	static const char *const good[] = {
		"1b3595ee-1b96-4ab7-a7cf-98b7f5a76b9b", "t-1", "abc:def.1_2",
		"a", "A.B", "x..y", "0",
	};
	static const struct {
		const char *tid;
		const char *why;
	} bad[] = {
		{ "../x", "contains '/'" }, { "..", "starts with '.'" },
		{ ".", "starts with '.'" }, { ".hidden", "starts with '.'" },
		{ "a/b", "contains '/'" }, { "a\\b", "contains '\\'" },
		{ "/", "contains '/'" }, { "", "empty" },
		{ "a b", "contains byte 0x20" }, { "caf\xc3\xa9", "byte 0xc3" },
		{ "a\nb", "byte 0x0a" }, { "a*", "contains '*'" },
		{ "../../..", "contains '/'" },
	};
	char err[128], tid[SPOOL_TID_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (spool_tid_check(good[i], err, sizeof(err)) != 0)
			fail_msg("rejected '%s': %s", good[i], err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(spool_tid_check(bad[i].tid, err, sizeof(err)),
		    -1);
		if (!strstr(err, bad[i].why) ||
		    strncmp(err, "invalid transaction_id: ", 24))
			fail_msg("'%s': err '%s', want '%s'", bad[i].tid, err,
			    bad[i].why);
	}
	assert_int_equal(spool_tid_check(NULL, err, sizeof(err)), -1);
	assert_int_equal(spool_tid_check("..", NULL, 0), -1);

	memset(tid, 'a', SPOOL_TID_MAX);
	tid[SPOOL_TID_MAX] = '\0';
	assert_int_equal(spool_tid_check(tid, err, sizeof(err)), 0);
	tid[SPOOL_TID_MAX] = 'a';
	tid[SPOOL_TID_MAX + 1] = '\0';
	assert_int_equal(spool_tid_check(tid, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 128"));
}

/* Every entry point refuses a bad id, and nothing appears outside. */
static void
spool_bad_tid_everywhere(void **state)
{
	struct fixture *f = *state;
	static const char *const tids[] = { "../escape", "..", "a/b", "" };
	cJSON *m = meta_new("x", "running", "2020-01-01T00:00:00Z"), *out;
	char esc[PATH_BUF], *buf;
	size_t i, len;
	bool tr;

	for (i = 0; i < sizeof(tids) / sizeof(tids[0]); i++) {
		const char *t = tids[i];

		assert_int_equal(spool_create(f->s, t, m), -EINVAL);
		assert_false(spool_exists(f->s, t));
		assert_null(spool_path(f->s, t, NULL));
		assert_int_equal(spool_metadata_read(f->s, t, &out), -EINVAL);
		assert_null(out);
		assert_int_equal(spool_metadata_write(f->s, t, m), -EINVAL);
		assert_int_equal(spool_file_read(f->s, t, "stdout", 10, &buf,
		    &len, &tr), -EINVAL);
		assert_int_equal(spool_file_write(f->s, t, "x", "y", 1),
		    -EINVAL);
		assert_false(spool_file_exists(f->s, t, "metadata"));
		assert_int_equal(spool_file_remove(f->s, t, "x"), -EINVAL);
		assert_int_equal(spool_owed_write(f->s, t, "x", "y", "{}"),
		    -EINVAL);
		assert_int_equal(spool_owed_clear(f->s, t), -EINVAL);
	}
	/* File names get the same check. */
	create_tx(f, "good", "running", "2020-01-01T00:00:00Z");
	assert_null(spool_path(f->s, "good", "../../x"));
	assert_int_equal(spool_file_write(f->s, "good", "../x", "y", 1),
	    -EINVAL);
	assert_int_equal(spool_file_write(f->s, "good", ".hidden", "y", 1),
	    -EINVAL);
	snprintf(esc, sizeof(esc), "%s/escape", f->root);
	assert_false(path_exists(esc));
	snprintf(esc, sizeof(esc), "%s/x", f->dir);
	assert_false(path_exists(esc));
	cJSON_Delete(m);
}

static void
spool_path_format(void **state)
{
	struct fixture *f = *state;
	char want[PATH_BUF], *p;

	p = spool_path(f->s, "t-1", NULL);
	snprintf(want, sizeof(want), "%s/t-1", f->dir);
	assert_string_equal(p, want);
	free(p);
	p = spool_path(f->s, "t-1", "stdout");
	snprintf(want, sizeof(want), "%s/t-1/stdout", f->dir);
	assert_string_equal(p, want);
	free(p);
	assert_string_equal(spool_dir(f->s), f->dir);
}

static void
spool_create_dedup_and_modes(void **state)
{
	struct fixture *f = *state;
	cJSON *m = meta_new("t-1", "running", "2020-01-01T00:00:00Z");
	char path[PATH_BUF];

	assert_false(spool_exists(f->s, "t-1"));
	assert_int_equal(spool_create(f->s, "t-1", m), 0);
	assert_true(spool_exists(f->s, "t-1"));
	assert_int_equal(spool_create(f->s, "t-1", m), -EEXIST);
	assert_int_equal(spool_create(f->s, "t-2", NULL), -EINVAL);
	assert_false(spool_exists(f->s, "t-2"));

	assert_int_equal(mode_of(f->dir), 0700);
	snprintf(path, sizeof(path), "%s/t-1", f->dir);
	assert_int_equal(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/t-1/metadata", f->dir);
	assert_int_equal(mode_of(path), 0600);
	assert_true(spool_file_exists(f->s, "t-1", "metadata"));
	assert_false(spool_file_exists(f->s, "t-1", "exitcode"));
	assert_int_equal(spool_file_write(f->s, "t-1", "pid", "42\n", 3), 0);
	snprintf(path, sizeof(path), "%s/t-1/pid", f->dir);
	assert_int_equal(mode_of(path), 0600);
	cJSON_Delete(m);
}

static void
spool_metadata_round_trip(void **state)
{
	struct fixture *f = *state;
	cJSON *m = meta_new("t-1", "running", "2016-02-19T10:09:18.283484Z");
	cJSON *out = NULL;
	char *a, *b;

	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), -ENOENT);
	assert_int_equal(spool_create(f->s, "t-1", m), 0);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), 0);
	assert_true(spool_metadata_valid(out));
	assert_true(cJSON_Compare(m, out, true));
	cJSON_Delete(out);

	/* Rewrite at completion. */
	cJSON_ReplaceItemInObject(m, "status", cJSON_CreateString("success"));
	cJSON_AddStringToObject(m, "end", "2016-02-19T10:09:20.615601Z");
	cJSON_AddBoolToObject(m, "results_are_valid", true);
	cJSON_AddItemToObject(m, "results",
	    cJSON_Parse("{\"status\":\"changed\",\"exitcode\":2}"));
	assert_int_equal(spool_metadata_write(f->s, "t-1", m), 0);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), 0);
	a = cJSON_PrintUnformatted(m);
	b = cJSON_PrintUnformatted(out);
	assert_string_equal(a, b);
	assert_true(spool_metadata_valid(out));
	free(a);
	free(b);
	cJSON_Delete(out);
	cJSON_Delete(m);

	/* Not JSON, not an object, a NUL inside: all -EINVAL. */
	assert_int_equal(spool_file_write(f->s, "t-1", "metadata", "{", 1), 0);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), -EINVAL);
	assert_int_equal(spool_file_write(f->s, "t-1", "metadata", "[1]", 3),
	    0);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), -EINVAL);
	assert_int_equal(spool_file_write(f->s, "t-1", "metadata", "{}\0x", 4),
	    0);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &out), -EINVAL);
	assert_null(out);
	assert_int_equal(spool_metadata_write(f->s, "t-1", NULL), -EINVAL);
}

static void
spool_metadata_validity(void **state)
{
	static const char *const required[] = { "requester", "module",
	    "action", "request_params", "transaction_id", "request_id",
	    "notify_outcome", "start", "status" };
	cJSON *m;
	size_t i;

	(void)state;
	m = meta_new("t", "running", "2020-01-01T00:00:00Z");
	assert_true(spool_metadata_valid(m));
	cJSON_Delete(m);
	assert_false(spool_metadata_valid(NULL));
	m = cJSON_CreateArray();
	assert_false(spool_metadata_valid(m));
	cJSON_Delete(m);

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		/* missing */
		m = meta_new("t", "running", "2020-01-01T00:00:00Z");
		cJSON_DeleteItemFromObject(m, required[i]);
		if (spool_metadata_valid(m))
			fail_msg("valid without %s", required[i]);
		/* wrong type: a number for a string, a string for the bool */
		cJSON_AddItemToObject(m, required[i],
		    !strcmp(required[i], "notify_outcome") ?
		    cJSON_CreateString("false") : cJSON_CreateNumber(1));
		if (spool_metadata_valid(m))
			fail_msg("valid with a wrong-typed %s", required[i]);
		cJSON_Delete(m);
	}
	/* request_params must be text, not the object. */
	m = meta_new("t", "running", "2020-01-01T00:00:00Z");
	cJSON_ReplaceItemInObject(m, "request_params", cJSON_CreateObject());
	assert_false(spool_metadata_valid(m));
	cJSON_Delete(m);
	/* Optional members are typed too, when present. */
	m = meta_new("t", "failure", "2020-01-01T00:00:00Z");
	cJSON_AddItemToObject(m, "results", cJSON_CreateNull());
	cJSON_AddStringToObject(m, "execution_error", "boom");
	assert_true(spool_metadata_valid(m));
	cJSON_AddNumberToObject(m, "results_are_valid", 1);
	assert_false(spool_metadata_valid(m));
	cJSON_Delete(m);
	m = meta_new("t", "failure", "2020-01-01T00:00:00Z");
	cJSON_AddNumberToObject(m, "end", 5);
	assert_false(spool_metadata_valid(m));
	cJSON_Delete(m);
}

static void
spool_atomic_write_no_temp(void **state)
{
	struct fixture *f = *state;
	char path[PATH_BUF], *buf;
	size_t len;
	bool tr;
	int i;

	create_tx(f, "t-1", "running", "2020-01-01T00:00:00Z");
	for (i = 0; i < 20; i++) {
		char text[32];

		snprintf(text, sizeof(text), "version %d", i);
		assert_int_equal(spool_file_write(f->s, "t-1", "stdout", text,
		    strlen(text)), 0);
	}
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 100, &buf,
	    &len, &tr), 0);
	assert_string_equal(buf, "version 19");
	free(buf);
	/* Only metadata and stdout: no *.tmp-* left behind. */
	snprintf(path, sizeof(path), "%s/t-1", f->dir);
	assert_int_equal(count_entries(path), 2);
	/* Empty file. */
	assert_int_equal(spool_file_write(f->s, "t-1", "stderr", NULL, 0), 0);
	assert_int_equal(spool_file_read(f->s, "t-1", "stderr", 100, &buf,
	    &len, &tr), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* A symlink planted at the name is replaced, not written through. */
	snprintf(path, sizeof(path), "%s/t-1/stdout", f->dir);
	unlink(path);
	char target[PATH_BUF];
	snprintf(target, sizeof(target), "%s/victim", f->root);
	write_raw(target, "untouched");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(spool_file_write(f->s, "t-1", "stdout", "new", 3), 0);
	{
		struct stat st;

		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 100, &buf,
	    &len, &tr), 0);
	assert_string_equal(buf, "new");
	free(buf);
	{
		FILE *fp = fopen(target, "r");
		char got[32] = "";

		assert_non_null(fp);
		assert_non_null(fgets(got, sizeof(got), fp));
		fclose(fp);
		assert_string_equal(got, "untouched");
	}
}

static void
spool_file_read_bounded(void **state)
{
	struct fixture *f = *state;
	char path[PATH_BUF], target[PATH_BUF], *buf = (char *)1;
	size_t len = 99;
	bool tr = true;

	create_tx(f, "t-1", "running", "2020-01-01T00:00:00Z");
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 10, &buf, &len,
	    &tr), -ENOENT);
	assert_null(buf);
	assert_int_equal(spool_file_write(f->s, "t-1", "stdout",
	    "0123456789abcdef", 16), 0);

	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 10, &buf, &len,
	    &tr), 0);
	assert_int_equal(len, 10);
	assert_true(tr);
	assert_string_equal(buf, "0123456789");
	free(buf);
	/* Exactly the size: complete, not truncated. */
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 16, &buf, &len,
	    &tr), 0);
	assert_int_equal(len, 16);
	assert_false(tr);
	assert_string_equal(buf, "0123456789abcdef");
	free(buf);
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 1 << 20, &buf,
	    &len, &tr), 0);
	assert_int_equal(len, 16);
	assert_false(tr);
	free(buf);
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 0, &buf, &len,
	    &tr), 0);
	assert_int_equal(len, 0);
	assert_true(tr);
	assert_string_equal(buf, "");
	free(buf);

	/* Bigger than one read and than the first guess. */
	{
		size_t big = 300000, i;
		char *data = malloc(big);

		assert_non_null(data);
		for (i = 0; i < big; i++)
			data[i] = (char)('a' + i % 26);
		assert_int_equal(spool_file_write(f->s, "t-1", "stderr", data,
		    big), 0);
		assert_int_equal(spool_file_read(f->s, "t-1", "stderr",
		    SIZE_MAX, &buf, &len, &tr), 0);
		assert_int_equal(len, big);
		assert_false(tr);
		assert_memory_equal(buf, data, big);
		free(buf);
		free(data);
	}

	/* A symlink is not followed (an action could point it at a secret);
	 * a FIFO is refused at once instead of blocking. */
	snprintf(target, sizeof(target), "%s/secret", f->root);
	write_raw(target, "secret");
	snprintf(path, sizeof(path), "%s/t-1/link", f->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(spool_file_read(f->s, "t-1", "link", 100, &buf, &len,
	    &tr), -EINVAL);
	assert_null(buf);
	snprintf(path, sizeof(path), "%s/t-1/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(spool_file_read(f->s, "t-1", "fifo", 100, &buf, &len,
	    &tr), -EINVAL);
	snprintf(path, sizeof(path), "%s/t-1/sub", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(spool_file_read(f->s, "t-1", "sub", 100, &buf,
	    &len, &tr), 0);
}

/* The queued file of an action that starts goes; a file already gone
 * is no error, a directory or a bad name is never removed. The exitcode
 * and pid files are read by exec alone (test_exec_job.c). */
static void
spool_file_remove_cases(void **state)
{
	struct fixture *f = *state;
	char path[512];

	create_tx(f, "t-1", "running", "2020-01-01T00:00:00Z");
	assert_int_equal(spool_file_write(f->s, "t-1", "queued", "{}", 2), 0);
	assert_true(spool_file_exists(f->s, "t-1", "queued"));
	assert_int_equal(spool_file_remove(f->s, "t-1", "queued"), 0);
	assert_false(spool_file_exists(f->s, "t-1", "queued"));
	assert_int_equal(spool_file_remove(f->s, "t-1", "queued"), 0);
	assert_int_equal(spool_file_remove(f->s, "t-1", "../t-1"), -EINVAL);
	assert_int_equal(spool_file_remove(f->s, "t-1", NULL), -EINVAL);
	snprintf(path, sizeof(path), "%s/t-1/sub", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(spool_file_remove(f->s, "t-1", "sub"), 0);
	assert_true(path_exists(path));
	assert_true(spool_exists(f->s, "t-1"));
}

/* What pxpd writes for an action it ran itself (the file module) reads
 * back like a wrapper's files; a lost outcome becomes "undetermined". */
static void
spool_result_and_undetermined(void **state)
{
	struct fixture *f = *state;
	cJSON *m = NULL;
	char *buf, dir[512];
	size_t len;
	bool tr;
	int code;

	create_tx(f, "t-1", "running", "2020-01-01T00:00:00Z");
	assert_int_equal(spool_result_write(f->s, "t-1", 1, "", 0, "no\0pe",
	    6), 0);
	snprintf(dir, sizeof(dir), "%s/t-1", f->dir);
	assert_int_equal(exec_result_exitcode(dir, &code), 0);
	assert_int_equal(code, 1);
	assert_int_equal(spool_file_read(f->s, "t-1", "stdout", 100, &buf,
	    &len, &tr), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(spool_file_read(f->s, "t-1", "stderr", 100, &buf,
	    &len, &tr), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "no\0pe", 6);
	free(buf);
	assert_int_equal(spool_result_write(f->s, "../x", 0, "", 0, "", 0),
	    -EINVAL);

	assert_int_equal(spool_metadata_read(f->s, "t-1", &m), 0);
	assert_int_equal(spool_metadata_undetermined(f->s, "t-1", m,
	    "gone"), 0);
	cJSON_Delete(m);
	assert_int_equal(spool_metadata_read(f->s, "t-1", &m), 0);
	assert_true(spool_metadata_valid(m));
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring,
	    "undetermined");
	assert_string_equal(cJSON_GetObjectItem(m,
	    "execution_error")->valuestring, "gone");
	cJSON_Delete(m);
}

struct owed_seen {
	int n;
	char tids[8][32];
	char types[8][64];
	uint64_t seqs[8];
	struct spool *s;
	bool clear;
};

static void
owed_record(void *arg, const char *tid, const cJSON *owed)
{
	struct owed_seen *o = arg;
	const cJSON *data = cJSON_GetObjectItem(owed, "data");

	assert_true(o->n < 8);
	snprintf(o->tids[o->n], sizeof(o->tids[0]), "%s", tid);
	snprintf(o->types[o->n], sizeof(o->types[0]), "%s",
	    cJSON_GetObjectItem(owed, "message_type")->valuestring);
	o->seqs[o->n] = (uint64_t)cJSON_GetObjectItem(owed, "seq")->valuedouble;
	assert_string_equal(cJSON_GetObjectItem(owed, "target")->valuestring,
	    "pcp://ctl/c");
	assert_true(cJSON_IsObject(data));
	assert_string_equal(cJSON_GetObjectItem(data, "transaction_id")
	    ->valuestring, tid);
	if (o->clear)
		assert_int_equal(spool_owed_clear(o->s, tid), 0);
	o->n++;
}

static void
owed_put(struct fixture *f, const char *tid, const char *type)
{
	char data[128];

	snprintf(data, sizeof(data), "{\"transaction_id\":\"%s\","
	    "\"results\":{\"n\":12345678901234567890}}", tid);
	assert_int_equal(spool_owed_write(f->s, tid, type, "pcp://ctl/c",
	    data), 0);
}

static void
spool_owed_order_and_clear(void **state)
{
	struct fixture *f = *state;
	struct owed_seen o = { .s = f->s };
	char path[PATH_BUF], *buf;
	size_t len;
	bool tr;
	int i;

	/* Names sort the other way round from the write order. */
	create_tx(f, "c-tx", "success", "2020-01-01T00:00:00Z");
	create_tx(f, "b-tx", "success", "2020-01-01T00:00:00Z");
	create_tx(f, "a-tx", "success", "2020-01-01T00:00:00Z");
	owed_put(f, "c-tx", "http://puppetlabs.com/rpc_non_blocking_response");
	owed_put(f, "b-tx", "http://puppetlabs.com/rpc_error_message");
	owed_put(f, "a-tx", "http://puppetlabs.com/rpc_non_blocking_response");
	/* A blocking transaction has no directory yet. */
	assert_false(spool_exists(f->s, "blk"));
	owed_put(f, "blk", "http://puppetlabs.com/rpc_blocking_response");
	assert_true(spool_exists(f->s, "blk"));
	snprintf(path, sizeof(path), "%s/a-tx/owed", f->dir);
	assert_int_equal(mode_of(path), 0600);
	/* The data is kept as text: the big integer survives. */
	assert_int_equal(spool_file_read(f->s, "a-tx", "owed", 4096, &buf,
	    &len, &tr), 0);
	assert_non_null(strstr(buf, "12345678901234567890"));
	free(buf);

	assert_int_equal(spool_owed_write(f->s, "a-tx", "t", "u", "{bad"),
	    -EINVAL);
	assert_int_equal(spool_owed_write(f->s, "a-tx", "t", "u", "{} {}"),
	    -EINVAL);
	assert_int_equal(spool_owed_write(f->s, "a-tx", NULL, "u", "{}"),
	    -EINVAL);

	assert_int_equal(spool_owed_foreach(f->s, owed_record, &o), 0);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.tids[0], "c-tx");
	assert_string_equal(o.tids[1], "b-tx");
	assert_string_equal(o.tids[2], "a-tx");
	assert_string_equal(o.tids[3], "blk");
	assert_string_equal(o.types[1], "http://puppetlabs.com/rpc_error_message");
	for (i = 1; i < 4; i++)
		assert_true(o.seqs[i] > o.seqs[i - 1]);

	/* Rewriting moves a transaction to the end. */
	owed_put(f, "c-tx", "http://puppetlabs.com/rpc_non_blocking_response");
	memset(&o, 0, sizeof(o));
	o.s = f->s;
	o.clear = true;               /* clearing from inside the callback */
	assert_int_equal(spool_owed_foreach(f->s, owed_record, &o), 0);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.tids[3], "c-tx");

	memset(&o, 0, sizeof(o));
	assert_int_equal(spool_owed_foreach(f->s, owed_record, &o), 0);
	assert_int_equal(o.n, 0);
	/* Clear removed the directory it made, and only that one. */
	assert_false(spool_exists(f->s, "blk"));
	assert_true(spool_exists(f->s, "a-tx"));
	assert_true(spool_file_exists(f->s, "a-tx", "metadata"));
	assert_int_equal(spool_owed_clear(f->s, "a-tx"), 0);   /* idempotent */
}

/* seq continues above what is on disk after a restart, even when the
 * clock went back. */
static void
spool_owed_seq_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct owed_seen o = { 0 };
	char err[256];

	create_tx(f, "old", "success", "2020-01-01T00:00:00Z");
	const char *text = "{\"seq\":9000000000000000,\"message_type\":\"m\","
	    "\"target\":\"pcp://ctl/c\",\"data\":{\"transaction_id\":\"old\"}}";

	assert_int_equal(spool_file_write(f->s, "old", "owed", text,
	    strlen(text)), 0);
	/* A corrupt owed file is skipped, not fatal. */
	create_tx(f, "junk", "success", "2020-01-01T00:00:00Z");
	assert_int_equal(spool_file_write(f->s, "junk", "owed", "{\"seq\":",
	    7), 0);
	spool_close(f->s);
	f->s = spool_open(f->dir, err, sizeof(err));
	assert_non_null(f->s);
	create_tx(f, "new", "success", "2020-01-01T00:00:00Z");
	owed_put(f, "new", "m");
	assert_int_equal(spool_owed_foreach(f->s, owed_record, &o), 0);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.tids[0], "old");
	assert_string_equal(o.tids[1], "new");
	assert_true(o.seqs[1] == 9000000000000001ULL);
	/* The two halves the thread pool uses: the seq keeps counting, the
	 * id is kept, the data is stored as given. */
	{
		uint64_t seq = spool_owed_seq_next(f->s);
		cJSON *owed = NULL;

		assert_true(seq > o.seqs[1]);
		create_tx(f, "split", "success", "2020-01-01T00:00:00Z");
		assert_int_equal(spool_owed_store(f->s, "split", seq, "id-1",
		    "m", "pcp://ctl/c", "{\"transaction_id\":\"split\"}"), 0);
		assert_int_equal(spool_owed_read(f->s, "split", &owed), 0);
		assert_string_equal(cJSON_GetObjectItem(owed, "id")->valuestring,
		    "id-1");
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(owed,
		    "data"), "transaction_id")->valuestring, "split");
		assert_true((uint64_t)cJSON_GetObjectItem(owed,
		    "seq")->valuedouble == seq);
		cJSON_Delete(owed);
	}
}

static bool
busy_cb(void *arg, const char *tid)
{
	(void)arg;
	return !strcmp(tid, "old-busy");
}

static void
spool_purge_decisions(void **state)
{
	struct fixture *f = *state;
	const char *old = "2000-01-01T00:00:00.000000Z";
	char now[UTIL_TIME_LEN], path[PATH_BUF];

	util_time_iso_us(now);
	create_tx(f, "old-done", "success", old);
	create_tx(f, "old-failed", "failure", old);
	create_tx(f, "old-undet", "undetermined", old);
	create_tx(f, "old-running", "running", old);
	create_tx(f, "old-busy", "success", old);
	create_tx(f, "young-done", "success", now);
	create_tx(f, "old-garbage", "success", old);
	assert_int_equal(spool_file_write(f->s, "old-garbage", "metadata",
	    "{\"start\":", 9), 0);
	create_tx(f, "old-invalid", "success", old);
	{
		const char *t = "{\"start\":\"2000-01-01T00:00:00Z\","
		    "\"status\":\"success\"}";

		assert_int_equal(spool_file_write(f->s, "old-invalid",
		    "metadata", t, strlen(t)), 0);
	}
	create_tx(f, "old-badstart", "success", "last tuesday");
	create_tx(f, "old-owed", "success", old);
	owed_put(f, "old-owed", "m");
	snprintf(path, sizeof(path), "%s/old-nometa", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	/* With contents, to show the whole tree goes. */
	assert_int_equal(spool_file_write(f->s, "old-done", "stdout", "x", 1),
	    0);
	snprintf(path, sizeof(path), "%s/old-done/temp_task_1/a/b", f->dir);
	assert_int_equal(os_mkdir_p(path, 0700, 0700), 0);

	assert_int_equal(spool_purge(f->s, 0, busy_cb, NULL), 0);  /* off */
	assert_true(spool_exists(f->s, "old-done"));
	assert_int_equal(spool_purge(f->s, -1, busy_cb, NULL), -EINVAL);

	assert_int_equal(spool_purge(f->s, 3600, busy_cb, NULL), 3);
	assert_false(spool_exists(f->s, "old-done"));
	assert_false(spool_exists(f->s, "old-failed"));
	assert_false(spool_exists(f->s, "old-undet"));
	assert_true(spool_exists(f->s, "old-running"));
	assert_true(spool_exists(f->s, "old-busy"));
	assert_true(spool_exists(f->s, "young-done"));
	assert_true(spool_exists(f->s, "old-garbage"));
	assert_true(spool_exists(f->s, "old-invalid"));
	assert_true(spool_exists(f->s, "old-badstart"));
	assert_true(spool_exists(f->s, "old-owed"));
	assert_true(spool_exists(f->s, "old-nometa"));
	/* Nothing more is due; no busy callback means nothing is busy. */
	assert_int_equal(spool_purge(f->s, 3600, busy_cb, NULL), 0);
	assert_int_equal(spool_purge(f->s, 3600, NULL, NULL), 1);
	assert_false(spool_exists(f->s, "old-busy"));
	/* Once delivered, the owed one goes too. */
	assert_int_equal(spool_owed_clear(f->s, "old-owed"), 0);
	assert_int_equal(spool_purge(f->s, 3600, NULL, NULL), 1);
	assert_false(spool_exists(f->s, "old-owed"));
	/* Unreadable, invalid or missing metadata (empty after a power cut
	 * under an older agent, a crash before the creation's commit) is
	 * aged by its file's time, the directory's without one: once old,
	 * it goes (it used to stay for ever). */
	{
		static const char *const aged[] = { "old-garbage/metadata",
		    "old-invalid/metadata", "old-nometa" };
		struct utimbuf y2k = { 946684800, 946684800 };
		size_t i;

		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", f->dir, aged[i]);
			assert_int_equal(utime(path, &y2k), 0);
		}
		assert_true(spool_uncommitted(f->s, "old-nometa"));
		assert_false(spool_uncommitted(f->s, "old-garbage"));
		assert_int_equal(spool_purge(f->s, 3600, NULL, NULL), 3);
		assert_false(spool_exists(f->s, "old-garbage"));
		assert_false(spool_exists(f->s, "old-invalid"));
		assert_false(spool_exists(f->s, "old-nometa"));
		assert_true(spool_exists(f->s, "old-badstart"));
		assert_true(spool_exists(f->s, "old-running"));
	}
	/* A TTL longer than the age keeps even the old ones. */
	create_tx(f, "y2k", "success", old);
	assert_int_equal(spool_purge(f->s, 40L * 365 * 86400, NULL, NULL), 0);
	assert_true(spool_exists(f->s, "y2k"));
}

static void
each_record(void *arg, const char *tid)
{
	char *seen = arg;

	strcat(seen, tid);
	strcat(seen, ";");
}

static void
spool_foreach_skips_non_transactions(void **state)
{
	struct fixture *f = *state;
	char path[PATH_BUF], seen[256] = "";

	create_tx(f, "t-1", "running", "2020-01-01T00:00:00Z");
	snprintf(path, sizeof(path), "%s/.hidden", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a file", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/plainfile", f->dir);
	write_raw(path, "x");
	snprintf(path, sizeof(path), "%s/link", f->dir);
	assert_int_equal(symlink(f->root, path), 0);
	assert_false(spool_exists(f->s, "link"));
	assert_false(spool_exists(f->s, "plainfile"));
	assert_int_equal(spool_foreach(f->s, each_record, seen), 0);
	assert_string_equal(seen, "t-1;");
}

static void
spool_rmtree_no_symlink_follow(void **state)
{
	struct fixture *f = *state;
	char outside[128], keep[PATH_BUF], tree[128], path[PATH_BUF];

	snprintf(outside, sizeof(outside), "%s/outside", f->root);
	assert_int_equal(mkdir(outside, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	write_raw(keep, "precious");

	snprintf(tree, sizeof(tree), "%s/tree", f->root);
	snprintf(path, sizeof(path), "%s/d1/d2", tree);
	assert_int_equal(os_mkdir_p(path, 0755, 0755), 0);
	snprintf(path, sizeof(path), "%s/d1/d2/file", tree);
	write_raw(path, "x");
	snprintf(path, sizeof(path), "%s/d1/to-outside", tree);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/d1/to-keep", tree);
	assert_int_equal(symlink(keep, path), 0);
	snprintf(path, sizeof(path), "%s/dangling", tree);
	assert_int_equal(symlink("/nonexistent/x", path), 0);
	snprintf(path, sizeof(path), "%s/d1/ro", tree);
	assert_int_equal(mkdir(path, 0500), 0);   /* no write bit: still goes */

	assert_int_equal(os_rmtree_at(tree), 0);
	assert_false(path_exists(tree));
	assert_true(path_exists(keep));
	assert_int_equal(count_entries(outside), 1);

	/* A root that is itself a symlink: only the link goes. */
	snprintf(path, sizeof(path), "%s/rootlink", f->root);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(os_rmtree_at(path), 0);
	assert_false(path_exists(path));
	assert_true(path_exists(keep));
	/* Trailing slashes, missing trees and silly roots. */
	snprintf(path, sizeof(path), "%s/t2/", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(os_rmtree_at(path), 0);
	assert_false(path_exists(path));
	assert_int_equal(os_rmtree_at(path), -ENOENT);
	assert_int_equal(os_rmtree_at(""), -EINVAL);
	assert_int_equal(os_rmtree_at(NULL), -EINVAL);
	snprintf(path, sizeof(path), "%s/..", f->root);
	assert_int_equal(os_rmtree_at(path), -EINVAL);
	assert_int_equal(os_rmtree_at("/"), -EINVAL);
	/* A plain file. */
	assert_int_equal(os_rmtree_at(keep), 0);
	assert_false(path_exists(keep));
}

static void
spool_open_errors_and_modes(void **state)
{
	struct fixture *f = *state;
	char path[PATH_BUF], err[256] = "";
	struct spool *s;

	/* Under a regular file: fails even as root. */
	snprintf(path, sizeof(path), "%s/file", f->root);
	write_raw(path, "x");
	snprintf(path, sizeof(path), "%s/file/spool", f->root);
	assert_null(spool_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot create spool-dir"));
	assert_non_null(strstr(err, "Not a directory"));
	/* The spool path is the file itself. */
	snprintf(path, sizeof(path), "%s/file", f->root);
	err[0] = '\0';
	assert_null(spool_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "Not a directory"));
	assert_null(spool_open("", err, sizeof(err)));
	assert_null(spool_open(NULL, err, sizeof(err)));

	/* Nested: parents 0755, the spool itself 0700; no probe left. */
	snprintf(path, sizeof(path), "%s/a/b/spool/", f->root);
	s = spool_open(path, err, sizeof(err));
	if (!s)
		fail_msg("spool_open: %s", err);
	snprintf(path, sizeof(path), "%s/a/b/spool", f->root);
	assert_string_equal(spool_dir(s), path);
	assert_int_equal(mode_of(path), 0700);
	assert_int_equal(count_entries(path), 0);
	snprintf(path, sizeof(path), "%s/a/b", f->root);
	assert_int_equal(mode_of(path), 0755);
	spool_close(s);
	spool_close(NULL);

	/* Not writable, as non-root only (root ignores the mode). */
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro", f->root);
		assert_int_equal(mkdir(path, 0500), 0);
		assert_null(spool_open(path, err, sizeof(err)));
		assert_non_null(strstr(err, "not writable"));
		chmod(path, 0700);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spool_tid_check_table),
		cmocka_unit_test_setup_teardown(spool_bad_tid_everywhere,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_path_format, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(spool_create_dedup_and_modes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_metadata_round_trip,
		    setup, teardown),
		cmocka_unit_test(spool_metadata_validity),
		cmocka_unit_test_setup_teardown(spool_atomic_write_no_temp,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_file_read_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_result_and_undetermined,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_file_remove_cases,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_owed_order_and_clear,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_owed_seq_survives_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_purge_decisions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    spool_foreach_skips_non_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(spool_rmtree_no_symlink_follow,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(spool_open_errors_and_modes,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
