/* contexts.c — contexts.yaml: the named stacks ragtop can show, read with
 * the shared yamldoc layer (unknown keys with did-you-mean, duplicate keys,
 * file:line:col messages). A context is local (services, config: paths,
 * relative to the file's folder) or remote (url, token_env), never both. */
#include "contexts.h"

#include <stdlib.h>
#include <string.h>

#include "rag/config.h"
#include "rag/services.h"
#include "rag/yamldoc.h"

#define CONTEXTS_MAX_BYTES (1024 * 1024)

bool contexts_path(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) rt_fmt(out, n, "%s/ragtop/contexts.yaml", xdg);
    else if (home && *home) rt_fmt(out, n, "%s/.config/ragtop/contexts.yaml", home);
    else return false;
    return true;
}

/* A service name's rules (1-63 here: the name fits rt_context.name). */
static bool name_ok(const char *s) { return strlen(s) < 64 && rag_service_name_ok(s); }

/* The service registry's URL rules, and a length that fits rt_context.url. */
static const char *url_problem(const char *u)
{
    if (strlen(u) >= 500) return "is too long (500 bytes at most)";
    return rag_http_url_problem(u);
}

static void one_context(rag_ydoc *d, const yaml_node_t *key, yaml_node_t *v, const char *dir, rt_contexts *out)
{
    static const char *const known[] = {"services", "config", "url", "token_env", NULL};
    const char *name = rag_ydoc_scalar(key);
    if (!name) return; /* reported by check_mapping */
    char *path = rag_ydoc_join("contexts", name);
    if (!name_ok(name) || !strcmp(name, "all")) {
        rag_ydoc_problem(d, key, path, "%s", !strcmp(name, "all") ? "\"all\" is reserved (--context all means every context)"
                                                                : "a context name is 1-63 letters, digits, '-', '_' or '.'");
        free(path);
        return;
    }
    if (!rag_ydoc_check_mapping(d, v, path, known)) {
        free(path);
        return;
    }
    if (out->n == RT_CONTEXTS_MAX) {
        rag_ydoc_problem(d, key, path, "too many contexts (at most %d)", RT_CONTEXTS_MAX);
        free(path);
        return;
    }
    rt_context c;
    memset(&c, 0, sizeof c);
    rt_fmt(c.name, sizeof c.name, "%s", name);
    char *services = NULL, *config = NULL, *url = NULL, *token_env = NULL;
    rag_ydoc_get_str(d, v, path, "services", &services);
    rag_ydoc_get_str(d, v, path, "config", &config);
    rag_ydoc_get_str(d, v, path, "url", &url);
    rag_ydoc_get_str(d, v, path, "token_env", &token_env);
    bool ok = true;
    if (url) {
        c.remote = true;
        const char *why = url_problem(url);
        if (why) {
            char *k = rag_ydoc_join(path, "url");
            rag_ydoc_problem(d, rag_ydoc_get(d, v, "url"), k, "%s", why);
            free(k);
            ok = false;
        }
        if (services || config) {
            rag_ydoc_problem(d, rag_ydoc_get(d, v, services ? "services" : "config"), path,
                             "a context is local (services, config) or remote (url, token_env), not both");
            ok = false;
        }
        if (token_env && !rag_config_env_name_ok(token_env)) {
            char *k = rag_ydoc_join(path, "token_env");
            rag_ydoc_problem(d, rag_ydoc_get(d, v, "token_env"), k,
                             "must be the name of an environment variable ([A-Z_][A-Z0-9_]*), not the token itself (value not shown)");
            free(k);
            ok = false;
        }
        if (ok) {
            rt_fmt(c.url, sizeof c.url, "%s", url);
            rt_fmt(c.token_env, sizeof c.token_env, "%s", token_env ? token_env : "");
        }
    } else {
        if (token_env) {
            rag_ydoc_problem(d, rag_ydoc_get(d, v, "token_env"), path, "token_env needs url (a remote context)");
            ok = false;
        }
        if (!services && !config) {
            rag_ydoc_problem(d, v, path, "needs services and/or config (local) or url (remote)");
            ok = false;
        }
        if (ok && services) {
            char *abs = rag_ydoc_path(dir, services);
            rt_fmt(c.services, sizeof c.services, "%s", abs);
            free(abs);
        }
        if (ok && config) {
            char *abs = rag_ydoc_path(dir, config);
            rt_fmt(c.config, sizeof c.config, "%s", abs);
            free(abs);
        }
    }
    free(services);
    free(config);
    free(url);
    free(token_env);
    free(path);
    if (ok) out->items[out->n++] = c;
}

