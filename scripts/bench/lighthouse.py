"""Lighthouse on the signed-in dashboard, for scripts/bench.sh: Google's `lighthouse` from npm,
unmodified, driving Debian's Chromium with its default mobile emulation (a mid-range phone on a
throttled 4G network, the CPU slowed 4x) against `osp serve` on loopback.

Usage: python3 lighthouse.py OSP_BINARY LIGHTHOUSE_CLI
Lighthouse runs three times on the one server; prints one JSON line from the run with the median
performance score: its performance, accessibility and best-practices scores (0-100), the page's
paint and blocking times, the largest paint's element, and every audit that scored below 0.9
by title (with the elements it names). Loopback only,
bounded (about a minute), stops what it started.
"""

import json
import os
import subprocess
import sys
import tempfile

from osp_app import fail, signed_in

RUNS = 3
CATEGORIES = ["performance", "accessibility", "best-practices"]
METRICS = {
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "speed-index": "speed_index_ms",
    "interactive": "tti_ms",
    "cumulative-layout-shift": "cls",
}


def main():
    if len(sys.argv) != 3:
        fail("usage: lighthouse.py OSP_BINARY LIGHTHOUSE_CLI")
    binary, cli = sys.argv[1:]
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    reports = []
    with tempfile.TemporaryDirectory() as work:
        with signed_in(binary, work) as app:
            headers = os.path.join(work, "headers.json")
            with open(headers, "w") as f:
                json.dump({"Cookie": app.cookie}, f)
            for run_number in range(RUNS):
                report = os.path.join(work, f"report-{run_number}.json")
                run = subprocess.run(
                    ["node", cli, f"{app.base}/", "--quiet", "--output=json", f"--output-path={report}",
                     f"--only-categories={','.join(CATEGORIES)}", f"--extra-headers={headers}",
                     "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"],
                    env=dict(os.environ, CHROME_PATH=chrome), capture_output=True, text=True, timeout=300)
                if run.returncode != 0 or not os.path.exists(report):
                    fail(f"lighthouse exited with {run.returncode}:\n{run.stderr[-4000:]}")
                with open(report) as f:
                    reports.append(json.load(f))
    for lh in reports:
        if lh.get("runtimeError"):
            fail(f"lighthouse could not load the page: {lh['runtimeError']}")
    # Lighthouse's own advice for a score that moves between runs: the median of several.
    performance = [round((r["categories"]["performance"]["score"] or 0) * 100) for r in reports]
    lh = sorted(reports, key=lambda r: r["categories"]["performance"]["score"] or 0)[len(reports) // 2]
    if os.environ.get("LIGHTHOUSE_KEEP"):
        # The median run's whole report, to read what a score is made of.
        with open(os.environ["LIGHTHOUSE_KEEP"], "w") as f:
            json.dump(lh, f)
    scores = {c.replace("-", "_"): round((lh["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
    metrics = {}
    for audit, key in METRICS.items():
        value = lh["audits"].get(audit, {}).get("numericValue")
        if value is not None:
            metrics[key] = round(value, 3) if key == "cls" else round(value)
    weak = sorted(
        {a["title"] for c in CATEGORIES for ref in lh["categories"][c]["auditRefs"]
         if ref.get("weight", 0) > 0
         for a in [lh["audits"][ref["id"]]]
         if a.get("score") is not None and a["score"] < 0.9})
    # Where each weak audit found its problem: the first few elements it names.
    where = {}
    for a in lh["audits"].values():
        if a["title"] in weak:
            items = (a.get("details") or {}).get("items") or []
            nodes = [i["node"].get("snippet", "")[:160] for i in items if isinstance(i.get("node"), dict)]
            if nodes:
                where[a["title"]] = nodes[:3]
    # The element whose paint was the largest: painted by the server's HTML, or only after the
    # wasm came (which the simulated network makes seconds).
    lcp_items = (lh["audits"].get("lcp-breakdown-insight", {}).get("details") or {}).get("items") or []
    lcp_element = next((i.get("snippet", "")[:200] for i in lcp_items if i.get("type") == "node"), None)
    print(json.dumps({"runs": len(reports), "performance_each_run": performance, "lcp_element": lcp_element, "lighthouse": lh["lighthouseVersion"], "chromium": lh["environment"]["hostUserAgent"],
                      "form_factor": lh["configSettings"]["formFactor"], **scores, **metrics,
                      "below_0_9": weak, "where": where, "final_url": lh.get("finalDisplayedUrl") or lh.get("finalUrl")}))


if __name__ == "__main__":
    main()
