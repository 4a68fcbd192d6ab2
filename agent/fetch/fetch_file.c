/* fetch_file.c: the checks of a file object off the wire (fetch_file_parse)
 * and the text fetch builds from it: request path and query, status words,
 * hex digests. Pure: no I/O, no logging. Not the download (fetch_http.c)
 * nor the cache (fetch.c).
 * Invariant: a name or hash that passes here cannot lead outside
 * task-cache-dir, and a path or query that passes cannot break the HTTP
 * request line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/fetch_int.h"
#include "os/os.h"

#define FILE_CONTENT_PREFIX "/puppet/v3/file_content/"
#define PARAMS_MAX 64

bool
fetch__sha_valid(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < FETCH_SHA_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[i] == '\0';
}

/* Relative, made of non-empty components other than "." and "..", no
 * backslash (a separator on Windows), no ':' (a Windows stream), no
 * control characters, nothing os_name_unsafe refuses. */
int
fetch__name_check(const char *name, char *err, size_t errlen)
{
	const char *p, *c;
	char comp[256];
	size_t len;

	if (!name || !*name) {
		snprintf(err, errlen, "'filename' is empty");
		return -1;
	}
	if ((len = strlen(name)) > FETCH_NAME_MAX) {
		snprintf(err, errlen, "'filename' is longer than %d bytes",
		    FETCH_NAME_MAX);
		return -1;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\' ||
		    *p == ':') {
			snprintf(err, errlen, "'filename' %s holds a character "
			    "that is not allowed", *p < 0x20 ? "(unprintable)" :
			    name);
			return -1;
		}
	for (c = name; ; c = p + 1) {
		p = strchr(c, '/');
		len = p ? (size_t)(p - c) : strlen(c);
		/* ".", "..", and what the platform reads as more than a
		 * name (Windows: devices, trimmed dots, 8.3 aliases). */
		if (len > 0 && len < sizeof(comp)) {
			memcpy(comp, c, len);
			comp[len] = '\0';
		}
		if (len == 0 || len >= sizeof(comp) || os_name_unsafe(comp)) {
			snprintf(err, errlen, "'filename' %s is not a relative "
			    "path of plain names", name);
			return -1;
		}
		if (!p)
			break;
	}
	return 0;
}

int
fetch__uri_path_check(const char *path, char *err, size_t errlen)
{
	const char *p;

	if (!path || strncmp(path, FILE_CONTENT_PREFIX,
	    strlen(FILE_CONTENT_PREFIX)) != 0) {
		snprintf(err, errlen, "'uri.path' must start with %s",
		    FILE_CONTENT_PREFIX);
		return -1;
	}
	if (strlen(path) > FETCH_REQ_MAX / 2) {
		snprintf(err, errlen, "'uri.path' is too long");
		return -1;
	}
	for (p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\' ||
		    *p == '?' || *p == '#') {
			snprintf(err, errlen, "'uri.path' holds a character that "
			    "is not allowed");
			return -1;
		}
	if (strstr(path, "//") || strstr(path, "/../") || strstr(path, "/./") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")) ||
	    (strlen(path) >= 2 && !strcmp(path + strlen(path) - 2, "/."))) {
		snprintf(err, errlen, "'uri.path' %s is not a plain path", path);
		return -1;
	}
	return 0;
}

int
fetch__params_check(const cJSON *params, char *err, size_t errlen)
{
	const cJSON *it;
	int n = 0;

	if (!params || cJSON_IsNull(params))
		return 0;
	if (!cJSON_IsObject(params)) {
		snprintf(err, errlen, "'uri.params' must be an object");
		return -1;
	}
	cJSON_ArrayForEach(it, params) {
		if (++n > PARAMS_MAX) {
			snprintf(err, errlen, "'uri.params' has more than %d "
			    "entries", PARAMS_MAX);
			return -1;
		}
		if (!it->string || !*it->string || !cJSON_IsString(it)) {
			snprintf(err, errlen, "'uri.params' values must be "
			    "strings with non-empty names");
			return -1;
		}
	}
	return 0;
}

