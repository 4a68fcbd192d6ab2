/* main.c: pxp-module-puppet, the external module that runs Puppet for
 * PXP "puppet run" requests, following pxp-agent's external module
 * contract: "metadata" prints the module description; "run" reads
 * {"input","configuration","output_files"?} on stdin, prints the result
 * JSON on stdout (or into output_files.stdout) and exits 1 when the
 * result carries an error, else 0; 5 when the output files cannot be
 * written. Only wiring lives here: flag rules are flags.c, the run is
 * run.c. Invariant: with output_files, the exitcode file is written last,
 * after stdout and stderr reached the disk, because its appearance tells
 * the agent the results are complete. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "flags.h"
#include "proc.h"
#include "result.h"
#include "run.h"

#define MAIN_STDIN_MAX (1024 * 1024)
#define MAIN_EXIT_OUTPUT_FILES 5

/* Used when even building an error result runs out of memory. */
#define MAIN_OOM_RESULT \
	"{\"time\":\"unknown\",\"transaction_uuid\":\"unknown\"," \
	"\"environment\":\"unknown\",\"status\":\"unknown\",\"metrics\":{}," \
	"\"exitcode\":-1,\"version\":1,\"error_type\":\"agent_failed_to_start\"," \
	"\"error\":\"pxp-module-puppet ran out of memory\"}"

static cJSON *
main_schema_string(void)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "type", "string");
	return s;
}

static cJSON *
main_metadata(void)
{
	static const char *const result_strings[] = { "time", "transaction_uuid",
		"environment", "status", "error_type", "error" };
	static const char *const result_required[] = { "time",
		"transaction_uuid", "environment", "status", "exitcode", "version" };
	cJSON *md = cJSON_CreateObject();
	cJSON *actions = cJSON_AddArrayToObject(md, "actions");
	cJSON *run = cJSON_CreateObject();
	cJSON *input, *props, *flags, *results, *conf, *o;
	size_t i;

	cJSON_AddStringToObject(md, "description", "PXP Puppet module");
	cJSON_AddItemToArray(actions, run);
	cJSON_AddStringToObject(run, "name", "run");
	cJSON_AddStringToObject(run, "description", "Start a Puppet run");

	input = cJSON_AddObjectToObject(run, "input");
	cJSON_AddStringToObject(input, "type", "object");
	props = cJSON_AddObjectToObject(input, "properties");
	flags = cJSON_AddObjectToObject(props, "flags");
	cJSON_AddStringToObject(flags, "type", "array");
	cJSON_AddItemToObject(flags, "items", main_schema_string());
	cJSON_AddItemToObject(props, "job", main_schema_string());
	o = cJSON_AddObjectToObject(props, "env");
	cJSON_AddStringToObject(o, "type", "array");
	o = cJSON_AddArrayToObject(input, "required");
	cJSON_AddItemToArray(o, cJSON_CreateString("flags"));

	results = cJSON_AddObjectToObject(run, "results");
	cJSON_AddStringToObject(results, "type", "object");
	props = cJSON_AddObjectToObject(results, "properties");
	for (i = 0; i < sizeof(result_strings) / sizeof(result_strings[0]); i++)
		cJSON_AddItemToObject(props, result_strings[i],
		                      main_schema_string());
	o = cJSON_AddObjectToObject(props, "metrics");
	cJSON_AddStringToObject(o, "type", "object");
	o = cJSON_AddObjectToObject(props, "exitcode");
	cJSON_AddStringToObject(o, "type", "number");
	o = cJSON_AddObjectToObject(props, "version");
	cJSON_AddStringToObject(o, "type", "number");
	o = cJSON_AddArrayToObject(results, "required");
	for (i = 0; i < sizeof(result_required) / sizeof(result_required[0]); i++)
		cJSON_AddItemToArray(o, cJSON_CreateString(result_required[i]));

	conf = cJSON_AddObjectToObject(md, "configuration");
	cJSON_AddStringToObject(conf, "type", "object");
	props = cJSON_AddObjectToObject(conf, "properties");
	cJSON_AddItemToObject(props, "puppet_bin", main_schema_string());
	/* pxpd addition: how long to wait for another run's lock. */
	o = cJSON_AddObjectToObject(props, "lock_wait_seconds");
	cJSON_AddStringToObject(o, "type", "number");
	return md;
}

static int
main_print_metadata(void)
{
	cJSON *md = main_metadata();
	char *text = md ? cJSON_PrintUnformatted(md) : NULL;
	int rc = 1;

	if (text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0)
		rc = 0;
	free(text);
	cJSON_Delete(md);
	return rc;
}

