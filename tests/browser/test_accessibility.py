"""axe-core (from npm at set-up, injected here) on every page, in light and dark, at desktop
and phone widths: no serious or critical violation anywhere (issue 32). The summary is
printed at the end of the run."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.support.stack import Member
from tests.support.summary import add_summary_line

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1100, "height": 800}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
BLOCKING = ("serious", "critical")
TABLE_AND_CODE = "Compare:\n\n| queue | cost |\n|:--|--:|\n| rq | low |\n\n```python\nprint('hi')\n```\n"


@pytest.fixture(scope="module")
def pages(stack):
    """Every page a person sees, signed in (as an owner, with a chat of every kind of block) or
    not (sign-in, sign-up, an invitation link, a reset link)."""
    owner = Member(stack, "ann@example.com", PASSWORD)
    chat_id = owner.new_chat("Accessible")
    owner.finished(chat_id, owner.say(chat_id, TABLE_AND_CODE + '[[tool:calculator {"expression": "6*7"}]]')[
        "assistant_message"]["id"])
    account = owner.http.get(f"{stack.web_url}/account", timeout=10).url.rsplit("/", 1)[1]
    invited = owner.post(f"/accounts/{account}/invitation-links", data={"role": "member", "max_uses": 1, "days": 7})
    link = invited.text.split('id="new-invitation-link">')[1].split("<")[0]  # the account page it went back to
    stack.flask("users", "create", "--email", "axe@example.com", "--name", "Axe Reader", "--password", PASSWORD)
    reset = stack.flask("users", "reset-link", "axe@example.com").split()[0]
    signed_in = ["/chats", f"/chats/{chat_id}", f"/accounts/{account}", "/account/tokens", "/usage", "/invitations",
                 "/account/profile", "/api/docs"]
    signed_out = ["/login", "/signup", link.replace(stack.web_url, ""), reset]
    return signed_in, signed_out


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
        (v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}))""")


def test_no_page_has_a_serious_or_critical_accessibility_violation(browser, stack, pages, people):
    signed_in, signed_out = pages
    impacts: Counter = Counter()
    blocking: list[str] = []
    checked = 0
    for width, viewport in WIDTHS.items():
        for theme in THEMES:
            for email, paths in (("ann@example.com", signed_in), (None, signed_out)):
                person = people(email, viewport=viewport, color_scheme=theme, bypass_csp=True)  # to inject axe
                for path in paths:
                    person.page.goto(f"{stack.web_url}{path}")
                    person.page.wait_for_load_state("networkidle")
                    if width == "phone" and email and path.startswith(("/chats/", "/accounts/")):
                        person.screenshot(f"phone-{theme}-{path.split('/')[1]}")
                    checked += 1
                    for found in violations(person.page):
                        impacts[found["impact"]] += 1
                        if found["impact"] in BLOCKING:
                            blocking.append(f"{path} ({width}, {theme}): {found['id']} {found['help']} {found['nodes']}")
                person.close()
    add_summary_line(f"axe-core: {checked} page views ({len(signed_in) + len(signed_out)} pages x {len(THEMES)} themes "
                     f"x {len(WIDTHS)} widths); violations by impact: "
                     + ", ".join(f"{impact} {impacts[impact]}" for impact in ("minor", "moderate", "serious", "critical")))
    assert blocking == [], "\n".join(blocking)
