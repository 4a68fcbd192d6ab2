/* rmtree.c: os_rmtree_at on Windows: the removal of a tree that never
 * follows a reparse point (symlink, junction, mount point). Every entry
 * is opened as itself (FILE_FLAG_OPEN_REPARSE_POINT) and deleted through
 * that handle; a directory is listed through its handle, which is held
 * without delete sharing until it is gone, so it cannot be renamed away
 * and swapped for a junction while the walk is inside. A reparse point
 * met anywhere is deleted as a link, its target untouched (which also
 * leaves a volume mounted inside alone). Other file operations are
 * fs.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/win/internal.h"

/* Deeper trees are left alone: every level holds a handle open. */
#define RMTREE_DEPTH_MAX 128
#define RMTREE_LIST_BUF 16384

/* Marks the object of h for deletion (on close), read-only or not. */
static int
rmtree__delete(HANDLE h, DWORD attrs)
{
	FILE_DISPOSITION_INFO del = { TRUE };
	FILE_BASIC_INFO basic;

	if (SetFileInformationByHandle(h, FileDispositionInfo, &del,
	    sizeof(del)))
		return 0;
	if (GetLastError() != ERROR_ACCESS_DENIED ||
	    !(attrs & FILE_ATTRIBUTE_READONLY))
		return os__last_err();
	memset(&basic, 0, sizeof(basic));
	basic.FileAttributes = (attrs & ~FILE_ATTRIBUTE_READONLY) |
	    FILE_ATTRIBUTE_NORMAL;
	if (!SetFileInformationByHandle(h, FileBasicInfo, &basic,
	    sizeof(basic)) || !SetFileInformationByHandle(h,
	    FileDispositionInfo, &del, sizeof(del)))
		return os__last_err();
	return 0;
}

static int rmtree__at(const wchar_t *path, int depth);

/* Removes every entry of the directory h (at path). */
static int
rmtree__empty(HANDLE h, const wchar_t *path, int depth)
{
	FILE_ID_BOTH_DIR_INFO *e;
	unsigned char *buf;
	wchar_t *child;
	size_t plen = wcslen(path), nlen;
	FILE_INFO_BY_HANDLE_CLASS cls = FileIdBothDirectoryRestartInfo;
	int rc = 0, r;

	if (!(buf = malloc(RMTREE_LIST_BUF)))
		return -ENOMEM;
	/* Entries are deleted while listed: deletion only marks them, and
	 * the listing reads on from where it was. */
	while (GetFileInformationByHandleEx(h, cls, buf, RMTREE_LIST_BUF)) {
		cls = FileIdBothDirectoryInfo;
		for (e = (FILE_ID_BOTH_DIR_INFO *)buf; ;
		    e = (FILE_ID_BOTH_DIR_INFO *)((unsigned char *)e +
		    e->NextEntryOffset)) {
			nlen = e->FileNameLength / sizeof(wchar_t);
			if (!((nlen == 1 && e->FileName[0] == L'.') ||
			    (nlen == 2 && e->FileName[0] == L'.' &&
			    e->FileName[1] == L'.'))) {
				if (!(child = malloc((plen + nlen + 2) *
				    sizeof(wchar_t)))) {
					rc = -ENOMEM;
					goto done;
				}
				memcpy(child, path, plen * sizeof(wchar_t));
				child[plen] = L'\\';
				memcpy(child + plen + 1, e->FileName,
				    nlen * sizeof(wchar_t));
				child[plen + 1 + nlen] = L'\0';
				r = rmtree__at(child, depth + 1);
				free(child);
				if (r != 0 && r != -ENOENT && rc == 0)
					rc = r;
			}
			if (e->NextEntryOffset == 0)
				break;
		}
	}
	if (GetLastError() != ERROR_NO_MORE_FILES && rc == 0)
		rc = os__last_err();
done:
	free(buf);
	return rc;
}

/* Removes path and, when it is a real directory, everything below it.
 * Keeps going after an error and returns the first one. */
static int
rmtree__at(const wchar_t *path, int depth)
{
	FILE_ATTRIBUTE_TAG_INFO tag;
	HANDLE h;
	int rc = 0, r;

	/* No FILE_SHARE_DELETE: nobody renames it away while we are in. */
	h = CreateFileW(path, DELETE | FILE_LIST_DIRECTORY |
	    FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE,
	    FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return os__last_err();
	if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag,
	    sizeof(tag))) {
		rc = os__last_err();
		goto cleanup;
	}
	if ((tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
	    !(tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		if (depth >= RMTREE_DEPTH_MAX) {
			rc = -ELOOP;
			goto cleanup;
		}
		rc = rmtree__empty(h, path, depth);
	}
	if (rc == 0 && (r = rmtree__delete(h, tag.FileAttributes)) != 0)
		rc = r;
cleanup:
	CloseHandle(h);
	return rc;
}

int
os_rmtree_at(const char *path)
{
	const char *base;
	char *copy;
	wchar_t *w;
	size_t root;
	int rc;

	if (!path || !*path)
		return -EINVAL;
	if (!(copy = os__path_dup(path)))
		return -ENOMEM;
	/* Never a root ("C:\", "\\srv\share"), "." or "..". */
	root = os__path_root_len(copy);
	for (base = copy + strlen(copy); base > copy + root &&
	    !OS__IS_SEP(base[-1]); base--)
		;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		free(copy);
		return -EINVAL;
	}
	w = os__wpath(copy);
	free(copy);
	if (!w)
		return -errno;
	rc = rmtree__at(w, 0);
	free(w);
	return rc;
}
