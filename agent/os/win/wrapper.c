/* wrapper.c: `pxpd.exe --exec-wrapper` on Windows: reads its job from
 * stdin (exec/job.c's format), makes the Job Object named after itself
 * (exec__job_name: kill on close, the action-* limits Windows has),
 * starts the action suspended inside it (CreateProcessW), hands it its
 * input through a pipe and its stdout/stderr (the result dir's files,
 * or pxpd's pipes for a blocking run), waits for it (terminating the job
 * at the timeout), ends whatever the action left running, and records
 * the outcome: <dir>/timed_out, then <dir>/exitcode last (non-blocking),
 * or "timed_out=N" on the status pipe and its own exit code (blocking).
 * Invariant: the action and everything it starts live in the job, and
 * the job lives no longer than the wrapper (kill on close): a cancel,
 * a timeout or a killed wrapper ends the whole tree. */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/win/exec_win.h"
#include "base/util.h"

struct wbuf {
	char *p;
	size_t len, alloc;
	bool oom;
};

static void
wbuf_add(struct wbuf *b, const char *s, size_t n)
{
	char *np;
	size_t want;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->alloc) {
		want = b->alloc ? b->alloc : 256;
		while (want < b->len + n + 1)
			want *= 2;
		if ((np = realloc(b->p, want)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->alloc = want;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
wbuf_str(struct wbuf *b, const char *s)
{
	wbuf_add(b, s, strlen(s));
}

/* One argument as the C runtime's parser (CommandLineToArgvW) reads it
 * back. */
static void
wrapper_quote(struct wbuf *b, const char *a)
{
	size_t bs = 0, i;

	if (*a != '\0' && strpbrk(a, " \t\n\v\"") == NULL) {
		wbuf_str(b, a);
		return;
	}
	wbuf_add(b, "\"", 1);
	for (;; a++) {
		if (*a == '\\') {
			bs++;
			continue;
		}
		if (*a == '\0' || *a == '"') {
			for (i = 0; i < bs * 2 + (*a == '"'); i++)
				wbuf_add(b, "\\", 1);
			if (*a == '\0')
				break;
			wbuf_add(b, "\"", 1);
		} else {
			for (i = 0; i < bs; i++)
				wbuf_add(b, "\\", 1);
			wbuf_add(b, a, 1);
		}
		bs = 0;
	}
	wbuf_add(b, "\"", 1);
}

static bool
wrapper_is_cmd(const char *exe)
{
	const char *base = exe, *p;

	for (p = exe; *p; p++)
		if (*p == '\\' || *p == '/')
			base = p + 1;
	return !_stricmp(base, "cmd.exe") || !_stricmp(base, "cmd");
}

static wchar_t *
wrapper_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1,
	    NULL, 0);
	wchar_t *w;

	if (n <= 0 || (w = malloc((size_t)n * sizeof(wchar_t))) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

/* The command line. cmd.exe parses its own: after /c the command goes
 * as it is (pxp-agent's `cmd.exe /c <command>`); only an argument that
 * names an existing file with a space in its path (a task file) is put
 * in quotes. Everything else in the C runtime's quoting. */
char *
exec__win_cmdline(const char *exe, char *const *args)
{
	struct wbuf b = { 0 };
	bool cmd = wrapper_is_cmd(exe), raw = false;
	char *const *a;
	wchar_t *w;
	DWORD attr;

	wrapper_quote(&b, exe);
	for (a = args; *a != NULL; a++) {
		wbuf_add(&b, " ", 1);
		if (!raw) {
			wrapper_quote(&b, *a);
			if (cmd && !_stricmp(*a, "/c"))
				raw = true;
			continue;
		}
		attr = INVALID_FILE_ATTRIBUTES;
		if (strchr(*a, ' ') != NULL && strchr(*a, '"') == NULL &&
		    (w = wrapper_wide(*a)) != NULL) {
			attr = GetFileAttributesW(w);
			free(w);
		}
		if (attr != INVALID_FILE_ATTRIBUTES) {
			wbuf_add(&b, "\"", 1);
			wbuf_str(&b, *a);
			wbuf_add(&b, "\"", 1);
		} else
			wbuf_str(&b, *a);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

struct wrapper_input {
	HANDLE h;
	const char *data;
	size_t len;
};

static DWORD WINAPI
wrapper_input_thread(void *arg)
{
	struct wrapper_input *in = arg;
	size_t off = 0;
	DWORD n, chunk;

	while (off < in->len) {
		chunk = in->len - off > 65536 ? 65536 : (DWORD)(in->len - off);
		if (!WriteFile(in->h, in->data + off, chunk, &n, NULL))
			break;
		off += n;
	}
	CloseHandle(in->h);
	return 0;
}

/* A file of the result dir the action writes into (inherited). */
static HANDLE
wrapper_out_file(const char *dir, const char *name)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	char *path = name != NULL ? util_asprintf("%s\\%s", dir, name) :
	    strdup("NUL");
	wchar_t *w = path != NULL ? wrapper_wide(path) : NULL;
	HANDLE h = INVALID_HANDLE_VALUE;

	if (w != NULL)
		h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ |
		    FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
		    name != NULL ? CREATE_ALWAYS : OPEN_EXISTING,
		    FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	free(path);
	return h;
}

static void
wrapper_no_inherit_h(HANDLE h)
{
	if (h != NULL && h != INVALID_HANDLE_VALUE)
		SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
}

/* A non-blocking run's stream: the action writes into a pipe, a thread
 * of the wrapper copies it into the result file up to the cap and reads
 * the rest to nowhere, so the action never blocks and the file never
 * grows past output_cap (as on POSIX). */
struct wrapper_pump {
	HANDLE pipe;                 /* read end */
	HANDLE file;                 /* result file, not inherited */
	size_t cap, passed;
	unsigned long long total;
	HANDLE thread;
};

static DWORD WINAPI
wrapper_pump_thread(void *arg)
{
	struct wrapper_pump *p = arg;
	char buf[65536];
	DWORD n, w;
	size_t keep;

	while (ReadFile(p->pipe, buf, sizeof(buf), &n, NULL) && n > 0) {
		p->total += n;
		keep = p->cap - p->passed < n ? p->cap - p->passed : n;
		if (keep > 0 && WriteFile(p->file, buf, (DWORD)keep, &w, NULL))
			p->passed += w;
	}
	return 0;
}

/* The pipe's write end for the action (inherited), the pump started. */
static HANDLE
wrapper_pump_start(struct wrapper_pump *p, const char *dir,
    const char *name, size_t cap)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	HANDLE w = NULL;

	memset(p, 0, sizeof(*p));
	p->cap = cap;
	if ((p->file = wrapper_out_file(dir, name)) == INVALID_HANDLE_VALUE) {
		p->file = NULL;
		return INVALID_HANDLE_VALUE;
	}
	wrapper_no_inherit_h(p->file);
	if (!CreatePipe(&p->pipe, &w, &sa, 0))
		return INVALID_HANDLE_VALUE;
	wrapper_no_inherit_h(p->pipe);
	if ((p->thread = CreateThread(NULL, 0, wrapper_pump_thread, p, 0,
	    NULL)) == NULL) {
		CloseHandle(w);
		return INVALID_HANDLE_VALUE;
	}
	return w;
}

/* After the action and its job are gone: the rest of the pipe, then the
 * notes POSIX's wrapper appends (cut short, timed out). */
static void
wrapper_pump_finish(struct wrapper_pump *p, const struct exec__job *job,
    bool is_err, bool timed_out)
{
	char note[128];
	DWORD w;
	int n;

	if (p->thread != NULL) {
		WaitForSingleObject(p->thread, 10000);
		CloseHandle(p->thread);
	}
	if (p->pipe != NULL)
		CloseHandle(p->pipe);
	if (p->file == NULL)
		return;
	if (p->total > p->passed) {
		n = snprintf(note, sizeof(note), "\n[pxpd: output truncated "
		    "after %zu bytes]\n", p->passed);
		(void)WriteFile(p->file, note, (DWORD)n, &w, NULL);
	}
	if (is_err && timed_out) {
		n = snprintf(note, sizeof(note), "\n[pxpd: timed out after %ld "
		    "s; job object terminated]\n", job->timeout_s);
		(void)WriteFile(p->file, note, (DWORD)n, &w, NULL);
	}
	FlushFileBuffers(p->file);
	CloseHandle(p->file);
}

static HANDLE
wrapper_dup_inherit(DWORD which)
{
	HANDLE h = GetStdHandle(which), d = NULL;

	if (h == NULL || h == INVALID_HANDLE_VALUE ||
	    !DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d,
	    0, TRUE, DUPLICATE_SAME_ACCESS))
		return wrapper_out_file(NULL, NULL);
	return d;
}

static void
wrapper_no_inherit(HANDLE h)
{
	if (h != NULL && h != INVALID_HANDLE_VALUE)
		SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
}

/* Where the wrapper says why the action did not start: the result dir's
 * stderr, or its own (pxpd's pipe). */
static void
wrapper_fail_note(const struct exec__job *job, const char *why)
{
	char *path;
	FILE *f;

	if (job->result_dir != NULL && !job->action_writes_output &&
	    (path = util_asprintf("%s\\%s", job->result_dir,
	    EXEC__FILE_STDERR)) != NULL) {
		if ((f = fopen(path, "ab")) != NULL) {
			fprintf(f, "pxpd: %s\n", why);
			fclose(f);
		}
		free(path);
		return;
	}
	fprintf(stderr, "pxpd: %s\n", why);
	fflush(stderr);
}

static void
wrapper_record(const struct exec__job *job, HANDLE status, int code,
    bool timed_out)
{
	char text[64], *path;
	DWORD n;
	int len;

	if (job->result_dir != NULL) {
		if (timed_out && (path = util_asprintf("%s\\%s",
		    job->result_dir, EXEC__FILE_TIMED_OUT)) != NULL) {
			(void)os_write_atomic(path, "", 0, true);
			free(path);
		}
		len = snprintf(text, sizeof(text), "%d\n", code);
		if ((path = util_asprintf("%s\\%s", job->result_dir,
		    EXEC__FILE_EXITCODE)) != NULL) {
			if (os_write_atomic(path, text, (size_t)len, true) != 0)
				fprintf(stderr, "pxpd wrapper: cannot write "
				    "exitcode\n");
			free(path);
		}
	}
	if (status != NULL && status != INVALID_HANDLE_VALUE) {
		len = snprintf(text, sizeof(text), "timed_out=%d\n",
		    timed_out ? 1 : 0);
		(void)WriteFile(status, text, (DWORD)len, &n, NULL);
	}
}

/* The job: named after this wrapper, kill on close, and the limits. */
static HANDLE
wrapper_job_make(const struct exec__job *job, char *err, size_t errlen)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cpu;
	SYSTEM_INFO si;
	unsigned long long ctime = 0;
	wchar_t name[EXEC__JOB_NAME_MAX];
	HANDLE h;

	(void)exec__proc_ctime(GetCurrentProcess(), &ctime);
	exec__job_name((long)GetCurrentProcessId(), ctime, name,
	    EXEC__JOB_NAME_MAX);
	if ((h = CreateJobObjectW(NULL, name)) == NULL) {
		snprintf(err, errlen, "cannot create the job object: error %lu",
		    (unsigned long)GetLastError());
		return NULL;
	}
	memset(&li, 0, sizeof(li));
	li.BasicLimitInformation.LimitFlags =
	    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (job->memory_max != 0) {
		li.BasicLimitInformation.LimitFlags |=
		    JOB_OBJECT_LIMIT_JOB_MEMORY;
		li.JobMemoryLimit = (SIZE_T)job->memory_max;
	}
	if (job->pids_max > 0) {
		li.BasicLimitInformation.LimitFlags |=
		    JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
		li.BasicLimitInformation.ActiveProcessLimit =
		    (DWORD)job->pids_max;
	}
	if (!SetInformationJobObject(h, JobObjectExtendedLimitInformation,
	    &li, sizeof(li))) {
		snprintf(err, errlen, "cannot set the job object's limits: "
		    "error %lu", (unsigned long)GetLastError());
		CloseHandle(h);
		return NULL;
	}
	if (job->cpu_max > 0) {
		/* Percent of one CPU as 1/100 % of all of them. */
		GetSystemInfo(&si);
		memset(&cpu, 0, sizeof(cpu));
		cpu.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE |
		    JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
		cpu.CpuRate = (DWORD)(job->cpu_max * 100 /
		    (si.dwNumberOfProcessors ? si.dwNumberOfProcessors : 1));
		if (cpu.CpuRate == 0)
			cpu.CpuRate = 1;
		if (cpu.CpuRate > 10000)
			cpu.CpuRate = 10000;
		if (!SetInformationJobObject(h,
		    JobObjectCpuRateControlInformation, &cpu, sizeof(cpu)))
			fprintf(stderr, "pxpd wrapper: action-cpu-max not "
			    "applied: error %lu\n",
			    (unsigned long)GetLastError());
	}
	return h;
}

/* Reads all of stdin (the job text, up to EXEC__JOB_MAX). */
static char *
wrapper_read_job(size_t *len)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	struct wbuf b = { 0 };
	char chunk[65536];
	DWORD n;

	while (ReadFile(in, chunk, sizeof(chunk), &n, NULL) && n > 0) {
		wbuf_add(&b, chunk, n);
		if (b.oom || b.len > EXEC__JOB_MAX) {
			free(b.p);
			return NULL;
		}
	}
	wrapper_no_inherit(in);
	CloseHandle(in);
	if (b.p == NULL)
		wbuf_add(&b, "", 0);
	*len = b.len;
	return b.p;
}

