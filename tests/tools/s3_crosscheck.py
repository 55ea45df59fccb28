#!/usr/bin/env python3
"""boto3 side of cofre's S3 cross-checks: an independent client reading and writing objects.

    s3_crosscheck.py ENDPOINT put  BUCKET KEY FILE [PART_MIB]   upload FILE (multipart when
                                                               PART_MIB is given and FILE is larger)
    s3_crosscheck.py ENDPOINT get  BUCKET KEY FILE              download KEY into FILE
    s3_crosscheck.py ENDPOINT head BUCKET KEY                   print "<size> <storage class> <etag>"
    s3_crosscheck.py ENDPOINT list BUCKET PREFIX                print each key under PREFIX
    s3_crosscheck.py ENDPOINT uploads BUCKET                    print the number of open
                                                               multipart uploads

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; path-style addressing.
Exit status 0 on success; errors go to stderr.
"""
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config


def main(argv):
    endpoint, cmd, bucket = argv[1], argv[2], argv[3]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}))
    if cmd == "put":
        key, path = argv[4], argv[5]
        part = int(argv[6]) << 20 if len(argv) > 6 else 1 << 40
        s3.upload_file(path, bucket, key,
                       Config=TransferConfig(multipart_threshold=part, multipart_chunksize=part))
    elif cmd == "get":
        s3.download_file(bucket, argv[4], argv[5])
    elif cmd == "head":
        r = s3.head_object(Bucket=bucket, Key=argv[4])
        print(r["ContentLength"], r.get("StorageClass", "STANDARD"), r["ETag"])
    elif cmd == "list":
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=argv[4]):
            for obj in page.get("Contents", []):
                print(obj["Key"])
    elif cmd == "uploads":
        r = s3.list_multipart_uploads(Bucket=bucket)
        print(len(r.get("Uploads", [])))
    else:
        sys.exit("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
