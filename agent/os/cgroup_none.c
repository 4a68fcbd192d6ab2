/* cgroup_none.c: cgroup.h where there are no cgroups (not Linux):
 * the probe says so and the wrapper falls back to rlimits. The pure
 * parsers are in cgroup.c. */
#include <errno.h>
#include <stdio.h>

#include "exec/cgroup.h"

int
cgroup_probe(bool enabled, char **dir, char *why, size_t whylen)
{
	*dir = NULL;
	snprintf(why, whylen, "%s", enabled ? "cgroups exist on Linux only" :
	    "action-cgroup is \"off\"");
	return -ENOTSUP;
}

int
cgroup_action_create(const char *base, long id,
    unsigned long long memory_max, long pids_max, long cpu_max,
    char **path)
{
	(void)base;
	(void)id;
	(void)memory_max;
	(void)pids_max;
	(void)cpu_max;
	*path = NULL;
	return -ENOTSUP;
}

int
cgroup_action_signal(const char *path, int sig)
{
	(void)path;
	(void)sig;
	return -ENOTSUP;
}

int
cgroup_action_populated(const char *path)
{
	(void)path;
	return -ENOTSUP;
}

int
cgroup_action_remove(const char *path, bool evict)
{
	(void)path;
	(void)evict;
	return -ENOTSUP;
}