int
fetch_file_parse(const cJSON *obj, struct fetch_file *out, char *err,
    size_t errlen)
{
	const cJSON *name, *sha, *size, *uri, *path, *params;
	char why[FETCH_ERR_MAX];

	memset(out, 0, sizeof(*out));
	out->size_bytes = -1;
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "invalid file: not an object");
		return -1;
	}
	name = cJSON_GetObjectItemCaseSensitive(obj, "filename");
	sha = cJSON_GetObjectItemCaseSensitive(obj, "sha256");
	size = cJSON_GetObjectItemCaseSensitive(obj, "size_bytes");
	uri = cJSON_GetObjectItemCaseSensitive(obj, "uri");
	if (!cJSON_IsString(name) || !cJSON_IsString(sha) ||
	    !cJSON_IsObject(uri)) {
		snprintf(err, errlen, "invalid file: 'filename', 'sha256' and "
		    "'uri' are required");
		return -1;
	}
	if (fetch__name_check(name->valuestring, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid file: %s", why);
		return -1;
	}
	if (!fetch__sha_valid(sha->valuestring)) {
		snprintf(err, errlen, "invalid file %s: 'sha256' must be 64 hex "
		    "digits", name->valuestring);
		return -1;
	}
	if (size && !cJSON_IsNull(size)) {
		if (!cJSON_IsNumber(size) || size->valuedouble < 0 ||
		    size->valuedouble > (double)FETCH_SIZE_CAP ||
		    floor(size->valuedouble) != size->valuedouble) {
			snprintf(err, errlen, "invalid file %s: 'size_bytes' must "
			    "be an integer from 0 to %lld", name->valuestring,
			    (long long)FETCH_SIZE_CAP);
			return -1;
		}
		out->size_bytes = (int64_t)size->valuedouble;
	}
	path = cJSON_GetObjectItemCaseSensitive(uri, "path");
	params = cJSON_GetObjectItemCaseSensitive(uri, "params");
	if (!cJSON_IsString(path)) {
		snprintf(err, errlen, "invalid file %s: 'uri.path' is required",
		    name->valuestring);
		return -1;
	}
	if (fetch__uri_path_check(path->valuestring, why, sizeof(why)) != 0 ||
	    fetch__params_check(params, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid file %s: %s", name->valuestring,
		    why);
		return -1;
	}
	out->filename = name->valuestring;
	out->sha256 = sha->valuestring;
	out->uri_path = path->valuestring;
	out->uri_params = cJSON_IsObject(params) ? params : NULL;
	return 0;
}

/* RFC 3986 unreserved characters stay, everything else is %XX (as
 * curl_easy_escape, which pxp-agent uses). */
static size_t
fetch__escape(char *out, size_t room, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || (keep_slash && c > 0x20 && c < 0x7f);

		if (keep) {
			if (n + 1 < room)
				out[n] = (char)c;
			n++;
		} else {
			if (n + 3 < room) {
				out[n] = '%';
				out[n + 1] = hex[c >> 4];
				out[n + 2] = hex[c & 15];
			}
			n += 3;
		}
	}
	return n;
}

char *
fetch__req_build(const char *path, const cJSON *params)
{
	char *buf;
	size_t n;
	const cJSON *it;
	bool first = true;

	if (!(buf = malloc(FETCH_REQ_MAX + 1)))
		return NULL;
	/* The path was checked for controls and spaces; only bytes above
	 * 0x7e (UTF-8 names) get escaped. */
	n = fetch__escape(buf, FETCH_REQ_MAX + 1, path, true);
	if (params)
		cJSON_ArrayForEach(it, params) {
			if (!cJSON_IsString(it) || !it->string)
				continue;
			if (n < FETCH_REQ_MAX)
				buf[n] = first ? '?' : '&';
			n++;
			first = false;
			n += fetch__escape(n < FETCH_REQ_MAX ? buf + n : buf,
			    n < FETCH_REQ_MAX ? FETCH_REQ_MAX + 1 - n : 0,
			    it->string, false);
			if (n < FETCH_REQ_MAX)
				buf[n] = '=';
			n++;
			n += fetch__escape(n < FETCH_REQ_MAX ? buf + n : buf,
			    n < FETCH_REQ_MAX ? FETCH_REQ_MAX + 1 - n : 0,
			    it->valuestring, false);
		}
	if (n > FETCH_REQ_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

const char *
fetch__status_text(int status)
{
	switch (status) {
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

void
fetch__hex(const unsigned char digest[32], char out[FETCH_SHA_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[FETCH_SHA_HEX] = '\0';
}
