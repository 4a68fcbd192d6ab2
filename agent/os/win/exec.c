/* exec.c: pxpd's side of running actions on Windows. Spawns the wrapper
 * (`pxpd.exe --exec-wrapper`, wrapper.c) with uv_spawn, detached from
 * pxpd (not in libuv's kill-on-exit job: an action outlives a pxpd
 * restart), writes the pid file, hands it the job on stdin; collects a
 * blocking run's output in memory under a cap; reads a non-blocking
 * run's outcome from its result dir; adopts wrappers an earlier pxpd
 * started; cancels through the wrapper's named Job Object. Same shape
 * as os/posix/exec.c; not the wrapper, the job format (exec/job.c), nor
 * the result dir's pid and exitcode (exec_result.c).
 * Invariants: children only through uv_spawn and exit_cb; an adopted
 * wrapper is opened only after its identity (creation time) is proven,
 * and that handle is what is watched; every uv handle lives in struct
 * exec_child, freed only when the last close callback has run; done is
 * called at most once, and only from a libuv callback. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"
#include "os/win/exec_win.h"
#include "base/log.h"
#include "base/util.h"

#define PART "exec"
#define EXEC_READ_CHUNK   65536
#define EXEC_STATUS_CAP   64
/* Adopted wrappers: the exitcode file appearing is an event; the
 * wrapper's process handle is looked at by a timer. */
#define EXEC_ADOPT_POLL_MS      100
/* A blocking wrapper closes its pipes when it exits; if something still
 * holds them, stop waiting after this. */
#define EXEC_PIPE_DRAIN_MS (EXEC__DRAIN_AFTER_EXIT_MS + 1000)

/* One in-memory stream: at most cap bytes kept, the rest read and
 * dropped so the wrapper never blocks writing. */
struct exec_buf {
	char *data;                  /* NUL-ended once data != NULL */
	size_t len, alloc, cap;
	bool truncated;
	bool eof;
};

struct exec_child {
	uv_loop_t *loop;
	exec_done_cb done;
	void *arg;
	char *result_dir;            /* NULL: blocking */
	long pid;                    /* the wrapper */
	bool adopted;
	/* Adopted: its pid file, and the wrapper's process handle,
	 * opened once its identity was proven (NULL: none). */
	struct exec__pid_file pf;
	HANDLE ph;
	unsigned long long ctime;    /* the wrapper's creation time */
	bool gone;                   /* the wrapper has ended */

	int open;                    /* initialised handles not yet closed */
	bool released;               /* no more callbacks; free at open == 0 */
	bool in_done;
	bool cancelled;
	bool exited;
	int64_t exit_status;
	int term_signal;
	bool draining;

	uv_process_t proc;
	uv_pipe_t in, out_pipe, err_pipe, status_pipe;
	uv_timer_t timer;
	uv_fs_event_t fsev;
	bool proc_on, in_on, out_on, err_on, status_on, timer_on, fsev_on;

	uv_write_t wreq;
	bool job_writing;
	char *job;
	struct exec_buf out, err, status;
	char scratch[EXEC_READ_CHUNK];
};

static void
exec_child_free(struct exec_child *c)
{
	if (c->ph != NULL)
		CloseHandle(c->ph);
	free(c->out.data);
	free(c->err.data);
	free(c->status.data);
	free(c->job);
	free(c->result_dir);
	free(c);
}

static void
exec_handle_on_close(uv_handle_t *h)
{
	struct exec_child *c = h->data;

	if (--c->open == 0 && c->released)
		exec_child_free(c);
}

static void
exec_handle_close(struct exec_child *c, uv_handle_t *h, bool *on)
{
	if (!*on)
		return;
	*on = false;
	if (!uv_is_closing(h))
		uv_close(h, exec_handle_on_close);
}

