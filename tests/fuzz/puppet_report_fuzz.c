/* puppet_report_fuzz.c: libFuzzer harness for pxp-module-puppet's report
 * reader (modules/puppet/report.c and yaml_lite.c): any bytes must yield
 * a report or an error string, never a crash or a leak. Built by
 * modules/puppet/CMakeLists.txt with -DPXPD_FUZZ=ON. */
#include <stddef.h>
#include <stdint.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct puppet_report rep;
	char err[256];

	if (puppet_report_parse((const char *)data, size, &rep, err,
	                        sizeof(err)) == 0)
		puppet_report_clear(&rep);
	return 0;
}
