"""One error catalogue (api/wallet_api/error_catalogue.py): every SQLSTATE raised in sql/
is in it with the message prefix callers read, and the README, errors.py and the OpenAPI
document say what it says."""

import re
from pathlib import Path

from wallet_api import db, errors
from wallet_api.error_catalogue import BY_CODE, BY_SQLSTATE, CATALOGUE, readme_table
from wallet_api.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]
RAISE = re.compile(r"RAISE\s+EXCEPTION\s+'((?:[^']|'')*)'(.*?);", re.S)
ERRCODE = re.compile(r"ERRCODE\s*=\s*'(\w{5})'")


def raised_in_sql() -> list[tuple[str, str, str]]:
    """(SQLSTATE, message, file) of every RAISE EXCEPTION with an ERRCODE in sql/."""
    raised = []
    for path in sorted((ROOT / "sql").rglob("*.sql")):
        for match in RAISE.finditer(path.read_text()):
            state = ERRCODE.search(match.group(2))
            if state:
                raised.append((state.group(1), match.group(1), str(path.relative_to(ROOT))))
    return raised


def test_every_sqlstate_raised_in_sql_is_in_the_catalogue_and_every_wallet_state_is_raised():
    raised = raised_in_sql()
    catalogued = {state for error in CATALOGUE for state in error.sqlstates}
    unknown = sorted({(state, where) for state, _, where in raised if state not in catalogued})
    assert not unknown, f"raised in sql/ but not in the catalogue: {unknown}"
    never = sorted(set(BY_SQLSTATE) - {state for state, _, _ in raised})
    assert not never, f"in the catalogue but raised nowhere in sql/: {never}"
    assert sum(1 for state, _, _ in raised if state.startswith("WA")) > 50  # the scan found the raises


def test_every_wallet_error_message_starts_with_its_code():
    wrong = [(state, message, where) for state, message, where in raised_in_sql()
             if state in BY_SQLSTATE and not message.startswith(f"{BY_SQLSTATE[state].code}: ")]  # fmt: skip
    assert not wrong, f"a message not starting with its code (errors.py strips exactly that prefix): {wrong}"


def test_the_readme_error_table_is_the_catalogue():
    readme = (ROOT / "README.md").read_text()
    table = readme_table()
    assert table in readme, "README.md's error table differs from the catalogue; paste readme_table() into it"
    assert readme.count("| SQLSTATE | name | when | HTTP |") == 1


def test_errors_py_and_the_openapi_document_answer_what_the_catalogue_says():
    answered = {error.code for error in CATALOGUE if error.status}
    assert set(errors.PROBLEMS) == answered
    assert openapi_document()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] == list(errors.PROBLEMS)
    for status, code in errors.HTTP_CODES.items():
        assert BY_CODE[code].status == status
    for state, (status, code) in errors.SQLSTATE_ERRORS.items():
        assert state in BY_CODE[code].sqlstates and BY_CODE[code].status == status
    unavailable = set(BY_CODE["unavailable"].sqlstates)
    assert db.RETRYABLE_SQLSTATES | db.SERVER_GONE_SQLSTATES <= unavailable
    assert errors.UNAVAILABLE_SQLSTATES <= unavailable
