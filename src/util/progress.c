/* progress.c: one self-rewriting status line (done/total, rate, ETA) on a terminal; silent
 * when the stream is not a terminal, so piped output stays clean. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/util.h"

struct ad_progress {
    FILE *out;
    int tty;
    char label[64];
    char note[160];
    uint64_t total, done, bytes;
    double start, last;
    pthread_mutex_t mu;
};

ad_progress *ad_progress_new(FILE *out, const char *label, uint64_t total)
{
    ad_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    p->tty = out && isatty(fileno(out));
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->start = p->last = ad_now();
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

static void human_bytes(double b, char *buf, size_t n)
{
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4) {
        b /= 1000;
        i++;
    }
    snprintf(buf, n, "%.1f %s", b, u[i]);
}

static void draw(ad_progress *p, int final)
{
    double el = ad_now() - p->start;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32] = "";
    if (p->total && rate > 0 && p->done < p->total) {
        double s = (double)(p->total - p->done) / rate;
        snprintf(eta, sizeof eta, " ETA %dm%02ds", (int)(s / 60), (int)s % 60);
    }
    char bytes[32] = "";
    if (p->bytes) {
        char hb[24];
        human_bytes(el > 0 ? (double)p->bytes / el : 0, hb, sizeof hb);
        snprintf(bytes, sizeof bytes, " %s/s", hb);
    }
    if (p->total)
        fprintf(p->out, "\r\033[K%s %llu/%llu (%.0f%%) %.1f/s%s%s%s%s", p->label,
                (unsigned long long)p->done, (unsigned long long)p->total,
                100.0 * (double)p->done / (double)p->total, rate, bytes, eta, p->note[0] ? " " : "",
                p->note);
    else
        fprintf(p->out, "\r\033[K%s %llu %.1f/s%s%s%s", p->label, (unsigned long long)p->done, rate,
                bytes, p->note[0] ? " " : "", p->note);
    if (final)
        fputc('\n', p->out);
    fflush(p->out);
}

void ad_progress_add(ad_progress *p, uint64_t done, uint64_t bytes)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->done += done;
    p->bytes += bytes;
    double now = ad_now();
    if (p->tty && now - p->last >= 0.1) {
        p->last = now;
        draw(p, 0);
    }
    pthread_mutex_unlock(&p->mu);
}

void ad_progress_set_total(ad_progress *p, uint64_t total)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->total = total;
    pthread_mutex_unlock(&p->mu);
}

void ad_progress_note(ad_progress *p, const char *note)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    snprintf(p->note, sizeof p->note, "%s", note ? note : "");
    pthread_mutex_unlock(&p->mu);
}

void ad_progress_finish(ad_progress *p)
{
    if (!p)
        return;
    if (p->tty)
        draw(p, 1);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
