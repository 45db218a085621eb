/* cmd_media.c: `ariadne media show HASH`: everything known about one media, found by any hash:
 * the document of the service layer (ad_svc_media_view, as the server's GET /v1/media/{hash};
 * docs/schemas/media-show.schema.json), printed (--json) or shown as labelled sections
 * (media_text.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ariadne/lookup.h"
#include "cli.h"
#include "media_text.h"

/* ---- the command ---- */

/* Digits only, at most `max`; -1 otherwise. */
static int small_number(const char *s, int max)
{
    size_t n = strspn(s, "0123456789");
    if (!n || s[n] || n > 9)
        return -1;
    int v = atoi(s);
    return v <= max ? v : -1;
}

static const char usage[] =
    "media show HASH [--radius R] [--min-quality Q] [--json]\n"
    "\n"
    "HASH: MD5 (32 hex), SHA-1 (40), SHA-256 (64; a 64-hex value that is no media's SHA-256 is\n"
    "taken as a PDQ), md5:HEX, sha1:HEX, sha256:HEX, pdq:HEX, pdq:H1,...,H8 (the 8 dihedral\n"
    "forms of a file, as 'ariadne hash --dihedral' prints them) or id:N (a media id).\n"
    "The class is decided as triage decides it: the media's own class when it is in a series,\n"
    "ignorable or identified; else its nearest PDQ neighbour in a series; see docs/store.md.\n"
    "  --radius R        PDQ neighbours within Hamming distance R, 0..64 (default 31)\n"
    "  --min-quality Q   a PDQ of lower quality is not searched, 0..100 (default 50)\n"
    "Exit status: 0 something is known, 1 nothing is (or an error), 2 usage error.";

static void media_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)a, (void)ctx;
    ad_cli_media_text(doc);
}

static int media_show(int argc, char **argv)
{
    static const char *const opts[] = {"--radius", "--min-quality", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_args_parse(&a, "media show", usage, argc, argv, opts, 1, 1);
    if (rc >= 0)
        return rc;
    ad_lookup_opts lo;
    ad_lookup_opts_default(&lo);
    const char *r = ad_arg(&a, "--radius"), *mq = ad_arg(&a, "--min-quality");
    if (r && (lo.radius = small_number(r, AD_INDEX_RADIUS_MAX)) < 0)
        return ad_args_usage_error(&a, "--radius takes a number from 0 to %d", AD_INDEX_RADIUS_MAX);
    if (mq && (lo.min_quality = small_number(mq, 100)) < 0)
        return ad_args_usage_error(&a, "--min-quality takes a number from 0 to 100");
    ad_lookup_query q;
    ad_err err;
    if (ad_lookup_query_parse(&q, a.pos[0], &err) != AD_OK)
        return ad_args_usage_error(&a, "%s", err.msg);
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    ad_svc_lookup_opts so = {lo.radius, lo.min_quality};
    json_t *doc = NULL;
    ad_code vr = ad_svc_media_view(&c, a.pos[0], &so, &doc, &err);
    return ad_cli_reply(&a, st, vr, doc, &err, media_text, NULL);
}

static const ad_subcmd subs[] = {
    {"show", media_show, "what is known about a media (by any hash) and its class"},
};

int ad_cmd_media(int argc, char **argv)
{
    return ad_cli_dispatch("media", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
