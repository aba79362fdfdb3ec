// Times in the viewer's own time zone: relative today, a date otherwise, the full time on hover.

const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

export function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

export function daysAgo(date, now = new Date()) {
  return Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
}

export function friendlyTime(date, now = new Date()) {
  const days = daysAgo(date, now);
  if (days === 0) {
    const minutes = Math.floor((now - date) / 60_000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.floor(minutes / 60);
    return `${hours} h ago`;
  }
  if (days === 1) return `Yesterday ${clock.format(date)}`;
  if (date.getFullYear() === now.getFullYear()) return `${dayMonth.format(date)}, ${clock.format(date)}`;
  return dayMonthYear.format(date);
}

export function localise(time) {
  const date = new Date(time.dateTime);
  if (Number.isNaN(date.getTime())) return;
  time.textContent = friendlyTime(date);
  time.title = full.format(date);
}

export function localiseAll(root = document) {
  root.querySelectorAll("time[datetime]").forEach(localise);
}

export function keepFresh() {
  localiseAll();
  window.setInterval(() => localiseAll(), 30_000);
}
