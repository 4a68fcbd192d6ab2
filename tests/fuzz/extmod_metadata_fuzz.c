/* extmod_metadata_fuzz.c: an external module's metadata (what the module
 * prints for `metadata`, modules.md §1), its <name>.conf and an action's
 * output through the module built from them (modules/extmod/extmod.c):
 * extmod_module_new, check and extmod_output_process on arbitrary input.
 * Input: "<metadata>\n---\n<conf>\n---\n<stdout>" (a missing part is
 * absent; conf "-" means no conf file). No crash, no leak, no read out of
 * bounds; a built module has a name and NULL-terminated actions; output
 * processing sets exactly one of results and error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "extmod/extmod.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Next part of buf up to "\n---\n" (or its end); *len its length. */
static const char *
part(const char **cur, const char *end, size_t *len)
{
	const char *p = *cur, *sep;

	if (p == NULL)
		return NULL;
	sep = memmem(p, (size_t)(end - p), "\n---\n", 5);
	if (sep == NULL) {
		*len = (size_t)(end - p);
		*cur = NULL;
	} else {
		*len = (size_t)(sep - p);
		*cur = sep + 5;
	}
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cur = (const char *)data, *end = cur + size;
	const char *meta_s, *conf_s, *out_s;
	size_t meta_n = 0, conf_n = 0, out_n = 0;
	cJSON *meta, *conf = NULL, *params;
	bool conf_present = false;
	struct module *m;
	char err[512], *out, *results, *error;

	if (size > 64 * 1024)
		return 0;
	meta_s = part(&cur, end, &meta_n);
	conf_s = part(&cur, end, &conf_n);
	out_s = part(&cur, end, &out_n);
	if ((meta = cJSON_ParseWithLength(meta_s, meta_n)) == NULL)
		return 0;
	if (conf_s != NULL && !(conf_n == 1 && conf_s[0] == '-')) {
		conf_present = true;
		conf = cJSON_ParseWithLength(conf_s, conf_n);
	}
	m = extmod_module_new("fuzzmod", "/nonexistent/fuzzmod", meta,
	    conf_present, conf, err, sizeof(err));
	if (m == NULL) {
		if (!memchr(err, '\0', sizeof(err)) || err[0] == '\0')
			abort();
		return 0;
	}
	if (m->name == NULL || m->actions == NULL)
		abort();
	out = malloc(out_n + 1);
	if (out != NULL) {
		memcpy(out, out_s ? out_s : "", out_n);
		out[out_n] = '\0';
	}
	/* The output also serves as params, so input schemas are reached. */
	params = out ? cJSON_ParseWithLength(out, out_n) : NULL;
	for (size_t i = 0; out != NULL && m->actions[i] != NULL; i++) {
		for (int nb = 0; nb < 2; nb++) {
			struct action_output o = {
				.exitcode = (int)(out_n % 7), .out = out,
				.err = "", .out_len = out_n,
				.non_blocking = nb, .result_cap = 1 << 20,
			};

			results = error = NULL;
			if (m->check != NULL && params != NULL)
				(void)m->check(m, m->actions[i], params, err,
				    sizeof(err));
			if (extmod_output_process(m, m->actions[i], &o, nb,
			    &results, &error) == 0 &&
			    (results == NULL) == (error == NULL))
				abort();
			free(results);
			free(error);
		}
	}
	cJSON_Delete(params);
	free(out);
	m->free(m);
	return 0;
}
