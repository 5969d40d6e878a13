/* collect_disk.c — how much room the artifacts' file system has left, and
 * how much the served generation takes (its file and, for a v2 generation,
 * its segments): the `disk` check compares the two, since a full rebuild
 * (a config change, --full) writes a whole new generation beside the
 * served one, and a full disk fails every ingest. */
#include "collect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "rag/genset.h"

/* The served generation's bytes on disk, -1 when it cannot be read. */
static int64_t generation_bytes(const char *index_dir, const rt_manifest_info *man)
{
    if (man->rc != RAG_OK || !index_dir[0] || strchr(man->m.generation, '/')) return -1;
    char path[PATH_MAX + 200];
    rt_fmt(path, sizeof path, "%s/%s", index_dir, man->m.generation);
    rag_genset gs;
    if (rag_genset_load(path, &gs, NULL) != RAG_OK) return -1;
    const int64_t total = rag_genset_bytes(&gs);
    rag_genset_free(&gs);
    return total;
}

void collect_disk(rt_disk_info *out, const rt_config_info *cfg, const rt_manifest_info *man)
{
    memset(out, 0, sizeof *out);
    out->generation_bytes = -1;
    if (cfg->rc != RAG_OK || !cfg->cfg.paths.artifacts) return; /* no check without a config */
    out->checked = true;
    /* the index folder, where generations are written; before the first
     * ingest made it, the nearest folder above it that exists (the file
     * system it will be made on) */
    char dir[PATH_MAX];
    rt_fmt(dir, sizeof dir, "%s", cfg->index_dir[0] ? cfg->index_dir : cfg->cfg.paths.artifacts);
    struct statvfs vfs;
    int r;
    while ((r = statvfs(dir, &vfs)) != 0 && errno == ENOENT) {
        char *slash = strrchr(dir, '/');
        if (!slash || (slash == dir && !dir[1])) break;
        slash[slash == dir ? 1 : 0] = '\0';
    }
    const int why = errno;
    rt_fmt(out->path, sizeof out->path, "%s", dir);
    if (r != 0) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "%s: %s", dir, strerror(why));
        return;
    }
    out->rc = RAG_OK;
    out->avail_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    out->total_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    out->generation_bytes = generation_bytes(cfg->index_dir, man);
}
