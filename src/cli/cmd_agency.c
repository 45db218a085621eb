/* cmd_agency.c: `ariadne agency add|list`: police units, hotlines, platforms, hubs. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int agency_add(int argc, char **argv)
{
    static const char *const opts[] = {"--country", "--kind", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "agency add",
                          "agency add NAME [--country CC] [--kind police|hotline|platform|hub]",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_agency ag = {
        .name = a.pos[0], .country = ad_arg(&a, "--country"), .kind = ad_arg(&a, "--kind")};
    int64_t id;
    ad_err err;
    if (ad_store_agency_add(st, &ag, &id, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", ag.name));
    else
        printf("agency %lld: %s\n", (long long)id, ag.name);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int print_agency(void *ctx, const ad_agency *ag)
{
    char t[32];
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s?, s:s, s:s}", "id", (json_int_t)ag->id, "name",
                              ag->name, "country", ag->country, "kind", ag->kind, "created",
                              ad_cli_time(ag->created, t)));
    else
        printf("%lld\t%s\t%s\t%s\n", (long long)ag->id, ag->name, ag->country ? ag->country : "-",
               ag->kind);
    return 0;
}

static int agency_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "agency list", "agency list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    if (ad_store_agency_list(st, print_agency, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", agency_add, "add an agency"},
    {"list", agency_list, "list agencies"},
};

int ad_cmd_agency(int argc, char **argv)
{
    return ad_cli_dispatch("agency", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
