/* vpdq.h: vPDQ, Meta's video hash: the PDQ hash of sampled frames, compatible with the reference
 * (facebook/ThreatExchange vpdq/cpp, its text format) and with python-threatexchange/HMA.
 *
 * Hashing: frames are decoded in order (ariadne/video.h); frame n (0-based) is hashed iff
 * n % frame_mod == 0 with frame_mod = (int)(seconds_per_hash * frame_rate), or 1 if that is 0.
 * Each hashed frame is converted to RGB24 at the stream's size (or NxN) and PDQ-hashed.
 *
 * Matching: frames below a quality are dropped; a query frame matches if some compared frame is
 * within the distance; query% and compared% are the shares of matched frames on each side. */
#ifndef ARIADNE_VPDQ_H
#define ARIADNE_VPDQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/border.h"
#include "ariadne/error.h"
#include "ariadne/h256.h"
#include "ariadne/pdq.h"
#include "ariadne/video.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_vpdq_frame {
    int64_t frame_number; /* 0-based decode order */
    int quality;          /* PDQ quality 0..100 */
    ad_h256 hash;
    double timestamp; /* seconds: frame_number / frame_rate, in float as the reference */
} ad_vpdq_frame;

/* A hashed video, or a frame list read from text (then only frames/n are set). */
typedef struct ad_vpdq_video {
    ad_vpdq_frame *frames;
    size_t n, cap;
    ad_h256 *dihedral; /* NULL, or n * AD_PDQ_NVARIANTS hashes: frame i variant k at i*8+k */
    int width, height; /* stream size */
    int hash_width, hash_height; /* size the frames were hashed at */
    double frame_rate;
    double duration;     /* seconds, from the container (0 if unknown) */
    int64_t frame_count; /* frames decoded */
    int frame_mod;       /* every frame_mod-th frame was hashed */
    int64_t damaged;     /* damaged packets skipped */
    int partial;         /* 1: hashing stopped early on an error; frames holds what came before */
    int fast_path;       /* 1: unwanted non-reference frames were skipped (same result) */
    char codec[32];
    /* With ad_vpdq_opts.trim, when a border (letterbox, pillarbox) was found over the first
     * hashed frames: the content inside it (stream pixels, one crop for the whole video), and
     * per frame the PDQ of that content, 8 dihedral forms (frame i's at i*8) and its quality. */
    int has_trim;
    ad_rect content;
    ad_h256 *trim;
    int *trim_quality;
    /* With ad_vpdq_opts.dense_per_hash > 1: the frames hashed between the vPDQ frames, for
     * matching only (a copy played faster or slower puts the known video's sampled moments
     * between this one's): ndense frames, each with its 8 dihedral forms (i*8). Not part of
     * the vPDQ hash: never stored or exchanged. */
    ad_vpdq_frame *dense;
    ad_h256 *dense_forms;
    size_t ndense, capdense;
} ad_vpdq_video;

typedef struct ad_vpdq_opts {
    double seconds_per_hash; /* default 1.0; 0 = every frame */
    int resize;              /* 0 = stream size (default); N = NxN, aspect not kept (ref. -s N) */
    int want_dihedral;       /* also keep the 8 dihedral variants of every frame hash */
    int trim;                /* also the trimmed PDQs of a video with a border (has_trim) */
    int dense_per_hash;      /* > 1: also hash about this many frames per vPDQ frame (dense) */
    ad_video_limits limits;  /* time, pixels, streams, decoder threads */
    /* Optional: sees each hashed frame's RGB24 pixels (width x height, stride bytes a row) from
     * the same decode, before its PDQ (ingest keeps a thumbnail of one frame); duration is the
     * container's (0 unknown). Called with rgb NULL when decoding starts over (ad_video_next's
     * restart): the frames seen so far are void. */
    void (*on_frame)(void *ctx, int64_t index, double timestamp, double duration,
                     const uint8_t *rgb, size_t stride, int width, int height);
    void *on_frame_ctx;
} ad_vpdq_opts;

void ad_vpdq_opts_default(ad_vpdq_opts *o);

/* Hash a video. On failure *out is empty, except that with out->partial = 1 it holds the frames
 * hashed before the error (e.g. a truncated file: AD_ERR_TRUNCATED / AD_ERR_CORRUPT).
 * Free with ad_vpdq_video_free in every case. opts may be NULL (defaults). */
