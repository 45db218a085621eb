/* transfer.h: importing exchange files (VICS JSON, ICSE CSV, hash lists) into the store and
 * exporting the store's records to them. An import is one transaction: it lands whole or not
 * at all, unless bad records are to be skipped, in which case they are reported and the rest
 * lands. */
#ifndef ARIADNE_TRANSFER_H
#define ARIADNE_TRANSFER_H

#include <stdio.h>

#include "ariadne/exchange.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_import_opts {
    ad_xformat format;       /* 0: guessed from the first bytes */
    const char *list;        /* named list the records join (hash lists and ICSE: required by
                                the command, which defaults it to the file's name) */
    const char *list_source; /* provenance text of the list (file, producer, version) */
    const char *source_name; /* file name for messages and votes ("import:NAME") */
    int skip_bad;            /* report bad records through bad() and go on */
    int pdq64;               /* hash lists: a bare 64-hex line is PDQ, not SHA-256 */
    ad_code (*bad)(void *ctx, const ad_xbad *b, ad_err *err);
    void *bad_ctx;
    /* optional: a decision about the file's series a person should know of (a series kept
       apart from a local one of the same name, a victim left alone); message names it */
    ad_code (*note)(void *ctx, const char *message, ad_err *err);
    void *note_ctx;
} ad_import_opts;

typedef struct ad_import_stats {
    uint64_t records, bad;
    uint64_t created, merged; /* media new to the store / merged into one it had */
    uint64_t votes, series_links, cases;
    /* what the records' series brought (Ariadne's own fields; docs/formats.md) */
    uint64_t agencies_created;   /* owners and identifying agencies the store did not know */
    uint64_t series_created;     /* new series */
    uint64_t series_filled;      /* local series given the owner or contact they lacked */
    uint64_t series_apart;       /* kept apart, as "NAME (OWNER)", from a local series of the
                                    same name and another owner */
    uint64_t series_unlinked;    /* series that could not be placed (see the notes) */
    uint64_t victims_added;      /* victims new to the store */
    uint64_t victims_identified; /* victims the store now knows to be identified */
    uint64_t victims_left;       /* victims left as they are (in another local series) */
    ad_xinfo info;
} ad_import_stats;

ad_code ad_import(ad_store *st, FILE *in, const ad_import_opts *opts, ad_import_stats *stats,
                  ad_err *err);

/* What an export writes is what the caller chose (docs/formats.md, "Export selection"): the
 * media of a list, of a series, or categorised in a scheme (each narrowing the others), or, only
 * when asked, everything. Nothing chosen is AD_ERR_ARG: an export never defaults to the whole
 * store (it holds seized files nobody has reviewed). */
typedef struct ad_export_opts {
    ad_xformat format;
    const char *list;     /* the media of this list */
    const char *series;   /* the media of this series */
    ad_cat_scheme scheme; /* the media with a category in this scheme (a vote, or with trusted
                             only a trusted category, in it or mapped into it); hash lists with
                             with_category write it as their codes. AD_CAT_NONE: no such filter */
    const int *codes;     /* with scheme: only these codes of it (n_codes > 0) */
    size_t n_codes;
    int trusted; /* with scheme: only trusted categories (AD_TRUST_VOTES agreeing votes) */
    int all;     /* everything in the store: a backup between one's own instances; refuses to
                    combine with list, series or scheme */
    /* VICS */
    ad_vics_version version; /* default 2.0 */
    ad_vics_profile profile; /* default Default (2.0) */
    /* hash lists */
    ad_xhash_kind hash; /* default SHA-256 ... */
    int hash_set;       /* ... unless set */
    int with_category;  /* write "hash,code" in `scheme` */
} ad_export_opts;

typedef struct ad_export_stats {
    uint64_t seen;         /* media walked (of the list or series, or all) */
    uint64_t not_selected; /* of those, left out by the scheme, code or series filter */
    uint64_t written;
    uint64_t skipped;          /* selected but refused by the writer (e.g. no hash of the list's
                                  kind, a string that is not UTF-8): never written, always counted */
    uint64_t category_dropped; /* written without the category the media has, which has no
                                  mapping into the file's scheme */
    char skip_reason[256];     /* why the first skipped record was refused ("" if none) */
} ad_export_stats;

ad_code ad_export(ad_store *st, FILE *out, const ad_export_opts *opts, ad_export_stats *stats,
                  ad_err *err);

/* The series of a media as Ariadne's own exchange fields, for any writer of exchange records
 * (ad_export; the case report's case.vics.json). Open once per file written. */
typedef struct ad_tseries_out ad_tseries_out;
ad_code ad_tseries_out_open(ad_tseries_out **out, ad_store *st, ad_err *err);
/* Every series of media m into x->xseries (with owner, contact and victims; x->series is the
 * first one's name) and x->victim_identified by the classification's rule: true when each of
 * its series has its victims identified, false when one has an unidentified victim or none on
 * record, the media's flag when it is in no series. *in_series: whether series_id is one of
 * them. What x points to stays valid until the next call. */
ad_code ad_tseries_of_media(ad_tseries_out *t, const ad_media *m, int64_t series_id, ad_xmedia *x,
                            int *in_series, ad_err *err);
void ad_tseries_out_close(ad_tseries_out *t);

/* (scheme, code) of the store's votes <-> the exchange's categories. 0 when there is no
 * equivalent (e.g. UK "not indecent", custom codes). */
int ad_category_to_store(ad_category c, char scheme[16], char code[8]);
int ad_category_from_store(const char *scheme, const char *code, ad_category *out);

#ifdef __cplusplus
}
#endif
#endif
