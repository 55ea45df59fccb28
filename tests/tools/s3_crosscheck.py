#!/usr/bin/env python3
"""boto3 side of cofre's S3 cross-checks: an independent client reading and writing objects.

Runs as a helper process so tests pay for Python and boto3 start-up once: reads one JSON
request per line on stdin and answers one line on stdout, "OK <output>" or "ERR <message>".

Request fields: endpoint, key_id, secret, cmd, bucket, and per command:
    put      key, file, part_mib (optional)  upload file (multipart when larger than part_mib)
    get      key, file                       download key into file
    head     key                             output "<size> <storage class> <etag>"
    uploads                                  output the number of open multipart uploads
Path-style addressing, region us-east-1.
"""
import json
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

_clients = {}


def client(req):
    k = (req["endpoint"], req["key_id"], req["secret"])
    if k not in _clients:
        _clients[k] = boto3.client(
            "s3", endpoint_url=req["endpoint"], region_name="us-east-1",
            aws_access_key_id=req["key_id"], aws_secret_access_key=req["secret"],
            config=Config(s3={"addressing_style": "path"}))
    return _clients[k]


def run(req):
    s3 = client(req)
    cmd, bucket = req["cmd"], req["bucket"]
    if cmd == "put":
        part = int(req.get("part_mib", 1 << 20)) << 20
        s3.upload_file(req["file"], bucket, req["key"],
                       Config=TransferConfig(multipart_threshold=part, multipart_chunksize=part))
        return ""
    if cmd == "get":
        s3.download_file(bucket, req["key"], req["file"])
        return ""
    if cmd == "head":
        r = s3.head_object(Bucket=bucket, Key=req["key"])
        return "%d %s %s" % (r["ContentLength"], r.get("StorageClass", "STANDARD"), r["ETag"])
    if cmd == "uploads":
        return str(len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])))
    raise ValueError("unknown command " + cmd)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = "OK " + run(json.loads(line))
        except Exception as e:  # report every failure to the test, keep serving
            out = "ERR " + (type(e).__name__ + ": " + str(e)).replace("\n", " ")
        print(out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
