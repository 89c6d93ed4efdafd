"""The load benchmark's baseline: the least a Flask page can do with Adal's database, for comparison.

``gunicorn -c deploy/gunicorn.conf.py bench.one_row_app:app`` with ``ADAL_DATABASE_URL`` set: one
route reading one person's row by id, with the pool options Adal's own engine uses, so the ratio
between Adal's pages and this one is what Adal's own work costs.
"""

import os
import random

from flask import Flask
from sqlalchemy import create_engine, text

from lms.config import _engine_options

URL = os.environ["ADAL_DATABASE_URL"]
engine = create_engine(URL, **_engine_options(URL))
app = Flask(__name__)
with engine.connect() as _conn:
    MAX_ID = _conn.scalar(text('SELECT max(id) FROM "user"')) or 1


@app.route("/one-row")
def one_row():
    with engine.connect() as conn:
        name = conn.scalar(text('SELECT full_name FROM "user" WHERE id = :id'), {"id": random.randint(1, MAX_ID)})
    return f"<p>{name}</p>"
