/* extmod_int.h: what extmod.c and extmod_load.c share inside the part. */
#ifndef PXPD_EXTMOD_INT_H
#define PXPD_EXTMOD_INT_H

/* How a module file is run, for `metadata` and for every action: fills
 * argv (room for 4 + NULL) with the program first. POSIX: the file
 * itself, `<path> <arg>`. Windows (os/win/exec.c's day): `cmd.exe /c <path>
 * <arg>`, as pxp-agent does, so .bat modules work. */
void extmod__command(const char *path, const char *arg, const char *argv[5]);

#endif
