/* test_os_win.c: agent/os/win on a real directory (under Wine in
 * tests/win/run.sh): Windows path forms (drive letters, UNC and \\?\
 * roots, backslashes), mkdir -p, private creation and the DACL it leaves,
 * atomic replacement, bounded reads that refuse devices and directories,
 * listings, the tree removal (read-only files, reparse points left
 * unfollowed where the system can make them), the names a request may
 * not use, pxp-agent's default locations, the pidfile lock, the shell and
 * task interpreters. Win32 calls check what os.h did, so a broken os.h
 * cannot vouch for itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aclapi.h>
#include <shellapi.h>
#include <shlobj.h>

#include "os/win/internal.h"
#include "os/win/exec_win.h"
#include "os/daemon.h"
#include "os/shell.h"
#include "os/task_features.h"
#include "base/util.h"
#include "config/config_int.h"
#include "spool/spool.h"
#include "builtin/task/task_int.h"

struct fx {
	char root[MAX_PATH];
	char path[MAX_PATH * 2];
};

/* root + "\\" + rel, in f->path (overwritten by the next call). */
static const char *
fx_path(struct fx *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s\\%s", f->root, rel);
	return f->path;
}

static DWORD
fx_attrs(const char *path)
{
	wchar_t *w = os__wpath(path);
	DWORD a = GetFileAttributesW(w);

	free(w);
	return a;
}

static void
fx_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char tmp[MAX_PATH];

	assert_non_null(f);
	assert_true(GetTempPathA(sizeof(tmp), tmp) > 0);
	snprintf(f->root, sizeof(f->root), "%spxpd-os-win-%lu-%llu", tmp,
	    (unsigned long)GetCurrentProcessId(),
	    (unsigned long long)GetTickCount64());
	assert_int_equal(os_mkdir_p(f->root, 0755, 0755), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(os_rmtree_at(f->root), 0);
	assert_int_equal(fx_attrs(f->root), INVALID_FILE_ATTRIBUTES);
	free(f);
	return 0;
}

static void
win_path_roots(void **state)
{
	char *p;

	(void)state;
	assert_int_equal(os__path_root_len("C:\\a\\b"), 3);
	assert_int_equal(os__path_root_len("c:/a"), 3);
	assert_int_equal(os__path_root_len("C:a"), 2);
	assert_int_equal(os__path_root_len("\\\\srv\\share\\x"), 12);
	assert_int_equal(os__path_root_len("//srv/share"), 11);
	assert_int_equal(os__path_root_len("\\\\?\\C:\\x"), 7);
	assert_int_equal(os__path_root_len("\\\\?\\UNC\\srv\\share\\x"), 18);
	assert_int_equal(os__path_root_len("\\x"), 1);
	assert_int_equal(os__path_root_len("rel\\x"), 0);
	p = os__path_dup("C:\\a\\\\");
	assert_string_equal(p, "C:\\a");
	free(p);
	p = os__path_dup("C:\\");
	assert_string_equal(p, "C:\\");
	free(p);
}

static void
win_mkdir_p(void **state)
{
	struct fx *f = *state;
	char leaf[MAX_PATH * 2];

	/* Backslashes, slashes, doubled and trailing separators. */
	snprintf(leaf, sizeof(leaf), "%s\\a/b\\\\c\\", f->root);
	assert_int_equal(os_mkdir_p(leaf, OS_MODE_DIR_PUBLIC,
	    OS_MODE_DIR_PRIVATE), 0);
	assert_true(fx_attrs(fx_path(f, "a\\b\\c")) & FILE_ATTRIBUTE_DIRECTORY);
	assert_int_equal(os_mkdir_p(leaf, 0700, 0700), 0);     /* again */
	fx_put(fx_path(f, "file"), "x");
	assert_int_equal(os_mkdir_p(fx_path(f, "file"), 0700, 0700), -ENOTDIR);
	assert_int_equal(os_mkdir_p(fx_path(f, "file\\sub"), 0700, 0700),
	    -ENOTDIR);
	assert_int_equal(os_mkdir_p("C:\\", 0700, 0700), 0);
	assert_int_equal(os_mkdir_p("", 0700, 0700), -EINVAL);
	/* The parent of a file, for a log or a pidfile. */
	assert_int_equal(os_mkdir_parent(fx_path(f, "p\\q\\log.txt"), 0750), 0);
	assert_true(fx_attrs(fx_path(f, "p\\q")) & FILE_ATTRIBUTE_DIRECTORY);
	assert_int_equal(fx_attrs(fx_path(f, "p\\q\\log.txt")),
	    INVALID_FILE_ATTRIBUTES);
	assert_int_equal(os_mkdir_parent("C:\\top.txt", 0750), 0);
}

