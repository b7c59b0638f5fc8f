"""Fill empty msgstr entries of a .po file from a YAML mapping {msgid: English}.

    python scripts/po_fill.py src/kaohe/web/<app>/locale/en/LC_MESSAGES/django.po mapping.yaml

Only single-line msgids are handled (kaohe's are); entries missing from the mapping are listed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml


def fill(po: Path, mapping: dict[str, str]) -> list[str]:
    text = po.read_text(encoding="utf-8")
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        msgid = m.group(1).replace('\\"', '"')
        if m.group(2):
            return m.group(0)
        if msgid in mapping:
            en = mapping[msgid].replace("\\", "\\\\").replace('"', '\\"')
            return f'msgid "{m.group(1)}"\nmsgstr "{en}"'
        if msgid:
            missing.append(msgid)
        return m.group(0)

    text = re.sub(r'^msgid "(.*)"\nmsgstr "(.*)"$', repl, text, flags=re.M)
    text = text.replace("#, fuzzy\n", "", 1) if not missing else text
    po.write_text(text, encoding="utf-8")
    return missing


if __name__ == "__main__":
    left = fill(Path(sys.argv[1]), yaml.safe_load(Path(sys.argv[2]).read_text(encoding="utf-8")))
    for m in left:
        print(f"untranslated: {m}")
    sys.exit(1 if left else 0)
