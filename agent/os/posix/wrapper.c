/* wrapper.c: `pxpd --exec-wrapper`, the process between pxpd and
 * an action. Owns: reading the job (exec/job.c parses it), detaching into
 * its own session, the result files of a non-blocking run, the action's
 * own process group, feeding its stdin, relaying or storing its output
 * under a cap, timeout and cancel (SIGTERM, grace, SIGKILL of the whole
 * group and cgroup; of what a failed action left, too), and the
 * exitcode. Not the sandbox (sandbox.c) nor the watching
 * from pxpd (exec.c).
 * Invariant: <result_dir>/exitcode appears only once the action has
 * ended and its output files are final, written temp + fsync + rename,
 * and by the wrapper alone (an external module writes its own exit code
 * to EXEC_FILE_MODULE_EXITCODE): its existence is the end of the action
 * for every reader.
 * This is a separate single-threaded program, so unlike pxpd itself it
 * may block, use waitpid and handle SIGCHLD. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "os/posix/exec_posix.h"
#include "base/crash.h"
#include "base/util.h"
#include "os/os.h"

#define WRAPPER_CHUNK    65536
#define WRAPPER_POLL_MS  100
/* After SIGKILL nothing can resist; this only lets the kernel finish. */
#define WRAPPER_AFTER_KILL_MS 1000

/* The only state signal handlers touch (style.md §3). */
static volatile sig_atomic_t wrapper_term_flag;
static volatile sig_atomic_t wrapper_wake_fd = -1;

/* One output stream of the action: read from its pipe, passed on to
 * dst up to limit bytes, the rest read and dropped so the action never
 * blocks on a full pipe. */
struct wrapper_sink {
	int src;                     /* -1 at EOF */
	int dst;                     /* -1: discard */
	bool is_file;                /* dst is a result file we own */
	bool dst_broken;             /* pxpd went away: keep draining */
	size_t limit;
	size_t passed;
	size_t total;
};

struct wrapper_run {
	const struct exec__job *job;
	const struct exec__sandbox *sb;
	pid_t pid;                   /* action, leader of its own group */
	bool exited;
	int status;
	int in_fd;                   /* -1 once all input is written */
	struct exec__input in;       /* wrapper_input.c */
	struct wrapper_sink out, err;
	int wake_r;
	int64_t start_ms, exit_ms, kill_ms;
	int kill_stage;              /* 0 none, 1 SIGTERM sent, 2 SIGKILL */
	bool timed_out, cancelled;
};

static void
wrapper_signal_on(int sig)
{
	int saved = errno;
	ssize_t r;

	if (sig != SIGCHLD)
		wrapper_term_flag = 1;
	if (wrapper_wake_fd >= 0) {
		r = write(wrapper_wake_fd, "x", 1);
		(void)r;
	}
	errno = saved;
}

static int64_t
wrapper_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every fd from lo up except keep (-1: none). */
static void
wrapper_fds_close_from(int lo, int keep)
{
	if (keep >= lo) {
		exec__fds_close(lo, keep - 1);
		exec__fds_close(keep + 1, INT_MAX);
	} else
		exec__fds_close(lo, INT_MAX);
}

static int
wrapper_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* dir/name = data, all or nothing: temp file, fsync, rename, fsync of
 * the directory so the rename itself survives a crash. */
static int
wrapper_file_atomic(const char *dir, const char *name, const char *data,
    size_t len)
{
	char tmpname[64];
	char *tmp = NULL, *path = NULL;
	int fd = -1, dfd, rc = -1;

	snprintf(tmpname, sizeof(tmpname), ".%s.wrapper-tmp", name);
	if ((tmp = util_asprintf("%s/%s", dir, tmpname)) == NULL ||
	    (path = util_asprintf("%s/%s", dir, name)) == NULL)
		goto cleanup;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    OS_MODE_FILE_PRIVATE);
	if (fd < 0)
		goto cleanup;
	if (wrapper_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto cleanup;
	crash_point_file(path, "synced");
	if (close(fd) < 0) {
		fd = -1;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto cleanup;
	crash_point_file(path, "renamed");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	crash_point_file(path, "dir_synced");
	rc = 0;
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(path);
	return rc;
}

static int
wrapper_file_open(const char *dir, const char *name, int flags)
{
	char *path = util_asprintf("%s/%s", dir, name);
	int fd;

	if (path == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags,
	    OS_MODE_FILE_PRIVATE);
	free(path);
	return fd;
}

static void
wrapper_exitcode_write(const struct exec__job *job, int code)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", code);

	if (wrapper_file_atomic(job->result_dir, EXEC__FILE_EXITCODE, buf,
	    (size_t)n) < 0)
		fprintf(stderr, "pxpd wrapper: cannot write exitcode: %s\n",
		    strerror(errno));
}

