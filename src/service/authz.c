/* authz.c: who may do what, decided once, below HTTP: the table of roles against actions of
 * ../shared/docs/sharing.md (docs/server.md, "Identity, roles, scope") and the scope rule of the
 * actions bound to an agency (its evidence, its pixels, its users, keys, lists and grants, its
 * uploads, its series' identifications). Every ad_svc_* function asks ad_authz_check first. */
#include <stdio.h>
#include <string.h>

#include "ariadne/service.h"

/* Bits by role: A admin, I investigator, N analyst, P platform, U auditor. */
#define A (1u << AD_ROLE_ADMIN)
#define I (1u << AD_ROLE_INVESTIGATOR)
#define N (1u << AD_ROLE_ANALYST)
#define P (1u << AD_ROLE_PLATFORM)
#define U (1u << AD_ROLE_AUDITOR)

static const struct {
    const char *name;
    unsigned roles;
    int agency_bound; /* the object's agency must be the caller's */
    const char *what; /* for messages: "... may not <what>" */
} table[AD_ACT__COUNT] = {
    [AD_ACT_MATCH] = {"match", P, 0, "match hashes against platform lists"},
    [AD_ACT_HASH] = {"hash", A | I | N | P, 0, "hash uploads"},
    [AD_ACT_FEEDBACK] = {"feedback", P, 0, "give feedback on list entries"},
    [AD_ACT_READ_SHARED] = {"read_shared", A | I | N, 0, "read shared knowledge"},
    [AD_ACT_READ_EVIDENCE] = {"read_evidence", A | I | N, 1, "read agency evidence"},
    [AD_ACT_READ_PIXELS] = {"read_pixels", A | I, 1, "see thumbnails"},
    [AD_ACT_UPLOAD] = {"upload", I, 1, "ingest or upload triage results"},
    [AD_ACT_SERIES_WRITE] = {"series_write", I, 0, "create or change series, victims, offenders"},
    [AD_ACT_VOTE] = {"vote", I | N, 0, "vote on categories"},
    [AD_ACT_NOTE] = {"note", I | N, 0, "add notes and clues"},
    [AD_ACT_IDENTIFY] = {"identify", I, 1, "identify victims or offenders"},
    [AD_ACT_TRANSFER] = {"transfer", A | I, 0, "import or export"},
    [AD_ACT_ADMIN] = {"admin", A, 1, "manage users, keys, lists and grants"},
    [AD_ACT_AUDIT] = {"audit", U, 0, "read the audit"},
    /* the owner of one of the two series (the store checks which side is the caller's) */
    [AD_ACT_SERIES_MERGE] = {"series_merge", I, 1, "merge series (their owners only)"},
    /* undoing a link: the series' owner (any investigator when it has none) */
    [AD_ACT_SERIES_UNLINK] = {"series_unlink", I, 1, "unlink a series' media (its owner only)"},
};

const char *ad_action_name(ad_action a)
{
    return (unsigned)a < AD_ACT__COUNT ? table[a].name : "unknown";
}

ad_code ad_action_parse(const char *s, ad_action *out)
{
    for (int a = 0; a < AD_ACT__COUNT; a++)
        if (s && !strcmp(s, table[a].name)) {
            *out = (ad_action)a;
            return AD_OK;
        }
    return AD_ERR_NOT_FOUND;
}

int ad_authz_allowed(ad_role role, ad_action a)
{
    return (unsigned)a < AD_ACT__COUNT && (unsigned)role < AD_ROLE__COUNT &&
           (table[a].roles >> role) & 1u;
}

int ad_authz_agency_bound(ad_action a)
{
    return (unsigned)a < AD_ACT__COUNT && table[a].agency_bound;
}

ad_code ad_authz_check(const ad_identity *id, ad_action a, int64_t agency_id, ad_err *err)
{
    if ((unsigned)a >= AD_ACT__COUNT)
        return ad_err_set(err, AD_ERR_ARG, "unknown action %d", (int)a);
    if (!id)
        return ad_err_set(err, AD_ERR_PERM, "no identity: who is calling?");
    if (id->local)
        return AD_OK; /* the operator of the store holds the file itself */
    if (!ad_authz_allowed(id->role, a))
        return ad_err_set(err, AD_ERR_PERM, "the %s role may not %s", ad_role_name(id->role),
                          table[a].what);
    if (!table[a].agency_bound)
        return AD_OK;
    if (!id->agency_id)
        return ad_err_set(err, AD_ERR_PERM, "you act for no agency, and only an agency may %s",
                          table[a].what);
    if (agency_id < 0)
        return ad_err_set(err, AD_ERR_PERM, "this belongs to no agency: only the store's operator"
                                            " may %s here",
                          table[a].what);
    if (agency_id > 0 && agency_id != id->agency_id)
        return ad_err_set(err, AD_ERR_PERM,
                          "this belongs to another agency: only it may %s here", table[a].what);
    return AD_OK;
}
