/* transfer_series.h: series, their owner agencies, contacts and victims across an import or an
 * export (internal to src/exchange): the store's records to Ariadne's own exchange fields
 * (ad_xseries) and back, by the rules of docs/formats.md ("Series, owners and victims"). */
#ifndef AD_EXCHANGE_TRANSFER_SERIES_H
#define AD_EXCHANGE_TRANSFER_SERIES_H

#include "ariadne/transfer.h"

typedef struct ad_tseries ad_tseries;

/* Import: resolves what records say about their series into store records. notes (may be NULL)
 * hears each decision a person should know of (a series kept apart, a victim left alone). */
ad_code ad_tseries_import_open(ad_tseries **out, ad_store *st, ad_import_stats *stats,
                               const ad_import_opts *opts, ad_err *err);
/* The series of one Ariadne series record: found, created, adopted or kept apart; the first
 * time it is met, its owner and victims are recorded (identification is never undone). *id is 0
 * when it cannot be linked (a note says why). */
ad_code ad_tseries_resolve(ad_tseries *t, const ad_xseries *x, int64_t *id, ad_err *err);
/* A series named by a format's own field only (VICS Series, ICSE Series name): found, else
 * created with the importer's agency as owner. */
ad_code ad_tseries_by_name(ad_tseries *t, const char *name, int64_t *id, ad_err *err);

/* Export: every series of media m into x->xseries (with owner, contact and victims; x->series
 * is the first one's name) and x->victim_identified by the classification rule (true when each
 * series has its victims identified, false when one has an unidentified victim or none on
 * record, the media's flag when it is in no series). *in_series: whether series_id is one. The
 * memory stays valid until the next call. */
ad_code ad_tseries_export_open(ad_tseries **out, ad_store *st, ad_err *err);
ad_code ad_tseries_of_media(ad_tseries *t, const ad_media *m, int64_t series_id, ad_xmedia *x,
                            int *in_series, ad_err *err);

void ad_tseries_close(ad_tseries *t);

#endif
