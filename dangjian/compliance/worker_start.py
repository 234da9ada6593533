"""Loaded once by the fork server of a full refresh's worker processes (`kept._workers`): Django is set up there,
and each worker forked from it starts ready, in a process that has never had a thread or a connection."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
django.setup()
