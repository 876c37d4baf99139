"""The configuration memo (catalog.config_memo, issue 16): loaded once per process and
generation, renewed by every commit that changes a watched model, never stale for the
process that made the change, bounded in age when the cache cannot say."""

import pytest

from catalog import config_memo, selectors
from catalog.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def memo(settings):
    settings.CONFIG_MEMO = True
    config_memo.reset()
    loads = []

    def read(name="test"):
        return config_memo.memoized(name, lambda: loads.append(name) or len(loads))
    read.loads = loads
    yield read
    config_memo.reset()


def test_a_value_is_loaded_once_per_generation(memo):
    assert memo() == memo() == 1
    config_memo.renew()  # another process's commit
    assert memo() == 2 and memo.loads == ["test", "test"]


def test_the_writer_reads_the_database_until_its_change_commits(
        memo, django_capture_on_commit_callbacks):
    memo()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        department = Department.objects.get(code="sipstation-general")
        department.is_active = False
        department.save()
        assert memo() == 2 and memo() == 3  # uncommitted: never kept
    assert selectors.department_submittable(code="sipstation-general") is None
    generation = config_memo.current_generation()
    for callback in callbacks:
        callback()  # the commit
    assert config_memo.current_generation() != generation
    assert memo() == 4 and memo() == 4  # kept again, under the new generation


def test_a_deleted_or_added_field_reaches_the_next_read(memo,
                                                        django_capture_on_commit_callbacks):
    department = selectors.department_submittable(code="sipstation-general")
    before = [f.key for f in selectors.department_fields(department=department)]
    with django_capture_on_commit_callbacks(execute=True):
        department.fields.create(key="extension", label_es="Extensión", label_en="Extension",
                                 position=999)
    after = [f.key for f in selectors.department_fields(
        department=selectors.department_submittable(code="sipstation-general"))]
    assert after == [*before, "extension"]


def test_without_the_cache_the_memo_is_kept_no_longer_than_its_age(memo, monkeypatch):
    memo()
    monkeypatch.setattr(config_memo, "_generation", lambda: None)  # Redis down
    assert memo() == 1
    clock = config_memo.time.monotonic() + config_memo.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(config_memo.time, "monotonic", lambda: clock)
    assert memo() == 2


def test_off_without_redis_every_read_loads(memo, settings):
    settings.CONFIG_MEMO = False
    assert memo() == 1 and memo() == 2


def test_a_failed_generation_read_leaves_the_cache_alone_for_a_while(memo, monkeypatch,
                                                                    settings):
    calls = []

    def down():
        calls.append(1)
        raise ConnectionError("Redis down")

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(config_memo, "_redis", lambda: type("R", (), {"get": lambda s, k: down()})())
    assert memo() == 1 and memo() == 1 and memo() == 1  # kept, by its age
    assert len(calls) == 1  # one attempt, then CACHE_RETRY_SECONDS without any
