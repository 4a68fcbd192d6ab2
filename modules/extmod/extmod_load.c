/* extmod_load.c: finding external modules at start-up (modules.md §1).
 * Scans modules-dir and reads each <name>.conf on the thread pool, then
 * runs every `<file> metadata` in parallel on the loop, each with bounded
 * output and a timeout, and hands the good modules to the caller. Not what
 * a module is or does (extmod.c). Invariants: a probe is judged, and the
 * loader freed, only after all four of its handles are closed, and a
 * process handle is closed only after its exit was seen (so every child
 * is reaped); loaded() and done() run from the loop, in file-name order. */
/* S_IF*, X_OK and SIGKILL come with uv.h on every platform, for
 * uv_fs_stat, uv_fs_access and uv_process_kill. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/extmod.h"
#include "extmod/extmod_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/util.h"
#include "os/os.h"

#define PART "extmod"
#define EXTMOD_ENTRIES_MAX 4096     /* directory entries looked at */
#define EXTMOD_STDERR_KEPT 4096     /* metadata stderr kept for the log */
#define EXTMOD_STDERR_SHOWN 300

/* One captured output of a metadata child. */
struct extmod_stream {
	uv_pipe_t pipe;
	char *buf;
	size_t len, cap, max;
	bool eof, truncated;
};

/* One file of modules-dir and, when it is a candidate, its metadata run. */
struct extmod_probe {
	struct extmod_loader *ld;
	char *name, *path;
	/* From the scan: skip set means not run (logged at skip_level). */
	char *skip;
	enum log_level skip_level;
	bool conf_present;
	cJSON *conf;
	char *conf_note;            /* why the .conf counts as null */
	/* The `<file> metadata` child. */
	uv_process_t proc;
	struct extmod_stream out, err;
	uv_timer_t timer;
	char discard[1024];         /* reads past a stream's max land here */
	int open_handles;
	bool closing, exited, killed, overflow;
	int spawn_err, read_err;
	int64_t exit_status;
	int term_signal;
};

struct extmod_loader {
	uv_loop_t *loop;
	uv_work_t work;
	char *modules_dir, *config_dir;
	uint64_t timeout_ms;
	extmod_loaded_cb loaded;
	extmod_done_cb done;
	void *arg;
	char *scan_error;
	struct extmod_probe **probes;   /* sorted by name */
	size_t n_probes, pending;
};

/* ---- platform decisions ---------------------------------------------- */

/* Is this directory entry a module file? POSIX: a regular, executable file
 * with no extension, and its name is the module name. Windows: a .bat or
 * .exe file, the module name being the name without it
 * (os_module_name_len; the caller cuts the name).
 * Returns NULL when it is, else why not (malloc'd) and the log level
 * that deserves. Runs on the thread pool: synchronous uv_fs calls only
 * store the loop pointer, they never touch the loop. */
static char *
extmod__file_check(uv_loop_t *loop, const char *path, const char *name,
    enum log_level *level)
{
	uv_fs_t req;
	uv_stat_t st;
	int rc;

	*level = LOG_LVL_DEBUG;
	if (os_module_name_len(name) == 0)
		return util_strdup(strchr(name, '.') ? "has an extension: "
		    "not a module file" : "no .exe or .bat: not a module file");
	rc = uv_fs_stat(loop, &req, path, NULL);
	st = req.statbuf;
	uv_fs_req_cleanup(&req);
	if (rc < 0) {
		*level = LOG_LVL_ERROR;
		return util_asprintf("not loaded: cannot stat: %s",
		    uv_strerror(rc));
	}
	if ((st.st_mode & S_IFMT) == S_IFDIR)
		return util_strdup("is a directory: skipped");
	*level = LOG_LVL_ERROR;
	if ((st.st_mode & S_IFMT) != S_IFREG)
		return util_strdup("not loaded: not a regular file");
	rc = uv_fs_access(loop, &req, path, X_OK, NULL);
	uv_fs_req_cleanup(&req);
	if (rc < 0)
		return util_asprintf("not loaded: not executable: %s",
		    uv_strerror(rc));
	return NULL;
}

/* ---- the scan, on the thread pool ------------------------------------ */

