/* exchange.h: the exchange formats (Project VIC VICS JSON 1.x/2.0, the ICSE-style semicolon CSV,
 * plain hash lists) as plain C records, streaming readers that hand records to callbacks, and
 * strict writers. Independent of the store: the importer/exporter connects the two.
 * The formats, their tolerance rules and the decisions taken are described in docs/formats.md. */
#ifndef ARIADNE_EXCHANGE_H
#define ARIADNE_EXCHANGE_H

#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- categories: (scheme, code) pairs, never compared across schemes ---------------------- */

typedef enum ad_cat_scheme {
    AD_CAT_NONE = 0, /* no category (absent, null, uncategorised) */
    AD_CAT_VIC_US,   /* Project VIC US: 0 non-pertinent, 1 CAM, 2 exploitive/age difficult,
                        3 CGI/animation, 4 comparison */
    AD_CAT_DHS,      /* older DHS six classes: 0 uncategorized, 1 CE illegal, 2 CE non-illegal/age
                        difficult, 3 CGI/animation, 4 exemplar/comparison, 5 non-pertinent */
    AD_CAT_UK,       /* UK (CAID/Sentencing Council): 1 A, 2 B, 3 C; 0 uncategorised, 4 not
                        indecent (our numbering: CAID's codes are not public) */
    AD_CAT_BASELINE, /* Interpol-style baseline: 1 baseline, 0 not baseline */
    AD_CAT_CUSTOM,   /* codes of a VICS CUSTOM profile: opaque integers, never mapped */
    AD_CAT__COUNT
} ad_cat_scheme;

typedef struct ad_category {
    ad_cat_scheme scheme; /* AD_CAT_NONE: no category, code is ignored */
    int code;
} ad_category;

/* Stable names: "none", "vics-us", "dhs", "uk", "baseline", "custom" (the store's names too).
 * Parsing is case-insensitive and also accepts the alias "vic-us" for "vics-us". */
const char *ad_cat_scheme_name(ad_cat_scheme s);
ad_code ad_cat_scheme_parse(const char *name, ad_cat_scheme *out, ad_err *err);
/* Whether code is a code of scheme s (any integer for CUSTOM). */
int ad_category_is_valid(ad_category c);
/* A short label of the code ("CAM", "A", "Baseline", ...); "?" when invalid. */
const char *ad_category_label(ad_category c);
/* Short code text as written in hash lists: "1" (numeric schemes) or "A"/"B"/"C" (UK). */
const char *ad_category_code_text(ad_category c, char buf[16]);
/* Parses "scheme:code" (e.g. "uk:A", "vics-us:1") or a bare code read in scheme `bare`
 * (letters A/B/C are always UK). */
ad_code ad_category_parse(const char *s, ad_cat_scheme bare, ad_category *out, ad_err *err);
/* 1 when same scheme and code (both NONE counts as equal); 0 otherwise, also across schemes. */
int ad_category_equal(ad_category a, ad_category b);
/* Maps c into scheme `to` through the explicit tables in category.c. The same scheme maps to
 * itself; AD_ERR_NOT_FOUND when no mapping is defined (e.g. VIC US CAM to a UK grade). */
ad_code ad_category_map(ad_category c, ad_cat_scheme to, ad_category *out, ad_err *err);

/* ---- records ------------------------------------------------------------------------------ */

/* Tri-state flags: unknown (absent or null), false, true. */
enum { AD_XUNKNOWN = -1, AD_XFALSE = 0, AD_XTRUE = 1 };

/* Presence bits of ad_xmedia.has. */
enum { AD_XHAS_MD5 = 1, AD_XHAS_SHA1 = 2, AD_XHAS_SHA256 = 4, AD_XHAS_PDQ = 8 };

typedef enum ad_xhash_kind {
    AD_XHASH_MD5,
    AD_XHASH_SHA1,
    AD_XHASH_SHA256,
    AD_XHASH_PDQ
} ad_xhash_kind;

/* Readers hand records out with borrowed strings: valid only during the callback. Writers read
 * the same structs; NULL strings and AD_XUNKNOWN flags and negative numbers are left out. */

typedef struct ad_xfile { /* one on-disk instance of a media (VICS MediaFiles[]) */
    const char *file_name, *file_path, *source_id;
    const char *created, *written, *accessed; /* ISO-8601 text as found */
    const char *parent_md5, *parent_file_name, *parent_file_path;
    int8_t deleted, unallocated;                         /* tri-state */
    int64_t physical_location, parent_physical_location; /* -1: unknown */
} ad_xfile;

typedef struct ad_xmeta { /* one Exif / MediaMetadata property */
    const char *name, *value;
} ad_xmeta;

/* Ariadne's own series fields (VICS "@Ariadne.Series", ICSE column "Ariadne series"; other
 * tools ignore them): what the exchange formats have no place for. docs/formats.md. */
typedef struct ad_xagency {
    const char *name;    /* NULL: none */
    const char *country; /* ISO 3166 alpha-2 or NULL */
    const char *kind;    /* police | hotline | platform | hub, or NULL */
} ad_xagency;

