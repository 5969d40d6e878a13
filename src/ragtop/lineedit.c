/* lineedit.c — the prompts' line editor (see lineedit.h). */
#include "lineedit.h"

#include <curses.h>
#include <string.h>
#include <wchar.h>

#define CTRL(c) ((c) & 0x1f)

static bool cont_byte(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Bytes of the UTF-8 character lead b starts (1 for ASCII, and for a stray
 * continuation byte, which is then taken as one byte). */
static size_t seq_len(unsigned char b) { return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1; }

void lineedit_init(lineedit *e, const char *initial)
{
    size_t n = initial ? strlen(initial) : 0;
    if (n >= LINEEDIT_MAX) { /* cut to the buffer between characters */
        n = LINEEDIT_MAX - 1;
        while (n > 0 && cont_byte(initial[n])) n--;
    }
    if (n) memcpy(e->text, initial, n);
    e->text[n] = '\0';
    e->len = e->cur = n;
}

/* Bytes still to come of the character typed just before the cursor (the
 * terminal sends a character's bytes one key at a time): 0 when complete. */
static size_t missing(const lineedit *e)
{
    size_t i = e->cur, have = 0;
    while (i > 0 && have < 3 && cont_byte(e->text[i - 1])) i--, have++;
    if (i == 0 || (unsigned char)e->text[i - 1] < 0xC0) return 0;
    size_t need = seq_len((unsigned char)e->text[i - 1]) - 1;
    return need > have ? need - have : 0;
}

static size_t prev_char(const lineedit *e, size_t i)
{
    if (i == 0) return 0;
    i--;
    while (i > 0 && cont_byte(e->text[i])) i--;
    return i;
}

static size_t next_char(const lineedit *e, size_t i)
{
    if (i >= e->len) return e->len;
    i++;
    while (i < e->len && cont_byte(e->text[i])) i++;
    return i;
}

static void cut(lineedit *e, size_t from, size_t to)
{
    if (to <= from) return;
    memmove(e->text + from, e->text + to, e->len - to + 1);
    e->len -= to - from;
    if (e->cur > to) e->cur -= to - from;
    else if (e->cur > from) e->cur = from;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

bool lineedit_key(lineedit *e, int ch)
{
    switch (ch) {
    case CTRL('a'): case KEY_HOME: e->cur = 0; return true;
    case CTRL('e'): case KEY_END: e->cur = e->len; return true;
    case CTRL('b'): case KEY_LEFT: e->cur = prev_char(e, e->cur); return true;
    case CTRL('f'): case KEY_RIGHT: e->cur = next_char(e, e->cur); return true;
    case CTRL('u'): cut(e, 0, e->cur); return true;
    case CTRL('k'): cut(e, e->cur, e->len); return true;
    case CTRL('w'): {
        size_t i = e->cur;
        while (i > 0 && is_space(e->text[i - 1])) i--;
        while (i > 0 && !is_space(e->text[i - 1])) i--;
        cut(e, i, e->cur);
        return true;
    }
    case KEY_BACKSPACE: case 127: case CTRL('h'): cut(e, prev_char(e, e->cur), e->cur); return true;
    case CTRL('d'): case KEY_DC: cut(e, e->cur, next_char(e, e->cur)); return true;
    default: break;
    }
    /* a character is taken whole or not at all: a lead byte only with room
     * for its rest, a continuation byte only as the rest of one taken */
    const size_t room = ch >= 0x80 && ch < 0xC0 ? (missing(e) ? 1 : 0) : ch >= 0xC0 ? seq_len((unsigned char)ch) : 1;
    if (ch >= 32 && ch < 256 && ch != 127 && room && e->len + room < LINEEDIT_MAX) {
        memmove(e->text + e->cur + 1, e->text + e->cur, e->len - e->cur + 1);
        e->text[e->cur++] = (char)ch;
        e->len++;
        return true;
    }
    return false;
}

int lineedit_cursor_cols(const lineedit *e)
{
    int cols = 0;
    mbstate_t ps = {0};
    for (size_t i = 0; i < e->cur;) {
        wchar_t wc;
        size_t r = mbrtowc(&wc, e->text + i, e->cur - i, &ps);
        if (r == (size_t)-1 || r == (size_t)-2 || r == 0) { cols++; i++; memset(&ps, 0, sizeof ps); continue; }
        int w = wcwidth(wc);
        cols += w > 0 ? w : 0;
        i += r;
    }
    return cols;
}
