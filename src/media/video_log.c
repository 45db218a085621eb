/* video_log.c: keeps FFmpeg quiet. Its log lines never reach stderr; the last error line of each
 * thread is kept so that error messages can quote it. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "video_internal.h"

static _Thread_local char last_line[256];
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level > AV_LOG_ERROR)
        return;
    char line[256];
    int print_prefix = 0;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = 0;
    if (n > 0)
        memcpy(last_line, line, n + 1);
}

static void install(void)
{
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(log_cb);
}

void ad_video_log_init(void)
{
    pthread_once(&log_once, install);
}

const char *ad_video_log_last(void)
{
    return last_line;
}

void ad_video_log_clear(void)
{
    last_line[0] = 0;
}
