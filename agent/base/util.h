/* util.h: small portable helpers: ids, timestamps, strings.
 * Randomness and wall-clock time come from libuv so Windows needs nothing
 * extra. */
#ifndef PXPD_UTIL_H
#define PXPD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "os/attr.h"

#define UTIL_UUID_LEN 37   /* 36 chars + NUL */
#define UTIL_TIME_LEN 80   /* room for any int the formatter could see */

/* Random version-4 UUID, lowercase. */
void util_uuid4(char out[UTIL_UUID_LEN]);
/* Now + offset_s as ISO 8601 UTC with milliseconds: 2016-02-19T10:09:18.283Z */
void util_time_iso(char out[UTIL_TIME_LEN], long offset_s);
/* Same with microseconds (spool metadata): 2016-02-19T10:09:18.283484Z */
void util_time_iso_us(char out[UTIL_TIME_LEN]);
/* A given time, seconds since the epoch: 2016-02-19T10:09:18Z */
void util_time_iso_at(char out[UTIL_TIME_LEN], int64_t sec);
/* Parses util_time_iso{,_us} output (and any "YYYY-MM-DDTHH:MM:SS[.f]Z")
 * into seconds since the epoch; -1 on bad syntax. */
int64_t util_time_parse(const char *s);
/* Seconds since the epoch of a UTC civil time (timegm without libc, which
 * Windows lacks); fields are taken as given, not normalised. */
int64_t util_time_utc(int year, int mon, int day, int hour, int min, int sec);
uint64_t util_random64(void);
/* Wall clock in milliseconds since the epoch. */
uint64_t util_now_ms(void);

char *util_strdup(const char *s);          /* NULL-safe */
/* A remote value made safe for a line of a log: bytes below 0x21, 0x7f
 * and '\\' become \xNN, so a peer cannot end a line, forge a field or
 * hide one. At most outlen - 1 bytes; "..." marks a cut. Returns out. */
char *util_log_escape(const char *in, char *out, size_t outlen);
/* malloc'd printf; NULL on allocation failure */
char *util_asprintf(const char *fmt, ...) OS_PRINTF(1, 2);

#endif
