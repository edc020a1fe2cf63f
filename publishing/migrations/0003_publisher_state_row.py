from django.db import migrations


def create_switch(apps, schema_editor):
    # The publisher's single switch always exists, so the admin can flip it.
    apps.get_model("publishing", "PublisherState").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0002_engine")]

    operations = [migrations.RunPython(create_switch, migrations.RunPython.noop)]
