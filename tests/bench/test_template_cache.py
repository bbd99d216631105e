"""Hearth's bench templates are reused only while what built them is unchanged."""

from pathlib import Path

from bench.harness.report import _templates_note
from bench.targets import template_cache


def _repo(tmp_path: Path) -> Path:
    for app in template_cache.APPS:
        (tmp_path / app / "migrations").mkdir(parents=True)
        (tmp_path / app / "models.py").write_text(f"# {app}\n")
    (tmp_path / template_cache.SEED_SCRIPT).parent.mkdir(parents=True)
    (tmp_path / template_cache.SEED_SCRIPT).write_text("# seed\n")
    return tmp_path


def test_the_key_changes_with_a_migration_the_seed_script_the_pool_or_the_settings(tmp_path):
    repo = _repo(tmp_path)
    pool, env = {"pairs": 250, "room": 200}, {"MATCHING_AUTO_ASSIGN": "1"}
    first = template_cache.key(repo, pool=pool, env=env)
    assert template_cache.key(repo, pool=dict(pool), env=dict(env)) == first
    (repo / "chat" / "migrations" / "0009_new.py").write_text("# a new migration\n")
    second = template_cache.key(repo, pool=pool, env=env)
    assert second != first
    (repo / template_cache.SEED_SCRIPT).write_text("# seed, changed\n")
    third = template_cache.key(repo, pool=pool, env=env)
    assert third != second
    assert template_cache.key(repo, pool={"pairs": 50, "room": 200}, env=env) != third
    assert template_cache.key(repo, pool=pool, env={"MATCHING_AUTO_ASSIGN": "0"}) != third
    (repo / "chat" / "notes.txt").write_text("not code")
    assert template_cache.key(repo, pool=pool, env=env) == third


def test_only_other_keys_kept_templates_are_stale(tmp_path):
    key, other = "a" * 16, "b" * 16
    names = [
        template_cache.pg_name(key, "blank"),
        template_cache.pg_name(key, "seeded"),
        template_cache.pg_name(other, "seeded"),
        "hearth_bench_tpl_4242_blank",  # another run's in-progress build
        "hearth_bench_run_1",
        "postgres",
    ]
    assert template_cache.stale_pg(names, key) == [template_cache.pg_name(other, "seeded")]
    folder = tmp_path / "templates"
    folder.mkdir()
    ours = template_cache.sqlite_path(tmp_path, key, "seeded")
    theirs = template_cache.sqlite_path(tmp_path, other, "blank")
    for path in (
        ours,
        theirs,
        template_cache.pool_path(tmp_path, "sqlite", key),
        template_cache.pool_path(tmp_path, "pg", other),
    ):  # PostgreSQL's: not SQLite's to remove
        path.write_text("")
    assert template_cache.stale_sqlite(tmp_path, key) == [theirs]


def test_the_report_says_whether_templates_were_built_or_reused():
    note = _templates_note(
        [
            {"store": "pg", "kind": "blank", "reused": True, "seconds": 0.1},
            {"store": "pg", "kind": "seeded", "reused": False, "seconds": 9.5},
        ]
    )
    assert "reused: pg blank" in note and "built: pg seeded (9.5 s)" in note
    assert _templates_note([]) == ""
