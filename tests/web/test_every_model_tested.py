"""NetBox's rule: a model without tests fails the suite. Every model of kaohe's web apps must be
named in at least one test module under tests/web/ other than this one."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.test import SimpleTestCase

HERE = Path(__file__).parent


class EveryModelHasTests(SimpleTestCase):
    def test_every_model_is_used_by_a_test(self) -> None:
        texts = "\n".join(p.read_text(encoding="utf-8") for p in HERE.rglob("*.py")
                          if p.name != Path(__file__).name)
        models = [m for m in apps.get_models() if m.__module__.startswith("kaohe.web.")]
        self.assertGreater(len(models), 10)
        for model in models:
            with self.subTest(model=model.__name__):
                self.assertRegex(texts, rf"\b{re.escape(model.__name__)}\b")