/* The action never started: tell whoever reads, then record 127. */
static int
wrapper_fail(const struct exec__job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
wrapper_fail(const struct exec__job *job, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg);
	/* Even an external module's stderr file: it never ran to write
	 * one. */
	if (job != NULL && job->result_dir != NULL) {
		if ((fd = wrapper_file_open(job->result_dir,
		    EXEC__FILE_STDERR, O_APPEND)) >= 0) {
			(void)wrapper_write_all(fd, msg, strlen(msg));
			(void)wrapper_write_all(fd, "\n", 1);
			fsync(fd);
			close(fd);
		}
		wrapper_exitcode_write(job, EXEC_EXIT_NOT_STARTED);
	}
	return EXEC_EXIT_NOT_STARTED;
}

/* The whole job from stdin, bounded. Malloc'd; NULL on error or excess. */
static char *
wrapper_job_read(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf != NULL) {
		if (n == cap) {
			if (cap > EXEC__JOB_MAX)
				break;
			cap = cap * 2 > EXEC__JOB_MAX ? EXEC__JOB_MAX + 1 :
			    cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				break;
			buf = nb;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			if (n > EXEC__JOB_MAX)
				break;
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	return NULL;
}

/* Is anything of the action left: its process group, or (escaped from
 * the group by setsid) its cgroup? */
static bool
wrapper_tree_alive(const struct wrapper_run *run)
{
	return kill(-run->pid, 0) == 0 || errno == EPERM ||
	    exec__sandbox_populated(run->sb);
}

static bool
wrapper_exit_ok(const struct wrapper_run *run)
{
	return WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0;
}

/* Reaps every child: the action, and, as a subreaper on Linux, its
 * orphaned descendants (so none lingers as a zombie in the group). */
static void
wrapper_reap(struct wrapper_run *run)
{
	pid_t p;
	int status;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0 ||
	    (p < 0 && errno == EINTR)) {
		if (p == run->pid && !run->exited) {
			run->exited = true;
			run->status = status;
			run->exit_ms = wrapper_now_ms();
		}
	}
}

static void
wrapper_kill_start(struct wrapper_run *run, int64_t now)
{
	if (run->kill_stage != 0)
		return;
	killpg(run->pid, SIGTERM);
	exec__sandbox_signal(run->sb, SIGTERM);
	run->kill_stage = 1;
	run->kill_ms = now;
}

static void
wrapper_sink_close(struct wrapper_sink *s)
{
	if (s->src >= 0)
		close(s->src);
	s->src = -1;
}

static void
wrapper_sink_read(struct wrapper_sink *s)
{
	char buf[WRAPPER_CHUNK];
	ssize_t n = read(s->src, buf, sizeof(buf));
	size_t want;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		wrapper_sink_close(s);
		return;
	}
	s->total += (size_t)n;
	want = s->limit - s->passed;
	if (want > (size_t)n)
		want = (size_t)n;
	if (want == 0 || s->dst < 0 || s->dst_broken)
		return;
	if (wrapper_write_all(s->dst, buf, want) < 0)
		s->dst_broken = true;
	else
		s->passed += want;
}

static void
wrapper_input_write(struct wrapper_run *run)
{
	if (exec__input_write(run->job, run->in_fd, &run->in) != 0) {
		close(run->in_fd);
		run->in_fd = -1;
		exec__input_free(&run->in);
	}
}

/* Has the run ended: the action exited, its group is gone if we were
 * killing it, and its output is drained (or has had its time)? */
static bool
wrapper_run_over(struct wrapper_run *run, int64_t now)
{
	bool group_gone, eof;

	if (!run->exited)
		return false;
	eof = run->out.src < 0 && run->err.src < 0;
	group_gone = run->kill_stage == 0 || !wrapper_tree_alive(run);
	if (eof && group_gone)
		return true;
	if (run->kill_stage == 2)
		return now - run->kill_ms >= WRAPPER_AFTER_KILL_MS;
	return group_gone && now - run->exit_ms >= EXEC__DRAIN_AFTER_EXIT_MS;
}

