/* error.c: Win32 error codes as the negative errno values os.h returns,
 * so shared code compares (-ENOENT, -EEXIST) and prints them the same way
 * on every platform. Anything without a closer match is -EIO. */
#include <errno.h>

#include "os/win/internal.h"

static const struct {
	DWORD code;
	int err;
} error_map[] = {
	{ ERROR_FILE_NOT_FOUND, ENOENT },
	{ ERROR_PATH_NOT_FOUND, ENOENT },
	{ ERROR_INVALID_DRIVE, ENOENT },
	{ ERROR_BAD_NETPATH, ENOENT },
	{ ERROR_BAD_NET_NAME, ENOENT },
	{ ERROR_DELETE_PENDING, ENOENT },   /* going away: as good as gone */
	{ ERROR_ACCESS_DENIED, EACCES },
	{ ERROR_PRIVILEGE_NOT_HELD, EPERM },
	{ ERROR_FILE_EXISTS, EEXIST },
	{ ERROR_ALREADY_EXISTS, EEXIST },
	{ ERROR_DIRECTORY, ENOTDIR },
	{ ERROR_DIR_NOT_EMPTY, ENOTEMPTY },
	{ ERROR_NOT_ENOUGH_MEMORY, ENOMEM },
	{ ERROR_OUTOFMEMORY, ENOMEM },
	{ ERROR_INVALID_NAME, EINVAL },
	{ ERROR_BAD_PATHNAME, EINVAL },
	{ ERROR_INVALID_PARAMETER, EINVAL },
	{ ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG },
	{ ERROR_SHARING_VIOLATION, EBUSY },
	{ ERROR_LOCK_VIOLATION, EBUSY },
	{ ERROR_BUSY, EBUSY },
	{ ERROR_DISK_FULL, ENOSPC },
	{ ERROR_HANDLE_DISK_FULL, ENOSPC },
	{ ERROR_WRITE_PROTECT, EROFS },
	{ ERROR_NOT_SAME_DEVICE, EXDEV },
	{ ERROR_CANT_RESOLVE_FILENAME, ELOOP },
	{ ERROR_INVALID_HANDLE, EBADF },
	{ ERROR_BROKEN_PIPE, EPIPE },
	{ ERROR_NO_DATA, EPIPE },
	{ ERROR_NOT_SUPPORTED, ENOTSUP },
	{ ERROR_CALL_NOT_IMPLEMENTED, ENOSYS },
	{ ERROR_TOO_MANY_OPEN_FILES, EMFILE },
};

int
os__err(DWORD code)
{
	size_t i;

	for (i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++)
		if (error_map[i].code == code)
			return -error_map[i].err;
	return -EIO;
}

int
os__last_err(void)
{
	return os__err(GetLastError());
}
