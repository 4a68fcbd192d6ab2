/* os_fixture.c: the shared set-up of the os.h tests (os_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "os_fixture.h"

void
os_fixture_init(struct os_fixture *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->root, "/tmp/pxpd-test-os-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->umask_was = umask(022);
}

void
os_fixture_fini(struct os_fixture *f)
{
	char cmd[128];

	umask(f->umask_was);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
}

const char *
os_fixture_path(struct os_fixture *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->root, rel);
	return f->path;
}

int
os_fixture_perm(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

bool
os_fixture_exists(const char *path)
{
	return os_fixture_perm(path) >= 0;
}

int
os_fixture_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

void
os_fixture_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

const char *
os_fixture_slurp(const char *path)
{
	static char buf[512];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}
