/* cgroup.h: a cgroup v2 of its own for every action (Linux), in a
 * subtree delegated to pxpd. Layout, below the delegated directory D:
 *   D/agent                   pxpd and the wrappers (a leaf: cgroup v2
 *                             lets no process live in a cgroup whose
 *                             controllers are handed down)
 *   D/pxpd-<wrapper pid>-action   one action, with memory.max, pids.max,
 *                             cpu.max; killed with cgroup.kill
 * cgroup_probe() runs once in pxpd at startup; the cgroup_action_*
 * calls run in the wrapper. os/linux/cgroup.c implements them,
 * os/cgroup_none.c says "unavailable" elsewhere, cgroup.c holds the
 * pure parsers. */
#ifndef PXPD_CGROUP_H
#define PXPD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/* The leaf pxpd lives in (systemd: DelegateSubgroup=agent). */
#define CGROUP_AGENT_LEAF  "agent"
/* Every action needs these in the delegated directory. */
#define CGROUP_CONTROLLERS "memory pids cpu"
/* cpu.max's period (us); the quota is percent * period / 100. */
#define CGROUP_CPU_PERIOD  100000L

/* pxpd at startup: finds the delegated cgroup v2 directory under which
 * actions get cgroups of their own, enabling the controllers and moving
 * pxpd into <dir>/agent if the rules need that. 0 and *dir (malloc'd,
 * caller frees); or negative with *dir NULL and why saying what is
 * missing, for the log. enabled false (action-cgroup "off") only fills
 * why. 0 with *dir NULL: the platform sandboxes every action by other
 * means (Windows: a Job Object, os/win/sandbox.c), why says how. */
int cgroup_probe(bool enabled, char **dir, char *why, size_t whylen);

/* Pure: the cgroup v2 path ("0::<path>" line) of /proc/<pid>/cgroup
 * text. 0, or -1 when there is none or it does not fit out. */
int cgroup_self_path_parse(const char *text, size_t len, char *out,
    size_t outlen);

/* Pure: the names of need (space separated) that are not in have (the
 * text of a cgroup.controllers file), space separated into out; "" when
 * none is missing. */
void cgroup_controllers_missing(const char *have, const char *need,
    char *out, size_t outlen);

/* Wrapper: makes base/pxpd-<id>-action with the limits (0: none). 0 and
 * *path (malloc'd), or negative errno with nothing left behind. */
int cgroup_action_create(const char *base, long id,
    unsigned long long memory_max, long pids_max, long cpu_max,
    char **path);

/* Sends sig to every process of the cgroup; SIGKILL through cgroup.kill
 * (Linux 5.14+), else one by one until none is left. 0 or negative
 * errno. */
int cgroup_action_signal(const char *path, int sig);

/* 1 when a process is left in the cgroup, 0 when none, negative errno. */
int cgroup_action_populated(const char *path);

/* Removes the cgroup. With evict, processes still in it (an action that
 * succeeded may leave a daemon behind, as under pxp-agent) first move to
 * the caller's own cgroup. 0 or negative errno (the cgroup is left). */
int cgroup_action_remove(const char *path, bool evict);

#endif
