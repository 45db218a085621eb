/* json_stream.h: the incremental tokenizer for the outer structure of a large JSON document
 * (internal to src/exchange). It reads a FILE through a fixed buffer, skips whitespace, reads
 * keys and punctuation, and captures the bytes of one complete value (a record) into a growable
 * buffer so that json_dom.c can parse just that value: memory stays proportional to one record. */
#ifndef AD_EXCHANGE_JSON_STREAM_H
#define AD_EXCHANGE_JSON_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"

typedef struct ad_jbuf {
    char *p;
    size_t len, cap;
} ad_jbuf;

typedef struct ad_jstream {
    FILE *f;
    char *buf;
    size_t pos, len;
    int eof, io_error;
    uint64_t line; /* line of the next unread byte (1-based) */
} ad_jstream;

ad_code ad_js_open(ad_jstream *s, FILE *f, ad_err *err);
void ad_js_close(ad_jstream *s);
/* Skips whitespace (and a UTF-8 BOM at the very start); returns the next byte without taking
 * it, or -1 at the end of input. */
int ad_js_peek(ad_jstream *s);
/* Takes the next byte after whitespace if it is c: 1, else 0. */
int ad_js_accept(ad_jstream *s, int c);
/* Captures one complete value (object, array, string, number or literal) into out (replacing
 * its content, NUL-terminated). keep = 0 skips it without storing (no size limit). Checks
 * brackets are balanced and strings closed, not full JSON validity (json_dom.c does that).
 * AD_ERR_TRUNCATED at the end of input, AD_ERR_LIMIT beyond max bytes, AD_ERR_PARSE. */
ad_code ad_js_capture(ad_jstream *s, ad_jbuf *out, size_t max, int keep, ad_err *err);
/* Appends n bytes to b (NUL-terminated), failing with AD_ERR_LIMIT beyond max bytes. */
ad_code ad_jbuf_append(ad_jbuf *b, const char *p, size_t n, size_t max, ad_err *err);
void ad_jbuf_free(ad_jbuf *b);

#endif
