/* name.c: os_name_unsafe on POSIX: a name from a request is a plain
 * entry unless it is empty, "." or "..", or holds a '/'. Pure (no I/O,
 * no other part): the fetch fuzzer links it alone. Windows has more to
 * refuse (os/win/name.c). */
#include <string.h>

#include "os/os.h"

const char *
os_name_unsafe(const char *name)
{
	if (!name || !*name)
		return "is empty";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "is '.' or '..'";
	return strchr(name, '/') ? "holds a '/'" : NULL;
}

size_t
os_module_name_len(const char *file)
{
	return strchr(file, '.') ? 0 : strlen(file);
}