static void
wrapper_run_loop(struct wrapper_run *run)
{
	const struct exec__job *job = run->job;
	struct pollfd pfd[4];
	int64_t now;
	char junk[64];
	int n, i;

	for (;;) {
		wrapper_reap(run);
		now = wrapper_now_ms();
		if (wrapper_term_flag && run->kill_stage == 0) {
			run->cancelled = true;
			wrapper_kill_start(run, now);
		}
		if (job->timeout_s > 0 && !run->exited &&
		    now - run->start_ms >= (int64_t)job->timeout_s * 1000) {
			if (run->kill_stage == 0)
				run->timed_out = true;
			wrapper_kill_start(run, now);
		}
		/* A failed action takes down what it started (a fork bomb
		 * its process limit stopped, say); one that succeeded may
		 * leave a daemon behind, as under pxp-agent. */
		if (run->exited && run->kill_stage == 0 &&
		    !wrapper_exit_ok(run) && wrapper_tree_alive(run))
			wrapper_kill_start(run, now);
		if (run->kill_stage == 1 &&
		    now - run->kill_ms >= EXEC__KILL_GRACE_S * 1000) {
			killpg(run->pid, SIGKILL);
			exec__sandbox_signal(run->sb, SIGKILL);
			run->kill_stage = 2;
			run->kill_ms = now;
		}
		if (run->exited && run->in_fd >= 0) {
			close(run->in_fd);
			run->in_fd = -1;
		}
		if (wrapper_run_over(run, now))
			return;

		n = 0;
		pfd[n++] = (struct pollfd){ .fd = run->wake_r, .events = POLLIN };
		if (run->out.src >= 0)
			pfd[n++] = (struct pollfd){ .fd = run->out.src,
			    .events = POLLIN };
		if (run->err.src >= 0)
			pfd[n++] = (struct pollfd){ .fd = run->err.src,
			    .events = POLLIN };
		if (run->in_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = run->in_fd,
			    .events = POLLOUT };
		if (poll(pfd, (nfds_t)n, WRAPPER_POLL_MS) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == run->wake_r) {
				while (read(run->wake_r, junk, sizeof(junk)) > 0)
					;
			} else if (pfd[i].fd == run->out.src)
				wrapper_sink_read(&run->out);
			else if (pfd[i].fd == run->err.src)
				wrapper_sink_read(&run->err);
			else if (pfd[i].fd == run->in_fd)
				wrapper_input_write(run);
		}
	}
}

/* Notes appended to result files: beyond the cap, and a timeout. */
static void
wrapper_sink_finish(struct wrapper_sink *s, const struct wrapper_run *run,
    bool is_err)
{
	char note[128];
	int n;

	wrapper_sink_close(s);
	if (!s->is_file || s->dst < 0)
		return;
	if (s->total > s->passed && !s->dst_broken) {
		n = snprintf(note, sizeof(note), "\n[pxpd: output truncated "
		    "after %zu bytes]\n", s->passed);
		(void)wrapper_write_all(s->dst, note, (size_t)n);
	}
	if (is_err && run->timed_out) {
		n = snprintf(note, sizeof(note), "\n[pxpd: timed out after %ld "
		    "s; process group killed]\n", run->job->timeout_s);
		(void)wrapper_write_all(s->dst, note, (size_t)n);
	}
	fsync(s->dst);
	close(s->dst);
	s->dst = -1;
}

static void
wrapper_signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* pxpd gone (blocking relay): write() says EPIPE instead. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Detached: a hang-up of pxpd's terminal is not a cancel. */
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = wrapper_signal_on;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/* Output destinations: result files (non-blocking), nothing (the
 * external module writes its own), or our stdout/stderr to pxpd. */
