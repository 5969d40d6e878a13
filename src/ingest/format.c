/* format.c — which parser reads a transcript file (see format.h): the
 * extension decides, the parser fills the transcript model. */
#include <string.h>
#include <strings.h>

#include "format.h"

tr_format transcript_format_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot)
        return TR_TXT;
    if (strcasecmp(dot, ".vtt") == 0) return TR_VTT;
    if (strcasecmp(dot, ".srt") == 0) return TR_SRT;
    if (strcasecmp(dot, ".json") == 0) return TR_JSON;
    if (strcasecmp(dot, ".md") == 0 || strcasecmp(dot, ".markdown") == 0) return TR_MD;
    return TR_TXT;
}

const char *transcript_format_name(tr_format f)
{
    static const char *names[] = { "txt", "md", "vtt", "srt", "json" };
    return names[f];
}

int transcript_parse(tr_format f, const char *name, const char *buf, size_t len, transcript *tr, rag_error *err)
{
    switch (f) {
    case TR_VTT: return parse_vtt(name, buf, len, tr, err);
    case TR_SRT: return parse_srt(name, buf, len, tr, err);
    case TR_JSON: return parse_json(name, buf, len, tr, err);
    case TR_MD: return parse_txt(name, buf, len, 1, tr, err);
    default: return parse_txt(name, buf, len, 0, tr, err);
    }
}
