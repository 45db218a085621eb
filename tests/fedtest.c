/* fedtest.c: the federation tests' fixture (fedtest.h). */
#include "fedtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fed/fed_int.h"
#include "store/store_int.h"

static ad_err err;

int ft_node_open(ft_node *n, int pg, const char *name, const char *dir)
{
    memset(n, 0, sizeof *n);
    int k = td_db_create(&n->db, pg, name);
    if (k == 1)
        return 0;
    assert_int_equal(k, 0);
    OK(ad_store_open(&n->st, n->db.url, AD_STORE_CREATE, &err));
    assert_non_null(dir);
    snprintf(n->keypath, sizeof n->keypath, "%s/%s.key", dir, name);
    unlink(n->keypath);
    OK(ad_fed_keygen(n->st, n->keypath, name, &err));
    OK(ad_fed_key_load(n->st, n->keypath, &n->key, &err));
    ad_fed_instance fi;
    OK(ad_fed_instance_get(n->st, &fi, &err));
    memcpy(n->pub, fi.pubkey, sizeof n->pub);
    memcpy(n->uuid, fi.uuid, sizeof n->uuid);
    return 1;
}

void ft_node_close(ft_node *n)
{
    ad_fed_key_wipe(&n->key);
    ad_store_close(n->st);
    td_db_drop(&n->db);
}

void ft_trust(ft_node *a, const char *name, const ft_node *b, const char *scope)
{
    ad_fed_peer p = {.name = name, .pubkey = b->pub, .scope = scope};
    int64_t id;
    OK(ad_fed_peer_add(a->st, &p, &id, &err));
}

ad_code ft_import_file(ft_node *n, const char *path, ad_fed_stats *st, ad_err *e)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    ad_code rc = ad_fed_bundle_import_file(n->st, f, st, e);
    fclose(f);
    return rc;
}

int64_t ft_count(ft_node *n, const char *sql)
{
    int64_t v = -1;
    ad_stmt *s = ad_db_stmt(n->st->db, sql, &err);
    if (!s)
        fail_msg("%s: %s", sql, err.msg);
    OK(ad_db_int(s, &v, &err));
    return v;
}

uint8_t *ft_bundle(const ad_fed_key *key, const char *uuid, const char *pub,
                   const char *const *lines, size_t n, size_t *len, ad_err *err)
{
    uint8_t *set;
    size_t sn;
    *len = 0;
    char id[65], zero[65];
    memset(zero, '0', 64);
    zero[64] = 0;
    if (ad_fed_set_encode(key, uuid, 1, lines, n, NULL, 0, zero, &set, &sn, id, err) != AD_OK)
        return NULL;
    char manifest[600];
    snprintf(manifest, sizeof manifest,
             "{\"created\":1,\"format\":\"ariadne-bundle/1\",\"from\":\"%s\",\"from_key\":"
             "\"%s\",\"sets\":[{\"id\":\"%s\",\"len\":%zu}]}\n",
             uuid, pub, id, sn);
    uint8_t sig[64];
    char sh[129];
    ad_fed_sign(key, AD_FED_BUNDLE_CONTEXT, (const uint8_t *)manifest, strlen(manifest), sig);
    ad_hex_encode(sig, 64, sh);
    size_t cap = strlen(manifest) + sn + 140, o = strlen(manifest);
    uint8_t *bun = malloc(cap);
    if (bun) {
        memcpy(bun, manifest, o);
        memcpy(bun + o, set, sn);
        o += sn;
        o += (size_t)snprintf((char *)bun + o, cap - o, "{\"sig\":\"%s\"}\n", sh);
    }
    free(set);
    *len = o;
    return bun;
}
