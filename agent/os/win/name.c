/* name.c: os_name_unsafe on Windows: the names Win32 would read as
 * something other than a plain entry of the directory: a stream
 * (file:stream) or drive (C:x), a separator or wildcard, a name Win32
 * trims ("x." and "x " open "x"), a device (CON, nul.txt, COM1), an 8.3
 * alias (PROGRA~1). Pure (no I/O), like its POSIX sibling; fs.c asks
 * it too before it opens a file to read. */
#include <stdbool.h>
#include <string.h>

#include "os/win/internal.h"

/* ASCII case-insensitive prefix compare (strncasecmp is not C11). */
static bool
path__ieq(const char *a, const char *b, size_t n)
{
	size_t i;
	char x, y;

	for (i = 0; i < n; i++) {
		x = a[i] >= 'a' && a[i] <= 'z' ? (char)(a[i] - 32) : a[i];
		y = b[i] >= 'a' && b[i] <= 'z' ? (char)(b[i] - 32) : b[i];
		if (x != y || !x)
			return false;
	}
	return true;
}

/* Device names Win32 opens in every directory, with any extension
 * ("nul.txt" is the null device too). */
bool
os__name_device(const char *name)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL",
	    "CONIN$", "CONOUT$" };
	size_t len = strcspn(name, "."), i;

	while (len > 0 && name[len - 1] == ' ')
		len--;
	for (i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
		if (strlen(dev[i]) == len && path__ieq(name, dev[i], len))
			return true;
	/* COM0-9 and LPT0-9, and their superscript-digit forms (UTF-8
	 * C2 B9, C2 B2, C2 B3), which Win32 also maps to devices. */
	if ((len == 4 || (len == 5 && (unsigned char)name[3] == 0xc2)) &&
	    (path__ieq(name, "COM", 3) || path__ieq(name, "LPT", 3)))
		return len == 4 ? name[3] >= '0' && name[3] <= '9' :
		    ((unsigned char)name[4] == 0xb9 ||
		    (unsigned char)name[4] == 0xb2 ||
		    (unsigned char)name[4] == 0xb3);
	return false;
}

const char *
os_name_unsafe(const char *name)
{
	const char *p;
	size_t len;

	if (!name || !*name)
		return "is empty";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "is '.' or '..'";
	for (p = name; *p; p++) {
		if ((unsigned char)*p < 0x20)
			return "holds a control character";
		/* ':' names a stream (file:stream) or a drive (C:x);
		 * the others are separators or Win32 wildcards. */
		if (strchr("\\/:*?\"<>|", *p))
			return "holds one of \\ / : * ? \" < > |";
	}
	len = strlen(name);
	/* Win32 drops them: "x." and "x " open "x". */
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return "ends with '.' or ' '";
	if (os__name_device(name))
		return "is a Windows device name";
	/* An 8.3 short name (PROGRA~1) may alias another entry. */
	for (p = name; (p = strchr(p, '~')); p++)
		if (p[1] >= '0' && p[1] <= '9')
			return "looks like an 8.3 short name (~N)";
	return NULL;
}

size_t
os_module_name_len(const char *file)
{
	size_t n = strlen(file);
	const char *ext;

	if (n <= 4)
		return 0;
	ext = file + n - 4;
	return !_stricmp(ext, ".exe") || !_stricmp(ext, ".bat") ? n - 4 : 0;
}