typedef struct ad_xvictim { /* a victim of a series, by pseudonymous code */
    const char *code;
    int8_t identified;        /* tri-state */
    ad_xagency identified_by; /* when identified */
    const char *country;      /* where identified, or NULL */
} ad_xvictim;

typedef struct ad_xseries {
    const char *name;
    ad_xagency owner;          /* the agency that owns the series */
    const char *contact;       /* whom to contact about it */
    const char *status;        /* active | closed, or NULL */
    const ad_xvictim *victims; /* every victim on record */
    size_t n_victims;
} ad_xseries;

typedef struct ad_xmedia {
    uint64_t record;  /* readers: 1-based record number in the file */
    uint64_t line;    /* readers: line where the record starts */
    int64_t media_id; /* VICS MediaID; -1 none (writers then number records 1, 2, ...) */
    unsigned has;     /* AD_XHAS_* */
    uint8_t md5[16], sha1[20], sha256[32];
    ad_h256 pdq;
    const char *photodna; /* opaque text (base64 in VICS), never decoded */
    int64_t size;         /* MediaSize in bytes; -1 unknown */
    ad_category category;
    int8_t victim_identified, offender_identified, is_distributed, is_precategorized, is_suspected,
        self_generated, file_available; /* tri-state */
    const char *precategorization_source, *series, *tags, *comments, *name, *relative_path,
        *mime_type, *date_updated;
    const char *image_id;   /* ICSE "Image ID" */
    const char *media_type; /* ICSE "Media Type" */
    int64_t submissions;    /* ICSE "Number of submissions"; -1 unknown */
    const char *case_id;    /* VICS case form: CaseID of the enclosing case, when known */
    const ad_xfile *files;
    size_t n_files;
    const ad_xmeta *meta;
    size_t n_meta;
    const ad_xseries *xseries; /* Ariadne's own: every series of the media, with owner, contact
                                  and victims (series, above, is the first one's name) */
    size_t n_xseries;
} ad_xmedia;

typedef struct ad_xcase { /* VICS case-level fields */
    const char *case_id, *case_number, *contact_name, *contact_title, *contact_organization,
        *contact_phone, *contact_email, *source_app_name, *source_app_version;
    int64_t total_media_files, total_precategorized; /* as declared; -1 absent (not trusted) */
    uint64_t media_count; /* readers, end_case: Media entries actually read */
} ad_xcase;

/* A record with every field empty (flags unknown, numbers -1). */
void ad_xmedia_init(ad_xmedia *m);
void ad_xfile_init(ad_xfile *f);
void ad_xcase_init(ad_xcase *c);

/* ---- VICS --------------------------------------------------------------------------------- */

typedef enum ad_vics_version {
    AD_VICS_VUNKNOWN = 0,
    AD_VICS_V1_1,
    AD_VICS_V1_2,
    AD_VICS_V1_3,
    AD_VICS_V2_0
} ad_vics_version;
typedef enum ad_vics_profile {
    AD_VICS_PNONE = 0, /* 1.x has no profile */
    AD_VICS_DEFAULT,
    AD_VICS_US,
    AD_VICS_UK,
    AD_VICS_CUSTOM /* CUSTOM, VIC_Canada or any other name */
} ad_vics_profile;
typedef enum ad_vics_form { AD_VICS_FUNKNOWN = 0, AD_VICS_CASES, AD_VICS_MEDIA } ad_vics_form;

/* The category scheme a VICS file's Category integers are read in (docs/formats.md):
 * 1.x DHS; 2.0 US and Default VIC US; UK uk; CUSTOM custom. */
ad_cat_scheme ad_vics_profile_scheme(ad_vics_version v, ad_vics_profile p);

/* ---- reading ------------------------------------------------------------------------------ */

typedef enum ad_xformat { AD_XFMT_VICS = 1, AD_XFMT_ICSE_CSV, AD_XFMT_HASHLIST } ad_xformat;

typedef struct ad_xinfo { /* what a reader found out about the file, before the first record */
    ad_xformat format;
    ad_vics_version version;
    ad_vics_profile profile;
    ad_vics_form form;
    const char *context;    /* VICS odata.metadata / @odata.context text, or NULL */
    ad_cat_scheme scheme;   /* the scheme categories are read in */
    int64_t declared_count; /* odata.count / @odata.count; -1 absent (not trusted) */
} ad_xinfo;

typedef struct ad_xbad { /* a bad record, reported in skip_bad mode */
    uint64_t record, line;
    const char *field; /* the field at fault, e.g. "MD5", "column 3 (PhotoDNA)", "(json)" */
    ad_code code;
    const char *message; /* full message with file, line, record and field */
} ad_xbad;

typedef struct ad_xstats {
    uint64_t records; /* good records handed to media() */
    uint64_t bad;     /* bad records skipped */
    uint64_t cases;
    uint64_t lines;
} ad_xstats;

/* How records are delivered. Every callback is optional; a callback returning non-AD_OK stops
 * the read with that code (its ad_err passed through). */
