/* sandbox.c: cgroup.h on Windows, where every action runs in a Job
 * Object of its own (wrapper.c) whatever action-cgroup says: the probe
 * says so (0, no directory) and there is nothing else to do here. */
#include <errno.h>
#include <stdio.h>

#include "exec/cgroup.h"

int
cgroup_probe(bool enabled, char **dir, char *why, size_t whylen)
{
	(void)enabled;
	*dir = NULL;
	snprintf(why, whylen, "a Job Object per action (action-memory-max: "
	    "its job memory limit, action-pids-max: its active process limit, "
	    "action-cpu-max: its CPU rate; killed as a whole); action-cgroup "
	    "does not apply on Windows");
	return 0;
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