ad_code ad_vpdq_hash_file(const char *path, const ad_vpdq_opts *opts, ad_vpdq_video *out,
                          ad_err *err);
ad_code ad_vpdq_hash_memory(const void *data, size_t len, const ad_vpdq_opts *opts,
                            ad_vpdq_video *out, ad_err *err);
ad_code ad_vpdq_hash_io(const ad_video_io *io, const ad_vpdq_opts *opts, ad_vpdq_video *out,
                        ad_err *err);
/* Hash frames from an already opened decoder (the three above wrap this). */
ad_code ad_vpdq_hash_video(ad_video *v, const ad_vpdq_opts *opts, ad_vpdq_video *out, ad_err *err);

void ad_vpdq_video_free(ad_vpdq_video *v);
/* Appends a frame (and, if dihedral is not NULL, its 8 variants). */
ad_code ad_vpdq_video_push(ad_vpdq_video *v, const ad_vpdq_frame *f, const ad_h256 *dihedral,
                           ad_err *err);

/* The reference's text format, one line per frame: "frameNumber,quality,pdqHex,timestamp"
 * (timestamp with 3 decimals). Parsing skips blank lines and lines starting with '#'; extra
 * fields after the fourth are an error. */
ad_code ad_vpdq_parse(const char *text, size_t len, ad_vpdq_video *out, ad_err *err);
ad_code ad_vpdq_read_file(const char *path, ad_vpdq_video *out, ad_err *err);
/* Formats one line without the newline into buf (at least AD_VPDQ_LINE_MAX bytes). */
#define AD_VPDQ_LINE_MAX 128
void ad_vpdq_format_line(const ad_vpdq_frame *f, char *buf);
ad_code ad_vpdq_write(FILE *out, const ad_vpdq_video *v, ad_err *err);

/* ---- matching ---- */

typedef enum ad_vpdq_rule {
    AD_VPDQ_RULE_PYTX = 0, /* python-threatexchange/HMA: distance <= D, identical hashes deduped */
    AD_VPDQ_RULE_CPP,      /* reference C++ match-hashes-brute: distance < D, no dedupe */
} ad_vpdq_rule;

typedef struct ad_vpdq_match_opts {
    int distance;        /* 31 */
    int quality;         /* 50: frames below are ignored */
    double query_pct;    /* 80: a match needs at least this share of the query's frames */
    double compared_pct; /* 0: ... and this share of the compared video's frames */
    ad_vpdq_rule rule;
    int dihedral; /* try the 8 dihedral variants of the query (needs query->dihedral) and
                     keep the best; catches flipped and rotated copies */
} ad_vpdq_match_opts;

void ad_vpdq_match_opts_default(ad_vpdq_match_opts *o);

/* Consecutive matched frames of one video (frames below the quality are skipped over). */
typedef struct ad_vpdq_range {
    int64_t first_frame, last_frame;
    double start, end; /* timestamps of the first and last matched frame */
    size_t frames;     /* matched frames in the range */
} ad_vpdq_range;

typedef struct ad_vpdq_match_result {
    double query_pct, compared_pct;
    int match;                            /* both thresholds reached */
    size_t query_frames, compared_frames; /* counted frames (quality filter, dedupe) */
    size_t query_matched, compared_matched;
    int variant; /* enum ad_pdq_variant of the query that gave this result */
    ad_vpdq_range *query_ranges, *compared_ranges;
    size_t n_query_ranges, n_compared_ranges;
} ad_vpdq_match_result;

/* Frames of v of quality >= quality within distance (<=) of one PDQ hash, such as an image's:
 * writes the first max frame indices (positions in v->frames) into idx, returns how many match
 * in all. How a single frame of a known video is found from an image until the index does it. */
size_t ad_vpdq_frames_near(const ad_vpdq_video *v, const ad_h256 *hash, int distance, int quality,
                           size_t *idx, size_t max);

/* Brute-force pairwise match of two frame lists. */
ad_code ad_vpdq_match(const ad_vpdq_video *query, const ad_vpdq_video *compared,
                      const ad_vpdq_match_opts *opts, ad_vpdq_match_result *out, ad_err *err);
void ad_vpdq_match_result_free(ad_vpdq_match_result *r);

#ifdef __cplusplus
}
#endif
#endif
