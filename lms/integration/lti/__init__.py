"""Passerelle as an LTI 1.3 tool: another LMS (Moodle, Canvas...) launches its courses and modules, places them in
its own courses by deep linking, receives the scores the LMS graded, and hands over its course members.

The protocol itself (OpenID Connect log-in, the launch's signed id_token, deep linking responses, the OAuth2
tokens of the services) is pylti1p3's; :mod:`.adapter` backs it with the database, so several app servers behind
a proxy share what one log-in started.
"""