int contexts_parse(const char *name, const char *dir, const char *buf, size_t len, rt_contexts *out,
                   char *why, size_t why_n)
{
    static const char *const known[] = {"version", "contexts", NULL};
    char keep[PATH_MAX];
    rt_fmt(keep, sizeof keep, "%s", out->path);
    memset(out, 0, sizeof *out);
    rt_fmt(out->path, sizeof out->path, "%s", keep);
    why[0] = '\0';
    rag_problems pr = {0};
    rag_ydoc d = {0};
    if (rag_ydoc_load(&d, name, buf, len, &pr) == RAG_OK) {
        yaml_node_t *root = rag_ydoc_root(&d);
        if (!root) {
            rag_ydoc_problem(&d, NULL, NULL, "empty file: expected \"contexts:\" with one entry per stack");
        } else if (rag_ydoc_check_mapping(&d, root, NULL, known)) {
            int64_t version = 1;
            yaml_node_t *ver = rag_ydoc_get(&d, root, "version");
            if (ver) rag_ydoc_as_int(&d, ver, "version", 1, 1, &version);
            yaml_node_t *ctxs = rag_ydoc_get(&d, root, "contexts");
            if (!ctxs) rag_ydoc_problem(&d, root, "contexts", "missing: one entry per stack");
            else if (rag_ydoc_check_mapping(&d, ctxs, "contexts", NULL)) {
                size_t *firsts = rag_ydoc_key_firsts(&d, ctxs);
                size_t i = 0;
                for (yaml_node_pair_t *p = ctxs->data.mapping.pairs.start; p < ctxs->data.mapping.pairs.top; p++, i++) {
                    if (firsts && firsts[i] != i) continue; /* duplicate: reported */
                    one_context(&d, yaml_document_get_node(&d.doc, p->key), yaml_document_get_node(&d.doc, p->value),
                                dir, out);
                }
                free(firsts);
            }
        }
    }
    rag_ydoc_free(&d);
    int rc = 0;
    if (pr.count) {
        rt_fmt(why, why_n, "%s%s", pr.items[0], pr.count > 1 ? " (and more)" : "");
        out->n = 0;
        rc = -1;
    }
    rag_problems_free(&pr);
    return rc;
}

int contexts_load(const char *path, rt_contexts *out, char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    rt_fmt(out->path, sizeof out->path, "%s", path);
    rag_problems pr = {0};
    rag_ydoc_file f = {0};
    rag_error err = {0};
    int rc = rag_ydoc_load_file(path, CONTEXTS_MAX_BYTES, &f, &pr, &err);
    if (rc != RAG_OK) {
        if (rc == RAG_ENOENT) rt_fmt(why, why_n, "no %s: name your stacks there (docs/specs/contexts.md)", path);
        else rt_fmt(why, why_n, "%s", pr.count ? pr.items[0] : err.msg);
        rag_problems_free(&pr);
        return -1;
    }
    rag_problems_free(&pr);
    rc = contexts_parse(f.abs, f.dir, f.buf, f.len, out, why, why_n);
    rag_ydoc_file_free(&f);
    return rc;
}

const rt_context *contexts_find(const rt_contexts *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].name, name)) return &c->items[i];
    return NULL;
}

void contexts_inputs(const rt_context *ctx, rt_inputs *in)
{
    memset(in, 0, sizeof *in);
    if (ctx->remote) {
        in->remote_url = ctx->url;
        in->token_env = ctx->token_env[0] ? ctx->token_env : NULL;
    } else {
        in->services_path = ctx->services[0] ? ctx->services : NULL;
        in->config_path = ctx->config[0] ? ctx->config : NULL;
    }
}

int contexts_resolve(const char *name, rt_contexts *cs, const rt_context **out, char *why, size_t why_n)
{
    *out = NULL;
    char path[PATH_MAX];
    if (!contexts_path(path, sizeof path)) {
        memset(cs, 0, sizeof *cs);
        rt_fmt(why, why_n, "no contexts file: set XDG_CONFIG_HOME or HOME");
        return -1;
    }
    if (contexts_load(path, cs, why, why_n) != 0) return -1;
    if (!strcmp(name, "all")) {
        if (cs->n == 0) {
            rt_fmt(why, why_n, "%s names no contexts", path);
            return -1;
        }
        return 0;
    }
    *out = contexts_find(cs, name);
    if (*out) return 0;
    char known[512] = "";
    for (size_t i = 0, l = 0; i < cs->n && l < sizeof known; i++)
        l += (size_t)snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "", cs->items[i].name);
    rt_fmt(why, why_n, "no context named \"%s\" in %s (known: %s)", name, path, known[0] ? known : "none");
    return -1;
}
