/* svc_internal.h: what the service files share (internal): the start of every action (the
 * caller's identity on the connection, the authorisation check, a refusal recorded), and
 * small JSON helpers. */
#ifndef AD_SVC_INTERNAL_H
#define AD_SVC_INTERNAL_H

#include <jansson.h>

#include "ariadne/service.h"

/* Every action starts here: sets the caller's identity on c->st (audit rows name it), checks
 * ad_authz_check(c->id, a, agency_id); a refusal is recorded as a read (authz.refused) and
 * returned as AD_ERR_PERM. */
ad_code ad_svc_start(const ad_call *c, ad_action a, int64_t agency_id, ad_err *err);
/* ad_authz_check for a further object of the same call, recorded as ad_svc_start does. */
ad_code ad_svc_check(const ad_call *c, ad_action a, int64_t agency_id, ad_err *err);
/* Whether the caller sees agency_id's evidence in full (its own, or a local operator). */
int ad_svc_own(const ad_call *c, int64_t agency_id);

/* Ends an action: *out = doc when rc is AD_OK, else doc is released. Returns rc. */
ad_code ad_svc_done(ad_code rc, json_t *doc, json_t **out);

/* Finds a series by id, name or gid; AD_ERR_NOT_FOUND naming field. */
ad_code ad_svc_find_series(const ad_call *c, const char *key, const char *field, int64_t *id,
                           ad_err *err);
/* Finds a media by hash text (MD5, SHA-1, SHA-256 hex, pdq:HEX, or a media gid); field names
 * the input for errors. */
ad_code ad_svc_find_media(const ad_call *c, const char *hash, const char *field, int64_t *id,
                          ad_err *err);
/* Finds a list by name, id or gid. */
ad_code ad_svc_find_list(const ad_call *c, const char *key, const char *field, int64_t *id,
                         ad_err *err);
/* Finds an agency by id or name. */
ad_code ad_svc_find_agency(const ad_call *c, const char *key, const char *field, int64_t *id,
                           ad_err *err);

/* A list entry's id as platforms see it: "LIST:MEDIA" (local ids; global ids once instances
 * have them), and back (AD_ERR_ARG, field "entry", for anything else). */
void ad_svc_entry_id(int64_t list_id, int64_t media_id, char *out, size_t cap);
ad_code ad_svc_entry_parse(const char *text, int64_t *list_id, int64_t *media_id, ad_err *err);
/* ad_svc_match's work once authorised (the hash route matches an upload's hashes with it). */
ad_code ad_svc_match_hashes(const ad_call *c, const ad_match_hash *v, size_t n, json_t **out,
                            ad_err *err);
/* A series as the documents give it (series-show's; media-show's without the media count). */
json_t *ad_svc_series_json(ad_store *st, const ad_series *s, int with_media);
/* The gid of a record (store.h "global ids") as a JSON string, null when it has none. */
json_t *ad_svc_gid(ad_store *st, const char *kind, int64_t id);
/* Adds "merges" and "merged_into" to a series document (svc_series_merge.c); the series agreed
 * merged into it directly into aliases (up to cap; *n of them). */
/* The surviving series {id, name, gid} series id is an alias of (*alias NULL when none). */
ad_code ad_svc_series_alias(const ad_call *c, int64_t id, json_t **alias, ad_err *err);
ad_code ad_svc_series_merge_info(const ad_call *c, int64_t id, json_t *doc, int64_t *aliases,
                                 size_t cap, size_t *n, ad_err *err);
/* The agency holding a case; AD_ERR_NOT_FOUND naming field. */
ad_code ad_svc_case_agency(const ad_call *c, int64_t case_id, const char *field,
                           int64_t *agency_id, ad_err *err);
/* The start of a read of a case's evidence (svc_case_summary.c): the caller may read
 * evidence, and that of the case's agency (*agency; 404 naming "id" for no such case). */
ad_code ad_svc_case_read(const ad_call *c, int64_t case_id, int64_t *agency, ad_err *err);
/* A positive decimal id (1..2^63-1, digits only), else 0. */
int64_t ad_svc_parse_id(const char *s);

#endif
