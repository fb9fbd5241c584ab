"""The data set every benchmark uses (standard library only: cold-start children import it)."""

PARAMETERS = [f"/bench/app/p{i:02d}" for i in range(12)]
SECRETS = [f"bench/s{i}" for i in range(3)]
BUCKET = "bench-files"
KEY = "models/model.json"
S3_URI = f"s3://{BUCKET}/{KEY}"
MAX_AGE = 60
