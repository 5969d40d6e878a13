/* yamldoc.h — a small layer over libyaml's document API shared by the config
 * and services loaders: load a buffer into a document (syntax errors become
 * "file:line:col: syntax error: ..."), check mappings for unknown keys (with a
 * did-you-mean) and duplicate keys, and typed getters that append
 * "file:line:col: dotted.key: what is wrong" to a rag_problems list instead of
 * stopping at the first problem. Lines and columns are 1-based. */
#ifndef RAG_YAMLDOC_H
#define RAG_YAMLDOC_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "rag/common.h"

typedef struct rag_ydoc {
    yaml_document_t doc;
    bool loaded;            /* doc holds a document that must be deleted */
    char *file;             /* name used in messages */
    rag_problems *problems; /* where problems are appended (not owned) */
    size_t first_problem;   /* problems->count when loading started */
    size_t suppressed;      /* problems beyond RAG_YDOC_MAX_PROBLEMS, not added */
} rag_ydoc;

/* At most this many problems are listed per document (rag_ydoc_problem);
 * rag_ydoc_free then adds one "N more problems not shown" line. */
#define RAG_YDOC_MAX_PROBLEMS 100

/* Parse buf (len bytes) as exactly one YAML document. On a syntax error
 * appends "file:line:col: syntax error: ..." and returns RAG_ECORRUPT; a second
 * document in the stream is a problem too. Returns RAG_OK otherwise (an empty
 * stream gives a document without a root node). Always call rag_ydoc_free. */
int rag_ydoc_load(rag_ydoc *d, const char *file, const char *buf, size_t len, rag_problems *problems);
/* Release the document (adds the "more problems" line when some were cut). */
void rag_ydoc_free(rag_ydoc *d);

/* The root node, or NULL for an empty document. */
yaml_node_t *rag_ydoc_root(rag_ydoc *d);

/* Append a problem located at node (NULL: no line/col). key may be NULL. */
void rag_ydoc_problem(rag_ydoc *d, const yaml_node_t *node, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "prefix.key" (or "key" when prefix is NULL or empty); malloc'd. */
char *rag_ydoc_join(const char *prefix, const char *key);

/* A plain scalar that YAML reads as null ("", "~", "null"). */
bool rag_ydoc_is_null(const yaml_node_t *node);
/* Scalar text, or NULL when node is not a scalar. */
const char *rag_ydoc_scalar(const yaml_node_t *node);
/* "a mapping", "a list", "null" or the scalar quoted (inert, truncated). */
void rag_ydoc_describe(const yaml_node_t *node, char *out, size_t n);

/* Check that node is a mapping, named path in messages (NULL for the root).
 * Reports: not a mapping, non-scalar keys, duplicate keys (naming the line of
 * the first), and keys not in known (NULL-terminated; NULL = accept any) with
 * a did-you-mean suggestion. Returns true when node is a mapping. */
bool rag_ydoc_check_mapping(rag_ydoc *d, const yaml_node_t *node, const char *path,
                            const char *const *known);

/* For each pair of map, the index of the first pair with the same key (its
 * own index when the key is not repeated or not a scalar). malloc'd; NULL
 * when map is not a mapping. */
size_t *rag_ydoc_key_firsts(rag_ydoc *d, const yaml_node_t *map);

/* The value node of key in mapping map (first occurrence), or NULL. */
yaml_node_t *rag_ydoc_get(rag_ydoc *d, const yaml_node_t *map, const char *key);

/* Closest candidate to word by edit distance when close enough to be a likely
 * typo, else NULL. */
const char *rag_ydoc_suggest(const char *word, const char *const *candidates);

/* Typed conversions of a value node; key is the dotted name for messages.
 * Return 0 and set *out when valid, or append a problem and return -1. */
int rag_ydoc_as_str(rag_ydoc *d, const yaml_node_t *v, const char *key, char **out);
int rag_ydoc_as_int(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min, int64_t max,
                    int64_t *out);
int rag_ydoc_as_double(rag_ydoc *d, const yaml_node_t *v, const char *key, double min, double max,
                       double *out);
int rag_ydoc_as_bool(rag_ydoc *d, const yaml_node_t *v, const char *key, bool *out);
int rag_ydoc_as_duration(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min_ms,
                         int64_t max_ms, int64_t *out);
int rag_ydoc_as_size(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min, int64_t max,
                     int64_t *out);
/* A list of scalars (min_items..); *out is NULL-terminated, count in *n. */
int rag_ydoc_as_strlist(rag_ydoc *d, const yaml_node_t *v, const char *key, size_t min_items,
                        char ***out, size_t *n);

/* Map getters: look key up in map (path = the map's dotted name). Return 1
 * when present and valid (*out replaced; old strings freed), 0 when absent
 * (*out untouched), -1 when present but invalid (problem appended). */
int rag_ydoc_get_str(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                     char **out);
int rag_ydoc_get_int(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                     int64_t min, int64_t max, int *out);
int rag_ydoc_get_double(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                        double min, double max, double *out);
int rag_ydoc_get_bool(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                      bool *out);
int rag_ydoc_get_duration(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                          int64_t min_ms, int64_t max_ms, int64_t *out);
int rag_ydoc_get_size(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                      int64_t min, int64_t max, int64_t *out);
int rag_ydoc_get_strlist(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                         size_t min_items, char ***out, size_t *n);

/* Read a whole file of at most max bytes (rag_read_file; NUL-terminated,
 * caller frees). On failure appends one "path: <reason>" problem and returns
 * RAG_ENOENT when missing, RAG_ERR otherwise. */
int rag_ydoc_read_file(const char *path, size_t max, char **out, size_t *len, rag_problems *problems);

/* A document file read for loading: its bytes (NUL-terminated), its
 * absolute path (rag_ydoc_path) and the folder holding it, against which
 * relative paths inside the document resolve. */
typedef struct {
    char *buf;
    size_t len;
    char *abs;
    char *dir;
} rag_ydoc_file;

/* rag_ydoc_read_file plus abs and dir. On failure (the problem appended,
 * err set to it, its code returned) f holds nothing. Free with
 * rag_ydoc_file_free (also fine on a zeroed or failed f). */
int rag_ydoc_load_file(const char *path, size_t max, rag_ydoc_file *f, rag_problems *problems,
                       rag_error *err);
void rag_ydoc_file_free(rag_ydoc_file *f);

/* Absolute, lexically cleaned path of p relative to base (base NULL or
 * relative: against the current folder; p NULL or "": base itself). Symlinks
 * are not resolved, so the path may name something that does not exist yet. */
char *rag_ydoc_path(const char *base, const char *p);

/* Stable-sort problems[from..] of file by line and column, so a file's
 * problems read top to bottom whatever order the checks ran in. */
void rag_ydoc_sort_problems(rag_problems *p, size_t from, const char *file);

/* Free a NULL-terminated string list of n items. */
void rag_strlist_free(char **list, size_t n);

#endif
