/* services.c — services.yml, the registry the console and watcher read: per
 * service its kind, health probe, log and metrics files, and actions as argv
 * arrays (never a shell string). Validated like the config: every problem is
 * collected with line:col. Relative paths resolve against the file's folder.
 * Layout and defaults: docs/specs/services.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/services.h"
#include "rag/yamldoc.h"

#define SERVICES_MAX_FILE_BYTES (1024 * 1024)
#define SERVICES_VERSION 1
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const char *const action_names[] = {"start", "restart", "stop", "run", "rollback", NULL};

static void action_free(rag_action *a)
{
    free(a->name);
    rag_strlist_free(a->argv, a->argc);
    memset(a, 0, sizeof *a);
}

static void service_free(rag_service *s)
{
    free(s->name);
    free(s->description);
    free(s->health_url);
    rag_strlist_free(s->health_urls, s->n_health_urls);
    rag_strlist_free(s->logs, s->n_logs);
    free(s->metrics_file);
    free(s->pidfile);
    for (size_t i = 0; i < s->n_actions; i++)
        action_free(&s->actions[i]);
    free(s->actions);
    memset(s, 0, sizeof *s);
}

void rag_services_free(rag_services *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->base_dir);
    for (size_t i = 0; i < s->count; i++)
        service_free(&s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

const rag_service *rag_services_find(const rag_services *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->count; i++)
        if (!strcmp(s->items[i].name, name))
            return &s->items[i];
    return NULL;
}

const rag_action *rag_service_action(const rag_service *svc, const char *action)
{
    for (size_t i = 0; svc && action && i < svc->n_actions; i++)
        if (!strcmp(svc->actions[i].name, action))
            return &svc->actions[i];
    return NULL;
}

bool rag_service_replicated(const rag_service *svc)
{
    return svc && (svc->n_health_urls > 0 || svc->health_dns);
}

/* ------------------------------------------------------------ checks */

static bool valid_service_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RAG_SERVICE_NAME_MAX)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-' || *c == '.'))
            return false;
    return true;
}

