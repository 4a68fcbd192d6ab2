/* exec_result_fuzz.c: the small files of a result dir and the /proc stat
 * line (exec__pid_file_parse, exec__exitcode_parse, exec__stat_parse,
 * agent/exec/result.c) on arbitrary bytes: never a crash or a read past
 * len, and a pid file that parses formats back to text that parses to
 * the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct exec__pid_file pf, back;
	char buf[EXEC__PID_FILE_MAX], state;
	unsigned long long start;
	int code, n;

	(void)exec__exitcode_parse(text, size, &code);
	(void)exec__stat_parse(text, size, &state, &start);
	if (exec__pid_file_parse(text, size, &pf) != 0)
		return 0;
	if (pf.pid < 2 || (pf.has_id && strlen(pf.id.boot_id) == 0))
		abort();
	if ((n = exec__pid_file_format(&pf, buf, sizeof(buf))) < 0 ||
	    exec__pid_file_parse(buf, (size_t)n, &back) != 0 ||
	    back.pid != pf.pid || back.has_id != pf.has_id ||
	    (pf.has_id && (strcmp(back.id.boot_id, pf.id.boot_id) != 0 ||
	    back.id.start_time != pf.id.start_time)))
		abort();
	return 0;
}
