"""Prepares a fresh moto server for the backup tests: a bucket, a writer and a read-only reader.

moto enforces IAM policies once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated requests are spent: the first
three create an admin, whose keys do the rest. Prints the key pairs as JSON.
Usage: setup-iam.py <endpoint> <bucket> <prefix>
"""
import json
import sys

import boto3

endpoint, bucket, prefix = sys.argv[1:4]
session = dict(endpoint_url=endpoint, region_name="us-east-1")


def user(iam, name, statements):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}


bootstrap = boto3.client("iam", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap", **session)
admin = user(bootstrap, "admin", [{"Effect": "Allow", "Action": "*", "Resource": "*"}])  # the 3 unauthenticated requests
admin_session = dict(aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"], **session)
boto3.client("s3", **admin_session).create_bucket(Bucket=bucket)
iam = boto3.client("iam", **admin_session)
bucket_arn = f"arn:aws:s3:::{bucket}"
list_prefix = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn, "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}}
writer = user(iam, "backup-writer", [list_prefix, {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], "Resource": f"{bucket_arn}/{prefix}*"}])
reader = user(iam, "backup-reader", [list_prefix, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{bucket_arn}/{prefix}*"}])
print(json.dumps({"admin": admin, "writer": writer, "reader": reader}))
