"""The usage page in headless Chromium: the chart is drawn with data, the table reads
without it, and the CSV downloads (issue 11)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect


def test_usage_page_draws_its_chart_and_table_and_downloads_the_csv(people, ann, stack):
    chat_id = ann.new_chat("Spend")
    reply = ann.say(chat_id, "Spend a little [[chunks:20]]")["assistant_message"]["id"]
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    expect(person.page.locator(f"#message-{reply}")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(person.page.locator("#chat-cost")).not_to_have_text("$0.00 · 0 tokens")
    # One reply: the chat's total and the reply's cost read the same way (issue 32).
    spent = person.page.locator(f"#message-{reply} .usage").inner_text().rsplit(" · ", 1)[1]
    assert spent.startswith("$0.0000") and person.page.locator("#chat-cost").inner_text().startswith(f"{spent} · ")

    person.page.click("#sidebar a[href='/usage']")
    person.page.wait_for_url("**/usage")
    expect(person.page.locator("#per-model")).to_contain_text("demo-chat")
    expect(person.page.locator("#per-member")).to_contain_text("Ann Lee")
    drawn = person.page.evaluate("""() => {
        const chart = window.confabUsageChart;
        const canvas = document.getElementById('usage-chart');
        return {series: chart.data.datasets.length, total: chart.data.datasets.flatMap(d => d.data).reduce((a, b) => a + b, 0),
                width: canvas.width, height: canvas.height};
    }""")
    assert drawn["series"] >= 1 and drawn["total"] > 0 and drawn["width"] > 100 and drawn["height"] > 100
    labels = person.page.evaluate("() => window.confabUsageChart.scales.y.ticks.map((t) => t.label)")
    assert len(labels) > 2 and len(set(labels)) == len(labels), labels  # no axis label twice
    person.screenshot("usage")

    with person.page.expect_download() as download_info:
        person.page.click("#csv-link")
    download = download_info.value
    assert download.suggested_filename.startswith("confab-usage-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows and {r["model"] for r in rows} >= {"demo-chat"} and all(r["cost_usd"] for r in rows)

    person.page.select_option("#range", "last_30_days")
    person.page.wait_for_url("**/usage?range=last_30_days*")
    expect(person.page.locator("#range")).to_have_value("last_30_days")
