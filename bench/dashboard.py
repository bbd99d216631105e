"""How long the service dashboard takes to build on a month of busy history.

    .venv/bin/python -m bench.dashboard [--chats 10000] [--runs 7] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Builds a throwaway database (a SQLite file in a temporary directory, or with
``--postgres`` a fresh PostgreSQL database on that server, dropped afterwards),
migrates it, fills the last 28 days with ``--chats`` chats, their requests,
the requests that gave up, listener shifts, alerts, reports and sanctions,
then times ``GET /manage/dashboard/`` (the default range: those 28 days) and
``GET /api/v1/metrics`` through Django's test client, signed in as a service
manager. Prints the median and the slowest of ``--runs`` timed requests after
one warm-up request each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _configure(workdir: Path, database_url: str | None) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "support.settings",
            "HEARTH_VAR_DIR": str(workdir),
            # Production-like: no per-query debug bookkeeping.
            "DEBUG": "0",
            "SECRET_KEY": "bench-dashboard-" + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "testserver",
            # No scheduler: retention would start deleting the month being measured.
            "HEARTH_SCHEDULER_IN_PROCESS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _keep_given_creation_times(*models) -> None:
    """History is made in the past: stop ``auto_now_add`` replacing the times given (this process only)."""
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now_add", False):
                field.auto_now_add = False


def _fill(*, chats: int, seed: int) -> dict:
    """A month of history, bulk-inserted; returns counts of what was made."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from chat.models import ChatRequest, Conversation, ConversationStatus, RequestStatus
    from listeners.models import Shift
    from safety.models import Report, SafetyFlag, Sanction
    from support.models import Role, Topic, User
    from support.roles import SERVICE_MANAGERS_GROUP

    rng = random.Random(seed)
    now = timezone.now()
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=27), dt.time.min))
    span = (now - start).total_seconds()
    topics = list(Topic.objects.all())
    # Busier in the evening: weight each hour of the day.
    hour_weights = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 6, 3]

    def moment() -> dt.datetime:
        day = rng.randrange(max(1, int(span // 86400)))
        hour = rng.choices(range(24), weights=hour_weights)[0]
        when = start + dt.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        return min(when, now - dt.timedelta(minutes=90))

    abandoned = chats // 6
    waiting = 40
    people = chats + abandoned + waiting
    User.objects.bulk_create(
        [
            User(
                username=f"bench-seeker-{i}",
                alias=f"BenchSeeker{i}",
                role=Role.SEEKER,
                age_group="teen" if i % 7 == 0 else "adult",
                password="!",
            )
            for i in range(people)
        ],
        batch_size=2000,
    )
    seekers = list(User.objects.filter(role=Role.SEEKER).order_by("pk"))
    User.objects.bulk_create(
        [
            User(
                username=f"bench-listener-{i}",
                alias=f"BenchListener{i}",
                role=Role.LISTENER,
                age_group="adult",
                password="!",
            )
            for i in range(200)
        ]
    )
    listeners = list(User.objects.filter(role=Role.LISTENER).order_by("pk"))
    staff = User.objects.create(username="bench-staff", alias="BenchStaff", role=Role.STAFF, password="!")
    staff.groups.add(Group.objects.get(name=SERVICE_MANAGERS_GROUP))

    _keep_given_creation_times(Conversation, ChatRequest, SafetyFlag)
    conversations, plans = [], []
    for index, seeker in enumerate(seekers):
        topic = rng.choice(topics)
        created = moment()
        if index < chats:
            wait = dt.timedelta(seconds=min(7200, rng.lognormvariate(4.5, 1.0)))
            started = created + wait
            ended = started + dt.timedelta(minutes=rng.randrange(5, 60))
            conversations.append(
                Conversation(
                    seeker=seeker,
                    listener=rng.choice(listeners),
                    topic=topic,
                    status=ConversationStatus.ENDED,
                    created_at=created,
                    end_reason="seeker_ended",
                    started_at=started,
                    ended_at=ended,
                    last_activity_at=ended,
                )
            )
            plans.append((created, RequestStatus.MATCHED, started, started))
        elif index < chats + abandoned:
            closed = created + dt.timedelta(seconds=rng.randrange(30, 1800))
            conversations.append(
                Conversation(
                    seeker=seeker,
                    topic=topic,
                    status=ConversationStatus.ENDED,
                    created_at=created,
                    end_reason="cancelled",
                    ended_at=closed,
                    last_activity_at=closed,
                )
            )
            plans.append((created, RequestStatus.CANCELLED, None, closed))
        else:
            created = now - dt.timedelta(seconds=rng.randrange(10, 900))
            conversations.append(Conversation(seeker=seeker, topic=topic, created_at=created, last_activity_at=created))
            plans.append((created, RequestStatus.WAITING, None, None))
    conversations = Conversation.objects.bulk_create(conversations, batch_size=2000)
    ChatRequest.objects.bulk_create(
        [
            ChatRequest(
                seeker_id=c.seeker_id,
                conversation=c,
                topic_id=c.topic_id,
                age_group="adult",
                status=status,
                queued_at=created,
                created_at=created,
                matched_at=matched,
                closed_at=closed,
            )
            for c, (created, status, matched, closed) in zip(conversations, plans, strict=True)
        ],
        batch_size=2000,
    )
    shifts = []
    for _ in range(chats // 4):
        begin = moment()
        shifts.append(
            Shift(
                listener=rng.choice(listeners),
                capacity=2,
                started_at=begin,
                idle_since=begin,
                ended_at=begin + dt.timedelta(minutes=rng.randrange(30, 240)),
                end_reason="ended_by_listener",
            )
        )
    shifts = Shift.objects.bulk_create(shifts, batch_size=2000)
    Shift.topics.through.objects.bulk_create(
        [Shift.topics.through(shift_id=s.pk, topic_id=t.pk) for s in shifts for t in rng.sample(topics, 4)],
        batch_size=5000,
    )

    flags = []
    for _ in range(chats // 25):
        created = moment()
        acked = created + dt.timedelta(seconds=rng.randrange(10, 900))
        flags.append(
            SafetyFlag(
                conversation=rng.choice(conversations[:chats]),
                source="classifier",
                level=rng.choice((2, 2, 2, 3)),
                status="resolved",
                acknowledged_at=acked,
                acknowledged_by=staff,
                resolved_at=acked + dt.timedelta(minutes=rng.randrange(5, 600)),
                resolved_by=staff,
            )
        )
    for flag in flags:
        flag.created_at = flag.acknowledged_at - dt.timedelta(seconds=rng.randrange(10, 900))
    SafetyFlag.objects.bulk_create(flags, batch_size=2000)
    Report.objects.bulk_create(
        [
            Report(
                reporter_id=c.seeker_id,
                conversation=c,
                target_key=f"user:{c.listener_id}",
                reason="harassment",
                created_at=c.ended_at,
            )
            for c in rng.sample(conversations[:chats], chats // 30)
        ],
        batch_size=2000,
    )
    Sanction.objects.bulk_create(
        [
            Sanction(
                subject_id=c.seeker_id,
                kind="warning",
                note="bench",
                created_by=staff,
                created_at=c.ended_at,
                expires_at=c.ended_at + dt.timedelta(days=90),
            )
            for c in rng.sample(conversations[:chats], chats // 150)
        ]
    )
    return {
        "chats": chats,
        "abandoned": abandoned,
        "waiting": waiting,
        "shifts": len(shifts),
        "alerts": len(flags),
        "reports": chats // 30,
        "sanctions": chats // 150,
        "staff": staff,
    }


def _time(client, path: str, runs: int) -> list[float]:
    response = client.get(path, secure=True)  # warm-up: templates, permission cache (secure: DEBUG off redirects http)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(path, secure=True)
        timings.append(time.perf_counter() - begin)
        assert response.status_code == 200
    return timings


def _time_figures(runs: int) -> None:
    """Each figure's selector alone (median of ``runs``), to see where the page's time goes."""
    from metrics import selectors
    from metrics.filters import metrics_filter_parse

    flt = metrics_filter_parse(params={})
    readers = {
        "line": lambda: selectors.line_now(topic=None),
        "waits": lambda: selectors.waits_by_hour(flt),
        "chats": lambda: selectors.chats_by_day(flt),
        "staffing": lambda: selectors.staffing_by_hour(flt),
        "alerts": lambda: selectors.alerts_by_level(flt),
        "reports": lambda: selectors.reports_by_week(flt),
    }
    parts = []
    for key, read in readers.items():
        timings = []
        for _ in range(runs):
            begin = time.perf_counter()
            read()
            timings.append(time.perf_counter() - begin)
        parts.append(f"{key} {statistics.median(timings) * 1000:.0f}")
    print("selectors alone, median ms: " + ", ".join(parts))


def _postgres_database(server_url: str) -> tuple[str, callable]:
    """A fresh database on the server at ``server_url``; returns its URL and a function that drops it."""
    import psycopg

    name = f"hearth_bench_dashboard_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}", drop


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chats", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument(
        "--keep", metavar="DIR", help="SQLite only: build the database in DIR once and reuse it on later runs"
    )
    ap.add_argument("--profile", action="store_true", help="print where one page request spends its time")
    ap.add_argument("--postgres", metavar="SERVER_URL", help="run on a fresh PostgreSQL database on this server")
    args = ap.parse_args(argv)

    drop = None
    with tempfile.TemporaryDirectory(prefix="hearth-bench-dashboard-") as scratch:
        workdir = args.keep or scratch
        reuse = bool(args.keep) and (Path(workdir) / "hearth.sqlite3").exists()
        database_url = None
        if args.postgres:
            database_url, drop = _postgres_database(args.postgres)
        try:
            _configure(Path(workdir), database_url)
            from django.core.management import call_command
            from django.db import connection
            from django.test import Client

            begin = time.perf_counter()
            if reuse:
                from support.models import Role, User

                made = {"reused": workdir, "staff": User.objects.get(username="bench-staff", role=Role.STAFF)}
            else:
                call_command("migrate", verbosity=0)
                # DEBUG is off: pages name their static files through the manifest, as in production.
                call_command("collectstatic", interactive=False, verbosity=0)
                made = _fill(chats=args.chats, seed=args.seed)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            print(
                f"database: {connection.vendor}; built in {time.perf_counter() - begin:.1f} s: "
                + ", ".join(f"{v} {k}" for k, v in made.items() if k != "staff")
            )
            client = Client()
            client.force_login(made["staff"])
            if args.profile:
                import cProfile
                import pstats

                client.get("/manage/dashboard/", secure=True)
                profiler = cProfile.Profile()
                profiler.runcall(client.get, "/manage/dashboard/", secure=True)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            _time_figures(args.runs)
            for label, path in (
                ("page /manage/dashboard/", "/manage/dashboard/"),
                ("API /api/v1/metrics", "/api/v1/metrics"),
            ):
                timings = _time(client, path, args.runs)
                print(
                    f"{label:<26} median {statistics.median(timings) * 1000:7.1f} ms   slowest {max(timings) * 1000:7.1f} ms"
                    f"   (n={len(timings)})"
                )
        finally:
            if drop is not None:
                drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
