# -*- coding: utf-8 -*-
"""The lab's MinIO (lab/services/70-minio.sh) answers over TLS and accepts the lab access key.

No S3 SDK is in the project's environment, so the S3 calls are signed here (AWS Signature V4,
the standard library's hmac/hashlib) and sent with requests, verifying the lab CA explicitly on
each request (REQUESTS_CA_BUNDLE, set on these machines, would otherwise win). Skips when the
service is not up.
"""
import datetime
import hashlib
import hmac
import uuid
from urllib.parse import quote, urlparse

import pytest
import requests

from conftest import lab_env, require_lab


@pytest.fixture(scope='module')
def minio():
    require_lab('minio')
    env = lab_env('minio')
    with open(env['DSAAS_MINIO_SECRET_KEY_FILE']) as handle:
        env['secret'] = handle.read().strip()
    return env


def s3(env, method, path, body=b'', secret=None, region='us-east-1'):
    """One SigV4-signed S3 request (path-style)."""
    url = env['DSAAS_MINIO_ENDPOINT'] + path
    host = urlparse(url).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
    payload = hashlib.sha256(body).hexdigest()
    headers = {'host': host, 'x-amz-content-sha256': payload, 'x-amz-date': amz_date}
    signed = ';'.join(sorted(headers))
    canonical = '\n'.join([method, quote(path), '', ''.join('%s:%s\n' % (k, headers[k]) for k in sorted(headers)),
                           signed, payload])
    scope = '%s/%s/s3/aws4_request' % (day, region)
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ('AWS4' + (secret or env['secret'])).encode()
    for part in (day, region, 's3', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['Authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        env['DSAAS_MINIO_ACCESS_KEY'], scope, signed, signature)
    return requests.request(method, url, data=body, headers=headers, verify=env['DSAAS_MINIO_CA'], timeout=10)


def test_health_live(minio):
    r = requests.get(minio['DSAAS_MINIO_ENDPOINT'] + '/minio/health/live', verify=minio['DSAAS_MINIO_CA'], timeout=5)
    assert r.status_code == 200


def test_bucket_and_object_with_the_lab_access_key(minio):
    bucket = 'lab-test-%s' % uuid.uuid4().hex[:8]
    assert s3(minio, 'PUT', '/' + bucket).status_code == 200
    try:
        assert s3(minio, 'PUT', '/%s/hello.txt' % bucket, b'hello lab').status_code == 200
        got = s3(minio, 'GET', '/%s/hello.txt' % bucket)
        assert got.status_code == 200 and got.content == b'hello lab'
        assert bucket in s3(minio, 'GET', '/').text
    finally:
        s3(minio, 'DELETE', '/%s/hello.txt' % bucket)
        assert s3(minio, 'DELETE', '/' + bucket).status_code == 204


def test_wrong_secret_is_refused(minio):
    r = s3(minio, 'GET', '/', secret='not-the-secret')
    assert r.status_code == 403
    assert 'SignatureDoesNotMatch' in r.text
