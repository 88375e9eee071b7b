/*
 * ossl.c - see ossl.h: OpenSSL's functions, looked up in libssl.so.3 and
 * libcrypto.so.3 the first time they are needed.
 */
#include "load/ossl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

struct ossl_api ossl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_err[256];
static int loaded;

static void load(void)
{
	static const char *const names[] = {
#define OSSL_NAME(f) #f,
		OSSL_FUNCS(OSSL_NAME)
#undef OSSL_NAME
	};
	struct ossl_api api;
	void **slot = (void **)&api;
	void *ssl = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
	void *crypto = ssl ? dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) : NULL;

	if (!ssl || !crypto) {
		snprintf(load_err, sizeof(load_err),
			 "cannot load OpenSSL: %s (Debian: apt-get install libssl3)", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slot[i] = dlsym(ssl, names[i]);
		if (!slot[i])
			slot[i] = dlsym(crypto, names[i]);
		if (!slot[i]) {
			snprintf(load_err, sizeof(load_err), "OpenSSL (libssl.so.3) has no %s", names[i]);
			return;
		}
	}
	memcpy(&ossl_api, &api, sizeof(api));
	loaded = 1;
}

int ossl_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (loaded)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", load_err);
	return -1;
}
