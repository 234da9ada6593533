"""The messages of kept results and 待办 become JSON (core.messages): a msgid and its parameters, rendered in
the viewer's language when shown, instead of a text in the language the refresh ran in.

The kept rows are not emptied but kept as they are: each text becomes a JSON string, which is shown as it is
(a plain text, in Chinese) until the next `dangjian compliance refresh` — nightly — replaces it with the
translatable form. Emptying the tables would also have worked (the refresh rebuilds them), but it would lose
the date each result took its status (`since`) and record every result as first evaluated again in its
history. Going back turns each message into its Chinese text.
"""

from django.db import migrations, models

TABLES = ("compliance_keptresult", "compliance_kepttodo")


def quote_texts(apps, schema_editor):
    """Each message text as a JSON string, in place, before the column becomes JSON (one UPDATE per table)."""
    connection = schema_editor.connection
    quote = "to_jsonb(message)::text" if connection.vendor == "postgresql" else "json_quote(message)"
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"UPDATE {connection.ops.quote_name(table)} SET message = {quote}")


def unquote_texts(apps, schema_editor):
    """Back to text: each message rendered in Chinese (the column is text again, holding the JSON text)."""
    import json

    from django.utils import translation

    from dangjian.core.messages import render

    with translation.override("zh-hans"):
        for name in ("KeptResult", "KeptTodo"):
            model = apps.get_model("compliance", name)
            for pk, message in model.objects.values_list("pk", "message").iterator():
                model.objects.filter(pk=pk).update(message=render(json.loads(message)))


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_kept_results"),
    ]

    operations = [
        # forwards before the column becomes JSON; backwards after it is text again
        migrations.RunPython(quote_texts, unquote_texts),
        migrations.AlterField(
            model_name="keptresult",
            name="message",
            field=models.JSONField(verbose_name="说明"),
        ),
        migrations.AlterField(
            model_name="kepttodo",
            name="message",
            field=models.JSONField(verbose_name="说明"),
        ),
    ]
