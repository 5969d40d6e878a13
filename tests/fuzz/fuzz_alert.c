/* fuzz_alert.c — libFuzzer harness for the alert parsers: the json payload
 * reader (rag_alert_from_json, used for outbox and state files) followed by
 * every renderer, URL redaction, and the watcher's state file loader
 * (alertstate_load, via a private temp file). First byte picks the target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/ragtop/alertstate.h"
#include "rag/alert.h"
#include "rag/fsutil.h"

static char state_path[64];

static void remove_state(void) { unlink(state_path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] % 3;
    data++, size--;
    if (mode == 0) {
        cJSON *o = cJSON_ParseWithLength((const char *)data, size);
        rag_alert a;
        rag_error err = {0};
        if (rag_alert_from_json(o, &a, &err) == RAG_OK) {
            for (int f = RAG_FORMAT_SLACK; f <= RAG_FORMAT_ALERTMANAGER; f++) {
                char *s = rag_alert_render(&a, (rag_alert_format)f, 1795874400000LL);
                cJSON *back = cJSON_Parse(s);
                if (!back) abort(); /* every rendering must be valid JSON */
                cJSON_Delete(back);
                free(s);
            }
            rag_alert_clear(&a);
        }
        cJSON_Delete(o);
    } else if (mode == 1) {
        char *url = malloc(size + 1);
        memcpy(url, data, size);
        url[size] = '\0';
        size_t cap = size + 16;
        char *out = malloc(cap), small[24];
        rag_url_redact(url, out, cap);
        rag_url_redact(url, small, sizeof small);
        /* a small buffer only cuts the same text short */
        if (strncmp(small, out, sizeof small - 1) != 0) abort();
        /* The redacted form is three stars, the scheme with "://" and three
         * stars (an '@' after the host), or scheme, "://", host, a slash and
         * three stars: never
         * more than the URL up to the end of its host plus the stars, and
         * no slash after the "://" but the last. */
        size_t n = strlen(out);
        if (n < 3 || strcmp(out + n - 3, "***") != 0) abort();
        const char *sep = strstr(url, "://");
        if (n > 3 && sep && n == (size_t)(sep - url) + 6 && strncmp(out, url, (size_t)(sep + 3 - url)) == 0) {
            /* only the scheme is shown */
        } else if (n > 3) {
            if (!sep || (size_t)(sep + 3 - url) > n) abort();
            size_t upto_host = (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
            if (n > upto_host + 4) abort();
            if (strchr(out + (sep + 3 - url), '/') != out + n - 4) abort();
        }
        free(out);
        free(url);
    } else {
        if (!state_path[0]) {
            snprintf(state_path, sizeof state_path, "/tmp/fuzz-alertstate-%d.json", (int)getpid());
            atexit(remove_state);
        }
        if (rag_atomic_write(state_path, data, size, NULL) != RAG_OK) return 0;
        alertstate_policy pol = { 3, 2, 0, true };
        alertstate as;
        alertstate_init(&as, &pol, "fuzz");
        if (alertstate_load(&as, state_path, NULL) == RAG_OK) {
            alert_result r = { .check = "service:api", .ok = false, .severity = RAG_SEVERITY_CRIT, .summary = "x" };
            alertstate_observe(&as, &r, 1795874400000LL);
            alertstate_end_round(&as, 1795874400000LL);
        }
        alertstate_free(&as);
    }
    return 0;
}
