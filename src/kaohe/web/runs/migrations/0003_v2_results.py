# Version 2 results: payout lines, alerts, item runs (counts only; items stay in the store).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('runs', '0002_run_jobs'),
    ]

    operations = [
        migrations.AddField(model_name='run', name='payout_lines',
                            field=models.JSONField(default=list)),
        migrations.AddField(model_name='run', name='alerts', field=models.JSONField(default=list)),
        migrations.AddField(model_name='run', name='item_count',
                            field=models.PositiveIntegerField(blank=True, null=True)),
        migrations.AddField(model_name='run', name='alert_count',
                            field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name='result', name='alert',
                            field=models.BooleanField(default=False, verbose_name='预警')),
        migrations.AddField(model_name='result', name='payout_lines',
                            field=models.JSONField(default=dict)),
    ]
