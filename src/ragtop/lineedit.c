/* lineedit.c — the prompts' line editor (see lineedit.h). */
#include "lineedit.h"

#include <curses.h>
#include <string.h>
#include <wchar.h>

#define CTRL(c) ((c) & 0x1f)

void lineedit_init(lineedit *e, const char *initial)
{
    size_t n = initial ? strlen(initial) : 0;
    if (n >= LINEEDIT_MAX) n = LINEEDIT_MAX - 1;
    if (n) memcpy(e->text, initial, n);
    e->text[n] = '\0';
    e->len = e->cur = n;
}

static bool cont_byte(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

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
    if (ch >= 32 && ch < 256 && ch != 127 && e->len + 1 < LINEEDIT_MAX) {
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