static const char *http_url_problem(const char *u)
{
    const char *rest = !strncmp(u, "http://", 7) ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : NULL;
    if (!rest)
        return "must start with http:// or https://";
    size_t host_len = strcspn(rest, "/?#");
    if (host_len == 0)
        return "has no host";
    if (memchr(rest, '@', host_len))
        return "must not contain credentials (user:password@)";
    for (const char *c = u; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return "must not contain spaces or control characters";
    return NULL;
}

bool rag_service_name_ok(const char *s) { return valid_service_name(s); }
const char *rag_http_url_problem(const char *u) { return http_url_problem(u); }

/* ------------------------------------------------------------ one service */

static void url_problem(rag_ydoc *d, const yaml_node_t *at, const char *key, const char *url)
{
    const char *why = http_url_problem(url);
    if (why) rag_ydoc_problem(d, at, key, "%s", why);
}

/* health.urls: every URL one instance (replicas); exclusive with url. */
static void load_health_urls(rag_ydoc *d, const yaml_node_t *h, const char *path, rag_service *svc)
{
    const yaml_node_t *node = rag_ydoc_get(d, h, "urls");
    if (!node) return;
    char *k = rag_ydoc_join(path, "urls");
    if (rag_ydoc_get_strlist(d, h, path, "urls", 1, &svc->health_urls, &svc->n_health_urls) == 1) {
        if (svc->health_url)
            rag_ydoc_problem(d, node, k, "use either url (one instance, or with dns: true every address of "
                                         "its host) or urls (one instance per URL), not both");
        for (size_t i = 0; i < svc->n_health_urls; i++) {
            char *ki = rag_xasprintf("%s[%zu]", k, i);
            const yaml_node_t *item = yaml_document_get_node(&d->doc, node->data.sequence.items.start[i]);
            url_problem(d, item ? item : node, ki, svc->health_urls[i]);
            for (size_t j = 0; j < i; j++)
                if (!strcmp(svc->health_urls[i], svc->health_urls[j]))
                    rag_ydoc_problem(d, item ? item : node, ki, "is listed twice");
            free(ki);
        }
        if (!svc->health_url && svc->n_health_urls) svc->health_url = rag_xstrdup(svc->health_urls[0]);
    }
    free(k);
}

static void load_health(rag_ydoc *d, const yaml_node_t *h, const char *path, rag_service *svc)
{
    static const char *const known[] = {"url", "urls", "dns", "interval", "timeout", "rollout_grace", NULL};
    if (!rag_ydoc_check_mapping(d, h, path, known))
        return;
    int u = rag_ydoc_get_str(d, h, path, "url", &svc->health_url);
    char *k = rag_ydoc_join(path, "url");
    if (u == 0 && !rag_ydoc_get(d, h, "urls"))
        rag_ydoc_problem(d, h, k, "is required (or urls: for replicas, or remove health: for a service without a probe)");
    else if (u == 1)
        url_problem(d, rag_ydoc_get(d, h, "url"), k, svc->health_url);
    free(k);
    load_health_urls(d, h, path, svc);
    if (rag_ydoc_get_bool(d, h, path, "dns", &svc->health_dns) == 1 && svc->health_dns && svc->n_health_urls) {
        k = rag_ydoc_join(path, "dns");
        rag_ydoc_problem(d, rag_ydoc_get(d, h, "dns"), k, "applies to url (every address of its host is an "
                                                          "instance), not to urls");
        free(k);
    }
    rag_ydoc_get_duration(d, h, path, "rollout_grace", 0, 7 * DAY, &svc->rollout_grace_ms);
    int i = rag_ydoc_get_duration(d, h, path, "interval", 1 * SEC, 1 * HOUR, &svc->health_interval_ms);
    int t = rag_ydoc_get_duration(d, h, path, "timeout", 100, 1 * MIN, &svc->health_timeout_ms);
    if (i >= 0 && t >= 0 && svc->health_timeout_ms > svc->health_interval_ms) {
        k = rag_ydoc_join(path, "timeout");
        const yaml_node_t *at = rag_ydoc_get(d, h, t == 1 ? "timeout" : "interval");
        rag_ydoc_problem(d, at ? at : h, k, "must not exceed %s.interval", path);
        free(k);
    }
}

static void load_action(rag_ydoc *d, const yaml_node_t *node, const char *path, const char *name,
                        rag_action *a, bool *ok)
{
    static const char *const known[] = {"argv", "confirm", "timeout", NULL};
    a->name = rag_xstrdup(name);
    /* Destructive actions ask first unless the file says otherwise. */
    a->confirm = !strcmp(name, "stop") || !strcmp(name, "restart") || !strcmp(name, "rollback");
    /* A run (e.g. an ingest) may legitimately take long: no limit by default. */
    a->timeout_ms = !strcmp(name, "run") ? 0 : 5 * MIN;
    if (!rag_ydoc_check_mapping(d, node, path, known)) {
        *ok = false;
        return;
    }
    yaml_node_t *argv = rag_ydoc_get(d, node, "argv");
    char *k = rag_ydoc_join(path, "argv");
    if (!argv) {
        rag_ydoc_problem(d, node, k, "is required: the command as a list of arguments, e.g. [make, %s]", name);
        *ok = false;
    } else if (argv->type == YAML_SCALAR_NODE && !rag_ydoc_is_null(argv)) {
        rag_ydoc_problem(d, argv, k,
                         "must be a list of arguments such as [make, api], not a string: actions run "
                         "without a shell, so write each argument as its own list item");
        *ok = false;
    } else if (rag_ydoc_as_strlist(d, argv, k, 1, &a->argv, &a->argc) != 0) {
        *ok = false;
    } else if (!a->argv[0][0]) {
        rag_ydoc_problem(d, argv, k, "the program name (first item) must not be empty");
        *ok = false;
    }
    free(k);
    if (rag_ydoc_get_bool(d, node, path, "confirm", &a->confirm) < 0)
        *ok = false;
    if (rag_ydoc_get_duration(d, node, path, "timeout", 0, 7 * DAY, &a->timeout_ms) < 0)
        *ok = false;
}

static void load_actions(rag_ydoc *d, const yaml_node_t *m, const char *path, rag_service *svc, bool *ok)
{
    if (!rag_ydoc_check_mapping(d, m, path, action_names)) {
        *ok = false;
        return;
    }
    size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    svc->actions = rag_xcalloc(n + 1, sizeof *svc->actions);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
        const char *name = rag_ydoc_scalar(yaml_document_get_node(&d->doc, p->key));
        bool known = false;
        for (size_t j = 0; name && action_names[j]; j++)
            known = known || !strcmp(name, action_names[j]);
        if (!known || rag_service_action(svc, name)) { /* reported by check_mapping */
            *ok = false;
            continue;
        }
        char *apath = rag_ydoc_join(path, name);
        rag_action a = {0};
        load_action(d, yaml_document_get_node(&d->doc, p->value), apath, name, &a, ok);
        svc->actions[svc->n_actions++] = a;
        free(apath);
    }
}

