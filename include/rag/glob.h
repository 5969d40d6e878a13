/* glob.h — the project's one matcher for ingest.include / ingest.exclude
 * globs against a path relative to the transcripts folder (docs/specs/
 * transcripts.md): `*` and `?` stay within one folder, `**` crosses
 * folders, `**` followed by `/` also matches no folder, `[a-z]` / `[!x]`
 * classes (an unterminated class matches nothing). Used by rag-ingest's scan
 * and by ragtop's "not yet ingested" count, so both select the same files. */
#ifndef RAG_GLOB_H
#define RAG_GLOB_H

#include <stdbool.h>

bool rag_glob_match(const char *pattern, const char *path);

#endif
