/* config_int.h: what the config_*.c files share and nobody else uses: the
 * key table's row type, the load context, and the helpers each file gives
 * the others. Unit tests may include it to reach the defaults for a
 * non-root user. */
#ifndef PXPD_CONFIG_INT_H
#define PXPD_CONFIG_INT_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

#include "os/attr.h"

struct cJSON;

enum config__type {
	CONFIG_T_STR,           /* char * */
	CONFIG_T_PATH,          /* char *, ~ expanded */
	CONFIG_T_INT,           /* long long, bounds min..max */
	CONFIG_T_BOOL,          /* bool */
	CONFIG_T_STRLIST,       /* char *[PXPD_MAX_URIS] + int count */
	CONFIG_T_PCPVER,        /* int 1 or 2, from "1"/"2" or 1/2 */
};

enum config__flag {
	CONFIG_F_CLI = 1 << 0,     /* --<name> accepted */
	CONFIG_F_FILE = 1 << 1,    /* accepted in the config file */
	CONFIG_F_HIDDEN = 1 << 2,  /* left out of --help (pxp-agent's <hidden>) */
	CONFIG_F_UNUSED = 1 << 3,  /* accepted and ignored (master-uri) */
	CONFIG_F_EXT = 1 << 4,     /* a pxpd extension, not in pxp-agent */
};

#define CONFIG_NO_FIELD ((size_t)-1)

struct config__row {
	const char *name;
	enum config__type type;
	unsigned flags;
	const char *def_str;       /* default (strings; "" for paths) */
	int def_path;              /* paths: an enum os_default_path */
	long long def_int;         /* ints and bools */
	long long min, max;        /* ints */
	size_t off;                /* field in struct pxpd_config */
	size_t count_off;          /* lists: the int count field */
	const char *help;
};

extern const struct config__row config__rows[];
extern const size_t config__nrows;

/* One config_load() in progress. */
struct config__ctx {
	struct pxpd_config *cfg;
	char *err;
	size_t errlen;
	bool *in_file;          /* per row: the file set it */
	bool *on_cli;           /* per row: argv set it (file value ignored) */
};

/* config.c */
const struct config__row *config__row_find(const char *name);
int config__err(struct config__ctx *ctx, int code, const char *fmt, ...)
    OS_PRINTF(3, 4);
int config__str_set(struct pxpd_config *cfg, const struct config__row *row,
    const char *value);
int config__list_set(struct pxpd_config *cfg, const struct config__row *row,
    const char *const *values, int n);
int config__note_add(char **notes, int *n, const char *text);
/* Sets every row to its default for a root (or non-root, under home)
 * user; 0 or -ENOMEM. */
int config__defaults_apply(struct pxpd_config *cfg, bool root,
    const char *home);

/* config_file.c: reads and applies the JSON file; PXPD_EXIT_* */
int config__file_apply(struct config__ctx *ctx, const char *path,
    bool explicit);
/* Parses a JSON text already in memory (for tests and the fuzzer). */
int config__json_apply(struct config__ctx *ctx, const char *text,
    size_t len, const char *name);

/* config_check.c: normalizes and validates the merged result */
int config__finish(struct config__ctx *ctx);
/* "~" or "~/x" -> $HOME/x; malloc'd, NULL on allocation failure */
char *config__tilde_expand(const char *path);
/* The effective user's home from the user database (not $HOME);
 * malloc'd, NULL when unknown. */
char *config__passwd_home(void);

/* config_tls.c: ssl-* files exist, parse and match; sets common_name */
int config__tls_check(struct config__ctx *ctx);

#endif