/* An optional path key (metrics, pidfile): resolved against base_dir into
 * *out (left NULL when absent). false when it is invalid or empty. */
static bool optional_path(rag_ydoc *d, const char *base_dir, const yaml_node_t *m, const char *path,
                          const char *key, char **out)
{
    char *value = NULL;
    int rc = rag_ydoc_get_str(d, m, path, key, &value);
    bool ok = rc >= 0;
    if (rc == 1 && !*value) {
        char *k = rag_ydoc_join(path, key);
        rag_ydoc_problem(d, rag_ydoc_get(d, m, key), k, "must not be empty (remove the key instead)");
        free(k);
        ok = false;
    } else if (rc == 1) {
        *out = rag_ydoc_path(base_dir, value);
    }
    free(value);
    return ok;
}

/* Returns true when the service is valid (it is then kept). */
static bool load_service(rag_ydoc *d, const char *base_dir, const yaml_node_t *key, const yaml_node_t *m,
                         rag_service *svc)
{
    static const char *const known[] = {"kind", "description", "optional", "health", "logs", "metrics",
                                        "pidfile", "actions", NULL};
    static const char *const kinds[] = {"server", "job", NULL};
    const char *name = rag_ydoc_scalar(key);
    char *path = rag_xasprintf("services.%s", name);
    bool ok = true;
    svc->name = rag_xstrdup(name);
    svc->health_interval_ms = 5 * SEC;
    svc->health_timeout_ms = 2 * SEC;
    svc->rollout_grace_ms = 10 * MIN; /* Kubernetes' default progressDeadlineSeconds */
    if (!valid_service_name(name)) {
        rag_ydoc_problem(d, key, path, "service names use letters, digits, '_', '-' and '.' (at most 64)");
        ok = false;
    }
    if (!rag_ydoc_check_mapping(d, m, path, known)) {
        free(path);
        return false;
    }
    char *kind = NULL;
    char *kkey = rag_ydoc_join(path, "kind");
    int rc = rag_ydoc_get_str(d, m, path, "kind", &kind);
    if (rc == 0) {
        rag_ydoc_problem(d, m, kkey, "is required (server or job)");
        ok = false;
    } else if (rc == 1 && !strcmp(kind, "server")) {
        svc->kind = RAG_SERVICE_SERVER;
    } else if (rc == 1 && !strcmp(kind, "job")) {
        svc->kind = RAG_SERVICE_JOB;
    } else {
        if (rc == 1) {
            const char *s = rag_ydoc_suggest(kind, kinds);
            rag_ydoc_problem(d, rag_ydoc_get(d, m, "kind"), kkey, "must be server or job%s%s%s",
                             s ? " (did you mean " : "", s ? s : "", s ? "?)" : "");
        }
        ok = false;
    }
    free(kkey);
    free(kind);

    svc->description = rag_xstrdup("");
    if (rag_ydoc_get_str(d, m, path, "description", &svc->description) < 0)
        ok = false;
    if (rag_ydoc_get_bool(d, m, path, "optional", &svc->optional) < 0)
        ok = false;

    yaml_node_t *h = rag_ydoc_get(d, m, "health");
    if (h) {
        char *hpath = rag_ydoc_join(path, "health");
        size_t before = d->problems->count;
        load_health(d, h, hpath, svc);
        ok = ok && d->problems->count == before;
        free(hpath);
    }

    char **logs = NULL;
    size_t n_logs = 0;
    rc = rag_ydoc_get_strlist(d, m, path, "logs", 0, &logs, &n_logs);
    if (rc < 0)
        ok = false;
    svc->logs = rag_xcalloc(n_logs + 1, sizeof *svc->logs);
    for (size_t i = 0; i < n_logs; i++) {
        if (!*logs[i]) {
            char *k = rag_xasprintf("%s.logs[%zu]", path, i);
            rag_ydoc_problem(d, rag_ydoc_get(d, m, "logs"), k, "must not be empty");
            free(k);
            ok = false;
            continue;
        }
        svc->logs[svc->n_logs++] = rag_ydoc_path(base_dir, logs[i]);
    }
    rag_strlist_free(logs, n_logs);

    if (!optional_path(d, base_dir, m, path, "metrics", &svc->metrics_file)) ok = false;
    if (!optional_path(d, base_dir, m, path, "pidfile", &svc->pidfile)) ok = false;

    yaml_node_t *acts = rag_ydoc_get(d, m, "actions");
    if (acts) {
        char *apath = rag_ydoc_join(path, "actions");
        load_actions(d, acts, apath, svc, &ok);
        free(apath);
    }
    free(path);
    return ok;
}

