/* status.h: what the status module's two files share (status.c, the
 * module; status_query.c, the answer to a query). Not for other parts. */
#ifndef PXPD_STATUS_H
#define PXPD_STATUS_H

#include <stddef.h>

#include "module.h"

/* The results of a status query for tid (pxp.md §6) as compact JSON
 * (malloc'd), sized to fit env->data_max in a reply whose data holds
 * reserve more bytes (the status request's own transaction id and the
 * keys around the results). 0, or -1 with err. */
int status_query(const struct module_env *env, const char *tid,
    size_t reserve, char **results_json, char *err, size_t errlen);

#endif
