"""What the connection budget says (app/platform/db_budget.py); PostgreSQL's own figures are read in
tests/integration/test_db_budget.py."""
from __future__ import annotations

from types import SimpleNamespace

from app.platform import db_budget
from app.platform.db_budget import NAMED, Budget


def test_the_budget_adds_every_confab_process_and_the_other_clients_against_what_postgresql_allows():
    budget = Budget(allowed=97, processes={"web a:1": 44, "worker a:2": 44}, others=3)
    assert budget.wanted == 91
    assert budget.describe() == ("2 Confab processes may open up to 88 database connections and other clients "
                                 "hold 3; PostgreSQL allows 97")
    assert Budget(97, {"web a:1": 44}).describe() == "1 Confab process may open up to 44 database connections; PostgreSQL allows 97"


def test_a_postgresql_connection_is_named_after_its_process_and_what_it_may_open():
    db_budget.name_this_process("worker", 44)
    params: dict = {}
    db_budget._named(SimpleNamespace(name="postgresql"), None, (), params)
    matched = NAMED.match(params["application_name"])
    assert matched is not None and matched.group(1) == "worker" and matched.group(3) == "44"
    assert len(params["application_name"].encode()) <= 63  # what PostgreSQL keeps of it
    sqlite_params: dict = {}
    db_budget._named(SimpleNamespace(name="sqlite"), None, (), sqlite_params)
    assert sqlite_params == {}