static void
extmod__conf_read(struct extmod_probe *p, const char *dir)
{
	char *path, *buf = NULL;
	size_t n = 0;
	FILE *f;
	int e;

	if (!dir[0] || !(path = util_asprintf("%s/%s.conf", dir, p->name)))
		return;
	if (!(f = fopen(path, "rb"))) {
		e = errno;
		if (e != ENOENT && e != ENOTDIR) {
			p->conf_present = true;
			p->conf_note = util_asprintf("cannot read %s: %s", path,
			    uv_strerror(uv_translate_sys_error(e)));
		}
		free(path);
		return;
	}
	p->conf_present = true;
	if (!(buf = malloc(EXTMOD_CONF_MAX + 1)))
		p->conf_note = util_asprintf("cannot read %s: out of memory", path);
	else {
		n = fread(buf, 1, EXTMOD_CONF_MAX + 1, f);
		if (ferror(f))
			p->conf_note = util_asprintf("cannot read %s", path);
		else if (n > EXTMOD_CONF_MAX)
			p->conf_note = util_asprintf("%s is larger than %d bytes",
			    path, EXTMOD_CONF_MAX);
		else if (!(p->conf = cJSON_ParseWithLength(buf, n)))
			p->conf_note = util_asprintf("%s is not valid JSON", path);
	}
	fclose(f);
	free(buf);
	free(path);
}

static int
extmod__probe_cmp(const void *a, const void *b)
{
	const struct extmod_probe *pa = *(struct extmod_probe *const *)a;
	const struct extmod_probe *pb = *(struct extmod_probe *const *)b;

	return strcmp(pa->name, pb->name);
}

static void
extmod__scan(uv_work_t *w)
{
	struct extmod_loader *ld = w->data;
	struct extmod_probe *p;
	uv_fs_t req;
	uv_dirent_t ent;
	size_t i, cap = 0, candidates = 0;
	void *grown;
	int rc;

	if (!ld->modules_dir[0]) {
		ld->scan_error = util_strdup("modules-dir is not set: no "
		    "external module loaded");
		return;
	}
	rc = uv_fs_scandir(ld->loop, &req, ld->modules_dir, 0, NULL);
	if (rc < 0) {
		ld->scan_error = util_asprintf("cannot read modules-dir %s: %s: "
		    "no external module loaded", ld->modules_dir,
		    uv_strerror(rc));
		uv_fs_req_cleanup(&req);
		return;
	}
	while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
		/* Dot files are never modules; subdirs are not looked into. */
		if (ent.name[0] == '.' || ent.type == UV_DIRENT_DIR)
			continue;
		if (ld->n_probes == EXTMOD_ENTRIES_MAX) {
			ld->scan_error = util_asprintf("more than %d files in %s: "
			    "the rest are ignored", EXTMOD_ENTRIES_MAX,
			    ld->modules_dir);
			break;
		}
		if (ld->n_probes == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(ld->probes, cap *
			    sizeof(*ld->probes)))) {
				ld->scan_error = util_asprintf("out of memory "
				    "reading %s", ld->modules_dir);
				break;
			}
			ld->probes = grown;
		}
		if (!(p = calloc(1, sizeof(*p))) ||
		    !(p->name = util_strdup(ent.name)) ||
		    !(p->path = util_asprintf("%s/%s", ld->modules_dir,
		    ent.name))) {
			if (p)
				free(p->name);
			free(p);
			/* Out of memory: carry on with what was read. */
			ld->scan_error = util_asprintf("out of memory reading %s",
			    ld->modules_dir);
			break;
		}
		p->ld = ld;
		ld->probes[ld->n_probes++] = p;
	}
	uv_fs_req_cleanup(&req);
	if (ld->n_probes > 1)
		qsort(ld->probes, ld->n_probes, sizeof(*ld->probes),
		    extmod__probe_cmp);
	for (i = 0; i < ld->n_probes; i++) {
		p = ld->probes[i];
		if ((p->skip = extmod__file_check(ld->loop, p->path, p->name,
		    &p->skip_level)))
			continue;
		/* The module's name: without ".exe" or ".bat" on Windows. */
		p->name[os_module_name_len(p->name)] = '\0';
		if (++candidates > EXTMOD_FILES_MAX) {
			p->skip_level = LOG_LVL_ERROR;
			p->skip = util_asprintf("not loaded: more than %d module "
			    "files", EXTMOD_FILES_MAX);
			continue;
		}
		extmod__conf_read(p, ld->config_dir);
	}
}

