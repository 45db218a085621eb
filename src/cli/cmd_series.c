/* cmd_series.c: `ariadne series create|show|list|link|unlink|merge`: series, their owner and
 * contact, their victims and offenders, the media attached to them by any hash, and owners merging
 * two series. The work is the service layer's (ad_svc_series_*), as for the server. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static const char *str(json_t *o, const char *key, const char *none)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : none;
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void created_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)ctx;
    printf("series %lld: %s\n", num(doc, "id"), a->pos[0]);
}

static int series_create(int argc, char **argv)
{
    static const char *const opts[] = {"--owner", "--contact", NULL};
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, "series create",
                              "series create NAME [--owner AGENCY] [--contact TEXT]", argc, argv,
                              opts, 1, 1);
    if (rc >= 0)
        return rc;
    int64_t owner;
    if ((rc = ad_cli_agency(&r.a, r.st, ad_arg(&r.a, "--owner"), &owner)) >= 0)
        return ad_cli_close(r.st, rc);
    return ad_cli_rec_reply(
        &r,
        ad_svc_series_create(&r.c, r.a.pos[0], owner, ad_arg(&r.a, "--contact"), &r.doc, &r.err),
        created_text, NULL);
}

static void print_series(json_t *s)
{
    printf("%lld\t%s\t%s\t%lld media\t%lld/%lld victims unidentified\n", num(s, "id"),
           str(s, "name", ""), str(s, "owner", "-"), num(s, "media"),
           num(s, "victims_unidentified"), num(s, "victims"));
}

static int series_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "series list", "series list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    json_t *doc, *s;
    ad_err err;
    if (ad_svc_series_list(&c, &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(&a, &err));
    size_t i;
    json_array_foreach(json_object_get(doc, "series"), i, s)
    {
        if (a.json)
            ad_cli_json(json_incref(s));
        else
            print_series(s);
    }
    json_decref(doc);
    return ad_cli_close(st, AD_EXIT_OK);
}

static void print_people(json_t *doc, const char *key, const char *kind)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, key), i, p)
        printf("%s %s: %s %s %s\n", kind, str(p, "code", ""), str(p, "status", ""),
               str(p, "identified_at", ""), str(p, "country", ""));
}

static void print_merges(json_t *doc)
{
    json_t *into = json_object_get(doc, "merged_into"), *m;
    size_t i;
    if (json_is_object(into))
        printf("merged into: %s (series %lld)\n", str(into, "name", ""), num(into, "id"));
    json_array_foreach(json_object_get(doc, "merged_from"), i, m)
        printf("merged from: %s (series %lld)\n", str(m, "name", ""), num(m, "id"));
    json_array_foreach(json_object_get(doc, "merges"), i, m)
    {
        if (json_is_true(json_object_get(m, "agreed")))
            continue;
        json_t *fc = json_object_get(m, "from_consent"), *ic = json_object_get(m, "into_consent");
        printf("merge requested: %s into %s (%s: %s; %s: %s)\n",
               str(json_object_get(m, "from"), "name", ""),
               str(json_object_get(m, "into"), "name", ""),
               str(json_object_get(m, "from"), "name", ""),
               json_is_object(fc) ? str(fc, "agency", "consented") : "awaited",
               str(json_object_get(m, "into"), "name", ""),
               json_is_object(ic) ? str(ic, "agency", "consented") : "awaited");
    }
}

static void show_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    printf("series %lld: %s\nowner: %s\ncontact: %s\nstatus: %s\nmedia: %lld\n"
           "victims: %lld (%lld unidentified)\n",
           num(doc, "id"), str(doc, "name", ""), str(doc, "owner", "-"), str(doc, "contact", "-"),
           str(doc, "status", ""), num(doc, "media"), num(doc, "victims"),
           num(doc, "victims_unidentified"));
    print_people(doc, "victim_list", "victim");
    print_people(doc, "offender_list", "offender");
    print_merges(doc);
}

static int series_show(int argc, char **argv)
{
    ad_cli_rec r;
    int rc =
        ad_cli_rec_start(&r, "series show", "series show SERIES [--json]", argc, argv, NULL, 1, 1);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r, ad_svc_series_get(&r.c, r.a.pos[0], &r.doc, &r.err), show_text,
                            NULL);
}

static void merge_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    json_t *f = json_object_get(doc, "from"), *i = json_object_get(doc, "into");
    if (json_is_true(json_object_get(doc, "merged")))
        printf("series %s merged into %s\n", str(f, "name", ""), str(i, "name", ""));
    else
        printf("merging series %s into %s: your consent is recorded; the other owner's is "
               "awaited\n",
               str(f, "name", ""), str(i, "name", ""));
}

/* Owners merging two series: the caller's consent for the sides its agency owns. */
static int series_merge(int argc, char **argv)
{
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, "series merge",
                              "series merge SERIES INTO [--json]\n"
                              "  Merges SERIES into series INTO (docs/federation.md \"Merging two "
                              "series\"): records the\n  consent of the owner of each side owned "
                              "here by your agency (--as; without it, every\n  side this instance "
                              "owns). Done once both owners have consented, on their own\n  "
                              "instances; until then nothing changes. Shared with the peers; no "
                              "unmerge.",
                              argc, argv, NULL, 2, 2);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r, ad_svc_series_merge(&r.c, r.a.pos[0], r.a.pos[1], &r.doc, &r.err),
                            merge_text, NULL);
}

