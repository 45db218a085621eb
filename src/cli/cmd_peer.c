/* cmd_peer.c: `ariadne peer add|set|list|remove`: the instances this one trusts, by public
 * key, each national (its own change sets) or a hub (it also relays others'), each with its
 * policy: the record kinds sent to it and accepted from it (docs/federation.md). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "ariadne/fed.h"
#include "cli.h"

#define POLICY_HELP                                                                                \
    "  Policy (kinds: media, series, link, person, vote, note, clue, merge, unlink; comma-\n"      \
    "  separated or the option repeated):\n"                                                       \
    "  --no KINDS: not sent to this peer; --only KINDS: only these sent; --refuse KINDS:\n"        \
    "  not accepted from it (as author or sender: nothing of them written). Custody, cases\n"      \
    "  and private notes are never shared under any setting."

/* Every value of a repeatable kinds option (--no note --no clue, or --no note,clue) as one
 * mask into *m; 1 if the option was given, 0 if not, -1 after a usage error. */
static int kinds_opt(const ad_args *a, const char *name, unsigned *m)
{
    int given = 0;
    *m = 0;
    for (int i = 0; i < a->nkv; i++) {
        if (strcmp(a->keys[i], name))
            continue;
        unsigned one;
        ad_err err;
        if (ad_fed_kinds_parse(a->vals[i], &one, &err) != AD_OK) {
            ad_args_usage_error(a, "%s: %s", name, err.msg);
            return -1;
        }
        *m |= one;
        given = 1;
    }
    return given;
}

/* The send and accept masks from --no/--only/--refuse (and, for set, --send-all,
 * --accept-all), starting from the current ones. 0, or the usage exit code. */
static int policy_args(const ad_args *a, unsigned *send, unsigned *accept, int send_all,
                       int accept_all)
{
    unsigned no_m, only_m, refuse_m;
    int no = kinds_opt(a, "--no", &no_m), only = kinds_opt(a, "--only", &only_m);
    int refuse = kinds_opt(a, "--refuse", &refuse_m);
    if (no < 0 || only < 0 || refuse < 0)
        return AD_EXIT_USAGE;
    if (no && only)
        return ad_args_usage_error(a, "--no and --only together: say one");
    if ((send_all && (no || only)) || (accept_all && refuse))
        return ad_args_usage_error(a, "--send-all/--accept-all widen to every kind: alone");
    if (send_all)
        *send = AD_FED_KINDS_ALL;
    if (accept_all)
        *accept = AD_FED_KINDS_ALL;
    if (no)
        *send &= ~no_m;
    if (only)
        *send = only_m; /* never beyond the defaults: every kind is one of them */
    if (refuse)
        *accept &= ~refuse_m;
    return 0;
}

static int peer_add(int argc, char **argv)
{
    static const char *const opts[] = {"--key",  "--scope",  "--origin", "--no",
                                       "--only", "--refuse", NULL};
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "peer add",
                     "peer add NAME URL --key PUBKEY [--scope national|hub] [--origin UUID]"
                     " [--no KINDS | --only KINDS] [--refuse KINDS]\n"
                     "  Trusts the instance whose Ed25519 public key is PUBKEY ('ariadne "
                     "instance show' there).\n  national: it authors its own change sets "
                     "only; hub: it also relays other origins'\n  (each still signed by its "
                     "author, who must be a peer too). URL '-' when there is none.\n" POLICY_HELP,
                     argc, argv, opts, 2, 2, 0);
    if (rc >= 0)
        return rc;
    if (!ad_arg(&a, "--key"))
        return ad_cli_close(st, ad_args_usage_error(&a, "--key is required"));
    unsigned send = AD_FED_KINDS_ALL, accept = AD_FED_KINDS_ALL;
    if ((rc = policy_args(&a, &send, &accept, 0, 0)) != 0)
        return ad_cli_close(st, rc);
    char sk[64], ak[64];
    ad_fed_peer p = {.name = a.pos[0],
                     .url = a.pos[1],
                     .pubkey = ad_arg(&a, "--key"),
                     .scope = ad_arg(&a, "--scope"),
                     .origin = ad_arg(&a, "--origin"),
                     .send_kinds = ad_fed_kinds_format(send, sk),
                     .accept_kinds = ad_fed_kinds_format(accept, ak)};
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

/* A policy column as a JSON array of kinds (NULL: every kind). */
static json_t *kinds_json(const char *csv)
{
    unsigned m = AD_FED_KINDS_ALL;
    json_t *arr = json_array();
    if (csv && ad_fed_kinds_parse(csv, &m, NULL) != AD_OK)
        m = 0;
    for (int i = 0; i < AD_FED_KINDS; i++)
        if (m & (1u << i))
            json_array_append_new(arr, json_string(ad_fed_kind_name(i)));
    return arr;
}

