/* fetch_file_fuzz.c: fetch_file_parse() and the request text built from
 * what it accepts (agent/fetch/fetch_file.c) on arbitrary JSON: no crash, no
 * leak, no read out of bounds, and every accepted file keeps its promises
 * (a plain relative name, 64 hex digits, a request path that fits the
 * request line). Links fetch_file.c and cJSON only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/fetch_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fetch_file ff;
	char err[256], *req;
	cJSON *obj;

	if (size > 64 * 1024)
		return 0;
	if (!(obj = cJSON_ParseWithLength((const char *)data, size)))
		return 0;
	if (fetch_file_parse(obj, &ff, err, sizeof(err)) == 0) {
		size_t n = strlen(ff.filename);

		/* A name may start with ".." ("..notes"), never be or hold a
		 * ".." component. */
		if (ff.filename[0] == '/' || !strcmp(ff.filename, "..") ||
		    !strncmp(ff.filename, "../", 3) ||
		    strstr(ff.filename, "/../") ||
		    (n >= 3 && !strcmp(ff.filename + n - 3, "/..")) ||
		    strlen(ff.sha256) != FETCH_SHA_HEX)
			abort();
		req = fetch__req_build(ff.uri_path, ff.uri_params);
		if (req && (strlen(req) > FETCH_REQ_MAX || strpbrk(req,
		    " \r\n#")))
			abort();
		free(req);
	} else if (!memchr(err, '\0', sizeof(err)))
		abort();
	cJSON_Delete(obj);
	return 0;
}
