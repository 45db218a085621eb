/* source_internal.h: the walker's state shared by its files: the stack of open folders and
 * archives, the row being built, growable strings, keys and archive detection. */
#ifndef AD_INGEST_SOURCE_INTERNAL_H
#define AD_INGEST_SOURCE_INTERNAL_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ariadne/ingest_source.h"
#include "ariadne/media.h"

struct archive;

/* Growable NUL-terminated byte string. */
typedef struct src_str {
    char *p;
    size_t len, cap;
} src_str;

int src_str_set(src_str *s, const char *raw, size_t n);
int src_str_add(src_str *s, const char *raw, size_t n);
int src_str_add_escaped(src_str *s, const char *raw, size_t n);
void src_str_free(src_str *s);

typedef enum src_frame_kind { SRC_DIR, SRC_ARCHIVE } src_frame_kind;

typedef struct src_frame {
    src_frame_kind kind;
    src_str logical;  /* logical path of the folder or archive */
    src_str fs_path;  /* folders: real path */
    int folder_depth; /* folders: depth below the root */
    struct dirent **ents;
    int nents, next;
    /* archives */
    uint8_t key[32];
    int depth; /* depth of the archive's own row; its members are depth + 1 */
    struct archive *ar;
    int fd;            /* archives read from a file, else -1 */
    uint8_t *owned;    /* archives read from memory: their bytes */
    uint64_t packed;   /* the archive's own size */
    uint64_t expanded; /* bytes expanded from it (nested archives included) */
    uint64_t entries;  /* entries seen (folders included) */
    int compressed;    /* a compressed single file (or a compressed archive) */
    int raw_only;      /* reopened as one raw member: its archive format gave no entry */
    int stopped;       /* a limit or an error ended it: give its AD_ROW_ARCHIVE_END */
    ad_err stop;
    char format[64];
} src_frame;

/* The row being handed out and its storage. */
typedef struct src_row {
    ad_row row;
    src_str path, fs_path, inner;
    const char **chain;
    size_t chain_cap;
    uint8_t *data;
    size_t data_cap;
    int data_taken;
} src_row;

struct ad_source {
    ad_source_opts opts;
    char **roots;
    size_t nroots, next_root;
    src_frame *stack;
    size_t depth, cap;
    ad_magic *magic;
    src_row cur;
    uint64_t ordinal;
    int pending_open; /* the row handed out last is an archive to open now */
    uint8_t *scratch; /* read buffer for members over the limit (discarded) */
    uint8_t *head;    /* first bytes of a plain file, for archive detection */
};

/* Head bytes read from plain files to detect archives (ISO 9660 has its mark at 32 KiB). */
#define SRC_HEAD_BYTES (64u * 1024u)
#define SRC_CHUNK (256u * 1024u)

/* Is this content an archive we open? Fills mime (libmagic) when a signature matched. */
int src_detect_archive(ad_source *s, const uint8_t *head, size_t len, char *mime, size_t mlen);
/* Needs libarchive's raw format (a compressed single file). */
int src_mime_is_compressed(const char *mime);

/* Keys (SHA-256): of a plain file, of an archive member, of an archive's end row. */
void src_key_file(size_t root, const char *raw, size_t n, uint8_t key[32]);
void src_key_member(const uint8_t parent[32], uint64_t index, const char *name, size_t n,
                    uint8_t key[32]);
void src_key_end(const uint8_t archive[32], uint8_t key[32]);

/* Stack. */
src_frame *src_push(ad_source *s, src_frame_kind kind);
void src_pop(ad_source *s);
src_frame *src_top(ad_source *s);

/* Row building: reset clears the row; fill_chain points chain at the enclosing archives. */
void src_row_reset(ad_source *s);
int src_row_chain(ad_source *s);
void src_row_error(ad_source *s, ad_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Folders and plain files: visits one path; returns 1 when a row is ready, 0 when a folder was
 * pushed (or nothing to give), -1 out of memory. */
int src_fs_visit(ad_source *s, const char *fs_path, const char *logical, size_t logical_len,
                 int folder_depth, int is_root);
/* Next child of the folder on top: 1 row ready, 0 continue, -1 out of memory. */
int src_fs_next(ad_source *s, src_frame *f);

/* Opens the archive given by the row handed out last: 1 when a row is ready (it cannot be
 * opened), 0 when it was pushed, -1 out of memory. */
int src_archive_open(ad_source *s);
/* Next member of the archive on top: 1 row ready, 0 continue (archive ended), -1 nomem. */
int src_archive_next(ad_source *s, src_frame *f);
void src_archive_close(src_frame *f);

#endif
