/* fs.c: os.h's paths and whole files on Windows: file information, mkdir
 * -p, private creation, listings, atomic writes and bounded reads. Not
 * open files (file.c), the tree removal (rmtree.c) or what a path means
 * (path.c: roots, separators, UTF-16).
 * Invariants: a reparse point (symlink, junction, mount point) is never
 * followed below the path given unless asked; every handle is opened
 * non-inheritable (actions are spawned from this process) and shares
 * read, write and delete, so a reader never blocks a rename over the file
 * (POSIX semantics); what holds secrets is created CREATE_NEW with the
 * private DACL (acl.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/win/internal.h"
#include "base/util.h"

#define FS_SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
/* 100 ns ticks from 1601-01-01 to 1970-01-01. */
#define FS_EPOCH_DIFF 116444736000000000ULL
/* ReadFile and WriteFile take a DWORD: bigger requests go in pieces. */
#define FS_IO_MAX ((DWORD)1 << 30)

/* ---- information ---------------------------------------------------------- */

int
os__handle_info(HANDLE h, struct os_fileinfo *out)
{
	BY_HANDLE_FILE_INFORMATION bi;
	uint64_t t;

	memset(out, 0, sizeof(*out));
	if (GetFileType(h) != FILE_TYPE_DISK) {
		out->type = OS_FTYPE_OTHER;     /* a device, pipe or console */
		out->perm = 0600;
		return 0;
	}
	if (!GetFileInformationByHandle(h, &bi))
		return os__last_err();
	if (bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		out->type = OS_FTYPE_LINK;
	else if (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		out->type = OS_FTYPE_DIR;
	else
		out->type = OS_FTYPE_REG;
	out->size = ((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow;
	t = ((uint64_t)bi.ftLastWriteTime.dwHighDateTime << 32) |
	    bi.ftLastWriteTime.dwLowDateTime;
	out->mtime = t > FS_EPOCH_DIFF ?
	    (int64_t)((t - FS_EPOCH_DIFF) / 10000000) : 0;
	out->perm = os__perm_from_handle(h, out->type == OS_FTYPE_DIR);
	return 0;
}

/* Opens path for metadata only; follow: through a final reparse point. */
static HANDLE
fs__open_meta(const wchar_t *w, bool follow, DWORD extra)
{
	DWORD flags = FILE_FLAG_BACKUP_SEMANTICS |
	    (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
	HANDLE h;

	h = CreateFileW(w, FILE_READ_ATTRIBUTES | READ_CONTROL | extra,
	    FS_SHARE_ALL, NULL, OPEN_EXISTING, flags, NULL);
	/* The DACL may deny READ_CONTROL: the type and size still come. */
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED)
		h = CreateFileW(w, FILE_READ_ATTRIBUTES | extra, FS_SHARE_ALL,
		    NULL, OPEN_EXISTING, flags, NULL);
	return h;
}

int
os_path_info(const char *path, bool follow, struct os_fileinfo *out)
{
	wchar_t *w = os__wpath(path);
	HANDLE h;
	int rc;

	if (!w)
		return -errno;
	h = fs__open_meta(w, follow, 0);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return os__last_err();
	rc = os__handle_info(h, out);
	CloseHandle(h);
	return rc;
}

/* ---- directories ---------------------------------------------------------- */

/* One mkdir; an existing directory (or a link to one) is fine. */
static int
fs__mkdir1(const char *path, int mode)
{
	SECURITY_ATTRIBUTES plain, *sa = os__sa_for_mode(mode, &plain);
	wchar_t *w = os__wpath(path);
	DWORD attrs, e;
	int rc = 0;

	if (!w)
		return -errno;
	if (!sa)
		rc = -EACCES;
	else if (!CreateDirectoryW(w, sa)) {
		e = GetLastError();
		/* Creating an existing directory one may not write into
		 * can say "access denied": it is there all the same. */
		attrs = GetFileAttributesW(w);
		if (e != ERROR_ALREADY_EXISTS && e != ERROR_ACCESS_DENIED)
			rc = os__err(e);
		else if (attrs == INVALID_FILE_ATTRIBUTES)
			rc = os__err(e);
		else if (!(attrs & FILE_ATTRIBUTE_DIRECTORY))
			rc = -ENOTDIR;
	}
	free(w);
	return rc;
}

int
os_mkdir_p(const char *path, int parent_mode, int leaf_mode)
{
	size_t root;
	char *p, *c, sep;
	int rc = 0;

	if (!path || !*path)
		return -EINVAL;
	if (!(p = os__path_dup(path)))
		return -ENOMEM;
	root = os__path_root_len(p);
	if (p[root] == '\0')            /* a root ("C:\"): nothing to make */
		goto cleanup;
	for (c = p + root + 1; *c != '\0'; c++) {
		if (!OS__IS_SEP(*c) || OS__IS_SEP(c[-1]))
			continue;
		sep = *c;
		*c = '\0';
		rc = fs__mkdir1(p, parent_mode);
		*c = sep;
		if (rc != 0)
			goto cleanup;
	}
	rc = fs__mkdir1(p, leaf_mode);
cleanup:
	free(p);
	return rc;
}

/* Length of the directory part of path (up to its last separator, the
 * root kept whole); 0 when it has none. */
static size_t
fs__dir_len(const char *path)
{
	size_t root = os__path_root_len(path), len = strlen(path);

	while (len > root && !OS__IS_SEP(path[len - 1]))
		len--;
	while (len > root && OS__IS_SEP(path[len - 1]))
		len--;
	return len;
}

int
os_mkdir_parent(const char *path, int mode)
{
	size_t len = fs__dir_len(path);
	char *dir;
	int rc;

	if (len == 0 || len <= os__path_root_len(path))
		return 0;
	if (!(dir = util_asprintf("%.*s", (int)len, path)))
		return -ENOMEM;
	rc = os_mkdir_p(dir, mode, mode);
	free(dir);
	return rc;
}

/* CREATE_NEW: anything at path (a planted link too) makes it fail, so
 * nothing is ever written through a name someone else put there. */
static HANDLE
fs__private_open(const wchar_t *w)
{
	SECURITY_ATTRIBUTES *sa = os__sa_private();

	if (!sa) {
		SetLastError(ERROR_ACCESS_DENIED);
		return INVALID_HANDLE_VALUE;
	}
	return CreateFileW(w, GENERIC_WRITE | WRITE_DAC | READ_CONTROL,
	    FS_SHARE_ALL, sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
}

int
os_create_private(const char *path, enum os_ftype type, struct os_file **out)
{
	SECURITY_ATTRIBUTES *sa;
	wchar_t *w;
	HANDLE h;
	int rc = 0;

	if (out)
		*out = NULL;
	if ((type == OS_FTYPE_DIR) == (out != NULL) ||
	    (type != OS_FTYPE_DIR && type != OS_FTYPE_REG))
		return -EINVAL;
	if (!(w = os__wpath(path)))
		return -errno;
	if (type == OS_FTYPE_DIR) {
		if (!(sa = os__sa_private()))
			rc = -EACCES;
		else if (!CreateDirectoryW(w, sa))
			rc = os__last_err();
	} else if ((h = fs__private_open(w)) == INVALID_HANDLE_VALUE)
		rc = os__last_err();
	else if (!(*out = os__file_new(h))) {
		DeleteFileW(w);
		rc = -ENOMEM;
	}
	free(w);
	return rc;
}

int
os_rmdir(const char *path)
{
	wchar_t *w = os__wpath(path);
	int rc = 0;

	if (!w)
		return -errno;
	if (!RemoveDirectoryW(w))
		rc = os__last_err();
	free(w);
	return rc;
}

/* DeleteFileW refuses a read-only file, which unlink(2) does not. */
static int
fs__unlink_w(const wchar_t *w)
{
	DWORD attrs;

	if (DeleteFileW(w))
		return 0;
	if (GetLastError() == ERROR_ACCESS_DENIED &&
	    (attrs = GetFileAttributesW(w)) != INVALID_FILE_ATTRIBUTES &&
	    (attrs & FILE_ATTRIBUTE_READONLY) &&
	    SetFileAttributesW(w, attrs & ~FILE_ATTRIBUTE_READONLY) &&
	    DeleteFileW(w))
		return 0;
	return os__last_err();
}

int
os_unlink(const char *path)
{
	wchar_t *w = os__wpath(path);
	int rc;

	if (!w)
		return -errno;
	rc = fs__unlink_w(w);
	free(w);
	return rc;
}

/* Replaces to with from. A scanner or indexer holding the old file open
 * without delete sharing makes MoveFileEx fail for a moment: a few short
 * retries cover that. */
static int
fs__rename(const char *from, const char *to, DWORD flags)
{
	wchar_t *wf = os__wpath(from), *wt = os__wpath(to);
	DWORD e = ERROR_SUCCESS;
	int tries, rc = 0;

	if (!wf || !wt) {
		rc = -errno;
		goto cleanup;
	}
	for (tries = 0; tries < 4; tries++) {
		if (MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | flags))
			goto cleanup;
		e = GetLastError();
		if (e != ERROR_SHARING_VIOLATION && e != ERROR_ACCESS_DENIED)
			break;
		Sleep(1u << tries);
	}
	rc = os__err(e);
cleanup:
	free(wf);
	free(wt);
	return rc;
}

int
os_rename(const char *from, const char *to)
{
	return fs__rename(from, to, 0);
}

int
os_touch(const char *path)
{
	wchar_t *w = os__wpath(path);
	FILETIME now;
	HANDLE h;
	int rc = 0;

	if (!w)
		return -errno;
	h = CreateFileW(w, FILE_WRITE_ATTRIBUTES, FS_SHARE_ALL, NULL,
	    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return os__last_err();
	GetSystemTimeAsFileTime(&now);
	if (!SetFileTime(h, NULL, NULL, &now))
		rc = os__last_err();
	CloseHandle(h);
	return rc;
}

void
os_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static enum os_ftype
fs__attr_type(DWORD attrs)
{
	if (attrs & FILE_ATTRIBUTE_REPARSE_POINT)
		return OS_FTYPE_LINK;
	if (attrs & FILE_ATTRIBUTE_DIRECTORY)
		return OS_FTYPE_DIR;
	if (attrs & FILE_ATTRIBUTE_DEVICE)
		return OS_FTYPE_OTHER;
	return OS_FTYPE_REG;
}

int
os_dir_list(const char *path, enum os_ftype type, char ***names, size_t *n)
{
	WIN32_FIND_DATAW fd;
	HANDLE fh;
	char *pattern, **v = NULL, **nv;
	wchar_t *w;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!path || !*path)
		return -EINVAL;
	pattern = util_asprintf("%s%s*", path,
	    OS__IS_SEP(path[strlen(path) - 1]) ? "" : "\\");
	if (!pattern)
		return -ENOMEM;
	w = os__wpath(pattern);
	free(pattern);
	if (!w)
		return -errno;
	fh = FindFirstFileExW(w, FindExInfoBasic, &fd, FindExSearchNameMatch,
	    NULL, FIND_FIRST_EX_LARGE_FETCH);
	free(w);
	if (fh == INVALID_HANDLE_VALUE)
		return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 :
		    os__last_err();
	do {
		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L"..") ||
		    fs__attr_type(fd.dwFileAttributes) != type)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[cnt] = os__utf8(fd.cFileName))) {
			rc = -ENOMEM;
			break;
		}
		cnt++;
	} while (FindNextFileW(fh, &fd));
	if (rc == 0 && GetLastError() != ERROR_NO_MORE_FILES)
		rc = os__last_err();
	FindClose(fh);
	if (rc != 0) {
		os_names_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

int
os_dir_sync(const char *path)
{
	/* Windows cannot flush a directory; the renames that need it are
	 * made with MOVEFILE_WRITE_THROUGH instead (os_write_atomic). */
	(void)path;
	return 0;
}

/* ---- whole files ---------------------------------------------------------- */

static int
fs__write_all(HANDLE h, const char *p, size_t len)
{
	DWORD n;

	while (len > 0) {
		if (!WriteFile(h, p, len > FS_IO_MAX ? FS_IO_MAX : (DWORD)len,
		    &n, NULL))
			return os__last_err();
		p += n;
		len -= n;
	}
	return 0;
}

int
os_write_atomic(const char *path, const void *buf, size_t len, bool durable)
{
	wchar_t *w = NULL;
	char *tmp;
	HANDLE h = INVALID_HANDLE_VALUE;
	int rc;

	if (!(tmp = util_asprintf("%s.tmp-%016llx", path,
	    (unsigned long long)util_random64())))
		return -ENOMEM;
	if (!(w = os__wpath(tmp))) {
		rc = -errno;
		goto cleanup;
	}
	if ((h = fs__private_open(w)) == INVALID_HANDLE_VALUE) {
		rc = os__last_err();
		goto cleanup;
	}
	rc = fs__write_all(h, buf, len);
	/* Only durable writes (owed responses) pay for the flush, as on
	 * POSIX: the loop's frequent metadata rewrites must not stall. */
	if (rc == 0 && durable && !FlushFileBuffers(h))
		rc = os__last_err();
	CloseHandle(h);
	if (rc == 0)
		rc = fs__rename(tmp, path, durable ? MOVEFILE_WRITE_THROUGH : 0);
	if (rc != 0)
		DeleteFileW(w);
cleanup:
	free(w);
	free(tmp);
	return rc;
}

/* Opens a regular file for reading. A device (CON, NUL), a pipe or a
 * directory is -EINVAL, never read or waited on; so is a reparse point
 * when !follow: it must not make us read (and send) another file. */
static int
fs__read_open(const char *path, bool follow, HANDLE *out, uint64_t *size)
{
	struct os_fileinfo info;
	wchar_t *w = os__wpath(path);
	const char *base;
	DWORD attrs;
	HANDLE h;
	int rc;

	*out = INVALID_HANDLE_VALUE;
	if (!w)
		return -errno;
	/* "results\\CON" is the console: never opened, let alone read. */
	for (base = path + strlen(path); base > path && !OS__IS_SEP(base[-1]);
	    base--)
		;
	if (os__name_device(base)) {
		free(w);
		return -EINVAL;
	}
	h = CreateFileW(w, GENERIC_READ, FS_SHARE_ALL, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS |
	    (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT), NULL);
	if (h == INVALID_HANDLE_VALUE) {
		rc = os__last_err();
		attrs = GetFileAttributesW(w);
		if (rc == -EACCES && attrs != INVALID_FILE_ATTRIBUTES &&
		    (attrs & FILE_ATTRIBUTE_DIRECTORY))
			rc = -EINVAL;
		free(w);
		return rc;
	}
	free(w);
	if ((rc = os__handle_info(h, &info)) == 0 && info.type != OS_FTYPE_REG)
		rc = -EINVAL;
	if (rc != 0) {
		CloseHandle(h);
		return rc;
	}
	*out = h;
	*size = info.size;
	return 0;
}

/* Reads until buf is full or the file ends. */
static int
fs__read_some(HANDLE h, char *buf, size_t want, size_t *got)
{
	DWORD n;

	*got = 0;
	while (*got < want) {
		if (!ReadFile(h, buf + *got, want - *got > FS_IO_MAX ?
		    FS_IO_MAX : (DWORD)(want - *got), &n, NULL)) {
			if (GetLastError() == ERROR_HANDLE_EOF)
				break;
			return os__last_err();
		}
		if (n == 0)
			break;
		*got += n;
	}
	return 0;
}

int
os_read_file(const char *path, bool follow, size_t max, char **buf,
    size_t *len, bool *truncated)
{
	char *b = NULL, *nb, probe;
	size_t cap, used = 0, got;
	uint64_t size;
	HANDLE h;
	int rc;

	*buf = NULL;
	*len = 0;
	*truncated = false;
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	if ((rc = fs__read_open(path, follow, &h, &size)) != 0)
		return rc;
	/* The size is a hint: the file may grow while it is read. */
	cap = size < max ? (size_t)size : max;
	if (cap < 4096 && max > cap)
		cap = max < 4096 ? max : 4096;
	for (;;) {
		if (!(nb = realloc(b, cap + 1))) {
			rc = -ENOMEM;
			goto cleanup;
		}
		b = nb;
		if ((rc = fs__read_some(h, b + used, cap - used, &got)) != 0)
			goto cleanup;
		used += got;
		if (used < cap || cap == max)
			break;
		cap = cap > max / 2 ? max : cap * 2;
	}
	if (used == max) {
		rc = fs__read_some(h, &probe, 1, &got);
		*truncated = rc == 0 && got > 0;
		rc = 0;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
cleanup:
	free(b);
	CloseHandle(h);
	return rc;
}

int
os_read_at(const char *path, uint64_t off, size_t max, char **buf,
    size_t *len)
{
	LARGE_INTEGER pos;
	uint64_t size;
	size_t got = 0;
	char *b;
	HANDLE h;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = fs__read_open(path, false, &h, &size)) != 0)
		return rc;
	if (!(b = malloc(max + 1))) {
		CloseHandle(h);
		return -ENOMEM;
	}
	pos.QuadPart = (LONGLONG)off;
	if (off < size && !SetFilePointerEx(h, pos, NULL, FILE_BEGIN))
		rc = os__last_err();
	else if (off < size)
		rc = fs__read_some(h, b, max, &got);
	CloseHandle(h);
	if (rc != 0) {
		free(b);
		return rc;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}