typedef struct ad_exchange_sink {
    ad_code (*begin)(void *ctx, const ad_xinfo *info, ad_err *err);
    ad_code (*begin_case)(void *ctx, const ad_xcase *c, ad_err *err); /* fields seen before Media */
    ad_code (*media)(void *ctx, const ad_xmedia *m, ad_err *err);
    ad_code (*end_case)(void *ctx, const ad_xcase *c, ad_err *err); /* all fields, media_count */
    ad_code (*bad)(void *ctx, const ad_xbad *b, ad_err *err);       /* skip_bad mode only */
    int skip_bad;            /* 0: the first bad record stops the read with its error */
    const char *source_name; /* file name for messages; NULL: "input" */
    ad_cat_scheme scheme;    /* 0: from the file (VICS profile); hash lists: bare codes' scheme
                                (default VIC US); ICSE: unused */
    ad_xhash_kind hash64;    /* hash lists: a bare 64-hex line is SHA256 (default, 0 also means
                                SHA256) or PDQ; a "pdq:" / "sha256:" prefix always wins */
    size_t max_record_bytes; /* one VICS record / one CSV line at most; 0: 16 MiB */
    ad_xstats *stats;        /* optional counts, filled as the read goes */
} ad_exchange_sink;

/* Format names as the --format option spells them: "vics", "icse-csv", "hashlist". */
const char *ad_xformat_name(ad_xformat f);
ad_code ad_xformat_parse(const char *name, ad_xformat *out, ad_err *err);
/* Reads f with the reader of `format` (one of the three below). */
ad_code ad_exchange_read(FILE *f, ad_xformat format, const ad_exchange_sink *sink, void *ctx,
                         ad_err *err);
/* Guesses the format from the first bytes of a file (BOM and blanks skipped): '{' is VICS; a
 * '#' comment, a first line starting with a hash or a line of md5sum/sha1sum/sha256sum output
 * is a hash list; a first line holding ';' and naming MD5, SHA1 or PhotoDNA is ICSE CSV;
 * anything else a hash list. 0 when there is nothing but blanks. For an importer without an
 * explicit --format. */
ad_xformat ad_exchange_sniff(const void *head, size_t n);

/* Streams a VICS JSON file (1.x or 2.0, case or hash-set form, BOM tolerated) with flat memory. */
ad_code ad_vics_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err);
/* Streams an ICSE-style semicolon CSV (header required; columns matched by name). */
ad_code ad_icse_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err);
/* Streams a plain hash list: one hash per line, optionally "hash,category"; also the output of
 * md5sum, sha1sum and sha256sum ("HASH  NAME", "HASH *NAME", '\'-escaped and --tag lines),
 * whose file names are ignored. */
ad_code ad_hashlist_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err);

/* ---- writing ------------------------------------------------------------------------------ */
/* Writers write to a FILE the caller opened and closes (after *_close). Every check runs before
 * anything is written: a refused record (AD_ERR_ARG) writes nothing and the file stays valid, so
 * an exporter may report it and go on. Output is deterministic: lower-case hex, fixed order. */

typedef struct ad_vics_writer ad_vics_writer;
/* Writes the envelope. 1.x takes profile AD_VICS_PNONE; 2.0 any other profile. */
ad_code ad_vics_writer_open(ad_vics_writer **out, FILE *f, ad_vics_version v, ad_vics_profile p,
                            ad_vics_form form, ad_err *err);
/* Case form only: opens a case; its Media follow; TotalMediaFiles is written at end_case. */
ad_code ad_vics_writer_begin_case(ad_vics_writer *w, const ad_xcase *c, ad_err *err);
ad_code ad_vics_writer_end_case(ad_vics_writer *w, ad_err *err);
/* Categories of another scheme are mapped into the profile's scheme, or refused (AD_ERR_ARG). */
ad_code ad_vics_writer_add_media(ad_vics_writer *w, const ad_xmedia *m, ad_err *err);
/* Closes open case/arrays, flushes, checks for write errors, frees w (also on error). */
ad_code ad_vics_writer_close(ad_vics_writer *w, ad_err *err);

typedef struct ad_icse_writer ad_icse_writer;
ad_code ad_icse_writer_open(ad_icse_writer **out, FILE *f, ad_err *err);
ad_code ad_icse_writer_add_media(ad_icse_writer *w, const ad_xmedia *m, ad_err *err);
ad_code ad_icse_writer_close(ad_icse_writer *w, ad_err *err);

enum {
    AD_HASHLIST_CATEGORY = 1, /* write "hash,code" when the record has a category */
    AD_HASHLIST_BARE_PDQ = 2  /* write PDQ without its "pdq:" prefix (for other tools) */
};
typedef struct ad_hashlist_writer ad_hashlist_writer;
/* One line per record carrying a hash of `kind`; records without one are refused (AD_ERR_ARG).
 * With AD_HASHLIST_CATEGORY, categories are written in `scheme` (mapped when needed). */
ad_code ad_hashlist_writer_open(ad_hashlist_writer **out, FILE *f, ad_xhash_kind kind,
                                unsigned flags, ad_cat_scheme scheme, ad_err *err);
ad_code ad_hashlist_writer_add_media(ad_hashlist_writer *w, const ad_xmedia *m, ad_err *err);
ad_code ad_hashlist_writer_close(ad_hashlist_writer *w, ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