static int
wrapper_sinks_open(struct wrapper_run *run)
{
	const struct exec__job *job = run->job;

	run->out.limit = run->err.limit = job->output_cap;
	if (job->result_dir == NULL) {
		/* One byte past the cap tells pxpd it was truncated. */
		run->out.limit = run->err.limit = job->output_cap + 1;
		run->out.dst = STDOUT_FILENO;
		run->err.dst = STDERR_FILENO;
		return 0;
	}
	if (job->action_writes_output)
		return 0;
	run->out.is_file = run->err.is_file = true;
	run->out.dst = wrapper_file_open(job->result_dir, EXEC__FILE_STDOUT,
	    O_TRUNC);
	run->err.dst = wrapper_file_open(job->result_dir, EXEC__FILE_STDERR,
	    O_TRUNC);
	return run->out.dst >= 0 && run->err.dst >= 0 ? 0 : -1;
}

static int
wrapper_exit_code(const struct wrapper_run *run)
{
	if (WIFEXITED(run->status))
		return WEXITSTATUS(run->status);
	if (WIFSIGNALED(run->status))
		return 128 + WTERMSIG(run->status);
	return EXEC_EXIT_NOT_STARTED;
}

/* Runs the parsed job: everything after detaching. */
static int
wrapper_job_run(const struct exec__job *job)
{
	struct wrapper_run run;
	struct exec__start_error se;
	struct exec__sandbox sb;
	char tmpl[PATH_MAX], status[32], err[512], *workdir = NULL;
	const char *tmpdir;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int wake[2] = { -1, -1 }, fds[3], code = EXEC_EXIT_NOT_STARTED, n;
	bool tempdir = false, made = false;
	long pid = 0;

	memset(&run, 0, sizeof(run));
	memset(&sb, 0, sizeof(sb));
	exec__input_init(&run.in);
	run.job = job;
	run.sb = &sb;
	run.in_fd = run.out.src = run.err.src = -1;
	run.out.dst = run.err.dst = -1;
	if (wrapper_sinks_open(&run) < 0) {
		code = wrapper_fail(job, "pxpd wrapper: cannot create output "
		    "files in '%s': %s", job->result_dir, strerror(errno));
		goto cleanup;
	}
	if (exec__sandbox_prepare(job, (long)getpid(), &sb, err,
	    sizeof(err)) < 0) {
		code = wrapper_fail(job, "%s", err);
		goto cleanup;
	}
	if (job->cwd != NULL) {
		if (mkdir(job->cwd, OS_MODE_DIR_PRIVATE) == 0)
			made = true;
		else if (errno != EEXIST) {
			code = wrapper_fail(job, "pxpd wrapper: cannot create "
			    "working directory '%s': %s", job->cwd,
			    strerror(errno));
			goto cleanup;
		}
		workdir = job->cwd;
	} else {
		tmpdir = getenv("TMPDIR");
		if (tmpdir == NULL || tmpdir[0] != '/')
			tmpdir = "/tmp";
		snprintf(tmpl, sizeof(tmpl), "%s/pxpd-exec-XXXXXX", tmpdir);
		if ((workdir = mkdtemp(tmpl)) == NULL) {
			code = wrapper_fail(job, "pxpd wrapper: cannot create a "
			    "temporary directory in '%s': %s", tmpdir,
			    strerror(errno));
			goto cleanup;
		}
		tempdir = made = true;
	}
	/* The action's user must be able to work in a directory we made;
	 * one that already existed keeps its owner. */
	if (made && exec__sandbox_workdir_own(&sb, workdir) < 0) {
		code = wrapper_fail(job, "pxpd wrapper: cannot hand the working "
		    "directory '%s' to the action's user: %s", workdir,
		    strerror(errno));
		goto cleanup;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		code = wrapper_fail(job, "pxpd wrapper: cannot prepare the "
		    "action: %s", strerror(errno));
		goto cleanup;
	}
	wrapper_wake_fd = wake[1];
	run.wake_r = wake[0];
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = errp[1];
	run.start_ms = wrapper_now_ms();
	if (exec__action_start(job, &sb, workdir, fds, &pid, &se) < 0) {
		exec__start_error_text(job, workdir, &se, err, sizeof(err));
		code = wrapper_fail(job, "%s", err);
		goto cleanup;
	}
	run.pid = (pid_t)pid;
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	in[0] = out[1] = errp[1] = -1;
	run.out.src = out[0];
	run.err.src = errp[0];
	out[0] = errp[0] = -1;
	run.in_fd = in[1];
	in[1] = -1;
	if (!exec__input_any(job)) {
		close(run.in_fd);
		run.in_fd = -1;
	} else
		fcntl(run.in_fd, F_SETFL, fcntl(run.in_fd, F_GETFL) |
		    O_NONBLOCK);

	wrapper_run_loop(&run);
	code = wrapper_exit_code(&run);
	wrapper_sink_finish(&run.out, &run, false);
	wrapper_sink_finish(&run.err, &run, true);
	if (job->result_dir != NULL) {
		crash_point("wrapper.output_synced");
		if (run.timed_out) {
			int fd = wrapper_file_open(job->result_dir,
			    EXEC__FILE_TIMED_OUT, O_TRUNC);

			if (fd >= 0) {
				fsync(fd);
				close(fd);
			}
		}
		/* An external module writes an exit code of its own
		 * (modules.md §1), but the one that counts is the
		 * process's, as pxp-agent takes it: ours, last, is what
		 * every reader sees. */
		wrapper_exitcode_write(job, code);
	}
	if (job->status_fd >= 0) {
		n = snprintf(status, sizeof(status), "timed_out=%d\n",
		    run.timed_out ? 1 : 0);
		(void)wrapper_write_all(job->status_fd, status, (size_t)n);
	}
cleanup:
	wrapper_wake_fd = -1;
	if (run.in_fd >= 0)
		close(run.in_fd);
	exec__input_free(&run.in);
	wrapper_sink_close(&run.out);
	wrapper_sink_close(&run.err);
	if (run.out.is_file && run.out.dst >= 0)
		close(run.out.dst);
	if (run.err.is_file && run.err.dst >= 0)
		close(run.err.dst);
	for (n = 0; n < 2; n++) {
		if (in[n] >= 0)
			close(in[n]);
		if (out[n] >= 0)
			close(out[n]);
		if (errp[n] >= 0)
			close(errp[n]);
		if (wake[n] >= 0)
			close(wake[n]);
	}
	/* The action's user owns the workdir and may leave a process behind
	 * that swaps a subdirectory for a symlink: the walk never follows
	 * one (openat O_NOFOLLOW), so root unlinks nothing elsewhere. */
	if (tempdir)
		(void)os_rmtree_at(workdir);
	/* What a successful action left running moves out of the way so
	 * its cgroup can go; after a kill nothing is left to move. */
	exec__sandbox_free(&sb, run.exited && wrapper_exit_ok(&run) &&
	    run.kill_stage == 0);
	return code;
}

