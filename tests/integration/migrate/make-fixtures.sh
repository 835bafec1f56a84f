#!/bin/bash
# Writes the .env fixtures of tests/integration/test_migrate.sh into DIR
# (default: this directory) with printf, so every byte is exact: a UTF-8 BOM,
# CRLF lines, a line without a final newline. All values are fake.
# The expected value of each statement is in expect.py, next to this file.
set -eu
dir=${1:-$(cd "$(dirname "$0")" && pwd)}

# nasty.env: LF file with two CRLF lines, a BOM before a comment, no final newline
{
printf '\357\273\277# nasty.env: python-dotenv edge cases for vaultshim migrate (fake values only)\n'
printf 'DEBUG=true\n'
printf 'PORT=8080 # http port\n'
printf 'APP_NAME=nasty-demo\n'
printf 'GREETING=h\303\251llo \346\227\245\346\234\254 \360\237\221\213\n'
printf '\n'
printf '# double quotes: \\" \\\\ \\n \\t escapes\n'
printf 'DQ_SECRET="say \\"hi\\" back\\\\slash nl\\nnext tab\\tend"\n'
printf 'SQ_PASSWORD=\047C:\\temp\\new it\\\047s\047\n'
printf 'SQ_LITERAL_SECRET=\047no $HOME ${NOT_EXPANDED} "dq" \\\\ kept\047\n'
printf 'PRIVATE_KEY_PEM="-----BEGIN PRIVATE KEY-----\n'
printf 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCfakefakefake+/0123456789\n'
printf 'bm90IGEgcmVhbCBrZXksIGp1c3QgYSB0ZXN0IGZpeHR1cmU=\n'
printf -- '-----END PRIVATE KEY-----"\n'
printf 'JWT_SIGNING_KEY="-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIfakeECkey0123==\\n-----END EC PRIVATE KEY-----\\n"\n'
printf 'B64_SECRET=YWJjZGVmZ2g=\n'
printf 'QUERY_TOKEN=a=b==c&d=e==\n'
printf 'DATABASE_URL=postgres://u:p%%40ss@h:5432/db?sslmode=require\n'
printf 'REDIS_URL=redis://cache:6379/0\n'
printf 'UNICODE_SECRET=caf\303\251 \346\227\245\346\234\254 \360\237\224\221 na\303\257ve\n'
printf 'EMOJI_PASSWORD="\360\237\224\220 \303\274n\303\257c\303\266d\303\251 \346\227\245\346\234\254\350\252\236"\n'
printf 'CRLF_TOKEN=crlf-line-value\r\n'
printf 'CRLF_QUOTED_SECRET="quoted crlf value"\r\n'
printf 'export EXPORTED_TOKEN=exported-tok-123\n'
printf 'export   EXPORT_SPACED_SECRET=\047exp spaced\047\n'
printf 'COMMENTED_SECRET=value-before-comment # trailing comment\n'
printf 'HASH_IN_PASSWORD=abc#def#ghi\n'
printf 'SPACED_PASSWORD = spaced value   \n'
printf '\tINDENTED_SECRET=indented-value\n'
printf '\047SQ_NAME_TOKEN\047=quoted-name-value\n'
printf 'DUP_SECRET=first-dup-value\n'
printf 'API_TOKEN=\n'
printf 'DOLLAR_PASSWORD=pa$$word$1\n'
printf 'INTERP_SECRET=${HOME}/not-expanded\n'
printf 'BARE_SECRET\n'
printf 'DQ_COMMENT_SECRET="quoted # not a comment" # real comment\n'
printf 'EMPTY_QUOTED_SECRET=""\n'
printf '# the later duplicate wins\n'
printf 'DUP_SECRET="second dup value"\n'
printf 'LAST_TOKEN=no-final-newline'
} > "$dir/nasty.env"

# crlf.env: every line CRLF, the BOM right before the first statement
{
printf '\357\273\277export FLASK_SECRET_KEY=crlf-flask-sk-0xC0FFEE\r\n'
printf '# comment line\r\n'
printf '\r\n'
printf 'MAIL_PASSWORD="multi\r\nline crlf"\r\n'
printf 'LOG_LEVEL=info\r\n'
printf 'DB_PASSWORD=\047single q crlf\047 # c\r\n'
printf 'TAB_TOKEN="tab\\there"\r\n'
printf 'WORKERS=4\r\n'
} > "$dir/crlf.env"

# flask.env: a Flask-style application's settings
{
printf '# Flask application settings\n'
printf 'FLASK_APP=app.py\n'
printf 'FLASK_ENV=production\n'
printf 'SECRET_KEY=flask-sk-5f1e9b0c7d\n'
printf '\n'
printf '# database and mail\n'
printf 'SQLALCHEMY_DATABASE_URI=postgresql://store:db%%2Fp4ss@db:5432/store\n'
printf 'MAIL_SERVER=smtp.example.com\n'
printf 'MAIL_PASSWORD="m@il pass w/ spaces"\n'
printf 'STRIPE_API_KEY=sk_test_fake_4eC39HqLyjWDarjtT1zdp7\n'
} > "$dir/flask.env"

# bad.env: statements python-dotenv cannot parse (lines 2, 3, 5 and 6)
{
printf 'GOOD_SECRET=fine-value-1\n'
printf 'UNTERMINATED_SECRET="no closing quote\n'
printf 'KEY value\n'
printf 'OTHER_TOKEN=ok-value-2\n'
printf '=orphan-value\n'
printf 'SQ_TOKEN=\047open single\n'
printf 'LAST_SECRET=fine-value-3\n'
} > "$dir/bad.env"
