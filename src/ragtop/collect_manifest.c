/* collect_manifest.c — reads the freshness manifest the config points at
 * (artifacts/checkpoints/latest.json). Missing, corrupt and too-new files
 * are reported through rc/error, never half-read. */
#include "collect.h"

#include <stdio.h>
#include <string.h>

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
    }
}
