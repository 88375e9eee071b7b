/*
 * denymaps.c - test-only LD_PRELOAD shim: open() of /proc/<pid>/maps
 * fails with EACCES (as it does for a process pinch may sample but not
 * inspect, e.g. under hidepid or another user namespace). Used by t1001
 * to check that `pinch record --pid` names that failure.
 */
#undef _FILE_OFFSET_BITS	/* define open and open64 both, unredirected */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>

static int denied(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n > 11 && !strncmp(path, "/proc/", 6) && !strcmp(path + n - 5, "/maps");
}

#define SHIM(name)								\
	int name(const char *path, int flags, ...)				\
	{									\
		static int (*real)(const char *, int, ...);			\
		mode_t mode = 0;						\
		va_list ap;							\
										\
		if (denied(path)) {						\
			errno = EACCES;						\
			return -1;						\
		}								\
		if (!real)							\
			real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
		va_start(ap, flags);						\
		if (flags & (O_CREAT | O_TMPFILE))				\
			mode = va_arg(ap, mode_t);				\
		va_end(ap);							\
		return real(path, flags, mode);					\
	}

SHIM(open)
SHIM(open64)
