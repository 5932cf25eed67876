#!/usr/bin/python3
"""Answers Graphite render requests with Debian's graphite-web 1.1.8, as the oracle of Drainpipe's query API.

Run with Debian's /usr/bin/python3 (graphite-web, python3-whisper and Django are Debian packages):

    /usr/bin/python3 graphite_oracle.py INPUT.json OUTPUT.json

INPUT is {"now": <unix seconds>, "points": {"<path>": [[<unix seconds>, <value>], ...]},
"requests": [{"path": "/render", "query": [["target", "..."], ...]}, ...]}. The script writes every series into a
whisper file with 60-second points kept for a week (whisper.create / update_many), configures graphite-web with a
settings module of its own (GRAPHITE_SETTINGS_MODULE; scratch STORAGE_DIR and WHISPER_DIR, UTC, SQLite database
created by `django migrate --run-syncdb`), sends every request through Django's test client with `now` set to
INPUT's now, and writes [{"status": <code>, "body": "<text>"}, ...] in request order to OUTPUT.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

SETTINGS = """
SECRET_KEY = 'drainpipe-graphite-oracle'
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {logs!r}
INDEX_FILE = {index!r}
TIME_ZONE = 'UTC'
DEBUG = False
ALLOWED_HOSTS = ['*']
DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': {database!r}}}}}
FUNCTION_PLUGINS = []
TAGDB = ''
DEFAULT_CACHE_POLICY = []
DEFAULT_CACHE_DURATION = 0
LOG_RENDERING_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
SILENCED_SYSTEM_CHECKS = ['admin.W411', 'models.W042']
"""


def write_whisper(whisper_dir, points):
    import whisper

    for path, datapoints in points.items():
        file_path = os.path.join(whisper_dir, *path.split('.')) + '.wsp'
        os.makedirs(os.path.dirname(file_path), exist_ok=True)
        whisper.create(file_path, [(60, 7 * 24 * 60)], xFilesFactor=0.0, aggregationMethod='average')
        whisper.update_many(file_path, [(int(t), float(v)) for t, v in datapoints])


def main():
    source, destination = sys.argv[1], sys.argv[2]
    with open(source) as handle:
        table = json.load(handle)
    scratch = tempfile.mkdtemp(prefix='graphite-oracle-')
    storage = os.path.join(scratch, 'storage')
    whisper_dir = os.path.join(storage, 'whisper')
    logs = os.path.join(storage, 'log')
    for directory in (whisper_dir, logs):
        os.makedirs(directory)
    with open(os.path.join(scratch, 'oracle_settings.py'), 'w') as handle:
        handle.write(SETTINGS.format(
            storage=storage, whisper=whisper_dir + '/', logs=logs, index=os.path.join(storage, 'index'),
            database=os.path.join(storage, 'graphite.db')))
    environment = dict(
        os.environ, PYTHONPATH=scratch, GRAPHITE_SETTINGS_MODULE='oracle_settings',
        DJANGO_SETTINGS_MODULE='graphite.settings')
    subprocess.run(
        ['/usr/bin/python3', '-m', 'django', 'migrate', '--run-syncdb', '--verbosity', '0'],
        env=environment, check=True, cwd=scratch)
    write_whisper(whisper_dir, table['points'])
    os.environ.update(environment)
    sys.path.insert(0, scratch)

    import django
    from django.test import Client

    django.setup()
    client = Client()
    answers = []
    for request in table['requests']:
        query = list(request['query']) + [['now', str(table['now'])]]
        response = client.generic(
            'GET', request['path'] + '?' + '&'.join(
                '%s=%s' % (key, urllib.parse.quote(value, safe='')) for key, value in query))
        answers.append({'status': response.status_code, 'body': response.content.decode('utf-8', 'replace')})
    with open(destination, 'w') as handle:
        json.dump(answers, handle)


if __name__ == '__main__':
    main()
