/*
 * ossl.h - OpenSSL for pinch load, loaded (dlopen) the first time a run
 * speaks TLS or writes or reads an HdrHistogram log (base64). Linked into
 * pinch, libssl and libcrypto cost every pinch command ~0.6 ms of
 * start-up (relocations and initialisers), which pinch bench would pay
 * once per run list and a short command once per call.
 *
 * Include this instead of the OpenSSL headers: from here on the calls
 * below go through a table that ossl_load() fills; call it (it is cheap
 * once loaded) before the first of them.
 */
#ifndef PINCH_LOAD_OSSL_H
#define PINCH_LOAD_OSSL_H

#include <stddef.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define OSSL_FUNCS(X)                                                                   \
	X(ERR_clear_error) X(ERR_get_error) X(ERR_peek_last_error)                      \
	X(ERR_reason_error_string) X(EVP_DecodeBlock) X(EVP_EncodeBlock)                \
	X(X509_verify_cert_error_string) X(SSL_CTX_ctrl) X(SSL_CTX_free)                \
	X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) X(SSL_CTX_set_default_verify_paths) \
	X(SSL_CTX_set_verify) X(SSL_ctrl) X(SSL_do_handshake) X(SSL_free)               \
	X(SSL_get_error) X(SSL_get_verify_result) X(SSL_new) X(SSL_pending) X(SSL_read) \
	X(SSL_set1_host) X(SSL_set_connect_state) X(SSL_set_fd) X(SSL_write)            \
	X(TLS_client_method)

struct ossl_api {
#define OSSL_MEMBER(f) __typeof__(f) *f;
	OSSL_FUNCS(OSSL_MEMBER)
#undef OSSL_MEMBER
};
extern struct ossl_api ossl_api;

/* 0, or -1 with err set ("cannot load libssl.so.3: ..."). Thread-safe. */
int ossl_load(char *err, size_t errlen);

#define ERR_clear_error ossl_api.ERR_clear_error
#define ERR_get_error ossl_api.ERR_get_error
#define ERR_peek_last_error ossl_api.ERR_peek_last_error
#define ERR_reason_error_string ossl_api.ERR_reason_error_string
#define EVP_DecodeBlock ossl_api.EVP_DecodeBlock
#define EVP_EncodeBlock ossl_api.EVP_EncodeBlock
#define X509_verify_cert_error_string ossl_api.X509_verify_cert_error_string
#define SSL_CTX_ctrl ossl_api.SSL_CTX_ctrl
#define SSL_CTX_free ossl_api.SSL_CTX_free
#define SSL_CTX_load_verify_locations ossl_api.SSL_CTX_load_verify_locations
#define SSL_CTX_new ossl_api.SSL_CTX_new
#define SSL_CTX_set_default_verify_paths ossl_api.SSL_CTX_set_default_verify_paths
#define SSL_CTX_set_verify ossl_api.SSL_CTX_set_verify
#define SSL_ctrl ossl_api.SSL_ctrl
#define SSL_do_handshake ossl_api.SSL_do_handshake
#define SSL_free ossl_api.SSL_free
#define SSL_get_error ossl_api.SSL_get_error
#define SSL_get_verify_result ossl_api.SSL_get_verify_result
#define SSL_new ossl_api.SSL_new
#define SSL_pending ossl_api.SSL_pending
#define SSL_read ossl_api.SSL_read
#define SSL_set1_host ossl_api.SSL_set1_host
#define SSL_set_connect_state ossl_api.SSL_set_connect_state
#define SSL_set_fd ossl_api.SSL_set_fd
#define SSL_write ossl_api.SSL_write
#define TLS_client_method ossl_api.TLS_client_method

#endif
