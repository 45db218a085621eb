/* cmd_peer.c: `ariadne peer add|list|remove`: the instances this one trusts, by public key,
 * each national (its own change sets) or a hub (it also relays others'). */
#include <stdio.h>

#include "args.h"
#include "ariadne/fed.h"
#include "cli.h"

static int peer_add(int argc, char **argv)
{
    static const char *const opts[] = {"--key", "--scope", "--origin", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "peer add",
                          "peer add NAME URL --key PUBKEY [--scope national|hub] [--origin UUID]\n"
                          "  Trusts the instance whose Ed25519 public key is PUBKEY ('ariadne "
                          "instance show' there).\n  national: it authors its own change sets "
                          "only; hub: it also relays other origins'\n  (each still signed by its "
                          "author, who must be a peer too). URL '-' when there is none.",
                          argc, argv, opts, 2, 2, 0);
    if (rc >= 0)
        return rc;
    if (!ad_arg(&a, "--key"))
        return ad_cli_close(st, ad_args_usage_error(&a, "--key is required"));
    ad_fed_peer p = {.name = a.pos[0],
                     .url = a.pos[1],
                     .pubkey = ad_arg(&a, "--key"),
                     .scope = ad_arg(&a, "--scope"),
                     .origin = ad_arg(&a, "--origin")};
    int64_t id;
    ad_err err;
    if (ad_fed_peer_add(st, &p, &id, &err) != AD_OK)
        return ad_cli_close(st, err.code == AD_ERR_ARG ? ad_args_usage_error(&a, "%s", err.msg)
                                                       : ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", p.name));
    else
        printf("peer %lld: %s\n", (long long)id, p.name);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int print_peer(void *ctx, const ad_fed_peer *p)
{
    char t[32];
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s?, s:s}", "id", (json_int_t)p->id,
                              "name", p->name, "url", p->url, "pubkey", p->pubkey, "scope",
                              p->scope, "origin", p->origin, "added", ad_cli_time(p->added, t)));
    else
        printf("%s\t%s\t%s\t%s\t%s\n", p->name, p->scope, p->url ? p->url : "-", p->pubkey,
               p->origin ? p->origin : "-");
    return 0;
}

static int peer_list(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "peer list", "peer list [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    if (ad_fed_peer_list(st, print_peer, &a.json, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    return ad_cli_close(st, AD_EXIT_OK);
}

static int peer_remove(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "peer remove", "peer remove NAME", argc, argv, NULL, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    if (ad_fed_peer_remove(st, a.pos[0], &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (!a.json)
        printf("peer %s removed\n", a.pos[0]);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"add", peer_add, "trust a peer instance by its public key"},
    {"list", peer_list, "the trusted peers"},
    {"remove", peer_remove, "stop trusting a peer"},
};

int ad_cmd_peer(int argc, char **argv)
{
    return ad_cli_dispatch("peer", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