/* Whole stdin, NUL-terminated; NULL when unreadable or too large. */
static char *
main_read_stdin(size_t *len)
{
	char *buf = malloc(MAIN_STDIN_MAX + 1);
	size_t used = 0;
	ssize_t n;

	if (buf == NULL)
		return NULL;
	for (;;) {
		n = read(STDIN_FILENO, buf + used, MAIN_STDIN_MAX + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used > MAIN_STDIN_MAX)
			break;
	}
	if (n < 0 || used > MAIN_STDIN_MAX) {
		free(buf);
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static int
main_emit(const cJSON *result)
{
	char *text = result ? cJSON_PrintUnformatted(result) : NULL;
	const char *out = text ? text : MAIN_OOM_RESULT;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(result, "error");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(result, "error_type");
	int rc = result == NULL || err != NULL ? 1 : 0;

	fputs(out, stdout);
	fflush(stdout);
	if (cJSON_IsString(err) && cJSON_IsString(type))
		fprintf(stderr, "pxp-module-puppet: %s: %s\n", type->valuestring,
		        err->valuestring);
	free(text);
	return rc;
}

static int
main_open_out(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
}

/* Points our stdout and stderr at the output files; -1 if any of the
 * three is missing or cannot be opened. */
static int
main_output_files(const cJSON *of, const char **exitcode_path, char *err,
                  size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(of, "stdout");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(of, "stderr");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(of, "exitcode");
	int ofd = -1, efd = -1, rc = -1;

	if (!cJSON_IsObject(of) || !cJSON_IsString(o) || !cJSON_IsString(e) ||
	    !cJSON_IsString(x)) {
		snprintf(err, errlen, "output_files needs stdout, stderr and "
		         "exitcode paths");
		return -1;
	}
	ofd = main_open_out(o->valuestring);
	if (ofd < 0) {
		snprintf(err, errlen, "%s: %s", o->valuestring, strerror(errno));
		goto cleanup;
	}
	efd = main_open_out(e->valuestring);
	if (efd < 0) {
		snprintf(err, errlen, "%s: %s", e->valuestring, strerror(errno));
		goto cleanup;
	}
	fflush(stdout);
	fflush(stderr);
	if (dup2(ofd, STDOUT_FILENO) < 0 || dup2(efd, STDERR_FILENO) < 0) {
		snprintf(err, errlen, "dup2: %s", strerror(errno));
		goto cleanup;
	}
	*exitcode_path = x->valuestring;
	rc = 0;
cleanup:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	return rc;
}

static int
main_write_exitcode(const char *path, int code)
{
	char text[16];
	int fd, len, rc = 0;

	fflush(stdout);
	fflush(stderr);
	fsync(STDOUT_FILENO);
	fsync(STDERR_FILENO);
	len = snprintf(text, sizeof(text), "%d\n", code);
	fd = main_open_out(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)len) != len)
		rc = -1;
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/* Configuration: puppet_bin (default when absent or empty) and the pxpd
 * addition lock_wait_seconds. */
static cJSON *
main_conf(const cJSON *args, struct puppet_conf *conf)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(args, "configuration");
	const cJSON *bin, *wait;

	conf->puppet_bin = proc_default_bin();
	conf->lock_wait_seconds = RUN_DEFAULT_LOCK_WAIT;
	if (c == NULL || cJSON_IsNull(c))
		return NULL;
	if (!cJSON_IsObject(c))
		return puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                           "The json received on STDIN has a "
		                           "'configuration' that is not an object");
	bin = cJSON_GetObjectItemCaseSensitive(c, "puppet_bin");
	if (bin != NULL && !cJSON_IsNull(bin) && !cJSON_IsString(bin))
		return puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                           "'puppet_bin' is not a string");
	if (cJSON_IsString(bin) && bin->valuestring[0] != '\0')
		conf->puppet_bin = bin->valuestring;
	wait = cJSON_GetObjectItemCaseSensitive(c, "lock_wait_seconds");
	if (wait != NULL) {
		if (!cJSON_IsNumber(wait) || !isfinite(wait->valuedouble) ||
		    wait->valuedouble < 0 || wait->valuedouble > RUN_LOCK_WAIT_MAX)
			return puppet_result_error(RESULT_EXITCODE_NONE,
			                           RESULT_INVALID_JSON,
			                           "'lock_wait_seconds' must be a number "
			                           "from 0 to %.0f", RUN_LOCK_WAIT_MAX);
		conf->lock_wait_seconds = wait->valuedouble;
	}
	return NULL;
}

static int
main_run(void)
{
	const char *exitcode_path = NULL;
	struct puppet_argv argv = { 0 };
	struct puppet_conf conf;
	cJSON *args = NULL, *result = NULL;
	const cJSON *of;
	char err[512];
	size_t len = 0;
	char *text;
	int code, rc;

	text = main_read_stdin(&len);
	if (text != NULL)
		args = cJSON_ParseWithLength(text, len);
	free(text);
	if (args == NULL) {
		result = puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                             "Invalid json received on STDIN");
		goto emit;
	}
	if (!cJSON_IsObject(args)) {
		result = puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                             "The json received on STDIN was not "
		                             "an object");
		goto emit;
	}
	of = cJSON_GetObjectItemCaseSensitive(args, "output_files");
	if (of != NULL && !cJSON_IsNull(of) &&
	    main_output_files(of, &exitcode_path, err, sizeof(err)) < 0) {
		/* Nowhere to put results: say why on the real stdout and use
		 * the exit code the agent reserves for this. */
		result = puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                             "Could not open output files: %s", err);
		main_emit(result);
		cJSON_Delete(result);
		cJSON_Delete(args);
		return MAIN_EXIT_OUTPUT_FILES;
	}
	result = main_conf(args, &conf);
	if (result != NULL)
		goto emit;
	rc = puppet_flags_build(cJSON_GetObjectItemCaseSensitive(args, "input"),
	                        conf.puppet_bin, &argv, err, sizeof(err));
	if (rc == -1)
		result = puppet_result_error(RESULT_EXITCODE_NONE, RESULT_INVALID_JSON,
		                             "%s", err);
	else if (rc == 0)
		result = puppet_run(&conf, &argv);
emit:
	code = main_emit(result);
	if (exitcode_path != NULL && main_write_exitcode(exitcode_path, code) < 0)
		code = MAIN_EXIT_OUTPUT_FILES;
	puppet_argv_free(&argv);
	cJSON_Delete(result);
	cJSON_Delete(args);
	return code;
}

int
main(int argc, char **argv)
{
	const char *action = argc > 1 ? argv[1] : "metadata";

	if (strcmp(action, "metadata") == 0)
		return main_print_metadata();
	if (strcmp(action, "run") == 0)
		return main_run();
	fprintf(stderr, "usage: %s [metadata | run < request.json]\n", argv[0]);
	return 2;
}
