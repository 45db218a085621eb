/* cmd_person.c: `ariadne victim add|identify` and `ariadne offender add|identify`: the
 * pseudonymous people of a series and their identification, through the service layer
 * (ad_svc_person_*), as for the server. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

/* ctx: the kind's word ("victim", "offender") */
static void added_text(const ad_args *a, json_t *doc, const void *ctx)
{
    printf("%s %s added to series %lld (unidentified)\n", (const char *)ctx, a->pos[0],
           (long long)json_integer_value(json_object_get(doc, "series")));
}

static void identified_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)doc;
    printf("%s %s identified\n", (const char *)ctx, a->pos[0]);
}

static void retracted_text(const ad_args *a, json_t *doc, const void *ctx)
{
    (void)doc;
    printf("%s %s: identification retracted\n", (const char *)ctx, a->pos[0]);
}

static int person_add(ad_person_kind kind, int argc, char **argv)
{
    static const char *const opts[] = {"--series", NULL};
    char prog[32], usage[96];
    const char *k = kind == AD_VICTIM ? "victim" : "offender";
    snprintf(prog, sizeof prog, "%s add", k);
    snprintf(usage, sizeof usage, "%s add CODE --series SERIES", k);
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, prog, usage, argc, argv, opts, 1, 1);
    if (rc >= 0)
        return rc;
    if (!ad_arg(&r.a, "--series"))
        return ad_cli_close(r.st, ad_args_usage_error(&r.a, "--series is required"));
    return ad_cli_rec_reply(
        &r, ad_svc_person_add(&r.c, kind, r.a.pos[0], ad_arg(&r.a, "--series"), &r.doc, &r.err),
        added_text, k);
}

static int person_identify(ad_person_kind kind, int argc, char **argv)
{
    static const char *const opts[] = {"--agency", "--country", NULL};
    char prog[32], usage[128];
    const char *k = kind == AD_VICTIM ? "victim" : "offender";
    snprintf(prog, sizeof prog, "%s identify", k);
    snprintf(usage, sizeof usage, "%s identify CODE [--agency AGENCY] [--country CC]", k);
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, prog, usage, argc, argv, opts, 1, 1);
    if (rc >= 0)
        return rc;
    int64_t agency;
    if ((rc = ad_cli_agency(&r.a, r.st, ad_arg(&r.a, "--agency"), &agency)) >= 0)
        return ad_cli_close(r.st, rc);
    return ad_cli_rec_reply(&r,
                            ad_svc_person_identify(&r.c, kind, r.a.pos[0], agency,
                                                   ad_arg(&r.a, "--country"), &r.doc, &r.err),
                            identified_text, k);
}

/* Retracts an identification made here (ad_svc_person_retract; it travels to peers). */
static int person_retract(ad_person_kind kind, int argc, char **argv)
{
    char prog[32], usage[64];
    const char *k = kind == AD_VICTIM ? "victim" : "offender";
    snprintf(prog, sizeof prog, "%s retract", k);
    snprintf(usage, sizeof usage, "%s retract CODE", k);
    ad_cli_rec r;
    int rc = ad_cli_rec_start(&r, prog, usage, argc, argv, NULL, 1, 1);
    if (rc >= 0)
        return rc;
    return ad_cli_rec_reply(&r, ad_svc_person_retract(&r.c, kind, r.a.pos[0], &r.doc, &r.err),
                            retracted_text, k);
}

static int victim_retract(int argc, char **argv)
{
    return person_retract(AD_VICTIM, argc, argv);
}
static int offender_retract(int argc, char **argv)
{
    return person_retract(AD_OFFENDER, argc, argv);
}

static int victim_add(int argc, char **argv)
{
    return person_add(AD_VICTIM, argc, argv);
}
static int victim_identify(int argc, char **argv)
{
    return person_identify(AD_VICTIM, argc, argv);
}
static int offender_add(int argc, char **argv)
{
    return person_add(AD_OFFENDER, argc, argv);
}
static int offender_identify(int argc, char **argv)
{
    return person_identify(AD_OFFENDER, argc, argv);
}

static const ad_subcmd victim_subs[] = {
    {"add", victim_add, "add a victim (pseudonymous code) to a series"},
    {"identify", victim_identify, "record that a victim has been identified"},
    {"retract", victim_retract, "retract an identification this instance made"},
};
static const ad_subcmd offender_subs[] = {
    {"add", offender_add, "add an offender (pseudonymous code) to a series"},
    {"identify", offender_identify, "record that an offender has been identified"},
    {"retract", offender_retract, "retract an identification this instance made"},
};

int ad_cmd_victim(int argc, char **argv)
{
    return ad_cli_dispatch("victim", argc, argv, victim_subs, 3);
}

int ad_cmd_offender(int argc, char **argv)
{
    return ad_cli_dispatch("offender", argc, argv, offender_subs, 3);
}