/* ---- the metadata children, on the loop ------------------------------ */

static void extmod__finish(struct extmod_loader *ld);

static void
extmod__closed(uv_handle_t *h)
{
	struct extmod_probe *p = h->data;
	struct extmod_loader *ld = p->ld;

	if (--p->open_handles > 0)
		return;
	if (--ld->pending == 0)
		extmod__finish(ld);
}

static void
extmod__probe_close(struct extmod_probe *p)
{
	if (p->closing)
		return;
	p->closing = true;
	uv_close((uv_handle_t *)&p->proc, extmod__closed);
	uv_close((uv_handle_t *)&p->out.pipe, extmod__closed);
	uv_close((uv_handle_t *)&p->err.pipe, extmod__closed);
	uv_close((uv_handle_t *)&p->timer, extmod__closed);
}

/* Done once the child was reaped and its output read to the end, or once
 * the output stopped mattering (killed, too large, or pipes held open by
 * a grandchild until the timeout). */
static void
extmod__probe_progress(struct extmod_probe *p)
{
	if (!p->exited)
		return;
	if ((p->out.eof && p->err.eof) || p->killed || p->overflow ||
	    !uv_is_active((uv_handle_t *)&p->timer))
		extmod__probe_close(p);
}

static void
extmod__probe_kill(struct extmod_probe *p)
{
	if (!p->exited && !p->killed) {
		p->killed = true;
		uv_process_kill(&p->proc, SIGKILL);
	}
}

static void
extmod__exited(uv_process_t *proc, int64_t status, int sig)
{
	struct extmod_probe *p = proc->data;

	p->exited = true;
	p->exit_status = status;
	p->term_signal = sig;
	extmod__probe_progress(p);
}

static void
extmod__timeout(uv_timer_t *t)
{
	struct extmod_probe *p = t->data;

	extmod__probe_kill(p);
	extmod__probe_progress(p);
}

static void
extmod__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct extmod_probe *p = h->data;
	struct extmod_stream *s = (uv_pipe_t *)h == &p->out.pipe ? &p->out :
	    &p->err;
	size_t want = 16384, cap;
	char *grown;

	if (s->len >= s->max) {
		buf->base = p->discard;
		buf->len = sizeof(p->discard);
		return;
	}
	if (want > s->max - s->len)
		want = s->max - s->len;
	if (s->cap < s->len + want + 1) {
		cap = s->cap * 2 > s->len + want + 1 ? s->cap * 2 :
		    s->len + want + 1;
		if (cap > s->max + 1)
			cap = s->max + 1;
		if (!(grown = realloc(s->buf, cap))) {
			buf->base = NULL;
			buf->len = 0;       /* read_cb gets UV_ENOBUFS */
			return;
		}
		s->buf = grown;
		s->cap = cap;
	}
	buf->base = s->buf + s->len;
	buf->len = want;
}

static void
extmod__read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct extmod_probe *p = st->data;
	struct extmod_stream *s = (uv_pipe_t *)st == &p->out.pipe ? &p->out :
	    &p->err;

	if (nread > 0) {
		if (buf->base == p->discard)
			s->truncated = true;
		else
			s->len += (size_t)nread;
		if (s == &p->out && s->len > EXTMOD_METADATA_MAX) {
			/* More metadata than any module needs: stop here. */
			p->overflow = true;
			s->eof = true;
			uv_read_stop(st);
			extmod__probe_kill(p);
		}
	} else if (nread < 0) {
		if (nread != UV_EOF)
			p->read_err = (int)nread;
		s->eof = true;
		uv_read_stop(st);
	}
	extmod__probe_progress(p);
}

