/* hash.h: what Ariadne computes for a file: MD5, SHA-1 and SHA-256 in the single pass that
 * reads the bytes, the content type, and for images PDQ with quality and dihedral variants. */
#ifndef ARIADNE_HASH_H
#define ARIADNE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/border.h"
#include "ariadne/error.h"
#include "ariadne/media.h"
#include "ariadne/pdq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_digests {
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
} ad_digests;

/* Incremental MD5 + SHA-1 + SHA-256 (OpenSSL EVP). */
typedef struct ad_digester ad_digester;
ad_code ad_digester_new(ad_digester **out, ad_err *err);
void ad_digester_reset(ad_digester *d);
void ad_digester_update(ad_digester *d, const void *data, size_t len);
void ad_digester_final(ad_digester *d, ad_digests *out);
void ad_digester_free(ad_digester *d);
/* One-shot digests of a buffer. */
ad_code ad_digest_buffer(const void *data, size_t len, ad_digests *out, ad_err *err);

/* Which PDQ convention: the library's (full resolution; what HMA, python-threatexchange and
 * hash-sharing partners produce) or the reference CLI's (pdq-photo-hasher: images over 512 px
 * on a side are first resized to 512x512 by nearest neighbour). */
typedef enum ad_pdq_compat { AD_PDQ_COMPAT_LIBRARY = 0, AD_PDQ_COMPAT_CLI = 1 } ad_pdq_compat;

typedef struct ad_hash_opts {
    ad_limits limits;
    int dihedral;         /* compute the 8 dihedral variants */
    int fast;             /* fast mode: scaled JPEG decoding, luma only (not bit-exact) */
    int fast_min_side;    /* fast mode: smallest side to decode at (default 384) */
    ad_pdq_compat compat; /* default library */
    int more; /* also the trimmed and area PDQs (ariadne/border.h; ingest sets it) */
    int grey; /* keep the reduced luma of the image decoded for PDQ (ad_hasher_grey) */
} ad_hash_opts;

void ad_hash_opts_default(ad_hash_opts *o);

typedef struct ad_file_hash {
    uint64_t size;
    ad_media_type type;
    char mime[64];
    ad_digests digests;
    int has_digests;
    ad_image_info image; /* for images: size as stored, colour model, bit depth */
    int has_pdq;
    ad_pdq_result pdq;
    int has_more;     /* with opts.more, beside has_pdq: */
    ad_pdq_more more; /* the trimmed (when a border was found) and area PDQs */
    /* When an image or other file has no PDQ for a reason that is not a failure of the file
     * (not an image, smaller than 5x5): the reason. */
    ad_code pdq_skip;
    char pdq_skip_msg[160];
} ad_file_hash;

/* Per-thread hashing state (libmagic handle, digests, read buffer, decoders). */
typedef struct ad_hasher ad_hasher;
ad_code ad_hasher_new(ad_hasher **out, const ad_hash_opts *opts, ad_err *err);
void ad_hasher_free(ad_hasher *h);

/* Hashes a file. AD_OK when its digests (and PDQ when it is a decodable image) are in out;
 * an error when the file cannot be read or is an image that fails to decode (out->has_digests
 * still tells whether the digests were computed). Never follows into FIFOs or devices. */
ad_code ad_hasher_file(ad_hasher *h, const char *path, ad_file_hash *out, ad_err *err);
/* The bytes of the image the last ad_hasher_file call decoded (they are read whole for
 * decoding), for callers that want more from them (EXIF, thumbnails); NULL when the last file
 * was not an image. Valid until the next call on h. */
const uint8_t *ad_hasher_data(const ad_hasher *h, size_t *len);
/* With opts.grey: the reduced luma (ariadne/border.h: exact area means, at most AD_BORDER_SIDE
 * pixels on the longest side, 8-bit) of the image the last call decoded for its PDQ, for the
 * local features (ariadne/features.h) without a second decode; NULL when it decoded none.
 * Valid until the next call on h. */
const uint8_t *ad_hasher_grey(const ad_hasher *h, int *width, int *height);
/* Same for bytes already in memory (e.g. an archive member). */
ad_code ad_hasher_buffer(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                         ad_err *err);

/* The two steps of the above, for a caller that decides between them (e.g. skips decoding a
 * file whose digests are known): digests, size and type in one read (an image's bytes are kept
 * for ad_hasher_data; the file limits apply as above), then ad_hasher_pdq decodes an image
 * (out->type) from its bytes into out's PDQ; it does nothing for other types. */
ad_code ad_hasher_file_digests(ad_hasher *h, const char *path, ad_file_hash *out, ad_err *err);
ad_code ad_hasher_buffer_digests(ad_hasher *h, const uint8_t *data, size_t len,
                                 ad_file_hash *out, ad_err *err);
ad_code ad_hasher_pdq(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                      ad_err *err);
/* ad_hasher_pdq, with the decoded rows going to `also` as well (e.g. ad_thumb_sink: a thumbnail
 * from the same decode). A failure of also's begin only leaves it out (never the PDQ); also gets
 * no rows when the image is not decoded (too small for PDQ, not an image). */
ad_code ad_hasher_pdq_also(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                           const ad_image_sink *also, void *also_ctx, ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