/* ------------------------------------------------------------ loading */

int rag_services_load_buffer(const char *name, const char *base_dir, const char *buf, size_t len,
                             rag_services *out, rag_problems *problems, rag_error *err)
{
    static const char *const known[] = {"version", "services", NULL};
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    if (!name)
        name = "(services)";
    size_t before = problems->count;
    memset(out, 0, sizeof *out);
    out->base_dir = rag_ydoc_path(NULL, base_dir);

    rag_ydoc d;
    if (rag_ydoc_load(&d, name, buf, len, problems) == RAG_OK) {
        yaml_node_t *root = rag_ydoc_root(&d);
        if (!root) {
            rag_problems_add(problems, name, 0, 0, NULL, "file is empty (it needs \"version: %d\" and services:)",
                             SERVICES_VERSION);
        } else if (rag_ydoc_check_mapping(&d, root, NULL, known)) {
            int version = 0;
            int rc = rag_ydoc_get_int(&d, root, NULL, "version", 1, INT32_MAX, &version);
            if (rc == 0)
                rag_ydoc_problem(&d, root, "version", "is required (this ragtop reads version %d)", SERVICES_VERSION);
            else if (rc == 1 && version != SERVICES_VERSION)
                rag_ydoc_problem(&d, rag_ydoc_get(&d, root, "version"), "version",
                                 "version %d is newer than this ragtop supports (%d); upgrade ragtop", version,
                                 SERVICES_VERSION);
            yaml_node_t *svcs = rag_ydoc_get(&d, root, "services");
            if (!svcs) {
                rag_ydoc_problem(&d, root, "services", "is required (a mapping of service name to its settings)");
            } else if (rag_ydoc_check_mapping(&d, svcs, "services", NULL)) {
                size_t n = (size_t)(svcs->data.mapping.pairs.top - svcs->data.mapping.pairs.start);
                if (n == 0)
                    rag_ydoc_problem(&d, svcs, "services", "needs at least one service");
                out->items = rag_xcalloc(n + 1, sizeof *out->items);
                size_t *first = rag_ydoc_key_firsts(&d, svcs);
                for (size_t i = 0; i < n; i++) {
                    yaml_node_pair_t *p = &svcs->data.mapping.pairs.start[i];
                    yaml_node_t *k = yaml_document_get_node(&d.doc, p->key);
                    const char *sname = rag_ydoc_scalar(k);
                    if (!sname || rag_ydoc_is_null(k) || first[i] != i)
                        continue; /* reported by check_mapping */
                    rag_service svc = {0};
                    if (load_service(&d, out->base_dir, k, yaml_document_get_node(&d.doc, p->value), &svc))
                        out->items[out->count++] = svc;
                    else
                        service_free(&svc);
                }
                free(first);
            }
        }
    }
    rag_ydoc_sort_problems(problems, before, name);
    rag_ydoc_free(&d);
    size_t n = problems->count - before;
    rag_problems_free(&local);
    if (n == 0)
        return RAG_OK;
    rag_services_free(out);
    return rag_error_set(err, RAG_ERR, "%s: %zu problem%s", name, n, n == 1 ? "" : "s");
}

int rag_services_load(const char *path, rag_services *out, rag_problems *problems, rag_error *err)
{
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    memset(out, 0, sizeof *out);
    rag_ydoc_file f;
    int rc = rag_ydoc_load_file(path, SERVICES_MAX_FILE_BYTES, &f, problems, err);
    if (rc == RAG_OK) {
        rc = rag_services_load_buffer(path, f.dir, f.buf, f.len, out, problems, err);
        if (rc == RAG_OK) {
            out->path = f.abs;
            f.abs = NULL;
        }
    }
    rag_ydoc_file_free(&f);
    rag_problems_free(&local);
    return rc;
}
