"""The multihost scenario needs root and takes minutes: it is deselected unless asked for by
name in ``-m`` (``pytest -m multihost tests/multihost``)."""


def pytest_collection_modifyitems(config, items):
    if "multihost" in (config.getoption("markexpr") or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("multihost") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = chosen