static int
wrapper_run(struct exec__job *job, HANDLE status)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	struct wrapper_input input;
	HANDLE jobh = NULL, in_r = NULL, in_w = NULL, out = NULL, errh = NULL;
	HANDLE thread = NULL;
	struct wrapper_pump pout, perr;
	bool pumped = false;
	char err[256], *line = NULL, *tmpdir = NULL, *cwd = job->cwd;
	wchar_t *wline = NULL, *wcwd = NULL, *wk;
	wchar_t tmp[MAX_PATH + 1];
	unsigned long long ctime = 0;
	bool timed_out = false;
	DWORD wait, code = EXEC_EXIT_NOT_STARTED;
	char **e, *eq;
	int rc;

	memset(&pi, 0, sizeof(pi));
	memset(&pout, 0, sizeof(pout));
	memset(&perr, 0, sizeof(perr));
	if (job->user != NULL || job->group != NULL) {
		wrapper_fail_note(job, "action-user and action-group are not "
		    "supported on Windows");
		goto record;
	}
	if ((jobh = wrapper_job_make(job, err, sizeof(err))) == NULL) {
		wrapper_fail_note(job, err);
		goto record;
	}
	if (cwd == NULL) {
		/* A private working directory, removed after. */
		(void)exec__proc_ctime(GetCurrentProcess(), &ctime);
		if (GetTempPathW(MAX_PATH, tmp) == 0 ||
		    (tmpdir = os__utf8(tmp)) == NULL ||
		    (cwd = util_asprintf("%spxpd-action-%lu-%llu", tmpdir,
		    (unsigned long)GetCurrentProcessId(), ctime)) == NULL ||
		    (rc = os_mkdir_p(cwd, 0700, 0700)) != 0) {
			wrapper_fail_note(job, "cannot make a working "
			    "directory");
			goto record;
		}
		free(tmpdir);
		tmpdir = cwd;
	}
	for (e = job->env; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL || eq == *e)
			continue;
		*eq = '\0';
		if ((wk = wrapper_wide(*e)) != NULL) {
			wchar_t *wv = wrapper_wide(eq + 1);

			if (wv != NULL)
				SetEnvironmentVariableW(wk, wv);
			free(wv);
			free(wk);
		}
		*eq = '=';
	}
	if (!CreatePipe(&in_r, &in_w, &sa, 0)) {
		wrapper_fail_note(job, "cannot make the input pipe");
		goto record;
	}
	wrapper_no_inherit(in_w);
	if (job->result_dir != NULL && job->action_writes_output) {
		out = wrapper_out_file(NULL, NULL);
		errh = wrapper_out_file(NULL, NULL);
	} else if (job->result_dir != NULL) {
		pumped = true;
		out = wrapper_pump_start(&pout, job->result_dir,
		    EXEC__FILE_STDOUT, job->output_cap);
		errh = wrapper_pump_start(&perr, job->result_dir,
		    EXEC__FILE_STDERR, job->output_cap);
	} else {
		out = wrapper_dup_inherit(STD_OUTPUT_HANDLE);
		errh = wrapper_dup_inherit(STD_ERROR_HANDLE);
	}
	if (out == INVALID_HANDLE_VALUE || errh == INVALID_HANDLE_VALUE) {
		wrapper_fail_note(job, "cannot open the action's output files");
		goto record;
	}
	if ((line = exec__win_cmdline(job->executable, job->args)) == NULL ||
	    (wline = wrapper_wide(line)) == NULL ||
	    (wcwd = wrapper_wide(cwd)) == NULL) {
		wrapper_fail_note(job, "bad command line or directory");
		goto record;
	}
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = in_r;
	si.hStdOutput = out;
	si.hStdError = errh;
	if (!CreateProcessW(NULL, wline, NULL, NULL, TRUE, CREATE_SUSPENDED |
	    CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT, NULL, wcwd, &si,
	    &pi)) {
		snprintf(err, sizeof(err), "cannot start '%s': error %lu",
		    job->executable, (unsigned long)GetLastError());
		wrapper_fail_note(job, err);
		goto record;
	}
	if (!AssignProcessToJobObject(jobh, pi.hProcess)) {
		snprintf(err, sizeof(err), "cannot put the action in its job "
		    "object: error %lu", (unsigned long)GetLastError());
		wrapper_fail_note(job, err);
		TerminateProcess(pi.hProcess, EXEC_EXIT_NOT_STARTED);
		goto record;
	}
	ResumeThread(pi.hThread);
	CloseHandle(in_r);
	in_r = NULL;
	CloseHandle(out);
	CloseHandle(errh);
	out = errh = NULL;
	input.h = in_w;
	input.data = job->input;
	input.len = job->input_len;
	in_w = NULL;
	if ((thread = CreateThread(NULL, 0, wrapper_input_thread, &input, 0,
	    NULL)) == NULL)
		CloseHandle(input.h);

	wait = WaitForSingleObject(pi.hProcess, job->timeout_s > 0 ?
	    (DWORD)(job->timeout_s > 4000000 ? 4000000000UL :
	    (unsigned long)job->timeout_s * 1000UL) : INFINITE);
	if (wait == WAIT_TIMEOUT) {
		timed_out = true;
		TerminateJobObject(jobh, EXEC__WIN_KILLED_CODE);
		WaitForSingleObject(pi.hProcess, 10000);
	}
	if (!GetExitCodeProcess(pi.hProcess, &code) || code == STILL_ACTIVE)
		code = EXEC__WIN_KILLED_CODE;
	/* What the action left running goes with it. */
	TerminateJobObject(jobh, EXEC__WIN_KILLED_CODE);
	if (thread != NULL) {
		WaitForSingleObject(thread, 5000);
		CloseHandle(thread);
	}
