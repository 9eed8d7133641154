"""A ground-truth simulator of incidents (issue 21 item 7, "combinations tested by
construction").

:mod:`.facts` says what happened in an incident as facts — people in several
time zones with their other names, alerts firing and resolving, the pages they
caused (or a person started) with whom they reached, escalations,
acknowledgements, notes and resolutions, ``!log`` and SAL entries, deploys,
chat — and draws random incidents of them with hypothesis. The writers put the
same facts into every format the tool reads: IRC logs (:mod:`.irc_logs`), the
SAL page and the SAL tool (:mod:`.sal`), Alertmanager mails (:mod:`.mails`), a
Slack export (:mod:`.slack`), PagerDuty and Splunk On-Call answers
(:mod:`.paging`) and Prometheus' ALERTS series (:mod:`.prometheus`);
:mod:`.scenario` lays out an incident folder and serves the answers.
:mod:`.expect` says what the tool must make of the facts (one timeline event
per fact, the metrics, the scorecard's page answers, the graph's bars), and
``tests/test_simulator.py`` runs the real pipeline and compares.
"""
