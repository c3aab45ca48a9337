"""The local storage backend's signed URLs: part uploads (PUT) and object reads (GET).

The signature in the URL authorises the request, so the views are public and CSRF-exempt;
with STORAGE_BACKEND=s3 the browser talks to the bucket and these answer 404. The blueprint
also carries ``flask storage sweep-uploads`` (either backend), to run daily from cron.
"""

from flask import Blueprint

bp = Blueprint("storage_local", __name__, cli_group="storage")

from portal.storage_local import commands, routes  # noqa: E402, F401 - registers views and commands on bp