static void unlink_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    printf("series %lld: media %lld unlinked (%s)\n", num(doc, "series"), num(doc, "media"),
           str(doc, "unlink", ""));
}

/* Unlinks one hash's media from the series: an unlink record, audited and shared; nothing is
 * deleted (docs/store.md "Unlinking a series' media"). */
static int series_unlink(int argc, char **argv)
{
    ad_cli_rec r;
    int rc =
        ad_cli_rec_start(&r, "series unlink",
                         "series unlink SERIES HASH [--json]\n"
                         "  Unlinks the media of HASH (SHA-256, MD5, SHA-1, pdq:HEX or a media "
                         "gid) from SERIES:\n  an unlink record, audited and shared with the "
                         "peers; the link stays on record and\n  no longer counts. Only the "
                         "agency owning the series (--as), on the instance that\n  made it. "
                         "`series link` makes the link again.",
                         argc, argv, NULL, 2, 2);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r, ad_svc_series_unlink(&r.c, r.a.pos[0], r.a.pos[1], &r.doc, &r.err),
                            unlink_text, NULL);
}

static void link_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    printf("series %lld: %lld media linked\n", num(doc, "series"), num(doc, "linked"));
}

/* Attaches each hash's media to the series, all or nothing; with --create a hash the store
 * does not hold yet is recorded as a new media first. */
static int series_link(int argc, char **argv)
{
    int create = ad_args_take_flag(&argc, argv, "--create");
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, "series link",
                              "series link SERIES HASH... [--create] (MD5, SHA-1, SHA-256 or, as "
                              "pdq:HEX, PDQ; --create records hashes the store does not hold)",
                              argc, argv, NULL, 2, AD_ARGS_MAX);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r,
                            ad_svc_series_link(&r.c, r.a.pos[0], (const char *const *)r.a.pos + 1,
                                               (size_t)r.a.npos - 1, create, &r.doc, &r.err),
                            link_text, NULL);
}

static const ad_subcmd subs[] = {
    {"create", series_create, "create a series with its owner agency and contact"},
    {"show", series_show, "show a series, its victims and offenders"},
    {"list", series_list, "list series"},
    {"link", series_link, "attach media to a series by hash"},
    {"merge", series_merge, "merge a series into another (its owners consent)"},
    {"unlink", series_unlink, "unlink a media from a series (recorded; nothing deleted)"},
};

int ad_cmd_series(int argc, char **argv)
{
    return ad_cli_dispatch("series", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
