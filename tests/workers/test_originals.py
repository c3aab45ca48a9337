"""The worker host's cache of originals (workers.originals.HostCache): one download per host for
all the jobs of a film, no copy that looks whole after a torn download, nothing kept for long.

The storage behind it is a real LocalStorage folder that counts its reads (the cache asks any
backend for ``open_read``; on the local backend itself the worker reads originals in place)."""

import hashlib
import os
import threading
import time

import pytest

from portal.services.storage import LocalStorage
from workers.originals import CACHE_FOLDER, HostCache, host_cache

KEY = "org/1/rec/abc/src/00001.MTS"


class CountingStorage(LocalStorage):
    def __init__(self, root, delay=0.0):
        super().__init__(root)
        self.reads, self.delay = [], delay

    def open_read(self, key):
        self.reads.append(key)
        time.sleep(self.delay)  # a slow first byte: other jobs arrive meanwhile
        return super().open_read(key)


@pytest.fixture
def stored(tmp_path):
    storage = CountingStorage(tmp_path / "storage", delay=0.2)
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "camera.mts"
    source.write_bytes(data)
    storage.upload_from(source, KEY, "video/mp2t")
    return storage, data


def test_jobs_at_once_on_one_host_download_once_and_read_the_same_copy(tmp_path, stored):
    storage, data = stored
    cache = HostCache(str(tmp_path / "cache"), minutes=60)
    answers = []
    jobs = [threading.Thread(target=lambda: answers.append(HostCache(cache.folder, 60).get(storage, KEY, len(data))))
            for _ in range(4)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert storage.reads == [KEY]
    assert {path for path, _digest in answers} == {cache.path(KEY)}
    assert {digest for _path, digest in answers} == {hashlib.sha256(data).hexdigest()}  # kept beside the copy
    with open(cache.path(KEY), "rb") as copy:
        assert copy.read() == data
    assert oct(os.stat(cache.path(KEY)).st_mode & 0o777) == "0o600"


def test_a_torn_download_leaves_no_copy_and_the_next_job_downloads_again(tmp_path, stored):
    storage, data = stored
    cache = HostCache(str(tmp_path / "cache"), minutes=60)
    with pytest.raises(RuntimeError, match="expected"):
        cache.get(storage, KEY, len(data) + 1)  # not the size the upload had
    assert sorted(os.listdir(cache.folder)) == [os.path.basename(cache.path(KEY)) + ".lock"]
    with open(cache.path(KEY) + ".part", "wb") as torn:  # a job killed mid-download
        torn.write(data[:1000])
    path, digest = cache.get(storage, KEY, len(data))
    assert digest == hashlib.sha256(data).hexdigest() and os.path.getsize(path) == len(data)
    assert len(storage.reads) == 2 and not os.path.exists(path + ".part")


def test_copies_unused_for_the_limit_are_deleted_and_a_finished_film_drops_its_own(tmp_path, stored):
    storage, data = stored
    cache = HostCache(str(tmp_path / "cache"), minutes=1)
    old, _ = cache.get(storage, KEY, len(data))
    storage.upload_from(old, "org/1/rec/def/src/00001.MTS", "video/mp2t")
    recent, _ = cache.get(storage, "org/1/rec/def/src/00001.MTS", len(data))
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    cache.prune()
    assert not os.path.exists(old) and not os.path.exists(old + ".sha256")
    assert os.path.exists(recent)
    cache.drop(["org/1/rec/def/src/00001.MTS"])
    assert os.listdir(cache.folder) == []


def test_the_cache_is_for_s3_only_and_can_be_turned_off(tmp_path):
    local = LocalStorage(tmp_path / "storage")
    s3_like = object()  # any backend other than the local folder
    config = {"WORKER_TMP_DIR": str(tmp_path / "worker"), "ORIGINALS_CACHE_MINUTES": 60}
    assert host_cache(config, local) is None  # read in place
    cache = host_cache(config, s3_like)
    assert cache.folder == str(tmp_path / "worker" / CACHE_FOLDER)
    assert oct(os.stat(cache.folder).st_mode & 0o777) == "0o700"
    assert host_cache({**config, "ORIGINALS_CACHE_MINUTES": 0}, s3_like) is None


def test_a_cache_folder_others_can_read_is_refused(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with pytest.raises(RuntimeError, match="no one else can read"):
        HostCache(str(folder), minutes=60)
