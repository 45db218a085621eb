/* bearer.c: reading the Authorization header (RFC 6750's "Bearer <token>"). The key itself is
 * checked by the store (ad_store_user_key_check: constant time, revoked keys refused). */
#include <strings.h>

#include "server/http.h"

int ad_http_bearer(const char *header, const char **key, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer", 6) || (header[6] != ' ' && header[6] != '\t'))
        return -1;
    const char *k = header + 6;
    while (*k == ' ' || *k == '\t')
        k++;
    size_t n = 0;
    while (k[n] > ' ' && k[n] < 0x7f)
        n++;
    const char *rest = k + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (n == 0 || n > 200 || *rest)
        return -1;
    *key = k;
    *len = n;
    return 0;
}
