/* config_json_fuzz.c: the config file parser (config__json_apply) on
 * arbitrary bytes: it must never crash, leak or read out of bounds, and
 * whatever it accepts must be freed by config_free. Links config*.c,
 * log.c, cJSON and mbedTLS (config_tls.c is linked but not reached: the
 * harness stops before the semantic checks). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxpd_config cfg;
	struct config__ctx ctx;
	char err[256];
	bool *in_file, *on_cli;

	if (size > 64 * 1024)
		return 0;
	in_file = calloc(config__nrows, sizeof(bool));
	on_cli = calloc(config__nrows, sizeof(bool));
	memset(&cfg, 0, sizeof(cfg));
	if (in_file != NULL && on_cli != NULL &&
	    config__defaults_apply(&cfg, true, NULL) == 0) {
		ctx = (struct config__ctx){ .cfg = &cfg, .err = err,
		    .errlen = sizeof(err), .in_file = in_file,
		    .on_cli = on_cli };
		(void)config__json_apply(&ctx, (const char *)data, size,
		    "fuzz");
	}
	config_free(&cfg);
	free(in_file);
	free(on_cli);
	return 0;
}