/* Wine keeps no ACL on files (it makes one up from the Unix mode):
 * what os/win puts there can only be checked on Windows. */
static bool
under_wine(void)
{
	return GetProcAddress(GetModuleHandleA("ntdll.dll"),
	    "wine_get_version") != NULL;
}

/* The DACL of path: protected, three entries, none inherited; and the
 * permission bits read back from it owner-only. */
static void
assert_private_dacl(const char *path)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL ctl;
	ACL_SIZE_INFORMATION info;
	ACE_HEADER *ace;
	wchar_t *w = os__wpath(path);
	PACL dacl = NULL;
	DWORD rev, i;
	struct os_fileinfo fi;

	if (under_wine()) {
		free(w);
		return;
	}
	assert_int_equal(os_path_info(path, false, &fi), 0);
	assert_int_equal(fi.perm & 077, 0);
	assert_int_equal(GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd),
	    ERROR_SUCCESS);
	free(w);
	assert_non_null(dacl);
	assert_true(GetSecurityDescriptorControl(sd, &ctl, &rev));
	assert_true(ctl & SE_DACL_PROTECTED);
	assert_true(GetAclInformation(dacl, &info, sizeof(info),
	    AclSizeInformation));
	assert_int_equal(info.AceCount, 3);
	for (i = 0; i < info.AceCount; i++) {
		assert_true(GetAce(dacl, i, (void **)&ace));
		assert_int_equal(ace->AceType, ACCESS_ALLOWED_ACE_TYPE);
		assert_false(ace->AceFlags & INHERITED_ACE);
	}
	LocalFree(sd);
}

