/* digest.c: MD5, SHA-1 and SHA-256 together through OpenSSL EVP, fed once per chunk. */
#include <openssl/evp.h>
#include <stdlib.h>

#include "ariadne/hash.h"

struct ad_digester {
    EVP_MD_CTX *md5, *sha1, *sha256;
};

ad_code ad_digester_new(ad_digester **out, ad_err *err)
{
    ad_digester *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    d->md5 = EVP_MD_CTX_new();
    d->sha1 = EVP_MD_CTX_new();
    d->sha256 = EVP_MD_CTX_new();
    if (!d->md5 || !d->sha1 || !d->sha256) {
        ad_digester_free(d);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for digests");
    }
    ad_digester_reset(d);
    *out = d;
    return AD_OK;
}

void ad_digester_reset(ad_digester *d)
{
    EVP_DigestInit_ex(d->md5, EVP_md5(), NULL);
    EVP_DigestInit_ex(d->sha1, EVP_sha1(), NULL);
    EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL);
}

void ad_digester_update(ad_digester *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->md5, data, len);
    EVP_DigestUpdate(d->sha1, data, len);
    EVP_DigestUpdate(d->sha256, data, len);
}

void ad_digester_final(ad_digester *d, ad_digests *out)
{
    EVP_DigestFinal_ex(d->md5, out->md5, NULL);
    EVP_DigestFinal_ex(d->sha1, out->sha1, NULL);
    EVP_DigestFinal_ex(d->sha256, out->sha256, NULL);
}

void ad_digester_free(ad_digester *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->md5);
    EVP_MD_CTX_free(d->sha1);
    EVP_MD_CTX_free(d->sha256);
    free(d);
}

ad_code ad_digest_buffer(const void *data, size_t len, ad_digests *out, ad_err *err)
{
    ad_digester *d;
    ad_code rc = ad_digester_new(&d, err);
    if (rc)
        return rc;
    ad_digester_update(d, data, len);
    ad_digester_final(d, out);
    ad_digester_free(d);
    return AD_OK;
}
