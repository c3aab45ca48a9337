"""Merge a dict of Swedish translations into portal/translations/sv/LC_MESSAGES/messages.po.

Usage: python scripts/fill_translations.py FILE.py  (FILE.py defines SV = {msgid: msgstr}).
Run `make messages` first so the catalogue has every msgid of the code.
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

PO = "portal/translations/sv/LC_MESSAGES/messages.po"


def main(path):
    translations = runpy.run_path(path)["SV"]
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="sv")
    filled = 0
    for message in catalog:
        if message.id and message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still missing {len(missing)}")
    for msgid in missing:
        print("  ", repr(msgid))


if __name__ == "__main__":
    main(sys.argv[1])
