/* source_detect.c: which contents the walker opens as archives. A cheap signature test first
 * (most files are pictures), then libmagic must agree: libarchive alone would read many
 * non-archives (text as mtree, any bytes as raw), so its own bidding never decides. */
#include <string.h>

#include "ingest/source_internal.h"

static const struct {
    size_t off;
    const char *sig;
    size_t len;
} sigs[] = {
    {0, "PK\3\4", 4},
    {0, "PK\5\6", 4},
    {0, "PK\7\10", 4},
    {0, "\x1f\x8b", 2},
    {0, "BZh", 3},
    {0,
     "\xfd"
     "7zXZ\0",
     6},
    {0, "\x28\xb5\x2f\xfd", 4},
    {0, "\x1f\x9d", 2},
    {0, "LZIP", 4},
    {0, "\x04\x22\x4d\x18", 4},
    {0, "\x5d\0\0", 3},
    {0, "7z\xbc\xaf\x27\x1c", 6},
    {0, "Rar!\x1a\x07", 6},
    {257, "ustar", 5},
    {32769, "CD001", 5},
    {0, "070707", 6},
    {0, "070701", 6},
    {0, "070702", 6},
    {0, "\xc7\x71", 2},
    {0, "\x71\xc7", 2},
    {0, "!<arch>\n", 8},
    {0, "MSCF", 4},
    {0, "xar!", 4},
    {2, "-lh", 3},
};

/* libmagic types opened as archives. */
static const char *const archive_mimes[] = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-tar",
    "application/x-gtar",
    "application/x-7z-compressed",
    "application/x-rar",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/x-iso9660-image",
    "application/x-cpio",
    "application/x-archive",
    "application/vnd.ms-cab-compressed",
    "application/x-xar",
    "application/x-lha",
    "application/x-lzh-compressed",
};

/* Compressed single files: opened with libarchive's raw format (one member, "data"). */
static const char *const compressed_mimes[] = {
    "application/gzip",   "application/x-gzip", "application/x-bzip2", "application/x-xz",
    "application/x-lzma", "application/zstd",   "application/x-zstd",  "application/x-compress",
    "application/x-lzip", "application/x-lz4",
};

/* Zip-based documents: opened when opts.open_documents (they carry pictures). */
static const char *const document_prefixes[] = {
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/epub+zip",
    "application/java-archive",
    "application/vnd.android.package-archive",
};

static int in_list(const char *mime, const char *const *list, size_t n, int prefix)
{
    for (size_t i = 0; i < n; i++)
        if (prefix ? !strncmp(mime, list[i], strlen(list[i])) : !strcmp(mime, list[i]))
            return 1;
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int src_mime_is_compressed(const char *mime)
{
    return in_list(mime, compressed_mimes, COUNT(compressed_mimes), 0);
}

int src_detect_archive(ad_source *s, const uint8_t *head, size_t len, char *mime, size_t mlen)
{
    int maybe = 0;
    for (size_t i = 0; i < COUNT(sigs) && !maybe; i++)
        maybe = len >= sigs[i].off + sigs[i].len &&
                !memcmp(head + sigs[i].off, sigs[i].sig, sigs[i].len);
    if (!maybe)
        return 0;
    ad_media_probe(s->magic, head, len < SRC_HEAD_BYTES ? len : SRC_HEAD_BYTES, mime, mlen);
    if (in_list(mime, archive_mimes, COUNT(archive_mimes), 0) || src_mime_is_compressed(mime))
        return 1;
    return s->opts.open_documents && in_list(mime, document_prefixes, COUNT(document_prefixes), 1);
}
