/* collect_config.c — collectors for the inputs ragtop is pointed at: the
 * services registry (and where to find it) and config/params.yaml with its
 * canonical hash and derived artifact paths. */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/confighash.h"
#include "rag/fsutil.h"

static bool exists(const char *p) { return p && *p && access(p, F_OK) == 0; }

bool collect_services_path(const char *explicit_path, char out[PATH_MAX])
{
    /* named by the operator (--services, then $RAG_SERVICES): that file,
     * reported missing when it is, never another one instead */
    const char *env = getenv("RAG_SERVICES");
    const char *named = explicit_path ? explicit_path : env && *env ? env : NULL;
    if (named) {
        rt_fmt(out, PATH_MAX, "%s", named);
        return exists(out);
    }
    rt_fmt(out, PATH_MAX, "services.yml");
    if (exists(out)) return true;
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char cand[PATH_MAX];
    if (xdg && *xdg) rt_fmt(cand, sizeof cand, "%s/ragtop/services.yml", xdg);
    else if (home && *home) rt_fmt(cand, sizeof cand, "%s/.config/ragtop/services.yml", home);
    else return false;
    if (exists(cand)) {
        rt_fmt(out, PATH_MAX, "%s", cand);
        return true;
    }
    return false;
}

void collect_services(rt_snapshot *s, const char *path)
{
    rt_fmt(s->services_path, sizeof s->services_path, "%s", path);
    rag_problems probs = {0};
    rag_error err = {0};
    int rc = rag_services_load(path, &s->services, &probs, &err);
    s->services_rc = rc;
    if (rc != RAG_OK) {
        rt_fmt(s->services_error, sizeof s->services_error, "%s",
                 probs.count ? probs.items[0] : (err.msg[0] ? err.msg : "cannot load"));
        if (rc != RAG_ENOENT) s->services_rc = RAG_ERR;
    }
    rag_problems_free(&probs);
}

void collect_config_path(const char *explicit_path, const char *services_base_dir, char out[PATH_MAX])
{
    if (explicit_path) {
        rt_fmt(out, PATH_MAX, "%s", explicit_path);
        return;
    }
    const char *env = getenv("RAG_CONFIG");
    if (env && *env) {
        rt_fmt(out, PATH_MAX, "%s", env);
        return;
    }
    rt_fmt(out, PATH_MAX, "config/params.yaml");
    if (exists(out) || !services_base_dir) return;
    rt_fmt(out, PATH_MAX, "%s/config/params.yaml", services_base_dir);
}

static void copy_path(char dst[PATH_MAX], char *src)
{
    rt_fmt(dst, PATH_MAX, "%s", src ? src : "");
    free(src);
}

void collect_config(rt_config_info *out, const char *path)
{
    memset(out, 0, sizeof *out);
    rt_fmt(out->path, sizeof out->path, "%s", path);
    rag_problems probs = {0};
    rag_error err = {0};
    int rc = rag_config_load(path, &out->cfg, &probs, &err);
    if (rc != RAG_OK) {
        out->rc = rc == RAG_ENOENT ? RAG_ENOENT : RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "%s",
                 probs.count ? probs.items[0] : (err.msg[0] ? err.msg : "cannot load"));
        if (probs.count > 1) {
            size_t l = strlen(out->error);
            rt_fmt(out->error + l, sizeof out->error - l, " (+%zu more)", probs.count - 1);
        }
        rag_problems_free(&probs);
        return;
    }
    rag_problems_free(&probs);
    out->rc = RAG_OK;
    out->canonical = rag_config_canonical(&out->cfg);
    rag_json_hash(out->canonical, out->hash);
    copy_path(out->manifest_path, rag_config_manifest_path(&out->cfg));
    copy_path(out->index_dir, rag_config_index_dir(&out->cfg));
    copy_path(out->logs_dir, rag_config_logs_dir(&out->cfg));
}
