/* env.c: the environment every action shares (struct exec_env): the
 * action-* defaults, the wrapper binary held open from startup, and which
 * sandbox this host gives actions, decided once at startup and said once
 * in the log (each wrapper then applies it quietly). The probe itself is
 * the platform's (os/linux/cgroup.c, os/cgroup_none.c), as is opening the
 * wrapper (os/posix/exec.c). */
#include <stdlib.h>
#include <string.h>

#include "exec/cgroup.h"
#include "exec/exec.h"
#include "base/log.h"

#define PART "exec"
/* A build-time wrapper program (cmake -DPXPD_WRAPPER_PATH=...); empty:
 * pxpd's own binary. */
#ifndef PXPD_WRAPPER_PATH
#define PXPD_WRAPPER_PATH ""
#endif

void
exec_env_probe(struct exec_env *env, const char *cgroup_mode)
{
	const struct exec_limits *l = &env->limits;
	const char *mode = cgroup_mode ? cgroup_mode : "";
	bool limited = l->memory_max > 0 || l->pids_max > 0 || l->cpu_max > 0;
	char why[512];

	env->cgroup_dir = NULL;
	/* Now, at startup: later the file may be another version, or gone
	 * (a package upgrade), while this process keeps running. A build
	 * may name another program (PXPD_WRAPPER_PATH: qemu-user); the
	 * environment never does. */
	if (env->wrapper == NULL &&
	    (env->wrapper = PXPD_WRAPPER_PATH[0] != '\0' ?
	    exec_wrapper_open(PXPD_WRAPPER_PATH, why, sizeof(why)) :
	    exec_wrapper_open_self(env->spool_dir, why, sizeof(why))) == NULL)
		log_error(PART, "%s: no action can start", why);
	if (*mode && strcmp(mode, "off") != 0)
		log_warnx(PART, "action-cgroup: unknown value '%s', taken as "
		    "automatic", mode);
	if (cgroup_probe(strcmp(mode, "off") != 0, &env->cgroup_dir, why,
	    sizeof(why)) == 0) {
		log_info(PART, "sandbox: %s", why);
		return;
	}
	if (limited)
		log_warnx(PART, "cgroup v2 not available (%s): falling back to "
		    "rlimits", why);
	else
		log_info(PART, "cgroup v2 not available (%s): falling back to "
		    "rlimits", why);
	if (l->cpu_max > 0)
		log_warnx(PART, "action-cpu-max is not enforced without cgroup "
		    "v2 (RLIMIT_CPU counts CPU seconds, not a share)");
	if (l->pids_max > 0 && (!l->user || !*l->user))
		log_warnx(PART, "action-pids-max: RLIMIT_NPROC does not bind "
		    "actions running as root (set action-user)");
}

void
exec_env_apply(const struct exec_env *env, struct exec_spec *spec)
{
	const struct exec_limits *d = &env->limits;
	struct exec_limits *l = &spec->limits;

	if (!spec->timeout_s)
		spec->timeout_s = env->timeout_s;
	if (!spec->output_cap)
		spec->output_cap = env->output_cap;
	if (!l->memory_max)
		l->memory_max = d->memory_max;
	if (!l->pids_max)
		l->pids_max = d->pids_max;
	if (!l->cpu_max)
		l->cpu_max = d->cpu_max;
	l->no_new_privs = l->no_new_privs || d->no_new_privs;
	if (!l->user)
		l->user = d->user;
	if (!l->group)
		l->group = d->group;
	l->cgroup_dir = env->cgroup_dir;
	spec->wrapper = env->wrapper;
}

void
exec_env_free(struct exec_env *env)
{
	free(env->cgroup_dir);
	env->cgroup_dir = NULL;
	exec_wrapper_close(env->wrapper);
	env->wrapper = NULL;
}
