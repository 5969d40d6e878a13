/* collect_manifest.c — reads the freshness manifest the config points at
 * (artifacts/checkpoints/latest.json). Missing, corrupt and too-new files
 * are reported through rc/error, never half-read. */
#include "collect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void collect_manifest(rt_manifest_info *out, const rt_config_info *cfg)
{
    memset(out, 0, sizeof *out);
    if (cfg->rc != RAG_OK || !cfg->manifest_path[0]) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "manifest location unknown: config not loaded");
        return;
    }
    rt_fmt(out->path, sizeof out->path, "%s", cfg->manifest_path);
    rag_error err = {0};
    out->rc = rag_manifest_load(out->path, &out->m, &err);
    if (out->rc != RAG_OK) {
        if (out->rc == RAG_ENOENT)
            rt_fmt(out->error, sizeof out->error, "%s: no manifest yet (run an ingest)", out->path);
        else
            rt_fmt(out->error, sizeof out->error, "%s", err.msg[0] ? err.msg : "cannot read manifest");
        return;
    }
    /* the generation it names must be there: a manifest is only as good as
     * its file (deleted by hand, or the artifacts copied without it) */
    if (cfg->index_dir[0] && !strchr(out->m.generation, '/')) {
        char gen[PATH_MAX + 200];
        rt_fmt(gen, sizeof gen, "%s/%s", cfg->index_dir, out->m.generation);
        struct stat st;
        const int sr = stat(gen, &st);
        const bool missing = sr != 0 && errno == ENOENT;
        if (sr != 0 || !S_ISREG(st.st_mode)) {
            rt_fmt(out->error, sizeof out->error,
                   "%s names %s, but %s is %s: rag-api cannot load it (run an ingest, or rag-ingest --rollback)",
                   out->path, out->m.generation, gen, missing ? "missing" : "not a readable file");
            rag_manifest_free(&out->m);
            memset(&out->m, 0, sizeof out->m);
            out->rc = RAG_ECORRUPT;
        }
    }
}
