/* util.c: ids, timestamps and string helpers (util.h). No I/O beyond
 * libuv's random source and clock. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/util.h"

static void
util__random(void *buf, size_t len)
{
	/* uv_random blocks only until the kernel pool is initialised at boot. */
	if (uv_random(NULL, NULL, buf, len, 0, NULL) != 0) {
		/* Never expected; fall back to something unique per process. */
		uint64_t x = (uint64_t)uv_hrtime() ^ ((uint64_t)uv_os_getpid() << 32);
		unsigned char *p = buf;
		size_t i;

		for (i = 0; i < len; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			p[i] = (unsigned char)x;
		}
	}
}

uint64_t
util_random64(void)
{
	uint64_t v;

	util__random(&v, sizeof(v));
	return v;
}

void
util_uuid4(char out[UTIL_UUID_LEN])
{
	unsigned char b[16];

	util__random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, UTIL_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

uint64_t
util_now_ms(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
util__days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Inverse of util__days: civil date of a day count, no libc time zone. */
static void
util__civil(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
util__time_fmt(char out[UTIL_TIME_LEN], int64_t sec, long frac, int digits)
{
	int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
	int64_t rem = sec - days * 86400;
	int y, m, d;

	util__civil(days, &y, &m, &d);
	if (digits == 0)
		snprintf(out, UTIL_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    y, m, d, (int)(rem / 3600), (int)(rem % 3600 / 60),
		    (int)(rem % 60));
	else
		snprintf(out, UTIL_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%0*ldZ",
		    y, m, d, (int)(rem / 3600), (int)(rem % 3600 / 60),
		    (int)(rem % 60), digits, frac);
}

void
util_time_iso(char out[UTIL_TIME_LEN], long offset_s)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	util__time_fmt(out, tv.tv_sec + offset_s, (long)(tv.tv_usec / 1000), 3);
}

void
util_time_iso_us(char out[UTIL_TIME_LEN])
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	util__time_fmt(out, tv.tv_sec, (long)tv.tv_usec, 6);
}

void
util_time_iso_at(char out[UTIL_TIME_LEN], int64_t sec)
{
	util__time_fmt(out, sec, 0, 0);
}

int64_t
util_time_parse(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	return util_time_utc(y, mo, d, h, mi, sec);
}

int64_t
util_time_utc(int year, int mon, int day, int hour, int min, int sec)
{
	return util__days(year, mon, day) * 86400 + (int64_t)hour * 3600 +
	    (int64_t)min * 60 + sec;
}

char *
util_strdup(const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	if ((p = malloc(n)))
		memcpy(p, s, n);
	return p;
}

char *
util_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
util_log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0;

	if (!outlen)
		return out;
	for (; *p; p++) {
		size_t need = (*p <= ' ' || *p == 0x7f || *p == '\\') ? 4 : 1;

		if (o + need + 3 >= outlen && (o + need >= outlen || p[1])) {
			/* not room for this and a "..." mark */
			if (outlen > 4) {
				while (o + 4 > outlen)
					o--;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 4) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return out;
}
