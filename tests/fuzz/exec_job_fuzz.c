/* exec_job_fuzz.c: the wrapper's job parser (exec__job_parse,
 * agent/exec/job.c)
 * on arbitrary bytes: it must never crash, leak or read past len, and a
 * job it accepts must have the shape the wrapper relies on (NULL-ended
 * args and env, "K=V" entries, an input as long as input_len, a cap).
 * Links exec/job.c and cJSON only. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec__job job;
	char err[256];
	size_t i;

	if (size > 1024 * 1024)
		return 0;
	if (exec__job_parse((const char *)data, size, &job, err,
	    sizeof(err)) != 0)
		return 0;
	if (job.executable == NULL || job.args == NULL || job.env == NULL ||
	    job.input == NULL || strlen(job.input) != job.input_len ||
	    job.output_cap == 0)
		abort();
	for (i = 0; job.env[i] != NULL; i++)
		if (strchr(job.env[i], '=') == NULL || job.env[i][0] == '=')
			abort();
	for (i = 0; job.args[i] != NULL; i++)
		;
	exec__job_free(&job);
	return 0;
}
