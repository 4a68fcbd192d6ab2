/* compat.c: strndup and memmem for pxp-module-puppet (compat.h), in
 * plain C so that every platform builds the same code. */
#include <stdlib.h>
#include <string.h>

#include "compat.h"

char *
puppet_strndup(const char *s, size_t len)
{
	size_t n = strlen(s);
	char *p;

	if (n > len)
		n = len;
	if ((p = malloc(n + 1)) != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

const char *
puppet_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i;

	if (nlen == 0)
		return hay;
	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}
