// The usage page: the cost-per-day chart (Chart.js from npm) over the same figures as the
// tables, and the range picker's custom dates.
import { money } from "./message-view.js";
const data = JSON.parse(document.getElementById("usage-data").textContent);
const PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#dc2626", "#0d9488", "#65a30d", "#9333ea"];

const styles = getComputedStyle(document.documentElement);
const ink = styles.getPropertyValue("--muted").trim() || "#6b7280";
const line = styles.getPropertyValue("--line").trim() || "#e5e7eb";

// An axis label has as many decimals as its step needs, so no two labels read alike
// ($0.035, $0.040 rather than $0.04, $0.04).
function axisLabel(value, index, ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : 1;
  const places = Math.min(6, Math.max(2, Math.ceil(-Math.log10(step) - 1e-9)));
  return "$" + Number(value).toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places });
}

const chart = new window.Chart(document.getElementById("usage-chart"), {
  type: "bar",
  data: {
    labels: data.days.map((day) => day.slice(5)),
    datasets: data.series.map((series, i) => ({
      label: series.label, data: series.data, backgroundColor: PALETTE[i % PALETTE.length], borderRadius: 3,
    })),
  },
  options: {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    scales: {
      x: { stacked: true, ticks: { color: ink }, grid: { display: false } },
      y: { stacked: true, ticks: { color: ink, callback: axisLabel }, grid: { color: line } },
    },
    plugins: {
      legend: { labels: { color: ink } },
      tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${money(item.parsed.y)}` } },
    },
  },
});
window.confabUsageChart = chart;

const range = document.getElementById("range");
const custom = document.querySelector(".custom-range");
range.addEventListener("change", () => {
  custom.hidden = range.value !== "custom";
  if (range.value !== "custom") range.form.requestSubmit();
});
