#!/usr/bin/env python3
"""ansi2svg.py COLS ROWS < capture.ansi > screen.svg — render a terminal
capture (tmux capture-pane -e: text with SGR colour sequences) as an SVG of
character cells (xterm 256-colour palette, default colours of a dark
terminal). Used by scripts/console-screenshot.sh for docs/img/console.png."""
import html, re, sys

cols, rows = int(sys.argv[1]), int(sys.argv[2])
CW, CH, FS = 8.4, 17, 14
DEF_FG, DEF_BG = "#d0d0d0", "#1c1c1c"
base16 = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
          "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]

def c256(n):
    if n < 16:
        return base16[n]
    if n < 232:
        n -= 16
        v = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (v[n // 36], v[(n // 6) % 6], v[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)

# DEC special graphics (what ncurses' ACS line drawing arrives as)
ACS = {"q": "\u2500", "x": "\u2502", "l": "\u250c", "k": "\u2510", "m": "\u2514", "j": "\u2518",
       "t": "\u251c", "u": "\u2524", "v": "\u2534", "w": "\u252c", "n": "\u253c", "a": "\u2592",
       "`": "\u25c6", "~": "\u00b7", "0": "\u2588"}
text = sys.stdin.read()
grid = []
acs = False
fg, bg, bold, rev, dim, ul = None, None, False, False, False, False
for line in text.split("\n")[:rows]:
    cells = []
    i = 0
    while i < len(line):
        m = re.match(r"\x1b\[([0-9;]*)m", line[i:])
        if m:
            ps = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
            k = 0
            while k < len(ps):
                p = ps[k]
                if p == 0: fg, bg, bold, rev, dim, ul = None, None, False, False, False, False
                elif p == 1: bold = True
                elif p == 2: dim = True
                elif p == 4: ul = True
                elif p == 7: rev = True
                elif p == 22: bold = dim = False
                elif p == 24: ul = False
                elif p == 27: rev = False
                elif 30 <= p <= 37: fg = c256(p - 30)
                elif 90 <= p <= 97: fg = c256(p - 90 + 8)
                elif 40 <= p <= 47: bg = c256(p - 40)
                elif 100 <= p <= 107: bg = c256(p - 100 + 8)
                elif p == 39: fg = None
                elif p == 49: bg = None
                elif p in (38, 48) and k + 2 < len(ps) and ps[k + 1] == 5:
                    if p == 38: fg = c256(ps[k + 2])
                    else: bg = c256(ps[k + 2])
                    k += 2
                k += 1
            i += m.end()
            continue
        if line[i] == "\x1b":  # other sequences: charset switches, else skipped
            m = re.match(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z])", line[i:])
            if m and m.group(1) in ("(0", ")0"): acs = True
            elif m and m.group(1) in ("(B", ")B"): acs = False
            i += m.end() if m else 1
            continue
        if line[i] in "\x0e\x0f":  # SO / SI: alternate character set on / off
            acs = line[i] == "\x0e"
            i += 1
            continue
        if ord(line[i]) < 0x20:
            i += 1
            continue
        f, b = fg or DEF_FG, bg or DEF_BG
        if rev: f, b = (bg or DEF_BG), (fg or DEF_FG)
        ch = ACS.get(line[i], line[i]) if acs else line[i]
        cells.append((ch, f, b, bold, dim, ul))
        i += 1
    grid.append(cells)

out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">' % (cols * CW + 16, rows * CH + 16),
       '<rect width="100%%" height="100%%" fill="%s"/>' % DEF_BG, '<g transform="translate(8,8)">']
for y, cells in enumerate(grid):
    for x, (ch, f, b, bo, di, u) in enumerate(cells):
        if b != DEF_BG:
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>' % (x * CW, y * CH, CW + 0.4, CH, b))
    x = 0
    while x < len(cells):  # runs of same style
        ch, f, b, bo, di, u = cells[x]
        s = x
        while x < len(cells) and cells[x][1:] == cells[s][1:]:
            x += 1
        run = "".join(c[0] for c in cells[s:x])
        if run.strip():
            out.append('<text x="%.1f" y="%d" fill="%s" font-family="DejaVu Sans Mono" font-size="%d" '
                       'textLength="%.1f" lengthAdjust="spacingAndGlyphs" xml:space="preserve"%s%s%s>%s</text>'
                       % (s * CW, y * CH + 13, f, FS, (x - s) * CW, ' font-weight="bold"' if bo else "",
                          ' opacity="0.6"' if di else "", ' text-decoration="underline"' if u else "", html.escape(run)))
out.append("</g></svg>")
print("\n".join(out))
