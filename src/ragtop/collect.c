/* collect.c — one full collection pass (collect_all): services, config,
 * manifest, runs and sources from disk on the calling thread while a second
 * thread probes every service concurrently. Used by --once and watch; the
 * interactive console runs the same collectors on its own schedule. */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "rag/timeutil.h"

typedef struct probe_job { const rag_services *svcs; rt_probe *out; } probe_job;

static void *probe_thread(void *arg)
{
    probe_job *j = arg;
    probe_run(j->svcs, NULL, j->out);
    return NULL;
}

void collect_all(rt_snapshot *s, const rt_inputs *in)
{
    if (in && in->remote_url) {
        collect_remote(s, in->remote_url, in->token_env, NULL);
        return;
    }
    char path[PATH_MAX];
    collect_services_path(in ? in->services_path : NULL, path);
    collect_services(s, path);

    pthread_t tid;
    bool probing = false;
    probe_job job = {0};
    if (s->services_rc == RAG_OK) {
        s->n_probes = s->services.count;
        s->probes = rag_xcalloc(s->n_probes ? s->n_probes : 1, sizeof *s->probes);
        job = (probe_job){.svcs = &s->services, .out = s->probes};
        probing = pthread_create(&tid, NULL, probe_thread, &job) == 0;
        if (!probing) probe_run(&s->services, NULL, s->probes);
    }

    char cpath[PATH_MAX];
    collect_config_path(in ? in->config_path : NULL,
                        s->services_rc == RAG_OK ? s->services.base_dir : NULL, cpath);
    collect_config(&s->config, cpath);
    collect_manifest(&s->manifest, &s->config);
    char rpath[PATH_MAX];
    collect_runs_path(s->services_rc == RAG_OK ? &s->services : NULL, &s->config, rpath);
    s->n_runs = collect_runs(rpath, s->runs, RT_MAX_RUNS, s->runs_error, sizeof s->runs_error);
    collect_sources(&s->sources, &s->config, &s->manifest);
    collect_disk(&s->disk, &s->config, &s->manifest);

    if (probing) pthread_join(tid, NULL);
    s->collected_at_ms = rag_now_ms();
}
