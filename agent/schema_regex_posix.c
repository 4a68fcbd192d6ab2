/* schema_regex_posix.c: compiles and runs the POSIX form of a schema
 * pattern with regcomp()/regexec(). Not the translation from ECMA-262
 * (schema_regex.c). Relies on the C locale, which pxpd never changes
 * (no setlocale call), so that the translated classes work on bytes.
 * The Windows sibling (a bundled matcher) is not written yet. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema_int.h"

struct schema_regex {
	regex_t re;
};

struct schema_regex *
schema__regex_new(const char *ecma, char *err, size_t errlen)
{
	struct schema_regex *r;
	char *ere, why[128];
	int rc;

	if (!(ere = schema__regex_translate(ecma, err, errlen)))
		return NULL;
	if (!(r = malloc(sizeof(*r)))) {
		snprintf(err, errlen, "out of memory");
		free(ere);
		return NULL;
	}
	/* REG_NOSUB: only whether it matches counts, which is cheaper. */
	if ((rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &r->re, why, sizeof(why));
		snprintf(err, errlen, "%s", why);
		free(r);
		free(ere);
		return NULL;
	}
	free(ere);
	return r;
}

int
schema__regex_match(const struct schema_regex *r, const char *s)
{
	int rc = regexec(&r->re, s, 0, NULL, 0);

	if (rc == 0)
		return 1;
	return rc == REG_NOMATCH ? 0 : -1;
}

void
schema__regex_free(struct schema_regex *r)
{
	if (!r)
		return;
	regfree(&r->re);
	free(r);
}
