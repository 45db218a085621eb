/* json.h: minimal JSON text output helpers (strings with escaping and UTF-8 checking). */
#ifndef ARIADNE_JSON_H
#define ARIADNE_JSON_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if s[0..len) is valid UTF-8. */
int ad_utf8_valid(const char *s, size_t len);
/* Writes s as a quoted JSON string. Invalid UTF-8 bytes are written as U+FFFD; returns 0 when
 * the text was valid UTF-8, 1 when something was replaced. */
int ad_json_string(FILE *out, const char *s, size_t len);
/* A copy of s (malloc) with every byte that is not well-formed UTF-8 replaced by U+FFFD; *lossy
 * (may be NULL) is set when something was replaced. NULL when out of memory. */
char *ad_utf8_sanitize(const char *s, int *lossy);

#ifdef __cplusplus
}
#endif
#endif
