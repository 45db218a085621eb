/* error.h: errors as values. Every library call that can fail returns an ad_code and,
 * when given an ad_err, fills it with a message meant for a person. Nothing in the
 * library prints to stderr or exits. */
#ifndef ARIADNE_ERROR_H
#define ARIADNE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ad_code {
    AD_OK = 0,
    AD_ERR_NOMEM,        /* out of memory */
    AD_ERR_IO,           /* read/write/open failed */
    AD_ERR_ARG,          /* caller passed something invalid */
    AD_ERR_UNSUPPORTED,  /* a type or feature we do not handle */
    AD_ERR_CORRUPT,      /* malformed content */
    AD_ERR_TRUNCATED,    /* content ends early */
    AD_ERR_LIMIT,        /* a configured limit (pixels, bytes, memory, time) was exceeded */
    AD_ERR_EMPTY,        /* zero-length input */
    AD_ERR_PARSE,        /* text that does not parse */
    AD_ERR_NOT_FOUND,    /* no such record/file */
    AD_ERR_EXISTS,       /* record already exists */
    AD_ERR_DB,           /* database error */
    AD_ERR_PERM,         /* not allowed */
    AD_ERR_VERSION,      /* foreign or incompatible file version */
    AD_ERR_CHECKSUM,     /* integrity check failed */
    AD_ERR_TIMEOUT,      /* took too long */
    AD_ERR_INTERNAL,     /* a bug */
    AD_ERR__COUNT
} ad_code;

typedef struct ad_err {
    ad_code code;
    char msg[512];
    /* The input at fault when the caller can name it ("hashes[3].radius", "name"), else "":
     * the server's problem documents carry it as `field`. ad_err_set clears it. */
    char field[96];
} ad_err;

/* Stable lower-case identifier for a code ("corrupt", "limit", ...), for JSON and CSV. */
const char *ad_code_name(ad_code code);
/* Short human description of a code. */
const char *ad_strerror(ad_code code);
/* Fills err (if not NULL) with code and a printf-style message; returns code. */
ad_code ad_err_set(ad_err *err, ad_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ad_err_set, naming the input at fault (field, copied; NULL or "" for none). */
ad_code ad_err_field(ad_err *err, ad_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefixes the message already in err with "prefix: ". */
void ad_err_prefix(ad_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ad_err_clear(ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
