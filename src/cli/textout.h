/* textout.h: text for people on a terminal: stored strings (paths, names, notes, audit rows)
 * written with control characters and odd bytes escaped, so that no value can break a line,
 * forge a row or reorder text (bidirectional controls); and padded columns. */
#ifndef AD_CLI_TEXTOUT_H
#define AD_CLI_TEXTOUT_H

#include <jansson.h>
#include <stdio.h>

/* Writes s escaped as ingest escapes the names in logical paths (docs/ingest.md): backslash as
 * \\, control bytes, bytes that are not UTF-8 and invisible or reordering code points (C1
 * controls, line and paragraph separators, bidirectional controls, BOM) as \xHH per byte.
 * NULL is written as "-". Returns the number of columns written (one per code point). */
int ad_txt_put(FILE *f, const char *s);
/* The same for a stored logical path, which ingest has escaped already: backslashes are kept. */
int ad_txt_put_path(FILE *f, const char *s);
/* The same, then spaces up to `width` columns (nothing when already wider). */
void ad_txt_pad(FILE *f, const char *s, int width);
/* A copy of s (malloc) with every byte that is not UTF-8 replaced by U+FFFD, for JSON; *lossy
 * (may be NULL) is set when something was replaced. NULL when out of memory. */
char *ad_txt_utf8(const char *s, int *lossy);
/* o[key] = s as a JSON string (bytes that are not UTF-8 become U+FFFD), null for NULL. With
 * hex_key, the exact bytes are also given in hex under that key when something was replaced. */
void ad_txt_json_set(json_t *o, const char *key, const char *s, const char *hex_key);

#endif
