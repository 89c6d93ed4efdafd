"""Memory of a people-import upload: a 30 MB, one-million-row CSV through the web pages (issue 12, finding 4).

Each measurement runs in a fresh process (peak RSS is per process): sign in as an officer, upload the
file, open the review page twice. ``ADAL_BENCH_TREE`` names another checkout to measure instead
(an older commit, for the figure before a change); by default this one.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROWS = 1_000_000

#: Run inside the measured process, on the tree's own code.
CHILD = r"""
import io, json, resource, sys, tempfile, time
from pathlib import Path
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)

from lms import create_app
from lms.extensions import db
from lms.models import PersonKind, Role
from tests import factories

work = Path(tempfile.mkdtemp())
app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}", "ADAL_STORAGE_PATH": str(work),
                  "ADAL_BASE_URL": "http://adal.test", "ADAL_TWO_FACTOR_REQUIRED": False})
with app.app_context():
    db.create_all()
    make = factories.Builders(db.session)
    make.unit("FIT")
    officer = make.user("officer@example.kz", roles=[Role.OFFICER], kind=PersonKind.STAFF)
    db.session.commit()
client = app.test_client()
client.post("/login", data={"email": "officer@example.kz", "password": factories.PASSWORD})
data = Path(sys.argv[1]).read_bytes()
boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "everyone.csv")})
del data
before = rss_mb()
start = time.perf_counter()
upload = client.post("/office/people/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")
del body
upload_s = time.perf_counter() - start
reviews = []
if upload.status_code == 302:
    for _ in range(2):
        start = time.perf_counter()
        review = client.get(upload.headers["Location"])
        reviews.append((review.status_code, round(time.perf_counter() - start, 2)))
print(json.dumps({
    "rss_before_mb": before,
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "rss_after_mb": rss_mb(),
    "upload": [upload.status_code, round(upload_s, 2)],
    "reviews": reviews,
}))
"""


def make_csv(path: Path, rows: int) -> None:
    """About 30 bytes a row, as in the attack: a million rows stay under the 32 MB upload limit."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email;full_name;kind;unit\n")
        out.writelines(f"p{n}@e.kz;P{n};staff;FIT\n" for n in range(rows))


def run(quick: bool = False) -> dict:
    tree = Path(os.environ.get("ADAL_BENCH_TREE") or Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "everyone.csv"
        make_csv(path, 50_000 if quick else ROWS)  # quick: a file at the row cap, accepted
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], cwd=tree, capture_output=True, text=True, check=True
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        return {"tree": str(tree), "file_mb": round(path.stat().st_size / 2**20, 1), **figures}