static void
extmod__probe_spawn(struct extmod_loader *ld, struct extmod_probe *p)
{
	uv_process_options_t opts;
	uv_stdio_container_t stdio[3];
	const char *argv[5];
	int rc;

	/* These inits cannot fail on a live loop; all four handles are
	 * closed together in extmod__probe_close(). */
	uv_pipe_init(ld->loop, &p->out.pipe, 0);
	uv_pipe_init(ld->loop, &p->err.pipe, 0);
	uv_timer_init(ld->loop, &p->timer);
	p->out.pipe.data = p->err.pipe.data = p->timer.data = p->proc.data = p;
	p->out.max = EXTMOD_METADATA_MAX + 1;   /* one more byte: overflow */
	p->err.max = EXTMOD_STDERR_KEPT;
	p->open_handles = 4;
	ld->pending++;

	extmod__command(p->path, "metadata", argv);
	memset(&opts, 0, sizeof(opts));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&p->out.pipe;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&p->err.pipe;
	opts.file = argv[0];
	opts.args = (char **)argv;
	opts.exit_cb = extmod__exited;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	/* env NULL and cwd NULL: inherited, as pxp-agent does. */
	rc = uv_spawn(ld->loop, &p->proc, &opts);
	p->proc.data = p;
	if (rc != 0) {
		/* uv_spawn initialized the handle anyway; close it. */
		p->spawn_err = rc;
		p->exited = true;
		extmod__probe_close(p);
		return;
	}
	if (uv_read_start((uv_stream_t *)&p->out.pipe, extmod__alloc,
	    extmod__read) != 0)
		p->out.eof = true;
	if (uv_read_start((uv_stream_t *)&p->err.pipe, extmod__alloc,
	    extmod__read) != 0)
		p->err.eof = true;
	uv_timer_start(&p->timer, extmod__timeout, ld->timeout_ms, 0);
}

/* ---- judging ---------------------------------------------------------- */