int
exec_wrapper_main(int argc, char **argv)
{
	struct exec__job job;
	char err[256], *text;
	size_t len = 0;
	int code, n;

	(void)argc;
	(void)argv;
	memset(&job, 0, sizeof(job));
	job.status_fd = -1;
	wrapper_signals_setup();
	/* Own session and process group: pxpd's end (even SIGKILL of its
	 * group) does not reach us, and pxpd can signal us by -pid. */
	setsid();
	/* For the result files and, inherited, for the action. */
	umask(077);
	/* Started by hand with a closed 0-2, our pipes would land there
	 * and be taken for stdio. */
	for (n = 0; n < 3; n++) {
		if (fcntl(n, F_GETFD) < 0 &&
		    open("/dev/null", n == 0 ? O_RDONLY : O_WRONLY) < 0)
			return EXEC_EXIT_NOT_STARTED;
	}
	if ((text = wrapper_job_read(&len)) == NULL) {
		fprintf(stderr, "pxpd wrapper: cannot read the job\n");
		return EXEC_EXIT_NOT_STARTED;
	}
	if (exec__job_parse(text, len, &job, err, sizeof(err)) < 0) {
		free(text);
		fprintf(stderr, "pxpd wrapper: %s\n", err);
		return EXEC_EXIT_NOT_STARTED;
	}
	free(text);
	if (job.status_fd >= 0 && fcntl(job.status_fd, F_GETFD) < 0)
		job.status_fd = -1;
	if (job.status_fd >= 0)
		fcntl(job.status_fd, F_SETFD, FD_CLOEXEC);
	/* Whatever pxpd had open (its broker connection, log file) is not
	 * ours to keep alive for as long as the action runs. */
	wrapper_fds_close_from(3, job.status_fd);
	/* The pid file is pxpd's: written right after the spawn, before
	 * we had our job (os/posix/exec_result.c). */
#ifdef PR_SET_CHILD_SUBREAPER
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
	code = wrapper_job_run(&job);
	exec__job_free(&job);
	return code;
}
