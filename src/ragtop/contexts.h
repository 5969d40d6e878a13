/* contexts.h — named stacks in $XDG_CONFIG_HOME/ragtop/contexts.yaml (like
 * kubectl's contexts): each one local (a services.yml and a config file) or
 * remote (a rag-api /status URL and the variable holding its token).
 * `ragtop --context NAME`, the console's context list and
 * `ragtop --once --context all` read it. Schema: docs/specs/contexts.md. */
#ifndef RAGTOP_CONTEXTS_H
#define RAGTOP_CONTEXTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "collect.h"

#define RT_CONTEXTS_MAX 64

typedef struct rt_context {
    char name[64];
    bool remote;
    char services[PATH_MAX];  /* local: absolute, "" = ragtop's default lookup */
    char config[PATH_MAX];    /* local: absolute, "" = ragtop's default lookup */
    char url[512];            /* remote: the rag-api admin URL (or its /status URL) */
    char token_env[64];       /* remote: variable holding the bearer token, "" = none */
} rt_context;

typedef struct rt_contexts {
    char path[PATH_MAX];      /* the file read ("" when no place for it) */
    rt_context items[RT_CONTEXTS_MAX];
    size_t n;                 /* in file order */
} rt_contexts;

/* $XDG_CONFIG_HOME/ragtop/contexts.yaml (or ~/.config/...); false when
 * neither variable is set. */
bool contexts_path(char *out, size_t n);
/* Parse a contexts.yaml held in buf (name is used in messages, relative
 * paths resolve against dir). Returns 0, or -1 with the first problem
 * ("file:line:col: key: what") in why and out->n = 0. */
int contexts_parse(const char *name, const char *dir, const char *buf, size_t len, rt_contexts *out,
                   char *why, size_t why_n);
/* Read and parse path. A missing file is -1 with why saying so. */
int contexts_load(const char *path, rt_contexts *out, char *why, size_t why_n);
const rt_context *contexts_find(const rt_contexts *c, const char *name);
/* Load contexts.yaml (contexts_path) and find name in it ("all": *out is
 * NULL, every context is wanted). -1 with why ("no context named x in
 * <file> (known: a, b)", or the file's problem) when it cannot. */
int contexts_resolve(const char *name, rt_contexts *cs, const rt_context **out, char *why, size_t why_n);
/* The collection inputs of a context (pointers into ctx). */
void contexts_inputs(const rt_context *ctx, rt_inputs *in);

#endif