/* Ends all watching; the struct goes when the last handle has closed. */
static void
exec_child_release(struct exec_child *c)
{
	c->released = true;
	exec_handle_close(c, (uv_handle_t *)&c->proc, &c->proc_on);
	/* A job still being handed over finishes first (its write_cb
	 * closes the pipe): pxpd stopping right after a start must not
	 * leave the wrapper with half a job. */
	if (!c->job_writing)
		exec_handle_close(c, (uv_handle_t *)&c->in, &c->in_on);
	exec_handle_close(c, (uv_handle_t *)&c->out_pipe, &c->out_on);
	exec_handle_close(c, (uv_handle_t *)&c->err_pipe, &c->err_on);
	exec_handle_close(c, (uv_handle_t *)&c->status_pipe, &c->status_on);
	exec_handle_close(c, (uv_handle_t *)&c->timer, &c->timer_on);
	exec_handle_close(c, (uv_handle_t *)&c->fsev, &c->fsev_on);
	if (c->open == 0)
		exec_child_free(c);
}

static void
exec_child_finish(struct exec_child *c)
{
	struct exec_result r;

	if (c->released)
		return;
	memset(&r, 0, sizeof(r));
	r.cancelled = c->cancelled;
	if (c->result_dir != NULL) {
		if (exec_result_exitcode(c->result_dir, &r.exitcode) != 0)
			r.exitcode = -1;
		r.timed_out = exec__result_file_exists(c->result_dir,
		    EXEC__FILE_TIMED_OUT);
	} else {
		r.exitcode = c->term_signal != 0 ? 128 + c->term_signal :
		    (int)c->exit_status;
		r.timed_out = c->status.data != NULL &&
		    strstr(c->status.data, "timed_out=1") != NULL;
		r.out = c->out.data != NULL ? c->out.data : "";
		r.out_len = c->out.len;
		r.out_truncated = c->out.truncated;
		r.err = c->err.data != NULL ? c->err.data : "";
		r.err_len = c->err.len;
		r.err_truncated = c->err.truncated;
	}
	c->in_done = true;
	if (c->done != NULL)
		c->done(c->arg, &r);
	c->in_done = false;
	exec_child_release(c);
}

/* ---- spawned wrappers ---------------------------------------------- */

static void
exec_drain_on_timer(uv_timer_t *t)
{
	struct exec_child *c = t->data;

	log_debug(PART, "wrapper %ld exited but its output pipes stay open; "
	    "reporting what arrived", c->pid);
	exec_child_finish(c);
}

/* Blocking: the outcome is complete when the wrapper has exited and all
 * its pipes are at EOF; non-blocking: when it has exited. */
static void
exec_spawned_check(struct exec_child *c)
{
	if (c->released || !c->exited)
		return;
	if (c->result_dir != NULL ||
	    (c->out.eof && c->err.eof && c->status.eof)) {
		exec_child_finish(c);
		return;
	}
	if (!c->draining) {
		c->draining = true;
		uv_timer_start(&c->timer, exec_drain_on_timer,
		    EXEC_PIPE_DRAIN_MS, 0);
	}
}

static void
exec_on_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
	struct exec_child *c = p->data;

	c->exited = true;
	c->exit_status = exit_status;
	c->term_signal = term_signal;
	/* Reaped: the pid is no longer ours to signal. */
	exec_handle_close(c, (uv_handle_t *)&c->proc, &c->proc_on);
	exec_spawned_check(c);
}

static void
exec_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct exec_child *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->scratch, sizeof(c->scratch));
}

static void
exec_buf_append(struct exec_buf *b, const char *data, size_t n)
{
	size_t keep = b->cap - b->len, want;
	char *nd;

	if (keep < n)
		b->truncated = true;
	if (keep > n)
		keep = n;
	if (keep == 0)
		return;
	if (b->len + keep + 1 > b->alloc) {
		want = b->alloc != 0 ? b->alloc : 4096;
		while (want < b->len + keep + 1)
			want *= 2;
		if (want > b->cap + 1)
			want = b->cap + 1;
		if ((nd = realloc(b->data, want)) == NULL) {
			/* Keep what we have; report it as cut short. */
			b->truncated = true;
			return;
		}
		b->data = nd;
		b->alloc = want;
	}
	memcpy(b->data + b->len, data, keep);
	b->len += keep;
	b->data[b->len] = '\0';
}

