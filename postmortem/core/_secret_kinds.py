"""What a secret looks like in chat, logs and mails: one pattern per kind,
the part of a match that is the value, and for the kinds that could be prose
a check that the value is one (:mod:`.redact` finds them; tests/fixtures/secrets/cases.toml
holds a case of each).

Kinds, most particular first (where two match the same text the first wins):

- ``private-key``: a PEM ``-----BEGIN … PRIVATE KEY-----`` block (RFC 7468 §2) to
  its END line or the end of the text;
- ``slack-token``: ``xoxb-``, ``xoxp-``, ``xoxa-``, ``xoxe-``, ``xoxo-``, ``xoxr-``,
  ``xoxs-``, app-level ``xapp-`` (https://api.slack.com/authentication/token-types);
- ``webhook-url``: incoming-webhook URLs, whose path is the credential — Slack
  ``hooks.slack.com/services|workflows|triggers/…`` (https://api.slack.com/messaging/webhooks),
  Discord ``/api/webhooks/<id>/<token>``, Microsoft Teams ``*.webhook.office.com/webhookb2/…``,
  Mattermost ``/hooks/<26 characters>``;
- ``github-token``: ``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 or more
  letters and digits, ``github_pat_…`` (GitHub's token formats,
  https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/);
- ``gitlab-token``: ``glpat-`` and GitLab's other prefixed tokens, runner
  registration ``GR1348941…`` (https://docs.gitlab.com/ee/security/token_overview.html);
- ``phabricator-token``: a Conduit token, ``api-`` or ``cli-`` and 28 characters of
  ``[a-z0-9]`` (Phabricator's PhabricatorConduitToken::generateToken);
- ``google-api-key``: ``AIza`` and 35 characters (https://cloud.google.com/docs/authentication/api-keys);
- ``aws-key``: access key ids ``AKIA``/``ASIA`` + 16 capitals or digits
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html);
- ``aws-secret-key``: the 40 characters after ``AWS_SECRET_ACCESS_KEY`` /
  ``aws_secret_access_key`` and ``=`` or ``:`` (the CLI's environment and credentials file);
- ``azure-key``: ``AccountKey=`` / ``SharedAccessKey=`` of a connection string
  (https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string);
- ``digitalocean-token``: ``dop_v1_``, ``doo_v1_``, ``dor_v1_`` and 64 hex digits;
- ``jwt``: a JSON Web Token, three base64url parts whose first two are JSON
  objects (``eyJ…``, RFC 7519 §3);
- ``basic-auth``: ``Basic <base64>`` that decodes to ``user:password`` (RFC 7617 §2);
- ``bearer-token``: ``Bearer <b64token>`` of 16 characters or more (RFC 6750 §2.1);
- ``authorization-header``: any other credential in an ``Authorization`` header
  (``token <hex>`` as GitHub takes it, PagerDuty's ``Token token=…``) or in a
  credential header (``X-…-Api-Key``, ``X-…-Token``, GitLab's ``PRIVATE-TOKEN``);
  a value of 12 or more characters with a digit;
- ``url-password``: the password of ``scheme://user:password@host`` (RFC 3986
  §3.2.1; a Gerrit HTTP password travels so, in ``.git-credentials`` too);
- ``command-line-password``: ``mysql``/``mysqldump``/``mariadb``… ``-pPASSWORD``
  (the value glued to ``-p``), ``redis-cli -a PASSWORD``, ``sshpass -p PASSWORD``;
- ``netrc-password``: ``machine HOST login USER password PASSWORD`` (a .netrc line);
- ``password``: a key ending in ``password``, ``passwd`` or ``pwd`` (``password``,
  ``db_password``, ``MYSQL_PWD``, ``PGPASSWORD``, ``"password"`` in JSON) then ``=``
  or ``:`` and its value;
- ``secret-setting``: a key naming a secret (``secret_key_base``, ``SECRET_KEY``,
  ``client_secret``, ``api_key``, ``access_token``, ``private_token``, …) then
  ``=`` or ``:`` and its value.

For ``password`` and ``secret-setting``: after ``=`` any value but a
placeholder; after a colon only a value that looks like one (6+ characters
with a digit or symbol, or 12+), so "the password: changed" is prose.
Placeholders are never a secret: ``***``, ``<pass>``, ``[redacted]``,
``$VAR``/``${VAR}``/``{{ var }}``/``%VAR%``, ``xxx``, ``true``, ``none``…
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Callable

_PLACEHOLDER = re.compile(r"^(?:\*+|[xX]+|\.{3}|…|<[^<>]*>|\[[^\[\]]*\]|\{.*|\$.*|%\w+%"
                          r"|redacted|hidden|secret|true|false|none|null|nil|undefined)$", re.I)
_VALUE = r"(\"[^\"\n]+\"|'[^'\n]+'|[^\s\"',;]+)"
_SETTING = r"[\"']?(?:\s*=\s*|:\s*)" + _VALUE


@dataclass(frozen=True)
class SecretKind:
    """A kind's pattern, its group holding the value (0: the whole match),
    ``is_one(match)``: whether a match is a value and not prose (None: always),
    and ``hints``: text in lower case one of which every match holds (a text
    without any is not searched: most chat lines hold no secret)."""

    pattern: re.Pattern
    group: int = 0
    is_one: Callable[[re.Match], bool] | None = None
    hints: tuple[str, ...] = ()

    def could_be_in(self, lower_text: str) -> bool:
        return not self.hints or any(hint in lower_text for hint in self.hints)


def _value(match: re.Match, group: int) -> str:
    return match.group(group).strip("\"'")


def _not_placeholder(group: int):
    return lambda match: bool(_value(match, group)) and not _PLACEHOLDER.match(_value(match, group))


def _setting_value(match: re.Match) -> bool:
    """A key's value: after ``=`` anything but a placeholder; after a colon
    only what looks like a value (see the module's notes)."""
    value = _value(match, 1)
    if not value or _PLACEHOLDER.match(value):
        return False
    if "=" in match.group(0)[:match.start(1) - match.start()]:
        return True
    has_symbol = any(not ch.isalpha() for ch in value)
    return (len(value) >= 6 and has_symbol) or len(value) >= 12


def _user_and_password(match: re.Match) -> bool:
    """``Basic`` credentials: base64 of ``user:password`` (RFC 7617 §2)."""
    try:
        decoded = base64.b64decode(match.group(1), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


def _header_value(match: re.Match) -> bool:
    return _not_placeholder(1)(match) and any(ch.isdigit() for ch in match.group(1))


def _not_a_port(match: re.Match) -> bool:
    value = _value(match, 1)
    return _not_placeholder(1)(match) and not (value.isdigit() and len(value) <= 5)


_GITLAB = ("glpat", "gloas", "gldt", "glrt", "glcbt", "glptt", "glft", "glimt", "glagent", "glsoat", "glffct")
_SECRET_KEYS = (r"secret_key_base|secret_key|client_secret|api_secret|app_secret|secret|api_?key|access_token"
                r"|auth_token|api_token|private_token|refresh_token")

SECRETS: dict[str, SecretKind] = {
    "private-key": SecretKind(re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                                         r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*)", re.S),
                              hints=("private key",)),
    "slack-token": SecretKind(re.compile(r"(?<![\w-])(?:xox[abeoprs]-[0-9A-Za-z][0-9A-Za-z-]{8,}"
                                         r"|xapp-\d-[0-9A-Za-z-]{16,})"), hints=("xox", "xapp-")),
    "webhook-url": SecretKind(re.compile(
        r"https://(?:hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{16,}"
        r"|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}"
        r"|[\w.-]+\.webhook\.office\.com/webhookb2/[\w@/-]{20,})"
        r"|https?://[^\s/]+/hooks/[a-z0-9]{26}(?![\w-])"), hints=("hooks", "webhook")),
    "github-token": SecretKind(re.compile(r"(?<!\w)(?:gh[opsur]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})"),
                               hints=("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_")),
    "gitlab-token": SecretKind(re.compile(rf"(?<![\w-])(?:(?:{'|'.join(_GITLAB)})-[0-9A-Za-z_-]{{20,}}"
                                          r"|GR1348941[0-9A-Za-z_-]{20,})"),
                               hints=(*(f"{prefix}-" for prefix in _GITLAB), "gr1348941")),
    "phabricator-token": SecretKind(re.compile(r"(?<![\w-])(?:api|cli)-[a-z0-9]{28}(?![\w-])"), hints=("api-", "cli-")),
    "google-api-key": SecretKind(re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"), hints=("aiza",)),
    "aws-key": SecretKind(re.compile(r"(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])"), hints=("akia", "asia")),
    "aws-secret-key": SecretKind(re.compile(r"(?<![\w-])(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*[:=]\s*[\"']?"
                                            r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", re.I), 1, hints=("access",)),
    "azure-key": SecretKind(re.compile(r"\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{40,}={0,2})"), 1,
                            hints=("accountkey=", "sharedaccesskey=")),
    "digitalocean-token": SecretKind(re.compile(r"(?<![\w-])do[opr]_v1_[a-f0-9]{64}(?![\w-])"), hints=("_v1_",)),
    "basic-auth": SecretKind(re.compile(r"\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])"), 1, _user_and_password,
                             hints=("basic",)),
    "bearer-token": SecretKind(re.compile(r"\bBearer\s+([0-9A-Za-z\-._~+/]{16,}=*)", re.I), 1, hints=("bearer",)),
    "jwt": SecretKind(re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}"),
                      hints=("eyj",)),
    "authorization-header": SecretKind(re.compile(
        r"\b(?:Authorization[\"']?\s*[:=]\s*[\"']?(?:(?:token|bot|ssws|apikey|api-key|splunk|genieKey|key)\s+)?"
        r"(?:token=)?|(?:X-[\w-]*?(?:Api-?Key|Token|Auth)|PRIVATE-TOKEN)[\"']?\s*:\s*[\"']?)"
        r"([^\s\"',;]{12,})", re.I), 1, _header_value, hints=("authorization", "x-", "private-token")),
    "url-password": SecretKind(re.compile(r"://[^\s:/?#@\[\]]*:([^\s@/?#]+)@(?=[\w\[])"), 1, _not_a_port,
                               hints=("://",)),
    "command-line-password": SecretKind(re.compile(
        r"\b(?:(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump)\b[^\n|;&]*?"
        r"\s-p(?=[^\s-])|redis-cli\b[^\n|;&]*?\s-a\s+|sshpass\s+-p\s*)" + _VALUE), 1, _not_placeholder(1),
        hints=("mysql", "mariadb", "redis-cli", "sshpass")),
    "netrc-password": SecretKind(re.compile(r"\bmachine\s+\S+\s+login\s+\S+\s+password\s+(\S+)"), 1,
                                 _not_placeholder(1), hints=("machine",)),
    "password": SecretKind(re.compile(r"(?<!\w)\w*?(?:password|passwd|pwd)" + _SETTING, re.I), 1, _setting_value,
                           hints=("pass", "pwd")),
    # A key of its own or the last part of a longer name (OS_APPLICATION_CREDENTIAL_SECRET).
    "secret-setting": SecretKind(re.compile(rf"(?<![A-Za-z0-9])(?:{_SECRET_KEYS})" + _SETTING, re.I), 1,
                                 _setting_value, hints=("secret", "key", "token")),
}
