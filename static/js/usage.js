// The usage page: the cost-per-day chart (Chart.js from npm) over the same figures as the
// tables, and the range picker's custom dates.
const data = JSON.parse(document.getElementById("usage-data").textContent);
const PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#dc2626", "#0d9488", "#65a30d", "#9333ea"];

const styles = getComputedStyle(document.documentElement);
const ink = styles.getPropertyValue("--muted").trim() || "#6b7280";
const line = styles.getPropertyValue("--line").trim() || "#e5e7eb";
const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
// Small amounts keep two significant digits rather than reading $0.00.
const money = { format: (v) => (v === 0 ? "$0" : Math.abs(v) < 0.01 ? `$${Number(v.toPrecision(2))}` : cents.format(v)) };

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
      y: { stacked: true, ticks: { color: ink, callback: (v) => money.format(v) }, grid: { color: line } },
    },
    plugins: {
      legend: { labels: { color: ink } },
      tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${money.format(item.parsed.y)}` } },
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
