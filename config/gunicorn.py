"""gunicorn's settings for the service (`gunicorn -c config/gunicorn.py config.wsgi`): the
Dockerfile, docker-compose.yml and the tests that start gunicorn all use this file.

The access log writes each request's path **without its query string** and without the
Referer: a police search by a victim's name (`/cases?q=...`) must not put the name in a log
that operators, log shippers and their retention rules see. Who looked for what is in the
service's own access log (accounts.AccessEvent), where it belongs."""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
