/* clock.c: monotonic time, wall-clock times as ISO 8601 text, and CPU count. */
#include <time.h>
#include <unistd.h>

#include "ariadne/util.h"

double ad_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *ad_time_iso(int64_t t, char buf[32])
{
    buf[0] = '\0';
    if (t > 0) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (gmtime_r(&tt, &tm))
            strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    return buf;
}

int ad_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
