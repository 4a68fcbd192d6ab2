/* file.c: os.h's open files on Windows: a struct os_file is one HANDLE,
 * never inherited. Not what is written (log.c, linelog.c, fetch) nor
 * whole-file helpers (fs.c). Invariant: an appending file is opened with
 * FILE_APPEND_DATA only, so each WriteFile lands whole at the end of the
 * file, and os_file_writev hands all its buffers to one WriteFile: lines
 * appended by concurrent writers never interleave. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "os/win/internal.h"

#define FILE_IOV_MAX 8
#define FILE_SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

static struct os_file file_stderr;

struct os_file *
os__file_new(HANDLE h)
{
	struct os_file *f = malloc(sizeof(*f));

	if (!f) {
		CloseHandle(h);
		return NULL;
	}
	f->h = h;
	return f;
}

struct os_file *
os_file_stderr(void)
{
	/* Looked up each time: a service has none, a console may change. */
	file_stderr.h = GetStdHandle(STD_ERROR_HANDLE);
	return &file_stderr;
}

int
os_file_open(const char *path, unsigned flags, int mode, struct os_file **out)
{
	SECURITY_ATTRIBUTES plain, *sa = NULL;
	struct os_fileinfo info;
	DWORD access, disp, fl = FILE_ATTRIBUTE_NORMAL;
	wchar_t *w;
	HANDLE h;
	int rc;

	*out = NULL;
	if (flags & OS_OPEN_APPEND) {
		access = FILE_APPEND_DATA | FILE_READ_ATTRIBUTES |
		    READ_CONTROL | SYNCHRONIZE;
		disp = OPEN_ALWAYS;
		if (!(sa = os__sa_for_mode(mode, &plain)))
			return -EACCES;
	} else {
		access = GENERIC_READ;
		disp = OPEN_EXISTING;
	}
	if (flags & OS_OPEN_NOFOLLOW)
		fl |= FILE_FLAG_OPEN_REPARSE_POINT;
	if (!(w = os__wpath(path)))
		return -errno;
	h = CreateFileW(w, access, FILE_SHARE_ALL, sa, disp, fl, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return os__last_err();
	/* Opened as itself: a link where a file should be is refused. */
	if ((flags & OS_OPEN_NOFOLLOW) && os__handle_info(h, &info) == 0 &&
	    info.type == OS_FTYPE_LINK) {
		CloseHandle(h);
		return -ELOOP;
	}
	rc = (*out = os__file_new(h)) ? 0 : -ENOMEM;
	return rc;
}

int
os_file_read(struct os_file *f, void *buf, size_t len, size_t *got)
{
	DWORD n;

	*got = 0;
	if (len > ((DWORD)1 << 30))
		len = (DWORD)1 << 30;
	if (!ReadFile(f->h, buf, (DWORD)len, &n, NULL)) {
		if (GetLastError() == ERROR_HANDLE_EOF ||
		    GetLastError() == ERROR_BROKEN_PIPE)
			return 0;
		return os__last_err();
	}
	*got = n;
	return 0;
}

int
os_file_write(struct os_file *f, const void *buf, size_t len)
{
	const char *p = buf;
	DWORD n;

	while (len > 0) {
		if (!WriteFile(f->h, p, len > ((DWORD)1 << 30) ?
		    (DWORD)1 << 30 : (DWORD)len, &n, NULL))
			return os__last_err();
		p += n;
		len -= n;
	}
	return 0;
}

int
os_file_writev(struct os_file *f, const struct os_buf *bufs, int n)
{
	char stack[4096], *one = stack;
	size_t total = 0, off = 0;
	int i, rc;

	if (n < 0 || n > FILE_IOV_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		total += bufs[i].len;
	/* Windows has no gathering write for files opened this way: the
	 * pieces become one buffer, so they still land in one WriteFile. */
	if (total > sizeof(stack) && !(one = malloc(total)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(one + off, bufs[i].base, bufs[i].len);
		off += bufs[i].len;
	}
	rc = os_file_write(f, one, total);
	if (one != stack)
		free(one);
	return rc;
}

int
os_file_info(struct os_file *f, struct os_fileinfo *out)
{
	return os__handle_info(f->h, out);
}

int
os_file_chmod(struct os_file *f, int mode)
{
	/* Modes closed to others get the private DACL (os__sa_for_mode);
	 * wider ones keep the ACL inherited from the directory. */
	if ((mode & 007) != 0)
		return 0;
	return os__handle_make_private(f->h);
}

int
os_file_close(struct os_file *f)
{
	int rc;

	if (!f || f == &file_stderr)
		return 0;
	rc = CloseHandle(f->h) ? 0 : os__last_err();
	free(f);
	return rc;
}
