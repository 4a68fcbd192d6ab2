/* flags.h: request flags -> puppet agent argv (see flags.c). */
#ifndef PXP_PUPPET_FLAGS_H
#define PXP_PUPPET_FLAGS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define FLAGS_COUNT_MAX 512
#define FLAGS_LEN_MAX 4096

/* NULL-terminated argv; owns every string. */
struct puppet_argv {
	char **v;
	size_t n;
	size_t cap;
};

/* Checks input.flags and input.job of a run request and builds
 * "<bin> agent <flags...> [--onetime --no-daemonize --verbose]
 * [--job-id <job>]". Returns 0, -1 with err set when the input breaks a
 * rule (an invalid_json result), -2 when out of memory. Free out with
 * puppet_argv_free either way. */
int puppet_flags_build(const cJSON *input, const char *bin,
                       struct puppet_argv *out, char *err, size_t errlen);

/* Whether argv (after "<bin> agent") holds exactly this flag. */
int puppet_argv_has(const struct puppet_argv *a, const char *flag);

/* Appends a copy of s; 0 or -1 when out of memory. */
int puppet_argv_push(struct puppet_argv *a, const char *s);

void puppet_argv_free(struct puppet_argv *a);

#endif
