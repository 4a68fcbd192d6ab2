/* run.h: one Puppet run for the run action (see run.c). */
#ifndef PXP_PUPPET_RUN_H
#define PXP_PUPPET_RUN_H

#include <cjson/cJSON.h>

#include "flags.h"

#define RUN_DEFAULT_PUPPET_BIN "/opt/puppetlabs/bin/puppet"
#define RUN_DEFAULT_LOCK_WAIT 600.0     /* seconds, pxp-agent's 10 minutes */
#define RUN_LOCK_WAIT_MAX 86400.0

struct puppet_conf {
	const char *puppet_bin;
	double lock_wait_seconds;       /* pxpd addition, see README.md */
};

/* Runs argv (from puppet_flags_build) and returns the result object
 * (caller deletes), or NULL when out of memory. Blocks until Puppet is
 * done, including the wait for another run's lock. */
cJSON *puppet_run(const struct puppet_conf *conf, const struct puppet_argv *argv);

#endif
