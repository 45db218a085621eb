/* cmd_case.c: `ariadne case open|list`: an agency's investigations. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int case_open(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", "--title", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "case open", "case open NUMBER [--agency AGENCY] [--title T]",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_case c = {.number = a.pos[0], .title = ad_arg(&a, "--title")};
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &c.agency_id)) >= 0)
        return ad_cli_close(st, rc);
    ad_err err;
    int64_t id;
    if (ad_store_case_open(st, &c, &id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "number", c.number));
    else
        printf("case %lld: %s opened\n", (long long)id, c.number);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int print_case(void *ctx, const ad_case *c)
{
    char t[32];
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s}", "id", (json_int_t)c->id, "agency",
                              c->agency_name, "number", c->number, "title", c->title, "status",
                              c->status, "opened", ad_cli_time(c->opened, t)));
    else
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)c->id, c->agency_name, c->number, c->status,
               c->title ? c->title : "");
    return 0;
}

static int case_list(int argc, char **argv)
{
    static const char *const opts[] = {"--agency", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "case list", "case list [--agency AGENCY] [--json]", argc, argv,
                          opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    int64_t agency;
    if ((rc = ad_cli_agency(&a, st, ad_arg(&a, "--agency"), &agency)) >= 0)
        return ad_cli_close(st, rc);
    ad_err err;
    if (ad_store_case_list(st, agency, print_case, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"open", case_open, "open a case for an agency"},
    {"list", case_list, "list cases"},
};

int ad_cmd_case(int argc, char **argv)
{
    return ad_cli_dispatch("case", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
