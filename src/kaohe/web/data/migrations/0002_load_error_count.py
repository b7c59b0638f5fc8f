"""DataLoad.error_count: the count of all errors of a rejected load, of which only the first
are stored (workspace.limits.ImportLimits.errors_kept). Loads recorded before keep every error
row; their count is set from it."""

from typing import Any

from django.db import migrations, models


def count_existing(apps: Any, schema_editor: Any) -> None:
    DataLoad = apps.get_model("data", "DataLoad")
    for pk in DataLoad.objects.exclude(errors=[]).values_list("pk", flat=True).iterator():
        load = DataLoad.objects.only("errors").get(pk=pk)
        DataLoad.objects.filter(pk=pk).update(error_count=len(load.errors or []))


class Migration(migrations.Migration):

    dependencies = [
        ("data", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataload",
            name="error_count",
            field=models.PositiveIntegerField(default=0, verbose_name="错误数"),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
