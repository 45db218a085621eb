/* bench_vpdq.c: vPDQ hashing speed on a synthetic 720p H.264 clip (made with ffmpeg on first
 * run), at one hash per second and at every frame, beside a plain FFmpeg decode-only loop of the
 * same file as the baseline. One thread; times are CPU seconds of this process (best of N).
 *
 * usage: bench_vpdq [VIDEO] [RUNS] */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "ariadne/vpdq.h"

#define DEFAULT_VIDEO "/tmp/ariadne-bench-vpdq-720p-3M.mp4"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int make_video(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > 0)
        return 0;
    char cmd[1024];
    /* 20 s of a moving test pattern with temporal noise at 3 Mbit/s, so that the decode work is
     * that of ordinary 720p footage rather than of a flat synthetic picture (x264 defaults:
     * B-frames, as most encoders other than phone cameras produce) */
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=1280x720:r=30 -t 20 "
             "-vf noise=alls=8:allf=t -c:v libx264 -preset veryfast -b:v 3M -maxrate 3M "
             "-bufsize 6M -pix_fmt yuv420p '%s'",
             path);
    fprintf(stderr, "making %s ...\n", path);
    return system(cmd) == 0 ? 0 : -1;
}

/* The baseline: demux and decode every frame, nothing else. Returns frames or -1. */
static long decode_only(const char *path)
{
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return -1;
    avformat_find_stream_info(fmt, NULL);
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    const AVCodec *codec = avcodec_find_decoder(fmt->streams[si]->codecpar->codec_id);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
    dec->thread_count = 1;
    avcodec_open2(dec, codec, NULL);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    long frames = 0;
    int eof = 0;
    while (!eof) {
        if (av_read_frame(fmt, pkt) < 0) {
            avcodec_send_packet(dec, NULL);
            eof = 1;
        } else {
            if (pkt->stream_index == si)
                avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
        }
        while (avcodec_receive_frame(dec, frame) == 0)
            frames++;
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return frames;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : DEFAULT_VIDEO;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1)
        runs = 1;
    if (argc <= 1 && make_video(path) != 0) {
        fprintf(stderr, "bench_vpdq: cannot make %s with ffmpeg\n", path);
        return 1;
    }
    av_log_set_level(AV_LOG_QUIET);

    double t_dec = 1e30;
    long frames = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        frames = decode_only(path);
        double t = cpu_now() - t0;
        if (t < t_dec)
            t_dec = t;
    }
    if (frames <= 0) {
        fprintf(stderr, "bench_vpdq: cannot decode %s\n", path);
        return 1;
    }

    ad_vpdq_video info = {0};
    double t_mode[2] = {1e30, 1e30};
    size_t hashes[2] = {0, 0};
    for (int mode = 0; mode < 2; mode++) {
        ad_vpdq_opts o;
        ad_vpdq_opts_default(&o);
        o.seconds_per_hash = mode == 0 ? 1.0 : 0.0;
        o.limits.time_limit = 0;
        for (int r = 0; r < runs; r++) {
            ad_vpdq_video v;
            ad_err e;
            double t0 = cpu_now();
            ad_code rc = ad_vpdq_hash_file(path, &o, &v, &e);
            double t = cpu_now() - t0;
            if (rc != AD_OK) {
                fprintf(stderr, "bench_vpdq: %s\n", e.msg);
                return 1;
            }
            if (t < t_mode[mode])
                t_mode[mode] = t;
            hashes[mode] = v.n;
            if (mode == 0 && r == 0)
                info = v, v.frames = NULL, v.dihedral = NULL;
            ad_vpdq_video_free(&v);
        }
    }
    double seconds = (double)info.frame_count / info.frame_rate;
    printf("vPDQ on %s: %dx%d %s, %.2f fps, %ld frames (%.1f s), 1 thread, CPU time, best of %d\n",
           path, info.width, info.height, info.codec, info.frame_rate, frames, seconds, runs);
    printf("%-28s %10s %12s %12s %14s\n", "what", "cpu s", "frames/s", "hashes/s", "x real time");
    printf("%-28s %10.3f %12.1f %12s %14.1f\n", "ffmpeg decode only", t_dec, frames / t_dec, "-",
           seconds / t_dec);
    const char *names[2] = {"vpdq 1 hash/s", "vpdq every frame"};
    for (int m = 0; m < 2; m++)
        printf("%-28s %10.3f %12.1f %12.1f %14.1f   (%.2fx the decode-only speed)\n", names[m],
               t_mode[m], frames / t_mode[m], hashes[m] / t_mode[m], seconds / t_mode[m],
               t_dec / t_mode[m]);
    printf("targets: >= 20x real time per core at 1 hash/s; every frame >= 77 fps (reference "
           "vpdq-hash-video, 720x1280, one thread)\n");
    return 0;
}
