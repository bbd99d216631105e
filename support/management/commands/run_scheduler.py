"""Run Hearth's periodic jobs in a process of their own.

For deployments that set ``HEARTH_SCHEDULER_IN_PROCESS=0`` on the web
processes. Safe to run next to in-process schedulers and in several copies:
every job claims its rows with row locks.
"""

from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand

from support.scheduler import run_forever, run_jobs_once


class Command(BaseCommand):
    help = "Run the periodic jobs (offer expiry, presence sweep, inactivity, alert re-notify) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args, once: bool = False, **options):
        asyncio.run(run_jobs_once() if once else run_forever())
