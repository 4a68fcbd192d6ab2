/* exec.c: pxpd's side of running actions on POSIX. Holds the wrapper
 * binary open from startup and spawns it (`pxpd --exec-wrapper`) with
 * uv_spawn through that handle, writes the pid file, hands it the job on
 * stdin; collects a blocking run's output in memory under a cap; reads a
 * non-blocking run's outcome from its result dir; adopts wrappers an
 * earlier pxpd started; cancels. Not the wrapper (wrapper.c), the job
 * format (exec/job.c), nor the result dir's pid and exitcode
 * (exec_result.c).
 * Invariants: children only through uv_spawn, exit_cb and
 * uv_process_kill (adopted wrappers, which have no handle, are signalled
 * through a pidfd or after their identity is checked again); every uv
 * handle lives in struct exec_child, freed only when the last close
 * callback has run; done is called at most once, and only from a libuv
 * callback. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include "os/os.h"
#include "os/posix/exec_posix.h"
#include "base/log.h"

#define PART "exec"
#define EXEC_READ_CHUNK   65536
#define EXEC_STATUS_CAP   64
/* Adopted wrappers: their end is an event (the exitcode file appearing,
 * the pidfd of the wrapper becoming readable); a timer looks again in
 * case one is missed, often when there is no pidfd to tell a wrapper's
 * end without an exitcode. */
#define EXEC_ADOPT_POLL_MS      1000
#define EXEC_ADOPT_POLL_FAST_MS 100
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
	/* Adopted: its pid file, and a pidfd bound to the wrapper (-1:
	 * none; then its identity is checked before every signal). */
	struct exec__pid_file pf;
	int pidfd;
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
	uv_poll_t pidfd_poll;
	bool proc_on, in_on, out_on, err_on, status_on, timer_on, fsev_on;
	bool poll_on;

	uv_write_t wreq;
	bool job_writing;
	char *job;
	struct exec_buf out, err, status;
	char scratch[EXEC_READ_CHUNK];
};

static void
exec_child_free(struct exec_child *c)
{
	/* Its poll handle is closed by now (uv_close stops polling it). */
	if (c->pidfd >= 0)
		close(c->pidfd);
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
	exec_handle_close(c, (uv_handle_t *)&c->pidfd_poll, &c->poll_on);
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
	int fd;                      /* held open; -1: run by path */
	char *file;                  /* what is exec'd */
	char *name;                  /* argv[0] */
};

/* Above every stdio slot uv_spawn fills in the child (at most 4). */
#define EXEC_WRAPPER_FD_MIN 10

void
exec_wrapper_close(struct exec_wrapper *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->file);
	free(w->name);
	free(w);
}

struct exec_wrapper *
exec_wrapper_open(const char *path, char *err, size_t errlen)
{
	struct exec_wrapper *w = calloc(1, sizeof(*w));
	char self[PATH_MAX], via[64];
	size_t len = sizeof(self);
	struct os_fileinfo info;
	int fd, rc;

	if (w == NULL)
		goto nomem;
	w->fd = -1;
	if (path != NULL) {
		if ((w->file = strdup(path)) == NULL ||
		    (w->name = strdup(path)) == NULL)
			goto nomem;
		return w;
	}
	if ((rc = uv_exepath(self, &len)) != 0) {
		snprintf(err, errlen, "cannot find the pxpd binary: %s",
		    uv_strerror(rc));
		goto fail;
	}
	/* /proc/self/exe is this very file even once replaced; the name
	 * from uv_exepath where there is no /proc. */
	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0 &&
	    (fd = open(self, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open the pxpd binary '%s': %s",
		    self, strerror(errno));
		goto fail;
	}
	w->fd = fcntl(fd, F_DUPFD_CLOEXEC, EXEC_WRAPPER_FD_MIN);
	close(fd);
	if (w->fd < 0) {
		snprintf(err, errlen, "cannot keep the pxpd binary open: %s",
		    strerror(errno));
		goto fail;
	}
	/* The child execs the file behind our descriptor (which it still
	 * has until the exec closes it), whatever is at the path by then.
	 * Without /proc/self/fd, by path: an upgrade then needs a
	 * restart before actions start again. */
	snprintf(via, sizeof(via), "/proc/self/fd/%d", w->fd);
	if ((w->name = strdup(self)) == NULL ||
	    (w->file = strdup(os_path_info(via, true, &info) == 0 ? via :
	    self)) == NULL)
		goto nomem;
	return w;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	exec_wrapper_close(w);
	return NULL;
}