/* The first EXTMOD_STDERR_SHOWN bytes of stderr on one line. */
static void
extmod__stderr_line(const struct extmod_probe *p, char *buf, size_t len)
{
	size_t i, n = p->err.len < len - 1 ? p->err.len : len - 1;

	if (n > EXTMOD_STDERR_SHOWN)
		n = EXTMOD_STDERR_SHOWN;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p->err.buf[i];

		buf[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

static void
extmod__exit_text(const struct extmod_probe *p, char *buf, size_t len)
{
	char err[EXTMOD_STDERR_SHOWN + 1];

	if (p->term_signal)
		snprintf(buf, len, "killed by signal %d", p->term_signal);
	else
		snprintf(buf, len, "exit code %lld", (long long)p->exit_status);
	extmod__stderr_line(p, err, sizeof(err));
	if (err[0])
		snprintf(buf + strlen(buf), len - strlen(buf), ", stderr: %s%s",
		    err, p->err.len > EXTMOD_STDERR_SHOWN || p->err.truncated ?
		    "..." : "");
}

static bool
extmod__only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

static void
extmod__probe_judge(struct extmod_loader *ld, struct extmod_probe *p)
{
	char err[1024], how[EXTMOD_STDERR_SHOWN + 64], list[256];
	const char *end = NULL, *const *a;
	struct module *m;
	cJSON *md = NULL;
	size_t n = 0;

	if (p->spawn_err) {
		log_error(PART, "%s: not loaded: cannot run '%s metadata': %s",
		    p->path, p->path, uv_strerror(p->spawn_err));
		return;
	}
	if (p->killed && !p->overflow) {
		log_error(PART, "%s: not loaded: '%s metadata' did not finish "
		    "within %llu ms: killed", p->path, p->path,
		    (unsigned long long)ld->timeout_ms);
		return;
	}
	if (p->overflow) {
		log_error(PART, "%s: not loaded: metadata output is larger than "
		    "%d bytes", p->path, EXTMOD_METADATA_MAX);
		return;
	}
	if (p->read_err) {
		log_error(PART, "%s: not loaded: cannot read the metadata "
		    "output: %s", p->path, uv_strerror(p->read_err));
		return;
	}
	extmod__exit_text(p, how, sizeof(how));
	if (!p->out.buf || p->out.len == 0 ||
	    !json_utf8_valid(p->out.buf, p->out.len) ||
	    !(md = cJSON_ParseWithLengthOpts(p->out.buf, p->out.len, &end,
	    false)) || !extmod__only_space(end, p->out.buf + p->out.len)) {
		cJSON_Delete(md);
		log_error(PART, "%s: not loaded: metadata is not valid JSON (%s)",
		    p->path, how);
		return;
	}
	if (p->conf_note)
		log_warnx(PART, "%s: configuration: %s: treated as null", p->path,
		    p->conf_note);
	m = extmod_module_new(p->name, p->path, md, p->conf_present, p->conf,
	    err, sizeof(err));
	p->conf = NULL;     /* taken over */
	if (!m) {
		log_error(PART, "%s: not loaded: %s", p->path, err);
		return;
	}
	list[0] = '\0';
	for (a = m->actions; *a && n < sizeof(list); a++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    a == m->actions ? "" : ", ", *a);
	log_info(PART, "%s: loaded module '%s' (actions: %s)", p->path,
	    m->name, list[0] ? list : "none");
	ld->loaded(ld->arg, m);
}

static void
extmod__probe_free(struct extmod_probe *p)
{
	free(p->name);
	free(p->path);
	free(p->skip);
	free(p->conf_note);
	cJSON_Delete(p->conf);
	free(p->out.buf);
	free(p->err.buf);
	free(p);
}

static void
extmod__finish(struct extmod_loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n_probes; i++)
		if (!ld->probes[i]->skip)
			extmod__probe_judge(ld, ld->probes[i]);
	ld->done(ld->arg);
	for (i = 0; i < ld->n_probes; i++)
		extmod__probe_free(ld->probes[i]);
	free(ld->probes);
	free(ld->scan_error);
	free(ld->modules_dir);
	free(ld->config_dir);
	free(ld);
}

static void
extmod__scanned(uv_work_t *w, int status)
{
	struct extmod_loader *ld = w->data;
	struct extmod_probe *p;
	size_t i;

	if (status != 0 && !ld->scan_error)
		ld->scan_error = util_asprintf("scan of %s failed: %s",
		    ld->modules_dir, uv_strerror(status));
	if (ld->scan_error)
		log_warnx(PART, "%s", ld->scan_error);
	/* One more pending for this loop, so that a probe ending right away
	 * (spawn failure) cannot finish the loader mid-walk. */
	ld->pending = 1;
	for (i = 0; i < ld->n_probes; i++) {
		p = ld->probes[i];
		if (p->skip) {
			log_msg(p->skip_level, PART, "%s: %s", p->path, p->skip);
			continue;
		}
		extmod__probe_spawn(ld, p);
	}
	if (--ld->pending == 0)
		extmod__finish(ld);
}

int
extmod_load_timeout(uv_loop_t *loop, const struct pxpd_config *cfg,
    uint64_t timeout_ms, extmod_loaded_cb loaded, extmod_done_cb done,
    void *arg)
{
	struct extmod_loader *ld = calloc(1, sizeof(*ld));
	int rc = UV_ENOMEM;

	if (!ld)
		return rc;
	ld->loop = loop;
	ld->timeout_ms = timeout_ms;
	ld->loaded = loaded;
	ld->done = done;
	ld->arg = arg;
	ld->modules_dir = util_strdup(cfg->modules_dir ? cfg->modules_dir : "");
	ld->config_dir = util_strdup(cfg->modules_config_dir ?
	    cfg->modules_config_dir : "");
	ld->work.data = ld;
	if (!ld->modules_dir || !ld->config_dir)
		goto fail;
	log_info(PART, "loading external modules from %s", ld->modules_dir);
	if ((rc = uv_queue_work(loop, &ld->work, extmod__scan,
	    extmod__scanned)) != 0)
		goto fail;
	return 0;

fail:
	free(ld->modules_dir);
	free(ld->config_dir);
	free(ld);
	return rc;
}

int
extmod_load(uv_loop_t *loop, const struct pxpd_config *cfg,
    extmod_loaded_cb loaded, extmod_done_cb done, void *arg)
{
	return extmod_load_timeout(loop, cfg, EXTMOD_METADATA_TIMEOUT_MS,
	    loaded, done, arg);
}