static void
exec_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct exec_child *c = s->data;
	struct exec_buf *b = s == (uv_stream_t *)&c->out_pipe ? &c->out :
	    s == (uv_stream_t *)&c->err_pipe ? &c->err : &c->status;

	if (nread > 0) {
		exec_buf_append(b, buf->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	if (nread != UV_EOF)
		log_debug(PART, "wrapper %ld: read: %s", c->pid,
		    uv_strerror((int)nread));
	b->eof = true;
	uv_read_stop(s);
	exec_spawned_check(c);
}

static void
exec_on_job_written(uv_write_t *req, int status)
{
	struct exec_child *c = req->data;

	c->job_writing = false;
	free(c->job);
	c->job = NULL;
	if (status != 0 && status != UV_ECANCELED)
		log_warnx(PART, "wrapper %ld: cannot hand over the job: %s",
		    c->pid, uv_strerror(status));
	/* EOF tells the wrapper the job is complete. */
	exec_handle_close(c, (uv_handle_t *)&c->in, &c->in_on);
}

static int
exec_pipe_init(struct exec_child *c, uv_pipe_t *p, bool *on)
{
	int rc = uv_pipe_init(c->loop, p, 0);

	if (rc == 0) {
		p->data = c;
		*on = true;
		c->open++;
	}
	return rc;
}

/* ---- the wrapper binary -------------------------------------------- */

struct exec_wrapper {
	char *file;                  /* what is run */
};

void
exec_wrapper_close(struct exec_wrapper *w)
{
	if (w == NULL)
		return;
	free(w->file);
	free(w);
}

/* Windows does not let a running .exe be deleted or overwritten (an
 * upgrade renames it aside), so the path is enough. */
struct exec_wrapper *
exec_wrapper_open(const char *path, char *err, size_t errlen)
{
	struct exec_wrapper *w = calloc(1, sizeof(*w));
	char self[MAX_PATH * 3];
	size_t len = sizeof(self);
	int rc;

	if (w == NULL)
		goto nomem;
	if (path == NULL) {
		if ((rc = uv_exepath(self, &len)) != 0) {
			snprintf(err, errlen, "cannot find the pxpd binary: %s",
			    uv_strerror(rc));
			exec_wrapper_close(w);
			return NULL;
		}
		path = self;
	}
	if ((w->file = strdup(path)) == NULL)
		goto nomem;
	return w;
nomem:
	snprintf(err, errlen, "out of memory");
	exec_wrapper_close(w);
	return NULL;
}

/* ---- the wrappers' copy of pxpd.exe -------------------------------- */

/* Windows will not replace an .exe that a process runs: were the
 * wrappers started from the installed pxpd.exe, an MSI upgrade with an
 * action running could only replace it at the next reboot. So the
 * wrappers run from a copy of this pxpd.exe, one per build, in a
 * private directory beside the spool (<spool's parent>\bin\
 * pxpd-<version>-<hash>.exe), and the installed file is held only by
 * the service itself, which the upgrade stops. An adopted wrapper is
 * known by its pid and creation time, never by its image, so a new
 * version adopts the old one's wrappers. */
#define EXEC_COPY_MAX ((size_t)256 << 20)

/* FNV-1a, 64 bits: tells builds apart and checks a copy (the directory
 * is private: this guards against a torn or stale file, not an
 * attacker). */
static uint64_t
exec_copy_hash(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* true when the file at path holds exactly len bytes hashing to h. */
static bool
exec_copy_matches(const char *path, size_t len, uint64_t h)
{
	char *buf = NULL;
	size_t got = 0;
	bool trunc = false, ok;

	if (os_read_file(path, false, len + 1, &buf, &got, &trunc) != 0)
		return false;
	ok = !trunc && got == len && exec_copy_hash(buf, got) == h;
	free(buf);
	return ok;
}

/* Removes the copies of other builds and leftover temporary files: a
 * copy a running wrapper still runs cannot be deleted (Windows), and
 * is kept until a later start. */
static void
exec_copy_prune(const char *dir, const char *keep)
{
	char **names = NULL, *path;
	size_t n = 0, i, len;

	if (os_dir_list(dir, OS_FTYPE_REG, &names, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (strcmp(names[i], keep) == 0 ||
		    strncmp(names[i], "pxpd-", 5) != 0 ||
		    (strstr(names[i], ".exe.tmp-") == NULL &&
		    (len < 4 || _stricmp(names[i] + len - 4, ".exe") != 0)))
			continue;
		if (!(path = util_asprintf("%s\\%s", dir, names[i])))
			break;
		if (os_unlink(path) == 0)
			log_info(PART, "removed %s (no wrapper runs it)", path);
		else
			log_debug(PART, "kept %s: a wrapper still runs it",
			    path);
		free(path);
	}
	os_names_free(names, n);
}

/* Makes sure <spool's parent>\bin\pxpd-<version>-<hash>.exe is a copy
 * of self; its path (malloc'd) or NULL with err. */
static char *
exec_copy_make(const char *self, const char *spool_dir, char *err,
    size_t errlen)
{
	char *buf = NULL, *parent = NULL, *dir = NULL, *name = NULL;
	char *path = NULL, *sep;
	size_t len = 0, plen;
	bool trunc = false;
	uint64_t h;
	int rc;

	if ((rc = os_read_file(self, true, EXEC_COPY_MAX, &buf, &len,
	    &trunc)) != 0 || trunc) {
		snprintf(err, errlen, "cannot read %s: %s", self,
		    rc ? strerror(-rc) : "too big");
		goto out;
	}
	h = exec_copy_hash(buf, len);
	if (!(parent = strdup(spool_dir)))
		goto nomem;
	plen = strlen(parent);
	while (plen > 1 && (parent[plen - 1] == '\\' ||
	    parent[plen - 1] == '/'))
		parent[--plen] = '\0';
	sep = strrchr(parent, '\\');
	if (strrchr(parent, '/') > sep)
		sep = strrchr(parent, '/');
	if (sep == NULL) {
		snprintf(err, errlen, "spool-dir '%s' has no parent",
		    spool_dir);
		goto out;
	}
	*sep = '\0';
	if (!(dir = util_asprintf("%s\\bin", parent)) ||
	    !(name = util_asprintf("pxpd-%s-%016llx.exe", PXPD_VERSION,
	    (unsigned long long)h)) ||
	    !(path = util_asprintf("%s\\%s", dir, name)))
		goto nomem;
	if ((rc = os_mkdir_p(dir, OS_MODE_DIR_PUBLIC,
	    OS_MODE_DIR_PRIVATE)) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		    strerror(-rc));
		goto fail;
	}
	if (!exec_copy_matches(path, len, h)) {
		/* Written whole under another name, flushed, renamed in
		 * place: never a torn copy under the final name. A copy
		 * that does not match and is running cannot be replaced:
		 * the rename fails and the installed file is used. */
		if ((rc = os_write_atomic(path, buf, len, true)) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", path,
			    strerror(-rc));
			goto fail;
		}
		if (!exec_copy_matches(path, len, h)) {
			snprintf(err, errlen, "%s does not read back as "
			    "written", path);
			goto fail;
		}
		log_info(PART, "made %s, the copy of %s actions run from",
		    path, self);
	}
	exec_copy_prune(dir, name);
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(path);
	path = NULL;
out:
	free(buf);
	free(parent);
	free(dir);
	free(name);
	return path;
}

struct exec_wrapper *
exec_wrapper_open_self(const char *spool_dir, char *err, size_t errlen)
{
	char self[MAX_PATH * 3], why[512];
	size_t len = sizeof(self);
	char *copy;
	struct exec_wrapper *w;
	int rc;

	if ((rc = uv_exepath(self, &len)) != 0) {
		snprintf(err, errlen, "cannot find the pxpd binary: %s",
		    uv_strerror(rc));
		return NULL;
	}
	if (spool_dir == NULL || *spool_dir == '\0')
		return exec_wrapper_open(self, err, errlen);
	if ((copy = exec_copy_make(self, spool_dir, why, sizeof(why)))
	    == NULL) {
		log_warnx(PART, "actions run from %s itself, which an upgrade "
		    "cannot replace while one runs: %s", self, why);
		return exec_wrapper_open(self, err, errlen);
	}
	w = exec_wrapper_open(copy, err, errlen);
	free(copy);
	return w;
}

struct exec_child *
exec_start(uv_loop_t *loop, const struct exec_spec *spec, exec_done_cb done,
    void *arg, char *err, size_t errlen)
{
	const struct exec_wrapper *w = spec->wrapper;
	struct exec_child *c;
	uv_process_options_t opt;
	uv_stdio_container_t stdio[4];
	char *args[3];
	size_t job_len = 0;
	uv_buf_t wb;
	int rc;

	if (w == NULL) {
		snprintf(err, errlen, "no action wrapper: the pxpd binary could "
		    "not be opened at startup");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->out.cap = c->err.cap = spec->output_cap != 0 ? spec->output_cap :
	    EXEC_OUTPUT_CAP_DEFAULT;
	c->status.cap = EXEC_STATUS_CAP;
	if (spec->result_dir != NULL &&
	    (c->result_dir = strdup(spec->result_dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		exec_child_free(c);
		return NULL;
	}
	c->job = exec__job_build(spec, c->result_dir == NULL ?
	    EXEC__STATUS_FD : -1, &job_len, err, errlen);
	if (c->job == NULL) {
		exec_child_free(c);
		return NULL;
	}

	memset(stdio, 0, sizeof(stdio));
	memset(&opt, 0, sizeof(opt));
	if ((rc = exec_pipe_init(c, &c->in, &c->in_on)) != 0)
		goto fail;
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&c->in;
	opt.stdio_count = 3;
	if (c->result_dir == NULL) {
		if ((rc = exec_pipe_init(c, &c->out_pipe, &c->out_on)) != 0 ||
		    (rc = exec_pipe_init(c, &c->err_pipe, &c->err_on)) != 0 ||
		    (rc = exec_pipe_init(c, &c->status_pipe,
		    &c->status_on)) != 0)
			goto fail;
		stdio[1].flags = stdio[2].flags = stdio[3].flags =
		    UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[1].data.stream = (uv_stream_t *)&c->out_pipe;
		stdio[2].data.stream = (uv_stream_t *)&c->err_pipe;
		stdio[3].data.stream = (uv_stream_t *)&c->status_pipe;
		opt.stdio_count = 4;
	} else {
		/* Whatever the wrapper prints goes nowhere: its outcome is
		 * in the result dir, which outlives us. */
		stdio[1].flags = stdio[2].flags = UV_IGNORE;
	}
	if ((rc = uv_timer_init(loop, &c->timer)) != 0)
		goto fail;
	c->timer.data = c;
	c->timer_on = true;
	c->open++;

	args[0] = w->file;
	args[1] = EXEC_WRAPPER_ARG;
	args[2] = NULL;
	opt.file = w->file;
	opt.args = args;
	opt.stdio = stdio;
	opt.exit_cb = exec_on_exit;
	/* Detached: outside the job libuv kills with pxpd, no console of
	 * pxpd's (its Ctrl-C does not reach the action). */
	opt.flags = UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE;
	rc = uv_spawn(loop, &c->proc, &opt);
	/* The handle is initialised even when spawning failed. */
	c->proc.data = c;
	c->proc_on = true;
	c->open++;
	if (rc != 0)
		goto fail;
	c->pid = c->proc.pid;
	if ((rc = exec__proc_ctime(c->proc.process_handle, &c->ctime)) != 0)
		log_warnx(PART, "wrapper %ld: no creation time: %s", c->pid,
		    strerror(-rc));
	/* Before the wrapper has its job: a pxpd killed from here on
	 * leaves a pid a restart adopts (or, should the job not have
	 * reached it, finds gone), never an accepted action without one. */
	if (c->result_dir != NULL &&
	    (rc = exec__result_pid_write(c->result_dir, c->pid,
	    c->ctime)) != 0) {
		snprintf(err, errlen, "cannot write the pid file in '%s': %s",
		    c->result_dir, strerror(-rc));
		/* It never gets a job; reaped by its exit callback, which
		 * then frees the struct (no owner, no callback). */
		uv_process_kill(&c->proc, SIGTERM);
		c->done = NULL;
		free(c->job);
		c->job = NULL;
		exec_handle_close(c, (uv_handle_t *)&c->in, &c->in_on);
		return NULL;
	}

	/* Most jobs fit in the pipe: hand them over at once, so even a
	 * pxpd stopping right now leaves a wrapper that can run. */
	wb = uv_buf_init(c->job, (unsigned)job_len);
	rc = uv_try_write((uv_stream_t *)&c->in, &wb, 1);
	if (rc == UV_EAGAIN)
		rc = 0;
	if (rc >= 0 && (size_t)rc < job_len) {
		wb = uv_buf_init(c->job + rc, (unsigned)(job_len - (size_t)rc));
		c->wreq.data = c;
		rc = uv_write(&c->wreq, (uv_stream_t *)&c->in, &wb, 1,
		    exec_on_job_written);
		c->job_writing = rc == 0;
	} else if (rc >= 0)
		rc = 0;
	if (rc < 0)
		/* The wrapper reads a short job and ends with 127. */
		log_warnx(PART, "wrapper %ld: cannot hand over the job: %s",
		    c->pid, uv_strerror(rc));
	if (!c->job_writing) {
		free(c->job);
		c->job = NULL;
		exec_handle_close(c, (uv_handle_t *)&c->in, &c->in_on);
	}
	if (c->result_dir == NULL) {
		uv_read_start((uv_stream_t *)&c->out_pipe, exec_on_alloc,
		    exec_on_read);
		uv_read_start((uv_stream_t *)&c->err_pipe, exec_on_alloc,
		    exec_on_read);
		uv_read_start((uv_stream_t *)&c->status_pipe, exec_on_alloc,
		    exec_on_read);
	}
	log_debug(PART, "started wrapper %ld for '%s'%s", c->pid,
	    spec->executable, c->result_dir != NULL ? " (detached)" : "");
	return c;
fail:
	snprintf(err, errlen, "cannot start the action wrapper '%s': %s",
	    w->file, uv_strerror(rc));
	/* Handles close from the loop; with no owner the struct is freed
	 * by the last close callback. */
	c->done = NULL;
	exec_child_release(c);
	return NULL;
}

/* ---- adopted wrappers ---------------------------------------------- */

/* The exitcode file, written last by the wrapper, is the end; a wrapper
 * gone without one (killed, its machine rebooted, its pid reused) is
 * the end too. Looked at in this order: an exitcode written just before
 * the wrapper ended is found. */
static void
exec_adopt_check(struct exec_child *c)
{
	if (c->released)
		return;
	if (!c->gone && (c->ph == NULL ||
	    WaitForSingleObject(c->ph, 0) != WAIT_TIMEOUT))
		c->gone = true;
	if (exec__result_file_exists(c->result_dir, EXEC__FILE_EXITCODE)) {
		exec_child_finish(c);
		return;
	}
	if (c->gone) {
		log_info(PART, "wrapper %ld is gone without an exitcode",
		    c->pid);
		exec_child_finish(c);
	}
}

static void
exec_adopt_on_timer(uv_timer_t *t)
{
	exec_adopt_check(t->data);
}

static void
exec_adopt_on_fs(uv_fs_event_t *h, const char *filename, int events,
    int status)
{
	(void)events;
	if (status == 0 && filename != NULL &&
	    strcmp(filename, EXEC__FILE_EXITCODE) != 0)
		return;
	exec_adopt_check(h->data);
}

/* Binds c to the wrapper its pid file names: its process handle, opened
 * only when the creation time matches. false when the process is not
 * (or no longer) that wrapper. */
static bool
exec_adopt_bind(struct exec_child *c)
{
	c->ph = exec__pid_file_open(&c->pf, SYNCHRONIZE | PROCESS_TERMINATE);
	if (c->ph == NULL)
		return false;
	c->ctime = c->pf.id.start_time;
	return true;
}

struct exec_child *
exec_adopt(uv_loop_t *loop, const char *result_dir, exec_done_cb done,
    void *arg, char *err, size_t errlen)
{
	struct exec_child *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->result_dir = strdup(result_dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->loop = loop;
	c->done = done;
	c->arg = arg;
	c->adopted = true;
	if ((rc = uv_timer_init(loop, &c->timer)) != 0) {
		snprintf(err, errlen, "timer: %s", uv_strerror(rc));
		exec_child_free(c);
		return NULL;
	}
	c->timer.data = c;
	c->timer_on = true;
	c->open++;
	if (exec__result_file_exists(result_dir, EXEC__FILE_EXITCODE)) {
		/* Already over: report from the loop, as promised. */
		uv_timer_start(&c->timer, exec_adopt_on_timer, 0, 0);
		return c;
	}
	if (exec__result_pid_read(result_dir, &c->pf) != 0) {
		snprintf(err, errlen, "no exitcode and no valid pid file in "
		    "'%s'", result_dir);
		c->done = NULL;
		exec_child_release(c);
		return NULL;
	}
	c->pid = c->pf.pid;
	if (!exec_adopt_bind(c)) {
		/* A stranger's pid: never watched, never signalled. */
		c->gone = true;
		uv_timer_start(&c->timer, exec_adopt_on_timer, 0, 0);
		return c;
	}
	if (uv_fs_event_init(loop, &c->fsev) == 0) {
		c->fsev.data = c;
		c->fsev_on = true;
		c->open++;
		if ((rc = uv_fs_event_start(&c->fsev, exec_adopt_on_fs,
		    result_dir, 0)) != 0) {
			log_debug(PART, "cannot watch '%s' (%s): polling",
			    result_dir, uv_strerror(rc));
			exec_handle_close(c, (uv_handle_t *)&c->fsev,
			    &c->fsev_on);
		}
	}
	/* A first look at once: it may have ended between our look at
	 * exitcode and the watches. */
	uv_timer_start(&c->timer, exec_adopt_on_timer, 0,
	    EXEC_ADOPT_POLL_MS);
	log_debug(PART, "watching wrapper %ld of '%s'", c->pid, result_dir);
	return c;
}

/* ---- cancel and abandon -------------------------------------------- */

/* Terminates the wrapper's Job Object: the action's whole tree ends at
 * once; the wrapper sees its leader gone and records the outcome. */
static bool
exec_job_terminate(long pid, unsigned long long ctime)
{
	wchar_t name[EXEC__JOB_NAME_MAX];
	HANDLE job;
	BOOL ok;

	exec__job_name(pid, ctime, name, EXEC__JOB_NAME_MAX);
	if ((job = OpenJobObjectW(JOB_OBJECT_TERMINATE, FALSE, name)) == NULL)
		return false;
	ok = TerminateJobObject(job, EXEC__WIN_KILLED_CODE);
	CloseHandle(job);
	return ok != 0;
}

int
exec_cancel(struct exec_child *c)
{
	int rc = 0;

	if (c == NULL || c->released)
		return UV_EINVAL;
	c->cancelled = true;
	if (!c->adopted) {
		if (c->exited || !c->proc_on)
			return 0;
		if (exec_job_terminate(c->pid, c->ctime))
			return 0;
		/* No job yet: the action has not started. The wrapper
		 * goes, and with it the job it may be making (kill on
		 * close). */
		log_debug(PART, "wrapper %ld: no job object: terminating it",
		    c->pid);
		rc = uv_process_kill(&c->proc, SIGTERM);
		return rc == UV_ESRCH ? 0 : rc;
	}
	/* Adopted: the handle opened after its identity was proven. */
	if (c->gone || c->ph == NULL)
		return 0;
	if (exec_job_terminate(c->pid, c->ctime))
		return 0;
	if (!TerminateProcess(c->ph, EXEC__WIN_KILLED_CODE))
		rc = os__last_err();
	return rc;
}

void
exec_abandon(struct exec_child *c)
{
	if (c == NULL || c->released || c->in_done)
		return;
	c->done = NULL;
	exec_child_release(c);
}
