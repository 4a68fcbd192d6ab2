/* path.c: Windows paths for os/win: UTF-8 <-> UTF-16, the roots that are
 * never created or removed (drive letters, UNC shares, \\?\ prefixes),
 * the known folders. Not the file operations themselves (fs.c, file.c,
 * rmtree.c) nor the names a request may use (name.c).
 * Invariant: every path handed to a W function went through os__wpath. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shlobj.h>

#include "os/win/internal.h"
#include "base/util.h"

wchar_t *
os__wpath(const char *path)
{
	wchar_t *w, *p;
	int n;

	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL,
	    0);
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if (!(w = malloc((size_t)n * sizeof(*w)))) {
		errno = ENOMEM;
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
	/* A \\?\ path is taken literally: '/' would be part of a name. */
	for (p = w; *p; p++)
		if (*p == L'/')
			*p = L'\\';
	return w;
}

char *
os__utf8(const wchar_t *w)
{
	char *s;
	int n;

	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n <= 0 || !(s = malloc((size_t)n)))
		return NULL;
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

int
os__folder_path(enum os__folder which, const char *rel, char *out,
    size_t outlen)
{
	wchar_t w[MAX_PATH + 1];
	char *dir;
	int n;

	if (which == OS__FOLDER_SYSTEM) {
		n = (int)GetSystemDirectoryW(w, MAX_PATH);
		if (n <= 0 || n >= MAX_PATH)
			return -1;
	} else if (FAILED(SHGetFolderPathW(NULL, which ==
	    OS__FOLDER_PROGRAMDATA ? CSIDL_COMMON_APPDATA :
	    CSIDL_PROGRAM_FILES, NULL, 0, w)))
		return -1;
	if (!(dir = os__utf8(w)))
		return -1;
	n = snprintf(out, outlen, "%s%s%s", dir, *rel ? "\\" : "", rel);
	free(dir);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

bool
os__file_exists(const char *path)
{
	wchar_t *w = os__wpath(path);
	DWORD attrs = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;

	free(w);
	return attrs != INVALID_FILE_ATTRIBUTES &&
	    !(attrs & FILE_ATTRIBUTE_DIRECTORY);
}

/* End of the next component of p (at a separator or the end). */
static size_t
path__component_end(const char *p, size_t i)
{
	while (p[i] && !OS__IS_SEP(p[i]))
		i++;
	return i;
}

static bool
path__drive(const char *p)
{
	return ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' &&
	    p[0] <= 'z')) && p[1] == ':';
}

size_t
os__path_root_len(const char *p)
{
	size_t i;

	if (OS__IS_SEP(p[0]) && OS__IS_SEP(p[1])) {
		/* \\?\C:\ and \\.\C:\ (device paths), \\?\UNC\srv\share\ */
		if ((p[2] == '?' || p[2] == '.') && OS__IS_SEP(p[3])) {
			if (path__drive(p + 4))
				return OS__IS_SEP(p[6]) ? 7 : 6;
			if (!strncmp(p + 4, "UNC", 3) && OS__IS_SEP(p[7]))
				i = 8;
			else
				return 4;
		} else
			i = 2;
		/* \\server\share\ */
		i = path__component_end(p, i);
		if (p[i])
			i = path__component_end(p, i + 1);
		return p[i] ? i + 1 : i;
	}
	if (path__drive(p))
		return OS__IS_SEP(p[2]) ? 3 : 2;
	return OS__IS_SEP(p[0]) ? 1 : 0;
}

char *
os__path_dup(const char *path)
{
	char *p = util_strdup(path);
	size_t len = p ? strlen(p) : 0, root = p ? os__path_root_len(p) : 0;

	while (len > root && len > 1 && OS__IS_SEP(p[len - 1]))
		p[--len] = '\0';
	return p;
}