record:
	if (pi.hProcess != NULL) {
		CloseHandle(pi.hProcess);
		CloseHandle(pi.hThread);
	}
	if (jobh != NULL)
		CloseHandle(jobh);
	if (in_r != NULL)
		CloseHandle(in_r);
	if (in_w != NULL)
		CloseHandle(in_w);
	if (out != NULL && out != INVALID_HANDLE_VALUE)
		CloseHandle(out);
	if (errh != NULL && errh != INVALID_HANDLE_VALUE)
		CloseHandle(errh);
	if (pumped) {
		wrapper_pump_finish(&pout, job, false, timed_out);
		wrapper_pump_finish(&perr, job, true, timed_out);
	}
	if (tmpdir != NULL) {
		SetCurrentDirectoryW(L"\\");
		(void)os_rmtree_at(tmpdir);
		free(tmpdir);
	}
	free(line);
	free(wline);
	free(wcwd);
	wrapper_record(job, status, (int)code, timed_out);
	return (int)code;
}

int
exec_wrapper_main(int argc, char **argv)
{
	struct exec__job job;
	HANDLE status = NULL;
	char err[256], *text;
	size_t len = 0;
	int code;

	(void)argc;
	(void)argv;
	/* Nothing of the wrapper's own handles goes to the action but what
	 * it is given. */
	wrapper_no_inherit(GetStdHandle(STD_OUTPUT_HANDLE));
	wrapper_no_inherit(GetStdHandle(STD_ERROR_HANDLE));
	if ((text = wrapper_read_job(&len)) == NULL) {
		fprintf(stderr, "pxpd wrapper: cannot read the job\n");
		return EXEC_EXIT_NOT_STARTED;
	}
	if (exec__job_parse(text, len, &job, err, sizeof(err)) != 0) {
		free(text);
		fprintf(stderr, "pxpd wrapper: %s\n", err);
		return EXEC_EXIT_NOT_STARTED;
	}
	free(text);
	if (job.status_fd >= 0) {
		status = (HANDLE)_get_osfhandle(job.status_fd);
		if (status == INVALID_HANDLE_VALUE)
			status = NULL;
		wrapper_no_inherit(status);
	}
	code = wrapper_run(&job, status);
	exec__job_free(&job);
	return code;
}