static int print_peer(void *ctx, const ad_fed_peer *p)
{
    char t[32];
    if (*(int *)ctx)
        ad_cli_json(json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s?, s:s, s:o, s:o}", "id",
                              (json_int_t)p->id, "name", p->name, "url", p->url, "pubkey",
                              p->pubkey, "scope", p->scope, "origin", p->origin, "added",
                              ad_cli_time(p->added, t), "send", kinds_json(p->send_kinds), "accept",
                              kinds_json(p->accept_kinds)));
    else
        printf("%s\t%s\t%s\t%s\t%s\tsend=%s\taccept=%s\n", p->name, p->scope, p->url ? p->url : "-",
               p->pubkey, p->origin ? p->origin : "-",
               p->send_kinds ? (*p->send_kinds ? p->send_kinds : "none") : "all",
               p->accept_kinds ? (*p->accept_kinds ? p->accept_kinds : "none") : "all");
    return 0;
}

typedef struct {
    const char *name;
    unsigned send, accept;
    int found;
} current;

static int find_peer(void *ctx, const ad_fed_peer *p)
{
    current *c = ctx;
    if (strcmp(p->name, c->name))
        return 0;
    c->found = 1;
    if (p->send_kinds && ad_fed_kinds_parse(p->send_kinds, &c->send, NULL) != AD_OK)
        c->send = 0;
    if (p->accept_kinds && ad_fed_kinds_parse(p->accept_kinds, &c->accept, NULL) != AD_OK)
        c->accept = 0;
    return 1;
}

static int peer_set(int argc, char **argv)
{
    static const char *const opts[] = {"--no", "--only", "--refuse", "--resend", NULL};
    int send_all = ad_args_take_flag(&argc, argv, "--send-all");
    int accept_all = ad_args_take_flag(&argc, argv, "--accept-all");
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "peer set",
                     "peer set NAME [--no KINDS | --only KINDS | --send-all] [--refuse KINDS |"
                     " --accept-all] [--resend KINDS]\n"
                     "  Changes what is sent to the peer and accepted from it: --no and --refuse"
                     " narrow\n  the current policy, --only replaces what is sent, --send-all"
                     " and --accept-all\n  go back to every kind. Widening sends nothing "
                     "withheld before: a record not\n  sent travels when it next changes, "
                     "or with --resend KINDS: this instance's own\n  records of KINDS go "
                     "again, as they stand, in the next bundle to every peer\n  sent "
                     "those kinds (docs/federation.md).\n" POLICY_HELP,
                     argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    current c = {a.pos[0], AD_FED_KINDS_ALL, AD_FED_KINDS_ALL, 0};
    if (ad_fed_peer_list(st, find_peer, &c, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (!c.found) {
        ad_err_set(&err, AD_ERR_NOT_FOUND, "no peer '%s' ('ariadne peer list')", a.pos[0]);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if ((rc = policy_args(&a, &c.send, &c.accept, send_all, accept_all)) != 0)
        return ad_cli_close(st, rc);
    unsigned resend_m = 0;
    int resend = kinds_opt(&a, "--resend", &resend_m);
    if (resend < 0)
        return ad_cli_close(st, AD_EXIT_USAGE);
    int64_t resent = 0;
    if (ad_fed_peer_policy(st, a.pos[0], &c.send, &c.accept, &err) != AD_OK ||
        (resend && ad_fed_resend(st, resend_m, &resent, &err) != AD_OK))
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    char sk[64], ak[64];
    ad_fed_kinds_format(c.send, sk);
    ad_fed_kinds_format(c.accept, ak);
    if (a.json) {
        ad_cli_json(json_pack("{s:s, s:o, s:o, s:I}", "name", a.pos[0], "send", kinds_json(sk),
                              "accept", kinds_json(ak), "resent", (json_int_t)resent));
    } else {
        printf("peer %s: send %s; accept %s\n", a.pos[0], *sk ? sk : "nothing",
               *ak ? ak : "nothing");
        if (resend)
            printf("%lld records of this instance to be sent again in the next bundles\n",
                   (long long)resent);
    }
    return ad_cli_close(st, AD_EXIT_OK);
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
    {"set", peer_set, "change what is sent to a peer and accepted from it"},
    {"list", peer_list, "the trusted peers and their policies"},
    {"remove", peer_remove, "stop trusting a peer"},
};

int ad_cmd_peer(int argc, char **argv)
{
    return ad_cli_dispatch("peer", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
