#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The translation catalogues are complete.

Usage: test-catalogue.py SOURCE_DIR

- po/POTFILES names every file that marks a string for translation (C: _(), N_(),
  C_(), ngettext and g_dngettext; GtkBuilder: translatable="yes"; the desktop file
  and AppStream metainfo templates), and nothing that does not exist;
- every message xgettext extracts from those files (with Meson's glib preset, as the
  build's pot target does) is in every language of po/LINGUAS, translated, not fuzzy,
  and msgfmt --check accepts the catalogue (format strings agree);
- each catalogue declares its plural forms.

Runs xgettext, msgcmp and msgfmt from gettext; starts no daemon. Output is TAP.
"""

import os
import re
import subprocess
import sys
import tempfile

SOURCE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["DOMUS_SOURCE_DIR"])
PO = os.path.join(SOURCE, "po")
SCANNED = ("backend", "cli", "common", "gui", "hvcore", "ui", "data")
C_MARK = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|ngettext|g_dngettext)\s*\(')
UI_MARK = re.compile(r'translatable="yes"')
TEMPLATE_MARK = re.compile(r'\.(desktop|metainfo\.xml|appdata\.xml)\.in$')

# Meson's i18n.gettext(preset: 'glib') keywords, so that this sees what the pot target sees.
XGETTEXT_GLIB = [
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format",
    "--flag=g_printf:1:c-format", "--flag=g_fprintf:2:c-format",
    "--flag=g_sprintf:2:c-format", "--flag=g_snprintf:3:c-format",
]

results = []


def ok(passed, name, detail=""):
    results.append(passed)
    print("%s %d - %s" % ("ok" if passed else "not ok", len(results), name))
    if not passed and detail:
        for line in detail.rstrip().splitlines()[:40]:
            print("# " + line)


def read_list(name):
    with open(os.path.join(PO, name), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def marks_strings(path):
    if TEMPLATE_MARK.search(path):
        return True
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return False
    if path.endswith(".ui"):
        return bool(UI_MARK.search(text))
    if path.endswith(".c"):
        return bool(C_MARK.search(text))
    return False


def files_that_mark():
    found = set()
    for top in SCANNED:
        for folder, _dirs, names in os.walk(os.path.join(SOURCE, top)):
            for name in names:
                path = os.path.join(folder, name)
                if marks_strings(path):
                    found.add(os.path.relpath(path, SOURCE))
    return found


def check_potfiles(potfiles):
    listed = set(potfiles)
    missing = sorted(files_that_mark() - listed)
    ok(not missing, "po/POTFILES names every file that marks strings",
       "not in po/POTFILES:\n" + "\n".join(missing))
    gone = sorted(p for p in listed if not os.path.exists(os.path.join(SOURCE, p)))
    ok(not gone, "every file po/POTFILES names exists", "\n".join(gone))


def extract_template(potfiles, workdir):
    pot = os.path.join(workdir, "domus.pot")
    existing = [p for p in potfiles if os.path.exists(os.path.join(SOURCE, p))]
    listing = os.path.join(workdir, "files")
    with open(listing, "w", encoding="utf-8") as f:
        f.write("\n".join(existing) + "\n")
    r = subprocess.run(["xgettext", "--from-code=UTF-8", "--add-comments", "--package-name=domus",
                        "--files-from=" + listing, "--directory=" + SOURCE, "--output=" + pot]
                       + XGETTEXT_GLIB, capture_output=True, text=True)
    ok(r.returncode == 0, "xgettext extracts the messages of po/POTFILES", r.stderr)
    return pot if r.returncode == 0 else None


def check_language(lang, pot):
    po = os.path.join(PO, lang + ".po")
    r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "%s.po: msgfmt --check accepts it" % lang, r.stderr)
    stats = r.stderr.strip()
    ok(re.fullmatch(r"\d+ translated messages?\.", stats) is not None,
       "%s.po: every message translated, none fuzzy (%s)" % (lang, stats), stats)
    if pot is not None:
        r = subprocess.run(["msgcmp", "--use-untranslated", po, pot],
                           capture_output=True, text=True)
        ok(r.returncode == 0, "%s.po: holds every message of the sources" % lang, r.stderr)
    with open(po, encoding="utf-8") as f:
        header = f.read(4000)
    ok(re.search(r'"Plural-Forms: nplurals=\d+; plural=[^;]+;', header) is not None,
       "%s.po: declares its plural forms" % lang, header[:800])


def main():
    potfiles = read_list("POTFILES")
    languages = read_list("LINGUAS")
    check_potfiles(potfiles)
    with tempfile.TemporaryDirectory(prefix="domus-catalogue-") as workdir:
        pot = extract_template(potfiles, workdir)
        ok(bool(languages), "po/LINGUAS names at least one language")
        for lang in languages:
            check_language(lang, pot)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
