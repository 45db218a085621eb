/* transfer_series.h: series, their owner agencies, contacts and victims across an import
 * (transfer_series_in.c) or an export (transfer_series_out.c), internal to src/exchange: the
 * store's records to Ariadne's own exchange fields (ad_xseries) and back, by the rules of
 * docs/formats.md ("Series, owners and victims"). */
#ifndef AD_EXCHANGE_TRANSFER_SERIES_H
#define AD_EXCHANGE_TRANSFER_SERIES_H

#include "ariadne/transfer.h"

/* ---- import ---- */
typedef struct ad_tseries_in ad_tseries_in;
/* Counts go to stats; opts->note (may be NULL) hears each decision a person should know of (a
 * series kept apart, a victim left as it was). */
ad_code ad_tseries_in_open(ad_tseries_in **out, ad_store *st, ad_import_stats *stats,
                           const ad_import_opts *opts, ad_err *err);
/* The series of one Ariadne series record: found, created, adopted or kept apart; the first
 * time it is met, its owner and victims are recorded (identification is never undone). *id is 0
 * when it cannot be linked (a note says why). */
ad_code ad_tseries_resolve(ad_tseries_in *t, const ad_xseries *x, int64_t *id, ad_err *err);
/* A series named by a format's own field only (VICS Series, ICSE Series name): found, else
 * created (owned by the importer's agency, as any series created without an owner). */
ad_code ad_tseries_by_name(ad_tseries_in *t, const char *name, int64_t *id, ad_err *err);
void ad_tseries_in_close(ad_tseries_in *t);

/* ---- export: public in ariadne/transfer.h (ad_tseries_out_*) ---- */

#endif
