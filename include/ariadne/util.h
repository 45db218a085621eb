/* util.h: small shared helpers: hex, clocks, a parallel loop, terminal progress. */
#ifndef ARIADNE_UTIL_H
#define ARIADNE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lower-case hex of n bytes into out (2n+1 bytes with NUL). Returns out. */
char *ad_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2n hex digits (either case); AD_ERR_PARSE otherwise. */
ad_code ad_hex_decode(const char *s, size_t len, uint8_t *out, size_t n, ad_err *err);

/* Monotonic seconds. */
double ad_now(void);
/* Unix seconds t as ISO 8601 UTC ("2026-12-04T16:48:28Z") in buf; "" when t <= 0. Returns buf. */
char *ad_time_iso(int64_t t, char buf[32]);
/* Number of online CPUs (at least 1). */
int ad_cpu_count(void);

/* Runs fn(ctx, i, worker) for every i in [0, n) on `threads` threads (0 = all cores).
 * Items are handed out one at a time, in order, from a shared counter. */
typedef void (*ad_parallel_fn)(void *ctx, size_t i, int worker);
ad_code ad_parallel_for(size_t n, int threads, ad_parallel_fn fn, void *ctx, ad_err *err);

/* Files and folders that hold custody data are private to the user running Ariadne: created
 * 0600 (files) and 0700 (folders) whatever the umask; an existing one of ours is narrowed to
 * that. ad_file_create_private truncates (like fopen "wb"); ad_file_touch_private only creates
 * an empty file when none exists (SQLite then opens it, and gives its journal the same mode). */
ad_code ad_file_create_private(const char *path, FILE **out, ad_err *err);
ad_code ad_dir_create_private(const char *path, ad_err *err);
ad_code ad_file_touch_private(const char *path, ad_err *err);

/* One CSV cell: quoted (RFC 4180) when it holds sep, a quote or a line break; a cell that a
 * spreadsheet would read as a formula (ad_csv_formula: it starts with = + - @, a tab or a
 * carriage return) gets a leading single quote. NULL writes nothing (an empty cell). */
void ad_csv_cell(FILE *f, const char *s, char sep);
int ad_csv_formula(const char *s);
/* A file written whole or not at all (exports, report files): ad_file_replace_open creates a
 * private temporary file beside PATH (PATH.partial-XXXXXX, 0600) and gives it as r->f;
 * ad_file_replace_commit flushes it to disk and renames it over PATH, so that PATH is never a
 * truncated file that looks complete (a writer killed or out of space leaves PATH as it was, and
 * at worst a *.partial-* file); on failure, or by ad_file_replace_abort, the temporary file is
 * removed. A symbolic link is written through; a PATH that exists and is not a regular file (a
 * FIFO, /dev/stdout) is written in place. A write error of r->f is reported with the errno of
 * the failing write ("No space left on device"). */
typedef struct ad_file_replace {
    FILE *f;
    char *path, *tmp;
} ad_file_replace;
ad_code ad_file_replace_open(ad_file_replace *r, const char *path, ad_err *err);
ad_code ad_file_replace_commit(ad_file_replace *r, ad_err *err);
void ad_file_replace_abort(ad_file_replace *r);
/* The end of a writer that returned rc: commit when AD_OK, else abort (a write error of r->f
 * named with its cause) and return rc. */
ad_code ad_file_replace_end(ad_file_replace *r, ad_code rc, ad_err *err);

/* A private temporary file (read and write, 0600, in $TMPDIR or /tmp) that has no name: it is
 * gone when closed, whatever path the caller takes (tmpfile.c). NULL with err. */
FILE *ad_tmpfile(ad_err *err);

/* Progress on a terminal: a single self-rewriting line on `out` when it is a tty, nothing
 * otherwise. Thread-safe; redraws at most ~10 times a second. total may be 0 (unknown). */
typedef struct ad_progress ad_progress;
ad_progress *ad_progress_new(FILE *out, const char *label, uint64_t total);
void ad_progress_add(ad_progress *p, uint64_t done, uint64_t bytes);
void ad_progress_set_total(ad_progress *p, uint64_t total);
/* Optional extra text shown at the end of the line (e.g. counts per class). */
void ad_progress_note(ad_progress *p, const char *note);
void ad_progress_finish(ad_progress *p);

#ifdef __cplusplus
}
#endif
#endif

#ifndef ARIADNE_UTIL_WALK
#define ARIADNE_UTIL_WALK
#include <sys/stat.h>
/* Walks a path: a file is reported as itself; a directory recursively, entries in byte order.
 * Symbolic links to directories are not followed (no loops); links to files are reported with
 * the target's stat. Special files (FIFOs, devices, sockets) are reported with their stat so
 * the caller can refuse them. code != AD_OK reports a path that cannot be read (msg says why).
 * The callback returns non-zero to stop the walk. */
typedef int (*ad_walk_fn)(void *ctx, const char *path, const struct stat *st, ad_code code,
                          const char *msg);
ad_code ad_walk(const char *path, ad_walk_fn fn, void *ctx, ad_err *err);
#endif
