/* ingest_source.h: the source side of ingest. Walks the roots of a seizure (files, folders,
 * archives, archives inside archives) into a stream of rows, one at a time and in a stable
 * order, each with its custody data: a logical path inside the seizure, the chain of archives
 * that hold it, its size and times, and its bytes (archive members, in memory) or its path
 * (plain files). Nothing is ever extracted to disk; odd member names are only text.
 * See docs/ingest.md for the contract (ordering, path syntax, limits, errors). */
#ifndef ARIADNE_INGEST_SOURCE_H
#define ARIADNE_INGEST_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_source_opts {
    unsigned max_depth;         /* archives inside archives: an archive holding members at a
                                   depth over this is not opened (default 4) */
    uint64_t max_member_bytes;  /* one archive member in memory (default 256 MiB) */
    uint64_t max_archive_bytes; /* bytes expanded from one archive, nested ones included
                                   (default 16 GiB) */
    uint64_t max_ratio;         /* expanded bytes / archive size, checked once more than
                                   ratio_floor bytes were expanded (default 200; 0 = off) */
    uint64_t ratio_floor;       /* (default 64 MiB) */
    uint64_t max_members;       /* entries in one archive (default 1,000,000) */
    unsigned max_folder_depth;  /* folders inside folders (default 256) */
    int open_documents;         /* also open zip-based documents (docx, odt, epub, jar...),
                                   which may hold pictures (default 1) */
    uint64_t max_held_bytes;    /* bytes in memory at once: the archives being walked from
                                   memory (members that are archives) and the member being
                                   read; a member gets at most what they leave of this
                                   (a caller's memory budget; default 0: no such limit) */
} ad_source_opts;

void ad_source_opts_default(ad_source_opts *o);

typedef enum ad_row_kind {
    AD_ROW_FILE = 0,    /* a regular file: plain (fs_path) or archive member (data) */
    AD_ROW_ERROR,       /* a path that is not read: see err (unreadable, link, device...) */
    AD_ROW_ARCHIVE_END, /* an archive (the row at `path`, given before) was not read to its
                           end or not opened at all: see err. Only given on failure. */
} ad_row_kind;

typedef struct ad_row_time {
    int64_t sec; /* Unix seconds */
    int32_t nsec;
    int set; /* 0 when the file system or the archive does not record it */
} ad_row_time;

typedef struct ad_row {
    ad_row_kind kind;
    ad_err err;       /* err.code is AD_OK for AD_ROW_FILE */
    uint64_t ordinal; /* 0, 1, 2... in walk order: the same for the same input */
    uint8_t key[32];  /* stable identity of this row (see docs/ingest.md): for resuming */
    size_t root;      /* index of the root it was found under */

    const char *path;          /* logical path, escaped UTF-8: "dir/a.zip!/in.tar!/x.jpg" */
    const char *fs_path;       /* plain files: the real path (raw bytes) to read; else NULL */
    int depth;                 /* number of enclosing archives (0: a file on disk) */
    const char *const *chain;  /* logical paths of the enclosing archives, outermost first
                                  (depth entries); chain[depth - 1] is the parent archive */
    const char *inner_path;    /* members: the name inside the parent archive, escaped */
    const char *parent_format; /* members: libarchive's name of the parent's format */

    uint64_t size; /* bytes (members: as read, or as declared when not read) */
    int size_known;
    ad_row_time mtime, atime, ctime, btime; /* as the file system or the archive gives them */
    uint32_t mode;                          /* file type and permission bits */
    int64_t uid, gid;                       /* -1 when unknown */
    uint64_t dev, ino;                      /* plain files */
    int via_symlink; /* plain files reached through a symbolic link (stat is the target's) */

    const uint8_t *data; /* members: the bytes, valid until the next call; plain files: NULL */
    size_t len;
    int is_archive; /* an archive by content: its members follow this row */
    char mime[64];  /* libmagic's type when the row was probed as an archive candidate */
} ad_row;

typedef struct ad_source ad_source;

/* A walker over roots[0..nroots) (copied). */
ad_code ad_source_new(ad_source **out, const char *const *roots, size_t nroots,
                      const ad_source_opts *opts, ad_err *err);
void ad_source_free(ad_source *s);

/* The next row: AD_OK with *row set, or AD_OK with *row NULL at the end. Another code only for
 * a failure of the walker itself (out of memory); problems with the seizure are rows.
 * The row and everything it points to stay valid until the next call. */
ad_code ad_source_next(ad_source *s, const ad_row **row, ad_err *err);

/* Takes the bytes of the current member row (so a worker can hash them after the next call):
 * returns a malloc'd buffer the caller frees, *len set; NULL for rows without data. */
uint8_t *ad_source_take(ad_source *s, size_t *len);

/* Callback form: fn returns non-zero to stop. */
typedef int (*ad_source_fn)(void *ctx, const ad_row *row);
ad_code ad_source_walk(const char *const *roots, size_t nroots, const ad_source_opts *opts,
                       ad_source_fn fn, void *ctx, ad_err *err);

/* Stable name of a row kind: "file", "error", "archive_end". */
const char *ad_row_kind_name(ad_row_kind k);

/* Escapes raw name bytes for a logical path: valid UTF-8 is kept, "\" becomes "\\", control
 * and invalid bytes and a "!" before "/" or at the end become "\xHH". Writes to out (cap bytes,
 * always NUL-terminated when cap > 0); returns the length the full result needs (excluding the
 * NUL). */
size_t ad_path_escape(const char *raw, size_t n, char *out, size_t cap);
/* The reverse: "\\" and "\xHH" back to bytes. out needs strlen(text) + 1 bytes; returns the
 * length of the raw bytes (which may hold NULs). */
size_t ad_path_unescape(const char *text, char *out);

#ifdef __cplusplus
}
#endif
#endif
