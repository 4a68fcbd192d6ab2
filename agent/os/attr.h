/* attr.h: compiler attributes whose spelling depends on the platform,
 * so that shared code never tests a platform macro itself.
 * OS_PRINTF(fmt, first): a printf-like function (for -Wformat). On mingw
 * plain `printf` means the MSVCRT dialect, which knows no %zu or %lld;
 * the build defines __USE_MINGW_ANSI_STDIO=1 so the C99 formatter runs,
 * and gnu_printf checks against it. Clang has no gnu_printf. */
#ifndef PXPD_OS_ATTR_H
#define PXPD_OS_ATTR_H

#if defined(__MINGW32__)
#define OS_PRINTF(fmt, first) __attribute__((format(gnu_printf, fmt, first)))
#else
#define OS_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#endif

#endif
