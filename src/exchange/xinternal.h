/* xinternal.h: what the exchange readers and writers share inside src/exchange: the reader
 * context (sink, counters, bad-record reporting), tolerant field parsers, the line reader used
 * by the CSV and hash-list formats, and the tiny JSON writer. Not a public header. */
#ifndef AD_EXCHANGE_XINTERNAL_H
#define AD_EXCHANGE_XINTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "ariadne/exchange.h"

#define AD_X_DEFAULT_MAX_RECORD ((size_t)16 << 20)

/* ---- reader context ---- */
typedef struct ad_xread {
    const ad_exchange_sink *sink;
    void *ctx;
    const char *name; /* file name for messages */
    ad_xstats st;
    size_t max_record;
} ad_xread;

void ad_xread_init(ad_xread *r, const ad_exchange_sink *sink, void *ctx);
/* Publishes the counters to sink->stats. */
void ad_xread_finish(ad_xread *r);
/* A bad record: formats "<name>: line L, record R, field F: <detail>". Without skip_bad sets err
 * and returns code; with skip_bad reports through sink->bad and returns AD_OK (or what the
 * callback returned). detail is the message from the field parser. */
ad_code ad_xread_bad(ad_xread *r, uint64_t record, uint64_t line, const char *field, ad_code code,
                     const char *detail, ad_err *err);
/* A fatal (structural) error at a line: sets err with the file name and line. */
ad_code ad_xread_fatal(ad_xread *r, uint64_t line, ad_code code, const char *detail, ad_err *err);
/* Writers: flushes f and reports a write error as AD_ERR_IO naming the writer. */
ad_code ad_x_flush(FILE *f, const char *writer, ad_err *err);
/* Calls sink->media (if any) and counts the record. */
ad_code ad_xread_emit(ad_xread *r, const ad_xmedia *m, ad_err *err);

/* ---- tolerant field parsers (text forms); all return AD_ERR_PARSE with a detail in err ---- */
/* true/false/1/0/yes/no in any case; empty text = unknown. */
ad_code ad_x_parse_flag(const char *s, size_t len, int8_t *out, ad_err *err);
/* Decimal integer >= 0 (surrounding blanks allowed); empty = -1. */
ad_code ad_x_parse_count(const char *s, size_t len, int64_t *out, ad_err *err);
/* Hex of the given kind into m (sets the presence bit); either case. */
ad_code ad_x_parse_hash(ad_xmedia *m, ad_xhash_kind kind, const char *s, size_t len, ad_err *err);
const char *ad_x_hash_name(ad_xhash_kind kind);
/* Lower-case hex of m's hash of `kind` into out (65 bytes); NULL when m has none. */
const char *ad_x_hash_hex(const ad_xmedia *m, ad_xhash_kind kind, char out[65]);
/* Length (1-4) of the valid UTF-8 sequence at s (at most avail bytes; a NUL ends it), or 0. */
int ad_x_utf8_len(const char *s, size_t avail);
/* Whether s (NULL counts as valid) is entirely valid UTF-8. */
int ad_x_utf8_valid(const char *s);
/* Trims blanks (space, tab) on both sides in place of (s, len). */
void ad_x_trim(const char **s, size_t *len);

/* ---- hash lists ---- */
/* Longest hash-list line: md5sum output holds a path (PATH_MAX 4096, escapes may double it). */
#define AD_X_HASHLIST_MAX_LINE 16384
/* Whether a line (BOM and leading blanks skipped) looks like a hash-list line: a 32/40/64 hex
 * hash alone or before ',' or a blank, or a line of md5sum/sha1sum/sha256sum output. */
int ad_x_hashlist_line(const char *s, size_t len);

/* ---- line reader (CSV, hash lists): BOM, CRLF, line counting, length limit ---- */
typedef struct ad_xlines {
    FILE *f;
    char *buf;
    size_t cap;    /* max line length + 2 */
    uint64_t line; /* number of the line last returned (1-based) */
    int started;
} ad_xlines;
ad_code ad_xlines_open(ad_xlines *l, FILE *f, size_t max_line, ad_err *err);
/* Next line without its end (CR/LF stripped): AD_OK with *s,*len; AD_ERR_EMPTY at the end;
 * AD_ERR_LIMIT for a too-long line (its rest is skipped, so reading may go on); AD_ERR_IO. */
ad_code ad_xlines_next(ad_xlines *l, char **s, size_t *len, ad_err *err);
void ad_xlines_close(ad_xlines *l);

/* ---- tiny JSON writer ---- */
typedef struct ad_jw {
    FILE *f;
    int need_comma;
    int bad_utf8; /* set when a string written was not valid UTF-8 */
} ad_jw;
void ad_jw_raw(ad_jw *w, const char *s);
void ad_jw_open(ad_jw *w, char brace);  /* '{' or '[' (writes a comma before it if needed) */
void ad_jw_close(ad_jw *w, char brace); /* '}' or ']' */
void ad_jw_key(ad_jw *w, const char *key);
void ad_jw_str(ad_jw *w, const char *key, const char *val); /* skipped when val is NULL */
void ad_jw_int(ad_jw *w, const char *key, int64_t val);
void ad_jw_count(ad_jw *w, const char *key, int64_t val); /* skipped when negative */
void ad_jw_flag(ad_jw *w, const char *key, int8_t val);   /* skipped when unknown */
void ad_jw_string_value(ad_jw *w, const char *val);

/* ---- a string -> int64 map and growing arrays (xmap.c) ---- */
typedef struct ad_xmap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
} ad_xmap;
/* 1 with *val when key is in the map, 0 otherwise. */
int ad_xmap_get(const ad_xmap *m, const char *key, int64_t *val);
/* Adds or replaces key (copied); 0 when out of memory. */
int ad_xmap_put(ad_xmap *m, const char *key, int64_t val);
void ad_xmap_free(ad_xmap *m);
/* Makes room for need elements of elem bytes in *p (capacity *cap); 0 when out of memory. */
int ad_x_grow(void **p, size_t *cap, size_t need, size_t elem);

/* ---- Ariadne's own series fields (xseries.c) ---- */
/* Writes m's series (ad_xseries) as a JSON array. */
void ad_x_write_xseries(ad_jw *w, const ad_xmedia *m);
/* The same as text (malloc'd; NULL when out of memory or not valid UTF-8). */
char *ad_x_xseries_text(const ad_xmedia *m);
/* What is wrong with m's series for a writer (no name, no victim code, bad UTF-8), or NULL. */
const char *ad_x_xseries_invalid(const ad_xmedia *m);

#endif
