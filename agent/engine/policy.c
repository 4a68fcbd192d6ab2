/* policy.c: local authorization rules (policy.h). Pure after loading:
 * the rules are plain strings matched with a small glob. Who may cancel
 * whose transaction is asked here too (policy_grants_cancel); the cancel
 * itself is engine/cancel.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/policy.h"
#include "base/util.h"

#define POLICY_MAX_RULES 1024
#define POLICY_MAX_BYTES (1 << 20)

struct policy_rule {
	char *sender, *module, *action, *task;
	char *requester;            /* status cancel of others'; NULL: none */
};

struct policy {
	struct policy_rule *rules;
	int n;
};

bool
policy_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative with one backtrack point: linear-ish, no recursion. */
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

void
policy_free(struct policy *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->rules[i].sender);
		free(p->rules[i].module);
		free(p->rules[i].action);
		free(p->rules[i].task);
		free(p->rules[i].requester);
	}
	free(p->rules);
	free(p);
}

static int
policy__field(const cJSON *rule, const char *key, char **out, char *err,
    size_t errlen, int idx)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);

	if (!v) {
		*out = util_strdup("*");
		return *out ? 0 : -1;
	}
	if (!cJSON_IsString(v)) {
		snprintf(err, errlen, "policy rule %d: '%s' must be a string",
		    idx, key);
		return -1;
	}
	*out = util_strdup(v->valuestring);
	return *out ? 0 : -1;
}

/* "requester" widens what a rule grants, so it must say plainly what it
 * is for: module "status" and action "cancel", spelled out (a glob such
 * as "*" there would hide the grant in a rule meant for something else). */
static int
policy__requester(const cJSON *rule, struct policy_rule *pr, char *err,
    size_t errlen, int idx)
{
	if (strcmp(pr->module, "status") != 0 ||
	    strcmp(pr->action, "cancel") != 0) {
		snprintf(err, errlen, "policy rule %d: 'requester' needs "
		    "\"module\": \"status\" and \"action\": \"cancel\"", idx);
		return -1;
	}
	return policy__field(rule, "requester", &pr->requester, err, errlen,
	    idx);
}

struct policy *
policy_parse(const char *json, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *rules, *r, *k;
	struct policy *p = NULL;
	int i = 0;

	if (!cJSON_IsObject(root) || !cJSON_IsArray(rules =
	    cJSON_GetObjectItemCaseSensitive(root, "rules"))) {
		snprintf(err, errlen, "policy: expected {\"rules\": [...]}");
		goto fail;
	}
	if (cJSON_GetArraySize(rules) > POLICY_MAX_RULES) {
		snprintf(err, errlen, "policy: more than %d rules",
		    POLICY_MAX_RULES);
		goto fail;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->rules = calloc(
	    (size_t)cJSON_GetArraySize(rules) + 1, sizeof(*p->rules)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(r, rules) {
		if (!cJSON_IsObject(r)) {
			snprintf(err, errlen, "policy rule %d: not an object", i);
			goto fail;
		}
		cJSON_ArrayForEach(k, r)
			if (strcmp(k->string, "sender") && strcmp(k->string,
			    "module") && strcmp(k->string, "action") &&
			    strcmp(k->string, "task") && strcmp(k->string,
			    "requester")) {
				snprintf(err, errlen, "policy rule %d: unknown "
				    "key '%.64s'", i, k->string);
				goto fail;
			}
		p->n = i + 1;
		if (policy__field(r, "sender", &p->rules[i].sender, err, errlen, i) ||
		    policy__field(r, "module", &p->rules[i].module, err, errlen, i) ||
		    policy__field(r, "action", &p->rules[i].action, err, errlen, i) ||
		    policy__field(r, "task", &p->rules[i].task, err, errlen, i))
			goto fail;
		if (cJSON_GetObjectItemCaseSensitive(r, "requester") &&
		    policy__requester(r, &p->rules[i], err, errlen, i) != 0)
			goto fail;
		i++;
	}
	cJSON_Delete(root);
	return p;
fail:
	cJSON_Delete(root);
	policy_free(p);
	return NULL;
}

struct policy *
policy_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct policy *p = NULL;
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "policy-file: cannot read %s", path);
		return NULL;
	}
	if ((buf = malloc(POLICY_MAX_BYTES + 1))) {
		n = fread(buf, 1, POLICY_MAX_BYTES + 1, f);
		if (n > POLICY_MAX_BYTES)
			snprintf(err, errlen, "policy-file: %s is over 1 MiB", path);
		else {
			buf[n] = '\0';
			p = policy_parse(buf, err, errlen);
		}
		free(buf);
	}
	fclose(f);
	return p;
}

bool
policy_allows(const struct policy *p, const char *sender, const char *module,
    const char *action, const char *task)
{
	int i;

	if (!p)
		return true;
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (policy_glob(r->sender, sender ? sender : "") &&
		    policy_glob(r->module, module) &&
		    policy_glob(r->action, action) &&
		    policy_glob(r->task, task ? task : ""))
			return true;
	}
	return false;
}

bool
policy_grants_cancel(const struct policy *p, const char *sender,
    const char *requester)
{
	int i;

	if (sender && requester && !strcmp(sender, requester))
		return true;
	if (!p || !sender || !requester)
		return false;
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->requester && policy_glob(r->sender, sender) &&
		    policy_glob(r->requester, requester))
			return true;
	}
	return false;
}