/* The descriptor above survives a package upgrade: no copy needed. */
struct exec_wrapper *
exec_wrapper_open_self(const char *spool_dir, char *err, size_t errlen)
{
	(void)spool_dir;
	return exec_wrapper_open(NULL, err, errlen);
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
	c->pidfd = -1;
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

	args[0] = w->name;
	args[1] = EXEC_WRAPPER_ARG;
	args[2] = NULL;
	opt.file = w->file;
	opt.args = args;
	opt.stdio = stdio;
	opt.exit_cb = exec_on_exit;
	/* Own session from the first instruction on (the wrapper also
	 * calls setsid): pxpd's signals and end do not reach it, and a
	 * cancel right after start already finds its group. */
	opt.flags = UV_PROCESS_DETACHED;
	rc = uv_spawn(loop, &c->proc, &opt);
	/* The handle is initialised even when spawning failed. */
	c->proc.data = c;
	c->proc_on = true;
	c->open++;
	if (rc != 0)
		goto fail;
	c->pid = c->proc.pid;
	/* Before the wrapper has its job: a pxpd killed from here on
	 * leaves a pid a restart adopts (or, should the job not have
	 * reached it, finds gone), never an accepted action without one. */
	if (c->result_dir != NULL &&
	    (rc = exec__result_pid_write(c->result_dir, c->pid)) != 0) {
		snprintf(err, errlen, "cannot write the pid file in '%s': %s",
		    c->result_dir, strerror(-rc));
		/* It never gets a job; reaped by its exit callback, which
		 * then frees the struct (no owner, no callback). */
		uv_process_kill(&c->proc, SIGKILL);
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
	    w->name, uv_strerror(rc));
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
	/* Without a polled pidfd, the identity says whether it lives. */
	if (!c->gone && !c->poll_on && !exec__pid_file_live(&c->pf))
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

/* The pidfd is readable once the wrapper has ended. */
static void
exec_adopt_on_pidfd(uv_poll_t *h, int status, int events)
{
	struct exec_child *c = h->data;

	(void)status;
	(void)events;
	c->gone = true;
	uv_poll_stop(h);
	exec_adopt_check(c);
}

/* Binds c to the wrapper its pid file names: a pidfd first, then the
 * identity, so the pidfd is the process the identity was checked on.
 * false when the process is not (or no longer) that wrapper. */
static bool
exec_adopt_bind(struct exec_child *c)
{
	int fd = exec__pidfd_open(c->pid);

	if (!exec__pid_file_live(&c->pf)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fd < 0) {
		if (fd != -ENOSYS)
			log_debug(PART, "wrapper %ld: no pidfd (%s): polling",
			    c->pid, strerror(-fd));
		return true;
	}
	c->pidfd = fd;
	if (uv_poll_init(c->loop, &c->pidfd_poll, fd) == 0) {
		c->pidfd_poll.data = c;
		c->poll_on = true;
		c->open++;
		if (uv_poll_start(&c->pidfd_poll, UV_READABLE,
		    exec_adopt_on_pidfd) != 0)
			exec_handle_close(c, (uv_handle_t *)&c->pidfd_poll,
			    &c->poll_on);
	}
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
	c->pidfd = -1;
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
	    c->poll_on && c->fsev_on ? EXEC_ADOPT_POLL_MS :
	    EXEC_ADOPT_POLL_FAST_MS);
	log_debug(PART, "watching wrapper %ld of '%s'%s", c->pid, result_dir,
	    c->poll_on ? " (pidfd)" : "");
	return c;
}

/* ---- cancel and abandon -------------------------------------------- */

int
exec_cancel(struct exec_child *c)
{
	int rc = 0;

	if (c == NULL || c->released)
		return UV_EINVAL;
	c->cancelled = true;
	if (!c->adopted) {
		/* The wrapper alone gets it: the action is in a group of
		 * its own, which the wrapper takes down (grace, SIGKILL)
		 * before it records the outcome. */
		if (!c->exited && c->proc_on)
			rc = uv_process_kill(&c->proc, SIGTERM);
		return rc == UV_ESRCH ? 0 : rc;
	}
	/* The wrapper alone (its group has no one else: the action leads
	 * one of its own, which the wrapper takes down). Through the pidfd;
	 * without one, only once its identity holds right now. */
	if (c->gone)
		return 0;
	if (c->pidfd >= 0)
		rc = exec__pidfd_signal(c->pidfd, SIGTERM);
	else if (exec__pid_file_live(&c->pf) && kill((pid_t)c->pid,
	    SIGTERM) < 0)
		rc = -errno;
	return rc == -ESRCH ? 0 : rc;
}

void
exec_abandon(struct exec_child *c)
{
	if (c == NULL || c->released || c->in_done)
		return;
	c->done = NULL;
	exec_child_release(c);
}
