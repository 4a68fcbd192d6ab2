/* policy.h: optional local authorization (a pxpd extension): which sender
 * URIs may run which modules, actions and tasks. Without a policy file
 * everything the broker delivers is allowed, as with pxp-agent. */
#ifndef PXPD_POLICY_H
#define PXPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct policy;

/* Parses the policy JSON text: {"rules":[{"sender":G,"module":G,
 * "action":G,"task":G}, ...]} where each G is a glob (`*`, `?`) and a
 * missing key means "*". A request is allowed when any rule matches.
 * A rule for exactly module "status" and action "cancel" may also carry
 * "requester":G: it lets its senders cancel the transactions of the
 * requesters G matches (policy_grants_cancel). NULL with err on a
 * malformed policy. */
struct policy *policy_parse(const char *json, char *err, size_t errlen);
struct policy *policy_load(const char *path, char *err, size_t errlen);
void policy_free(struct policy *p);

/* task is NULL for requests that name none. NULL policy allows all. */
bool policy_allows(const struct policy *p, const char *sender,
    const char *module, const char *action, const char *task);

/* May sender cancel a transaction that requester asked for? Its own
 * always; another's only through a rule with a "requester" glob matching
 * requester (and its sender glob matching sender). NULL policy: only its
 * own. */
bool policy_grants_cancel(const struct policy *p, const char *sender,
    const char *requester);

/* Glob match of `*` (any run) and `?` (one char); pure, no fnmatch. */
bool policy_glob(const char *pattern, const char *s);

#endif