static void
win_create_private(void **state)
{
	struct fx *f = *state;
	struct os_fileinfo info;
	struct os_file *fp;

	assert_int_equal(os_create_private(fx_path(f, "d"), OS_FTYPE_DIR,
	    NULL), 0);
	assert_private_dacl(fx_path(f, "d"));
	assert_int_equal(os_path_info(fx_path(f, "d"), false, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_DIR);
	assert_int_equal(os_create_private(fx_path(f, "d"), OS_FTYPE_DIR,
	    NULL), -EEXIST);

	assert_int_equal(os_create_private(fx_path(f, "s"), OS_FTYPE_REG,
	    &fp), 0);
	assert_int_equal(os_file_write(fp, "secret", 6), 0);
	assert_int_equal(os_file_info(fp, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_REG);
	assert_int_equal(info.size, 6);
	assert_int_equal(os_file_chmod(fp, OS_MODE_EXEC_PRIVATE), 0);
	assert_int_equal(os_file_close(fp), 0);
	assert_private_dacl(fx_path(f, "s"));
	assert_int_equal(os_create_private(fx_path(f, "s"), OS_FTYPE_REG,
	    &fp), -EEXIST);
	assert_null(fp);
	assert_int_equal(os_create_private(fx_path(f, "x"), OS_FTYPE_REG,
	    NULL), -EINVAL);
}

static void
win_write_atomic_and_read(void **state)
{
	struct fx *f = *state;
	char *buf, **names;
	size_t len, n;
	bool trunc;

	fx_put(fx_path(f, "meta"), "old");
	assert_int_equal(os_write_atomic(fx_path(f, "meta"), "new text", 8,
	    false), 0);
	assert_int_equal(os_write_atomic(fx_path(f, "owed"), "durable", 7,
	    true), 0);
	assert_private_dacl(fx_path(f, "owed"));
	assert_int_equal(os_read_file(fx_path(f, "meta"), false, 100, &buf,
	    &len, &trunc), 0);
	assert_string_equal(buf, "new text");
	assert_false(trunc);
	free(buf);
	assert_int_equal(os_read_file(fx_path(f, "meta"), false, 3, &buf,
	    &len, &trunc), 0);
	assert_string_equal(buf, "new");
	assert_true(trunc);
	free(buf);
	assert_int_equal(os_read_at(fx_path(f, "meta"), 4, 100, &buf, &len),
	    0);
	assert_string_equal(buf, "text");
	free(buf);
	assert_int_equal(os_read_at(fx_path(f, "meta"), 50, 100, &buf, &len),
	    0);
	assert_int_equal(len, 0);
	free(buf);
	/* No temp file is left behind. */
	assert_int_equal(os_dir_list(f->root, OS_FTYPE_REG, &names, &n), 0);
	assert_int_equal(n, 2);
	os_names_free(names, n);
	/* Never a directory or a device, never waited on. */
	assert_int_equal(os_read_file(f->root, true, 100, &buf, &len, &trunc),
	    -EINVAL);
	assert_int_equal(os_read_file(fx_path(f, "nul"), true, 100, &buf,
	    &len, &trunc), -EINVAL);
	assert_int_equal(os_read_file(fx_path(f, "CON"), true, 100, &buf,
	    &len, &trunc), -EINVAL);
	assert_int_equal(os_read_file(fx_path(f, "missing"), true, 100, &buf,
	    &len, &trunc), -ENOENT);
}

static void
win_rename_over_open_file(void **state)
{
	struct fx *f = *state;
	struct os_file *fp;
	char *buf;
	size_t got;

	char from[MAX_PATH * 2];
	int rc;

	fx_put(fx_path(f, "a"), "a");
	snprintf(from, sizeof(from), "%s", f->path);
	fx_put(fx_path(f, "b"), "b");
	/* A file open elsewhere is replaced only with POSIX rename
	 * semantics (newer NTFS); Wine and older Windows refuse it, after
	 * os_rename's short retries. Either way the reader keeps the old. */
	assert_int_equal(os_file_open(fx_path(f, "b"), OS_OPEN_READ, 0, &fp),
	    0);
	rc = os_rename(from, fx_path(f, "b"));
	print_message("rename over an open file: %d\n", rc);
	assert_true(rc == 0 || rc == -EACCES || rc == -EBUSY);
	buf = calloc(1, 4);
	assert_int_equal(os_file_read(fp, buf, 3, &got), 0);
	assert_string_equal(buf, "b");
	free(buf);
	assert_int_equal(os_file_close(fp), 0);
	if (rc != 0)
		assert_int_equal(os_rename(from, fx_path(f, "b")), 0);
	assert_int_equal(os_unlink(fx_path(f, "a")), -ENOENT);
	assert_int_equal(os_touch(fx_path(f, "b")), 0);
	assert_int_equal(os_touch(f->root), 0);
}

static void
win_append_and_list(void **state)
{
	struct fx *f = *state;
	struct os_buf bufs[2] = { { "one ", 4 }, { "line\n", 5 } };
	struct os_file *fp;
	char **names, *buf;
	size_t n, len;
	bool trunc;

	assert_int_equal(os_file_open(fx_path(f, "logs\\x.log"),
	    OS_OPEN_APPEND, OS_MODE_FILE_GROUP, &fp), -ENOENT);
	assert_int_equal(os_mkdir_p(fx_path(f, "logs"), 0750, 0750), 0);
	assert_int_equal(os_file_open(fx_path(f, "logs\\x.log"),
	    OS_OPEN_APPEND, OS_MODE_FILE_GROUP, &fp), 0);
	assert_int_equal(os_file_writev(fp, bufs, 2), 0);
	assert_int_equal(os_file_close(fp), 0);
	assert_int_equal(os_file_open(fx_path(f, "logs\\x.log"),
	    OS_OPEN_APPEND, OS_MODE_FILE_GROUP, &fp), 0);
	assert_int_equal(os_file_write(fp, "two\n", 4), 0);
	assert_int_equal(os_file_close(fp), 0);
	assert_int_equal(os_read_file(fx_path(f, "logs\\x.log"), false, 100,
	    &buf, &len, &trunc), 0);
	assert_string_equal(buf, "one line\ntwo\n");
	free(buf);
	assert_int_equal(os_mkdir_p(fx_path(f, "logs\\sub"), 0750, 0750), 0);
	assert_int_equal(os_dir_list(fx_path(f, "logs"), OS_FTYPE_DIR, &names,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "sub");
	os_names_free(names, n);
	assert_int_equal(os_dir_list(fx_path(f, "logs\\"), OS_FTYPE_REG,
	    &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "x.log");
	os_names_free(names, n);
	assert_int_equal(os_dir_list(fx_path(f, "nope"), OS_FTYPE_REG, &names,
	    &n), -ENOENT);
}

static void
win_rmtree(void **state)
{
	struct fx *f = *state;
	char target[MAX_PATH * 2];
	wchar_t *wl, *wt;
	BOOL linked;

	assert_int_equal(os_mkdir_p(fx_path(f, "t\\a\\b"), 0700, 0700), 0);
	fx_put(fx_path(f, "t\\a\\b\\f"), "x");
	fx_put(fx_path(f, "t\\ro"), "x");
	assert_true(SetFileAttributesA(fx_path(f, "t\\ro"),
	    FILE_ATTRIBUTE_READONLY));
	/* Outside the tree: must survive the removal of a link to it. */
	assert_int_equal(os_mkdir_p(fx_path(f, "keep"), 0700, 0700), 0);
	fx_put(fx_path(f, "keep\\precious"), "x");
	snprintf(target, sizeof(target), "%s", fx_path(f, "keep"));
	wt = os__wpath(target);
	wl = os__wpath(fx_path(f, "t\\a\\link"));
	/* Wine 8's CreateSymbolicLinkW says yes and makes nothing. */
	linked = CreateSymbolicLinkW(wl, wt, SYMBOLIC_LINK_FLAG_DIRECTORY |
	    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) &&
	    GetFileAttributesW(wl) != INVALID_FILE_ATTRIBUTES;
	free(wl);
	free(wt);
	if (!linked)
		print_message("no directory symlink here (error %lu): the "
		    "reparse point case is not exercised\n", GetLastError());
	assert_int_equal(os_rmtree_at(fx_path(f, "t\\")), 0);
	assert_int_equal(fx_attrs(fx_path(f, "t")), INVALID_FILE_ATTRIBUTES);
	assert_int_not_equal(fx_attrs(fx_path(f, "keep\\precious")),
	    INVALID_FILE_ATTRIBUTES);
	assert_int_equal(os_rmtree_at(fx_path(f, "t")), -ENOENT);
	assert_int_equal(os_rmtree_at("C:\\"), -EINVAL);
	assert_int_equal(os_rmtree_at("\\\\srv\\share"), -EINVAL);
	assert_int_equal(os_rmtree_at(fx_path(f, "..")), -EINVAL);
	assert_int_equal(os_rmtree_at(""), -EINVAL);
}

/* A file symlink (a reparse point) is seen as one and never read
 * through when the caller says so. */
static void
win_links_not_followed(void **state)
{
	struct fx *f = *state;
	struct os_fileinfo info;
	struct os_file *fp;
	char target[MAX_PATH * 2], *buf, **names;
	wchar_t *wl, *wt;
	size_t len, n;
	bool trunc;

	fx_put(fx_path(f, "secret"), "x");
	snprintf(target, sizeof(target), "%s", f->path);
	wt = os__wpath(target);
	wl = os__wpath(fx_path(f, "lf"));
	if (!CreateSymbolicLinkW(wl, wt,
	    SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) ||
	    GetFileAttributesW(wl) == INVALID_FILE_ATTRIBUTES) {
		print_message("no file symlink here (error %lu): skipped\n",
		    GetLastError());
		free(wl);
		free(wt);
		return;
	}
	free(wl);
	free(wt);
	assert_int_equal(os_path_info(fx_path(f, "lf"), false, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_LINK);
	assert_int_equal(os_path_info(fx_path(f, "lf"), true, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_REG);
	assert_int_equal(os_read_file(fx_path(f, "lf"), false, 10, &buf, &len,
	    &trunc), -EINVAL);
	assert_int_equal(os_read_file(fx_path(f, "lf"), true, 10, &buf, &len,
	    &trunc), 0);
	free(buf);
	assert_int_equal(os_file_open(fx_path(f, "lf"), OS_OPEN_READ |
	    OS_OPEN_NOFOLLOW, 0, &fp), -ELOOP);
	assert_int_equal(os_dir_list(f->root, OS_FTYPE_LINK, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "lf");
	os_names_free(names, n);
	/* A private file is never created through a planted link. */
	assert_int_equal(os_create_private(fx_path(f, "lf"), OS_FTYPE_REG,
	    &fp), -EEXIST);
}

static void
win_names_unsafe(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a:b", "a\\b",
	    "a/b", "x.", "x ", "CON", "con.txt", "Nul", "nul.tar.gz", "COM1",
	    "lpt9.log", "AUX ", "PROGRA~1", "a*", "a?", "a|b", "a\"b", "a<b",
	    "tab\there" };
	static const char *const good[] = { "metadata", "stdout",
	    "1f0c3c5e-6b1c-4cf0-9a5b-0a9d3f7e2c11", "con-x", "console",
	    "COM10", "x.y", "~tilde", "a~b" };
	size_t i;
	char err[128];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(os_name_unsafe(bad[i]));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_null(os_name_unsafe(good[i]));
	/* Where shared code checks names, Windows' dangers are caught. */
	assert_int_not_equal(spool_tid_check("abc:stream", err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "invalid transaction_id"));
	assert_int_not_equal(spool_tid_check("CON", err, sizeof(err)), 0);
	assert_int_not_equal(spool_tid_check("x.", err, sizeof(err)), 0);
	assert_int_equal(spool_tid_check("0a1b-2c3d", err, sizeof(err)), 0);
	assert_false(task_fs_rel_ok("files/nul.txt"));
	assert_false(task_fs_rel_ok("files/x."));
	assert_false(task_fs_rel_ok("C:/x"));
	assert_false(task_fs_rel_ok("..\\x"));
	assert_true(task_fs_rel_ok("files/init.ps1"));
}

static void
win_defaults(void **state)
{
	struct pxpd_config cfg;
	char buf[MAX_PATH * 3], want[MAX_PATH * 3], data[MAX_PATH];
	const char *suffix;

	(void)state;
	assert_true(SHGetFolderPathA(NULL, CSIDL_COMMON_APPDATA, NULL, 0,
	    data) == S_OK);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(config__defaults_apply(&cfg, true, NULL), 0);
	snprintf(want, sizeof(want), "%s\\PuppetLabs\\pxp-agent\\etc\\"
	    "pxp-agent.conf", data);
	assert_string_equal(cfg.config_file, want);
	snprintf(want, sizeof(want), "%s\\PuppetLabs\\pxp-agent\\var\\spool",
	    data);
	assert_string_equal(cfg.spool_dir, want);
	snprintf(want, sizeof(want), "%s\\PuppetLabs\\pxp-agent\\var\\log\\"
	    "pxp-agent.log", data);
	assert_string_equal(cfg.logfile, want);
	snprintf(want, sizeof(want), "%s\\PuppetLabs\\pxp-agent\\tasks-cache",
	    data);
	assert_string_equal(cfg.task_cache_dir, want);
	snprintf(want, sizeof(want), "%s\\PuppetLabs\\pxp-agent\\etc\\modules",
	    data);
	assert_string_equal(cfg.modules_config_dir, want);
	suffix = "\\modules";
	assert_string_equal(cfg.modules_dir + strlen(cfg.modules_dir) -
	    strlen(suffix), suffix);
	assert_string_equal(cfg.ssl_ca_cert, "");
	config_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(config__defaults_apply(&cfg, false, "C:\\users\\u"),
	    0);
	assert_string_equal(cfg.config_file,
	    "C:\\users\\u\\.puppetlabs\\etc\\pxp-agent\\pxp-agent.conf");
	assert_string_equal(cfg.spool_dir,
	    "C:\\users\\u\\.puppetlabs\\opt\\pxp-agent\\spool");
	assert_string_equal(cfg.pidfile,
	    "C:\\users\\u\\.puppetlabs\\var\\run\\pxp-agent.pid");
	config_free(&cfg);
	assert_int_equal(os_default_path(OS_DEFAULT_NONE, true, NULL, buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(os_default_path(OS_DEFAULT_SPOOL_DIR, true, NULL,
	    buf, 8), -1);
	assert_string_equal(os_syslog_name(), "eventlog");
}

static void
win_pidfile_lock(void **state)
{
	struct fx *f = *state;
	struct daemon_lock *l, *l2;
	char err[256], want[64], *buf;
	size_t len;
	bool trunc;
	long pid = 0;

	assert_int_equal(daemon_lock_probe(fx_path(f, "run\\pxpd.pid"), &pid),
	    0);
	l = daemon_lock_take(fx_path(f, "run\\pxpd.pid"), err, sizeof(err));
	assert_non_null(l);
	assert_int_equal(daemon_lock_probe(fx_path(f, "run\\pxpd.pid"), &pid),
	    1);
	assert_int_equal(pid, (long)GetCurrentProcessId());
	/* Readable while held; a second taker is refused with our pid. */
	assert_int_equal(os_read_file(fx_path(f, "run\\pxpd.pid"), false, 64,
	    &buf, &len, &trunc), 0);
	snprintf(want, sizeof(want), "%lu\n",
	    (unsigned long)GetCurrentProcessId());
	assert_string_equal(buf, want);
	free(buf);
	l2 = daemon_lock_take(fx_path(f, "run\\pxpd.pid"), err, sizeof(err));
	assert_null(l2);
	snprintf(want, sizeof(want), "Already running with PID=%lu",
	    (unsigned long)GetCurrentProcessId());
	assert_string_equal(err, want);
	daemon_lock_release(l);
	assert_int_equal(fx_attrs(fx_path(f, "run\\pxpd.pid")),
	    INVALID_FILE_ATTRIBUTES);
	assert_int_equal(daemon_lock_probe(fx_path(f, "run\\pxpd.pid"), &pid),
	    0);
	assert_non_null(l = daemon_lock_take(fx_path(f, "run\\pxpd.pid"), err,
	    sizeof(err)));
	daemon_lock_release(l);
	daemon_lock_release(NULL);
}

static const char *
tail(const char *s, size_t n)
{
	return strlen(s) >= n ? s + strlen(s) - n : s;
}

static void
win_shell_and_interpreters(void **state)
{
	const char *args[SHELL_ARGS_MAX + 1] = { NULL }, *exe, *feats[8];
	char sh[MAX_PATH * 3];
	int n;

	(void)state;
	n = shell_command("echo hi", sh, sizeof(sh), args, SHELL_ARGS_MAX);
	if (!strcmp(tail(sh, 14), "powershell.exe")) {
		assert_int_equal(n, 7);
		assert_string_equal(args[5], "-Command");
		assert_string_equal(args[6], "echo hi");
	} else {
		assert_string_equal(tail(sh, 7), "cmd.exe");
		assert_int_equal(n, 3);
		assert_string_equal(args[1], "/c");
		assert_string_equal(args[2], "echo hi");
	}
	assert_int_equal(shell_command("x", sh, sizeof(sh), args, 2), -1);

	n = task_features_command("C:\\t\\init.PS1", &exe, args, 8);
	assert_int_equal(n, 7);
	assert_string_equal(tail(exe, 14), "powershell.exe");
	assert_string_equal(args[5], "-File");
	assert_string_equal(args[6], "C:\\t\\init.PS1");
	n = task_features_command("C:\\t\\x.bat", &exe, args, 8);
	assert_int_equal(n, 3);
	assert_string_equal(tail(exe, 7), "cmd.exe");
	assert_string_equal(args[2], "C:\\t\\x.bat");
	n = task_features_command("C:\\t\\x.cmd", &exe, args, 8);
	assert_int_equal(n, 3);
	n = task_features_command("C:\\t\\tool.exe", &exe, args, 8);
	assert_int_equal(n, 0);
	assert_string_equal(exe, "C:\\t\\tool.exe");
	n = task_features_command("C:\\t\\x.pp", &exe, args, 8);
	assert_int_equal(n, 5);
	assert_string_equal(args[3], "apply");
	assert_int_equal(task_features_command("C:\\t\\x.ps1", &exe, args, 3),
	    -1);

	/* The powershell input method: PowershellShim.ps1 beside the
	 * running .exe (here the test's) runs the task, else -File alone. */
	{
		wchar_t w[MAX_PATH + 1];
		char *self, *sep, *shim;
		DWORD len = GetModuleFileNameW(NULL, w, MAX_PATH);

		assert_true(len > 0 && len < MAX_PATH);
		w[len] = L'\0';
		assert_non_null(self = os__utf8(w));
		assert_non_null(sep = strrchr(self, '\\'));
		*sep = '\0';
		assert_non_null(shim = util_asprintf("%s\\%s", self,
		    TASK_FEATURES_PS_SHIM));
		(void)os_unlink(shim);
		n = task_features_command("C:\\t\\init.ps1", &exe, args, 9);
		assert_int_equal(task_features_powershell_input(args, n, 9), 7);
		assert_int_equal(os_write_atomic(shim, "exit 0\r\n", 8, false),
		    0);
		assert_int_equal(task_features_powershell_input(args, 7, 7), -1);
		assert_int_equal(task_features_powershell_input(args, 7, 9), 8);
		assert_string_equal(args[5], "-File");
		assert_string_equal(args[6], shim);
		assert_string_equal(args[7], "C:\\t\\init.ps1");
		/* Not a .ps1 command: left as it is. */
		n = task_features_command("C:\\t\\x.bat", &exe, args, 9);
		assert_int_equal(task_features_powershell_input(args, n, 9), n);
		assert_int_equal(os_unlink(shim), 0);
		free(shim);
		free(self);
	}
	/* Never "shell"; powershell only where it is installed. */
	n = (int)task_features_probe(feats, 8);
	while (n-- > 0)
		assert_string_not_equal(feats[n], "shell");
}

/* The wrapper's command lines: what CommandLineToArgvW (the C runtime's
 * rules) reads back is exactly the arguments; cmd.exe gets its command
 * after /c as it is. */
static void
win_wrapper_cmdline(void **state)
{
	static char *const tricky[] = { "plain", "a b", "c\"d", "e\\",
	    "f\\\"g", "", "\\\\srv\\x y\\", "tab\there", "ümlaut €",
	    NULL };
	char *line, *const cmdargs[] = { "/d", "/c", "echo a \"b\" & c", NULL };
	wchar_t *w, **argv;
	int argc, i, n;

	(void)state;
	assert_non_null(line = exec__win_cmdline("C:\\Program Files\\x\\t.exe",
	    tricky));
	n = MultiByteToWideChar(CP_UTF8, 0, line, -1, NULL, 0);
	assert_non_null(w = calloc((size_t)n, sizeof(wchar_t)));
	MultiByteToWideChar(CP_UTF8, 0, line, -1, w, n);
	assert_non_null(argv = CommandLineToArgvW(w, &argc));
	assert_int_equal(argc, 10);
	for (i = 0; i < argc; i++) {
		char *u = os__utf8(argv[i]);

		assert_non_null(u);
		assert_string_equal(u, i == 0 ? "C:\\Program Files\\x\\t.exe" :
		    tricky[i - 1]);
		free(u);
	}
	LocalFree(argv);
	free(w);
	free(line);

	assert_non_null(line = exec__win_cmdline("C:\\windows\\system32\\cmd.exe",
	    cmdargs));
	assert_string_equal(line, "C:\\windows\\system32\\cmd.exe /d /c "
	    "echo a \"b\" & c");
	free(line);
}

static void
win_event_log_and_process(void **state)
{
	(void)state;
	assert_true(os_syslog_facility("local5") >= 0);
	assert_int_equal(os_syslog_facility("local9"), -1);
	os_syslog_open("pxpd-test", os_syslog_facility("daemon"));
	os_syslog_write(OS_SYSLOG_INFO, "pxpd unit test: info line");
	os_syslog_write(OS_SYSLOG_ERR, "pxpd unit test: error line");
	os_syslog_close();
	os_syslog_close();
	os_memory_trim();
	print_message("privileged: %s\n", os_user_privileged() ? "yes" : "no");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(win_path_roots),
		cmocka_unit_test_setup_teardown(win_mkdir_p, setup, teardown),
		cmocka_unit_test_setup_teardown(win_create_private, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(win_write_atomic_and_read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(win_rename_over_open_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(win_append_and_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(win_rmtree, setup, teardown),
		cmocka_unit_test_setup_teardown(win_links_not_followed, setup,
		    teardown),
		cmocka_unit_test(win_names_unsafe),
		cmocka_unit_test(win_defaults),
		cmocka_unit_test_setup_teardown(win_pidfile_lock, setup,
		    teardown),
		cmocka_unit_test(win_shell_and_interpreters),
		cmocka_unit_test(win_wrapper_cmdline),
		cmocka_unit_test(win_event_log_and_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
